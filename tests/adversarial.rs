//! The adversarial set (`fixtures/adversarial/`, written by its
//! `generate.py`): line endings, tabs, wide characters and bidi controls
//! before a finding, odd file names, malformed baselines. Line and column are
//! the same, and right, in every format; SARIF columns are in the unit the
//! log declares (Unicode code points).

use std::path::Path;

use crate::common::{code, repo, rustgate, stderr, stdout};

/// Each finding of `fixtures/adversarial/text`: path, line, column, end
/// column (1-based, in characters of the line), and the display column of
/// the human output's caret (tabs to the next multiple of 4, CJK and emoji
/// two columns wide, a control character shown as one picture). Counted by
/// hand from the bytes `generate.py` writes; its comments show the sums.
const TEXT: &[(&str, u32, u32, u32, usize)] = &[
    ("src/bidi.rs", 2, 17, 23, 16),
    ("src/cjk.rs", 2, 23, 29, 28),
    ("src/crlf.rs", 3, 5, 11, 4),
    ("src/emoji.rs", 2, 22, 28, 23),
    ("src/lone_cr.rs", 1, 39, 45, 38),
    ("src/tabs.rs", 2, 3, 9, 8),
    ("src/tabs.rs", 6, 17, 23, 20),
];

/// Names no format may mangle: a space, `%`, `#`, `?` (made here: some file
/// systems refuse `?`), with the SARIF URI and the GitHub property of each.
const NAMES: &[(&str, &str, &str)] = &[
    ("src/a b.rs", "src/a%20b.rs", "src/a b.rs"),
    ("src/100%.rs", "src/100%25.rs", "src/100%25.rs"),
    ("src/#1.rs", "src/%231.rs", "src/#1.rs"),
    ("src/why?.rs", "src/why%3F.rs", "src/why?.rs"),
    ("src/a,b:c.rs", "src/a%2Cb%3Ac.rs", "src/a%2Cb%3Ac.rs"),
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the text cases, plus `crlf.rs` under each of [`NAMES`].
fn text_cases() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/adversarial/text"), dir.path());
    for (name, _, _) in NAMES {
        std::fs::copy(dir.path().join("src/crlf.rs"), dir.path().join(name)).unwrap();
    }
    dir
}

/// Every finding expected in [`text_cases`]: (path, line, column, end
/// column), sorted as the outputs sort them.
fn expected() -> Vec<(String, u32, u32, u32)> {
    let mut all: Vec<(String, u32, u32, u32)> = TEXT
        .iter()
        .map(|&(p, l, c, e, _)| (p.to_owned(), l, c, e))
        .chain(NAMES.iter().map(|&(n, _, _)| (n.to_owned(), 3, 5, 11)))
        .collect();
    all.sort();
    all
}

fn check(dir: &Path, format: &str) -> String {
    let o = rustgate(dir, &["check", "--no-cache", "--format", format]);
    assert_eq!(code(&o), 1, "{format}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn the_committed_files_keep_their_line_endings_and_tabs() {
    // `.gitattributes` keeps them; a checkout that normalised line endings
    // would make every other test here meaningless.
    let text = |p: &str| std::fs::read(repo().join("fixtures/adversarial/text").join(p)).unwrap();
    let crlf = text("src/crlf.rs");
    assert_eq!(crlf.windows(2).filter(|w| w == b"\r\n").count(), 4);
    assert_eq!(crlf.iter().filter(|&&b| b == b'\n').count(), 4);
    let lone = text("src/lone_cr.rs");
    assert_eq!(lone.iter().filter(|&&b| b == b'\r').count(), 3);
    assert_eq!(lone.windows(2).filter(|w| w == b"\r\n").count(), 0);
    assert_eq!(
        text("src/tabs.rs").iter().filter(|&&b| b == b'\t').count(),
        4
    );
}

#[test]
fn line_and_column_are_right_in_every_format() {
    let dir = text_cases();
    let want = expected();

    let concise = check(dir.path(), "concise");
    let got: Vec<String> = concise.lines().map(|l| l.to_owned()).collect();
    let lines: Vec<String> = want
        .iter()
        .map(|(p, l, c, _)| format!("{p}:{l}:{c}: RG101 [error] unsafe block in business logic"))
        .collect();
    assert_eq!(got, lines, "{concise}");

    let json: serde_json::Value = serde_json::from_str(&check(dir.path(), "json")).unwrap();
    let mut got: Vec<(String, u32, u32, u32)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["end_line"], d["line"]);
            let n = |k: &str| u32::try_from(d[k].as_u64().unwrap()).unwrap();
            (
                d["path"].as_str().unwrap().to_owned(),
                n("line"),
                n("column"),
                n("end_column"),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);

    let sarif: serde_json::Value = serde_json::from_str(&check(dir.path(), "sarif")).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["newlineSequences"], serde_json::json!(["\r\n", "\n"]));
    let uri = |p: &str| {
        NAMES
            .iter()
            .find(|n| n.0 == p)
            .map_or(p.to_owned(), |n| n.1.to_owned())
    };
    let mut want_sarif: Vec<(String, u32, u32, u32)> = want
        .iter()
        .map(|(p, l, c, e)| (uri(p), *l, *c, *e))
        .collect();
    want_sarif.sort();
    let mut got: Vec<(String, u32, u32, u32)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let region = &loc["region"];
            assert_eq!(region["endLine"], region["startLine"]);
            let n = |k: &str| u32::try_from(region[k].as_u64().unwrap()).unwrap();
            (
                loc["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                n("startLine"),
                n("startColumn"),
                n("endColumn"),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want_sarif);

    // GitHub shows ten annotations of a kind: the first ten are written.
    let github = check(dir.path(), "github");
    let property = |p: &str| {
        NAMES
            .iter()
            .find(|n| n.0 == p)
            .map_or(p.to_owned(), |n| n.2.to_owned())
    };
    let annotations: Vec<&str> = github
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(annotations.len(), 10, "{github}");
    for line in annotations {
        let found = want.iter().any(|(p, l, c, e)| {
            line.starts_with(&format!(
                "::error file={},line={l},col={c},endLine={l},endColumn={e},title=RG101 unsafe-in-business-logic::",
                property(p)
            ))
        });
        assert!(found, "{line}");
    }

    let cargo = check(dir.path(), "cargo");
    let mut got: Vec<(String, u32, u32, u32)> = cargo
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "compiler-message")
        .map(|v| {
            let span = &v["message"]["spans"][0];
            assert_eq!(span["line_end"], span["line_start"]);
            let n = |k: &str| u32::try_from(span[k].as_u64().unwrap()).unwrap();
            (
                span["file_name"].as_str().unwrap().to_owned(),
                n("line_start"),
                n("column_start"),
                n("column_end"),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn the_human_caret_stays_under_the_finding() {
    let dir = text_cases();
    let human = check(dir.path(), "human");
    for &(path, line, column, end, caret) in TEXT {
        let header = format!("┌─ {path}:{line}:{column}\n");
        let at = human
            .match_indices(&header)
            .map(|(i, _)| i)
            .find(|&i| human[i..].contains(&format!("\n{line} │ ")))
            .unwrap_or_else(|| panic!("{header}{human}"));
        let rest = &human[at..];
        let marks = "^".repeat((end - column) as usize);
        let want = format!(
            "\n  │ {}{marks} unsafe-in-business-logic\n",
            " ".repeat(caret)
        );
        let snippet = &rest[..rest.find("\n\n").unwrap_or(rest.len())];
        assert!(snippet.contains(&want), "{path}:{line}: {snippet:?}");
        // What reaches the terminal is printable: no CR, tab or bidi control.
        assert!(
            !snippet.contains(['\r', '\t', '\u{202e}']),
            "{path}:{line}: {snippet:?}"
        );
    }
    // The lone CRs and the override are shown, one picture for one character.
    assert!(human.contains("1 │ pub fn read(p: *const u8) -> u8 {␍    unsafe { *p }␍}\n"));
    assert!(human.contains("2 │     /* \u{fffd} */ 1 + unsafe { *p }\n"));
    // The code after a lone CR in a `//` comment is comment, as for rustc.
    assert!(!human.contains("hidden"), "{human}");
    // The odd names are printed as they are.
    for (name, _, _) in NAMES {
        assert!(human.contains(&format!("┌─ {name}:3:5\n")), "{name}");
    }
}

#[test]
fn malformed_baselines_are_refused_with_a_clear_message() {
    let dir = text_cases();
    let folder = repo().join("fixtures/adversarial/baselines");
    let expected: &[(&str, Option<&str>)] = &[
        // A byte order mark is not an error: the (empty) baseline is used.
        ("bom.json", None),
        (
            "duplicate-key.json",
            Some("duplicate field `version` at line 1 column 24"),
        ),
        (
            "entry-without-fingerprint.json",
            Some("missing field `fingerprint` at line 1 column 67"),
        ),
        (
            "line-negative.json",
            Some("invalid value: integer `-1`, expected u32 at line 1 column 92"),
        ),
        (
            "line-past-u32.json",
            Some("invalid value: integer `4294967296`, expected u32 at line 1 column 100"),
        ),
        ("nul.json", Some("key must be a string at line 1 column 15")),
        (
            "rg905-entry.json",
            Some("holds a RG905 finding (entry 1): RG905 always gates and cannot be baselined"),
        ),
        (
            "top-level-array.json",
            Some("invalid type: sequence, expected an object with `version` and `findings`"),
        ),
        (
            "trailing-garbage.json",
            Some("trailing characters at line 1 column 32"),
        ),
        (
            "version-as-string.json",
            Some("invalid type: string \"1\", expected u32 at line 1 column 15"),
        ),
    ];
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let listed: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(
        names, listed,
        "every baseline in the set has an expectation"
    );
    for (name, message) in expected {
        std::fs::copy(folder.join(name), dir.path().join("b.json")).unwrap();
        let o = rustgate(
            dir.path(),
            &[
                "check",
                "--no-cache",
                "--format",
                "concise",
                "--baseline",
                "b.json",
            ],
        );
        match message {
            None => assert_eq!(code(&o), 1, "{name}: {}", stderr(&o)),
            Some(m) => {
                assert_eq!(code(&o), 2, "{name}: {}{}", stdout(&o), stderr(&o));
                assert!(stdout(&o).is_empty(), "{name}: {}", stdout(&o));
                assert!(
                    stderr(&o).contains("baseline b.json") && stderr(&o).contains(m),
                    "{name}: {}",
                    stderr(&o)
                );
            }
        }
    }
}

/// No output names a path of the machine (the checkout's absolute path, or
/// that of a file outside the workspace named on the command line), and the
/// internal "whole line" column (`u32::MAX`) reaches none: every format, with
/// a coverage finding about whole lines, a symlink note on stderr, and files
/// outside the workspace root.
#[cfg(unix)]
#[test]
fn no_absolute_path_and_no_sentinel_in_any_output() {
    let top = tempfile::tempdir().unwrap();
    let ws = top.path().join("ws");
    copy_dir(&repo().join("fixtures/adversarial/text"), &ws);
    std::fs::write(
        ws.join("cov.lcov"),
        "SF:src/lib.rs\nDA:1,0\nDA:2,0\nend_of_record\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("crlf.rs", ws.join("src/link.rs")).unwrap();
    crate::common::write(
        top.path(),
        "other/x.rs",
        crate::common::UNSAFE_LIB.as_bytes(),
    );
    crate::common::write(top.path(), "other/broken.rs", b"fn broken( {\n");
    let machine = [
        top.path().to_str().unwrap().to_owned(),
        std::fs::canonicalize(top.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned(),
    ];
    let runs: [&[&str]; 3] = [
        &["--coverage", "cov.lcov", "--min-file-coverage", "100"],
        &[".", "../other"],
        &["../other/x.rs"],
    ];
    for format in [
        "human", "concise", "json", "sarif", "github", "summary", "cargo",
    ] {
        for extra in runs {
            let mut args = vec!["check", "--no-cache", "--format", format];
            args.extend_from_slice(extra);
            let o = rustgate(&ws, &args);
            let all = format!("{}{}", stdout(&o), stderr(&o));
            assert_eq!(code(&o), 1, "{format} {extra:?}: {all}");
            for path in &machine {
                assert!(!all.contains(path.as_str()), "{format} {extra:?}: {all}");
            }
            assert!(!all.contains("4294967295"), "{format} {extra:?}: {all}");
        }
    }
    // The checks see what they should: the coverage finding, the note, the
    // file outside.
    let o = rustgate(
        &ws,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--coverage",
            "cov.lcov",
            "--min-file-coverage",
            "100",
        ],
    );
    assert!(
        stdout(&o).contains("src/lib.rs:1:1: RGC02"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("src/link.rs: a symlink to src/crlf.rs"),
        "{}",
        stderr(&o)
    );
    let o = rustgate(
        &ws,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            ".",
            "../other",
        ],
    );
    assert!(
        stdout(&o).contains("other/x.rs:2:5: RG101"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("other/broken.rs:1:"), "{}", stdout(&o));
}

/// A file name is text from the checked tree: its escape sequences and
/// newlines never reach the terminal or the CI log, in findings or in the
/// notes on stderr (a FIFO skipped, a symlink checked where it lies).
#[cfg(unix)]
#[test]
fn escape_sequences_in_file_names_never_reach_the_terminal() {
    let dir = crate::common::crate_with_lib("pub fn f() {}\n");
    let src = dir.path().join("src");
    std::fs::write(
        src.join("n\nx\u{1b}]0;t\u{7}.rs"),
        crate::common::UNSAFE_LIB,
    )
    .unwrap();
    std::os::unix::fs::symlink("lib.rs", src.join("l\u{1b}[2Jx.rs")).unwrap();
    let fifo = src.join("f\u{1b}[2Jx.rs");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for format in ["human", "concise", "github", "summary"] {
        let o = rustgate(dir.path(), &["check", "--no-cache", "--format", format]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains(['\u{1b}', '\u{7}']), "{format}: {all:?}");
        assert!(
            stderr(&o).contains("src/f\\u{1b}[2Jx.rs: not a regular file"),
            "{format}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("src/l\\u{1b}[2Jx.rs: a symlink to src/lib.rs"),
            "{format}: {}",
            stderr(&o)
        );
    }
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(
        stdout(&o),
        "src/n\\u{a}x\\u{1b}]0;t\\u{7}.rs:2:5: RG101 [error] unsafe block in business logic\n"
    );
}
