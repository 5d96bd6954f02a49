//! The coverage gate end to end: the binary on the fixture crate with the real
//! reports cargo-llvm-cov wrote for it (fixtures/coverage/reports).
//!
//! Every figure below was checked against the tool's own summary,
//! fixtures/coverage/reports/SUMMARY.txt (`cargo llvm-cov report
//! --summary-only`): TOTAL lines 57, missed 12 -> 45 of 57 = 78.947..%
//! (78.95%); lib.rs 23 lines, missed 10 -> 13 of 23 = 56.52%; pricing.rs 34
//! lines, missed 2 -> 32 of 34 = 94.12%; functions 12, missed 1 -> 11 (91.67%);
//! regions 78, missed 13 -> 65 (83.33%). The Cobertura export counts line 52
//! of pricing.rs once where llvm-cov's summary counts it twice: its own header
//! says `lines-covered="44" lines-valid="56"` (78.57%), which the test reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{code, repo, rustgate, stderr, stdout, workspace, write};

fn report(name: &str) -> PathBuf {
    repo().join("fixtures/coverage/reports").join(name)
}

fn report_arg(name: &str) -> String {
    report(name).to_string_lossy().into_owned()
}

fn sample_source(name: &str) -> String {
    std::fs::read_to_string(repo().join("fixtures/coverage/sample").join(name)).unwrap()
}

/// A copy of the fixture crate: the reports' absolute paths name another
/// checkout, so every entry maps by path suffix, as a report from CI does.
fn sample() -> tempfile::TempDir {
    workspace(&[
        (
            "Cargo.toml",
            &std::fs::read_to_string(repo().join("fixtures/coverage/sample/Cargo.toml")).unwrap(),
        ),
        ("src/lib.rs", &sample_source("src/lib.rs")),
        ("src/pricing.rs", &sample_source("src/pricing.rs")),
    ])
}

fn check(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    rustgate(dir, &all)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn total_line_threshold_just_below_and_above_the_measured_total() {
    let dir = sample();
    for name in ["sample.lcov", "sample.llvm.json"] {
        let r = report_arg(name);
        let pass = check(
            dir.path(),
            &["--coverage", &r, "--min-line-coverage", "78.94"],
        );
        assert_eq!(code(&pass), 0, "{name}: {}{}", stdout(&pass), stderr(&pass));
        // 45/57 = 78.947..% is below 78.95: shown with 4 decimals, not as 78.95%.
        let fail = check(
            dir.path(),
            &[
                "--coverage",
                &r,
                "--min-line-coverage",
                "78.95",
                "--format",
                "concise",
            ],
        );
        assert_eq!(code(&fail), 1, "{name}");
        assert_eq!(
            stdout(&fail),
            "Cargo.toml:1:1: RGC01 [error] total line coverage is 78.9474% (45 of 57 lines), below the minimum of 78.95%\n",
            "{name}"
        );
        let fail = check(dir.path(), &["--coverage", &r, "--min-line-coverage", "79"]);
        assert_eq!(code(&fail), 1, "{name}");
        assert!(
            stdout(&fail).contains(
                "error[RGC01]: total line coverage is 78.95% (45 of 57 lines), below the minimum of 79%"
            ),
            "{name}: {}",
            stdout(&fail)
        );
    }
}

#[test]
fn cobertura_total_is_its_own_header() {
    let text = std::fs::read_to_string(report("sample.cobertura.xml")).unwrap();
    assert!(text.contains("lines-covered=\"44\" lines-valid=\"56\""));
    let dir = sample();
    let r = report_arg("sample.cobertura.xml");
    // 44/56 = 78.571..%
    let pass = check(
        dir.path(),
        &["--coverage", &r, "--min-line-coverage", "78.57"],
    );
    assert_eq!(code(&pass), 0, "{}", stderr(&pass));
    let fail = check(
        dir.path(),
        &[
            "--coverage",
            &r,
            "--min-line-coverage",
            "78.58",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&fail), 1);
    let v = json(&fail);
    assert_eq!(v["coverage"]["lines"]["covered"], 44);
    assert_eq!(v["coverage"]["lines"]["total"], 56);
    assert_eq!(v["diagnostics"][0]["code"], "RGC01");
}

#[test]
fn per_file_threshold_fails_at_the_file() {
    let dir = sample();
    let r = report_arg("sample.lcov");
    let o = check(
        dir.path(),
        &[
            "--coverage",
            &r,
            "--min-file-coverage",
            "60",
            "--format",
            "concise",
        ],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/lib.rs:1:1: RGC02 [error] line coverage of this file is 56.52% (13 of 23 lines), below the minimum of 60%\n"
    );
    // 13/23 = 56.52173..% holds 56.52.
    let o = check(
        dir.path(),
        &["--coverage", &r, "--min-file-coverage", "56.52"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // A severity override applies to coverage findings as to any rule.
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "severity = { RGC02 = \"warning\" }\n",
    )
    .unwrap();
    let o = check(dir.path(), &["--coverage", &r, "--min-file-coverage", "60"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("warning[RGC02]"), "{}", stdout(&o));
    // And per-file-ignores.
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "[per-file-ignores]\n\"src/lib.rs\" = [\"RGC02\"]\n",
    )
    .unwrap();
    let o = check(dir.path(), &["--coverage", &r, "--min-file-coverage", "95"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("┌─ src/pricing.rs") && !stdout(&o).contains("┌─ src/lib.rs"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn coverage_table_from_the_config_with_path_and_package_thresholds() {
    let dir = sample();
    // A relative report path in the config is relative to the workspace root.
    std::fs::create_dir_all(dir.path().join("cov")).unwrap();
    std::fs::copy(report("sample.lcov"), dir.path().join("cov/lcov.info")).unwrap();
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "[coverage]\nreports = [\"cov/lcov.info\"]\n\n[coverage.paths]\n\"src/pricing.rs\" = 94\n\"src/**\" = 80\n\n[coverage.packages]\ncoverage-sample = 78\n",
    )
    .unwrap();
    let o = check(dir.path(), &["--format", "concise"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // src/pricing.rs holds 94 (94.12%); src/** (45 of 57) fails at its least
    // covered file; the package holds 78.
    assert_eq!(
        stdout(&o),
        "src/lib.rs:1:1: RGC01 [error] line coverage of `src/**` is 78.95% (45 of 57 lines), below the minimum of 80%\n"
    );
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "[coverage]\nreports = [\"cov/lcov.info\"]\n\n[coverage.paths]\n\"src/pricing.rs\" = 95\n\n[coverage.packages]\ncoverage-sample = 79\n",
    )
    .unwrap();
    let o = check(dir.path(), &["--format", "concise"]);
    assert_eq!(
        stdout(&o),
        "Cargo.toml:1:1: RGC01 [error] line coverage of package `coverage-sample` is 78.95% (45 of 57 lines), below the minimum of 79%\n\
         src/pricing.rs:1:1: RGC01 [error] line coverage of `src/pricing.rs` is 94.12% (32 of 34 lines), below the minimum of 95%\n"
    );
    // The human output ends with the table.
    let out = stdout(&check(dir.path(), &[]));
    let table = out.split_once("checked in").unwrap().1;
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for row in [
        vec!["total", "lines", "45/57", "78.95%"],
        vec!["functions", "11/12", "91.67%"],
        vec!["src/lib.rs", "13/23", "56.52%"],
        vec!["src/pricing.rs", "32/34", "94.12%"],
    ] {
        assert!(rows.contains(&row), "{row:?} in {table}");
    }
    // The flags override the config: a report, a threshold.
    let o = check(
        dir.path(),
        &[
            "--coverage",
            &report_arg("sample.llvm.json"),
            "--min-line-coverage",
            "80",
            "--format",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(v["coverage"]["regions"]["covered"], 65);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["RGC01", "RGC01", "RGC01"], "{v}");
}

#[test]
fn unknown_coverage_key_is_a_config_error() {
    let dir = sample();
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "[coverage]\nmin-lines = 80\n",
    )
    .unwrap();
    let o = check(dir.path(), &[]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("rustgate.toml: invalid `[coverage]`: unknown field `min-lines`")
            && stderr(&o).contains("(did you mean `min-line-coverage`?)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn threshold_flag_without_a_report_is_an_error() {
    let dir = sample();
    let o = check(dir.path(), &["--min-line-coverage", "80"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`--min-line-coverage` needs a coverage report"),
        "{}",
        stderr(&o)
    );
    let o = check(dir.path(), &["--min-line-coverage", "95%"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is not a percentage"), "{}", stderr(&o));
}

#[test]
fn malformed_reports_name_file_and_line() {
    let dir = sample();
    let lcov = std::fs::read_to_string(report("sample.lcov")).unwrap();
    // Line 14 is `DA:7,1`.
    assert_eq!(lcov.lines().nth(13), Some("DA:7,1"));
    write(
        dir.path(),
        "bad.lcov",
        lcov.replacen("DA:7,1", "DA:7,x", 1).as_bytes(),
    );
    let o = check(dir.path(), &["--coverage", "bad.lcov"]);
    assert_eq!(code(&o), 2);
    let expected = format!(
        "rustgate: malformed coverage input `{}` at line 14: expected `DA:<line>,<hits>` with numbers\n",
        dir.path().join("bad.lcov").display()
    );
    assert_eq!(stderr(&o), expected);
    assert_eq!(stdout(&o), "");

    let xml = std::fs::read_to_string(report("sample.cobertura.xml")).unwrap();
    let cut: String = xml.lines().take(12).map(|l| format!("{l}\n")).collect();
    write(dir.path(), "cut.xml", cut.as_bytes());
    let o = check(dir.path(), &["--coverage", "cut.xml"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cut.xml` at line 12: expected `</coverage>`"),
        "{}",
        stderr(&o)
    );

    let o = check(dir.path(), &["--coverage", &report_arg("SUMMARY.txt")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("is not a coverage report"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn report_of_another_project_is_an_error() {
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[package]\nname = \"other\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    let o = check(dir.path(), &["--coverage", &report_arg("sample.lcov")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("sample.lcov` covers no file of the workspace"),
        "{}",
        stderr(&o)
    );
}

// ---- patch coverage in a real git repository ----

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sample in a repository: `main` lacks `unused` (lines 22..=30 of
/// lib.rs) and has another line 14; `feature`, checked out, is the sample as
/// measured. Changed: line 14 (covered) and 22..=30, of which the report
/// counts 23..=29 as executable, all uncovered (DA:23,0 .. DA:29,0): 1 of 8.
fn sample_repo() -> tempfile::TempDir {
    let dir = sample();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "rustgate tests"]);
    git(root, &["config", "user.email", "tests@rustgate.invalid"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    let lib = sample_source("src/lib.rs");
    let old: String = lib
        .lines()
        .enumerate()
        .filter(|(i, _)| !(21..=29).contains(i))
        .map(|(i, l)| {
            if i == 13 {
                "        \"pos\"\n".to_owned()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(root.join("src/lib.rs"), old).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(root.join("src/lib.rs"), lib).unwrap();
    git(root, &["commit", "-q", "-am", "add unused"]);
    dir
}

const PATCH_FINDINGS: &str = "src/lib.rs:23:1: RGC03 [error] [new] patch coverage is 12.50% (1 of 8 changed executable lines), below the minimum of 50%\n\
     src/lib.rs:23:1: RGC04 [note] [new] 7 changed lines are not covered by any test\n";

#[test]
fn patch_coverage_against_a_git_base() {
    let repo = sample_repo();
    let r = report_arg("sample.lcov");
    let args = [
        "--coverage",
        &r,
        "--diff-base",
        "main",
        "--min-patch-coverage",
        "50",
    ];
    let mut concise = args.to_vec();
    concise.extend(["--format", "concise"]);
    let o = check(repo.path(), &concise);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o), PATCH_FINDINGS);

    let mut github = args.to_vec();
    github.extend(["--format", "github"]);
    let out = stdout(&check(repo.path(), &github));
    assert!(
        out.contains("::notice file=src/lib.rs,line=23,col=1,endLine=29,"),
        "{out}"
    );

    let mut as_json = args.to_vec();
    as_json.extend(["--format", "json"]);
    let v = json(&check(repo.path(), &as_json));
    let patch = &v["coverage"]["patch"];
    assert_eq!(patch["lines"]["covered"], 1);
    assert_eq!(patch["lines"]["total"], 8);
    assert_eq!(patch["lines"]["percent"], 12.5);
    assert_eq!(patch["changed_lines"], 10);
    assert_eq!(patch["files_changed"], 1);
    assert_eq!(v["diagnostics"][1]["end_line"], 29);

    // 12.5% holds a 12.5 minimum: the RGC04 notes remain but pass the gate.
    let o = check(
        repo.path(),
        &[
            "--coverage",
            &r,
            "--diff-base",
            "main",
            "--min-patch-coverage",
            "12.5",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("note[RGC04]"), "{}", stdout(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["patch", "(changed", "lines)", "1/8", "12.50%"]),
        "{}",
        stdout(&o)
    );

    // Against itself: an empty diff passes with a note on stderr.
    let o = check(
        repo.path(),
        &[
            "--coverage",
            &r,
            "--diff-base",
            "feature",
            "--min-patch-coverage",
            "50",
        ],
    );
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("patch coverage passes"),
        "{}",
        stderr(&o)
    );

    let o = check(repo.path(), &["--coverage", &r, "--diff-base", "nope"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown git base `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn patch_coverage_from_a_diff_file() {
    let repo = sample_repo();
    let diff = git(repo.path(), &["diff", "main", "HEAD"]);
    // Relative to the current directory, like any path on the command line.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("pr.diff"), diff).unwrap();
    let root = repo.path().to_string_lossy().into_owned();
    let o = rustgate(
        elsewhere.path(),
        &[
            "check",
            &root,
            "--coverage",
            &report_arg("sample.lcov"),
            "--diff-file",
            "pr.diff",
            "--min-patch-coverage",
            "50",
            "--format",
            "concise",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o), PATCH_FINDINGS);
}

#[test]
fn json_and_sarif_carry_the_figures() {
    let dir = sample();
    let o = check(
        dir.path(),
        &[
            "--coverage",
            &report_arg("sample.llvm.json"),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0);
    let v = json(&o);
    let c = &v["coverage"];
    assert_eq!(c["lines"]["covered"], 45);
    assert_eq!(c["lines"]["total"], 57);
    assert_eq!(
        format!("{:.2}", c["lines"]["percent"].as_f64().unwrap()),
        "78.95"
    );
    assert_eq!(c["functions"]["covered"], 11);
    assert_eq!(c["functions"]["total"], 12);
    assert_eq!(c["regions"]["covered"], 65);
    assert_eq!(c["regions"]["total"], 78);
    assert_eq!(c["files_covered"], 2);
    assert_eq!(c["worst_files"][0]["path"], "src/lib.rs");
    assert_eq!(c["worst_files"][0]["package"], "coverage-sample");
    assert_eq!(c["worst_files"][0]["lines"]["covered"], 13);
    assert_eq!(c["worst_files"][0]["lines"]["total"], 23);
    assert_eq!(c["worst_files"][1]["lines"]["covered"], 32);
    assert_eq!(c["worst_files"][1]["lines"]["total"], 34);
    assert!(c.get("patch").is_none());

    let o = check(
        dir.path(),
        &[
            "--coverage",
            &report_arg("sample.lcov"),
            "--format",
            "sarif",
        ],
    );
    let v = json(&o);
    let c = &v["runs"][0]["properties"]["coverage"];
    assert_eq!(c["lines"]["covered"], 45);
    assert_eq!(c["lines"]["total"], 57);

    // Without coverage: `coverage` is null in JSON, absent in SARIF.
    let v = json(&check(dir.path(), &["--format", "json"]));
    assert!(v["coverage"].is_null());
    let v = json(&check(dir.path(), &["--format", "sarif"]));
    assert!(v["runs"][0].get("properties").is_none());
}
