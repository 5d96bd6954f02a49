//! GitHub: SARIF for code scanning, capped annotations, the job summary, and
//! the SARIF validator on real outputs.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{code, crate_with_lib, repo, rustgate, stderr, stdout, write};

/// SARIF of `dir`. `--no-cache`: some of these runs check the repository's
/// own fixtures, and a test must not write into them.
fn sarif(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--no-cache", "--format", "sarif"];
    args.extend_from_slice(extra);
    let o = rustgate(dir, &args);
    assert!(code(&o) < 2, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn fingerprints(v: &Value) -> Vec<String> {
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["rustgate/v1"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn demo_sarif_has_what_code_scanning_reads() {
    let v = sarif(&repo().join("fixtures/demo"), &[]);
    let run = &v["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "rustgate/");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    // `%SRCROOT%` is declared, without the machine's absolute path.
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"].is_null());
    let root = repo().join("fixtures/demo");
    assert!(
        !v.to_string().contains(root.to_str().unwrap()),
        "absolute path in the SARIF log"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let sql = rules.iter().find(|r| r["id"] == "RG401").unwrap();
    assert!(
        sql["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&"security".into())
    );
    assert!(sql["properties"]["security-severity"].is_string());
    assert!(sql["properties"]["precision"].is_string());
    assert_eq!(sql["properties"]["problem.severity"], "error");
    let results = run["results"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let rg202 = results.iter().find(|r| r["ruleId"] == "RG202").unwrap();
    let steps = rg202["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert!(steps.len() >= 2, "{rg202}");
    assert!(steps[0]["location"]["message"]["text"].is_string());
    let mut prints = fingerprints(&v);
    let n = prints.len();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), n, "fingerprints are unique");
}

#[test]
fn category_from_flag_and_config() {
    let dir = crate_with_lib("pub fn f() {}\n");
    let v = sarif(dir.path(), &["--sarif-category", "rustgate/api"]);
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "rustgate/api");
    write(dir.path(), "rustgate.toml", b"sarif-category = \"lint/\"\n");
    let v = sarif(dir.path(), &[]);
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "lint/");
}

#[test]
fn fingerprints_survive_lines_inserted_above_and_tell_one_line_apart() {
    let lib =
        "pub fn f(p: *const u8) -> u8 {\n    let v = unsafe { *p } + unsafe { *p };\n    v\n}\n";
    let dir = crate_with_lib(lib);
    let before = fingerprints(&sarif(dir.path(), &[]));
    assert_eq!(before.len(), 2);
    assert_ne!(before[0], before[1], "two findings on one line differ");
    write(
        dir.path(),
        "src/lib.rs",
        format!("//! docs\n\nuse std::fmt;\n\npub fn g() {{}}\n\n{lib}").as_bytes(),
    );
    let v = sarif(dir.path(), &[]);
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
    assert_eq!(fingerprints(&v), before);
}

#[test]
fn suppressions_and_unparsable_files() {
    let dir = crate_with_lib(
        "mod bad;\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p } // rustgate: allow(RG101) checked by the caller\n}\n",
    );
    write(dir.path(), "src/bad.rs", b"fn broken( {\n");
    let v = sarif(dir.path(), &[]);
    let run = &v["runs"][0];
    let results = run["results"].as_array().unwrap();
    let suppressed = results.iter().find(|r| r["ruleId"] == "RG101").unwrap();
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed["suppressions"][0]["justification"],
        "checked by the caller"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("src/bad.rs: syntax error")
    );
}

#[test]
fn results_past_the_limit_keep_the_most_severe() {
    let lib: String = (0..40)
        .map(|i| format!("pub fn f{i}(p: *const u8) -> u8 {{\n    unsafe {{ *p.add({i}) }}\n}}\n"))
        .collect();
    let dir = crate_with_lib(&lib);
    write(
        dir.path(),
        "rustgate.toml",
        b"[severity]\nRG101 = \"warning\"\n",
    );
    let options = rustgate::engine::RunOptions {
        paths: vec![dir.path().to_owned()],
        ..Default::default()
    };
    let mut run = rustgate::engine::run(&options).unwrap();
    assert_eq!(run.diagnostics.len(), 40);
    run.diagnostics[25].severity = rustgate_rules::Severity::Error;
    let render = |max_results, max_gzipped| {
        let mut out = Vec::new();
        rustgate::output::sarif::render_with_limits(&run, &mut out, max_results, max_gzipped)
            .unwrap();
        out
    };
    let v: Value = serde_json::from_slice(&render(1, usize::MAX)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["level"], "error");
    let note = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert!(
        note["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("39 of 40 findings were left out")
    );
    // The size limit counts gzipped bytes: a budget just under the full log
    // drops the least severe results.
    let budget = gzipped_len(&render(25_000, usize::MAX)) - 1;
    let out = render(25_000, budget);
    assert!(gzipped_len(&out) <= budget);
    let v: Value = serde_json::from_slice(&out).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() < 40);
    assert!(results.iter().any(|r| r["level"] == "error"));
}

fn gzipped_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap().len()
}

/// 24 errors (RG101), 12 per file.
fn many_findings() -> tempfile::TempDir {
    let block = "pub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n";
    let dir = crate_with_lib(&format!("mod b;\n{}", block.repeat(12)));
    write(dir.path(), "src/b.rs", block.repeat(12).as_bytes());
    dir
}

#[test]
fn annotations_are_capped_per_kind_with_a_closing_notice() {
    let dir = many_findings();
    let out = stdout(&rustgate(dir.path(), &["check", "--format", "github"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert_eq!(lines.len(), 11, "{out}");
    assert_eq!(
        lines[10],
        "::notice title=rustgate::14 more findings are not annotated here (GitHub shows 10 per kind): see the job summary and code scanning"
    );
}

#[test]
fn summary_has_gate_counts_by_rule_and_linked_findings() {
    let dir = many_findings();
    let o = Command::new(crate::common::bin())
        .args(["check", "--format", "summary"])
        .current_dir(dir.path())
        .env("GITHUB_WORKSPACE", dir.path())
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_SHA", "0123abc")
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let md = stdout(&o);
    assert!(
        md.starts_with("## rustgate: :x: gate failed\n\n**24 errors** in 2 files"),
        "{md}"
    );
    assert!(
        md.contains("| RG101 | `unsafe-in-business-logic` | error | 24 |"),
        "{md}"
    );
    assert!(
        md.contains("| error | [src/b.rs:2](https://github.example/acme/shop/blob/0123abc/src/b.rs#L2) | RG101 `unsafe-in-business-logic` | unsafe block in business logic |"),
        "{md}"
    );
    assert!(md.len() < 1024 * 1024);
}

/// `validate-sarif` (../shared/tools in the development checkout, or on PATH):
/// GitHub's ingestion rules and the SARIF schema, on the demo's SARIF, every
/// fixture group's SARIF, and one with suppressions and a parse error.
#[test]
fn validate_sarif_accepts_our_sarif() {
    let Some(tool) = validate_sarif() else {
        eprintln!("validate-sarif not found: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut save = |name: &str, dir: &Path| {
        let o = rustgate(dir, &["check", "--no-cache", "--format", "sarif"]);
        assert!(code(&o) < 2, "{}", stderr(&o));
        let path = tmp.path().join(format!("{name}.sarif"));
        std::fs::write(&path, &o.stdout).unwrap();
        files.push(path);
    };
    save("demo", &repo().join("fixtures/demo"));
    for group in std::fs::read_dir(repo().join("fixtures/rules")).unwrap() {
        let group = group.unwrap().path();
        save(&group.file_name().unwrap().to_string_lossy(), &group);
    }
    let odd = crate_with_lib(
        "mod bad;\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p } // rustgate: allow(RG101) checked by the caller\n}\n",
    );
    write(odd.path(), "src/bad.rs", b"fn broken( {\n");
    save("odd", odd.path());
    let o = Command::new(&tool).args(&files).output().unwrap();
    let out = stdout(&o);
    if code(&o) == 2 {
        eprintln!(
            "validate-sarif could not run (no npm?): skipped\n{}",
            stderr(&o)
        );
        return;
    }
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    let summaries: Vec<&str> = out.lines().filter(|l| l.contains(".sarif: ")).collect();
    assert_eq!(summaries.len(), files.len(), "{out}");
    for line in summaries {
        assert!(line.ends_with(": 0 errors, 0 warnings"), "{out}");
    }
}

fn validate_sarif() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RUSTGATE_VALIDATE_SARIF") {
        return Some(PathBuf::from(p));
    }
    let mut dir = repo();
    for _ in 0..3 {
        let candidate = dir.join("shared/tools/validate-sarif");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = dir.parent()?.to_owned();
    }
    None
}

/// A legacy repository: twelve old RG101 findings (src/old0.rs .. old11.rs,
/// line 2 each), committed on `main`, then a branch `feature`.
pub(crate) fn legacy() -> tempfile::TempDir {
    let mut lib = String::new();
    for i in 0..12 {
        lib.push_str(&format!("mod old{i};\n"));
    }
    let dir = crate_with_lib(&lib);
    for i in 0..12 {
        write(
            dir.path(),
            &format!("src/old{i}.rs"),
            format!("pub fn f{i}(p: *const u8) -> u8 {{\n    unsafe {{ *p.add({i}) }}\n}}\n")
                .as_bytes(),
        );
    }
    crate::common::git(dir.path(), &["init", "-q", "-b", "main"]);
    crate::common::git_commit_all(dir.path(), "legacy");
    crate::common::git(dir.path(), &["checkout", "-q", "-b", "feature"]);
    dir
}

/// The pull request: one new finding in src/new.rs (line 2).
pub(crate) fn add_new_finding(d: &Path) {
    write(d, "src/new.rs", crate::common::UNSAFE_LIB.as_bytes());
    let lib = std::fs::read_to_string(d.join("src/lib.rs")).unwrap();
    write(d, "src/lib.rs", format!("{lib}mod new;\n").as_bytes());
}

#[test]
fn pull_request_on_a_legacy_repository_annotates_its_own_line_first() {
    let dir = legacy();
    let d = dir.path();
    add_new_finding(d);
    crate::common::git_commit_all(d, "new");
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "github",
            "--diff-base",
            "main",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11, "{out}");
    assert!(
        lines[0].starts_with("::error file=src/new.rs,line=2,")
            && lines[0].contains("title=RG101 unsafe-in-business-logic::"),
        "{out}"
    );
    // Nine old findings as notices that say they do not gate, then the rest
    // counted: ten notices, GitHub's cap.
    for l in &lines[1..10] {
        assert!(
            l.starts_with("::notice file=src/old") && l.contains("(error%2C not gating)"),
            "{l}"
        );
    }
    assert_eq!(
        lines[10],
        "::notice title=rustgate::3 more findings are not annotated here (GitHub shows 10 per kind): see the job summary and code scanning"
    );

    // The other formats mark the new finding and count it apart.
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--diff-base",
            "main",
        ],
    );
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 13, "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.contains(" [error] [unchanged] "))
            .count(),
        12,
        "{out}"
    );
    assert!(
        out.contains("src/new.rs:2:5: RG101 [error] [new] unsafe block in business logic\n"),
        "{out}"
    );
    let o = rustgate(d, &["check", "--no-cache", "--diff-base", "main"]);
    let out = stdout(&o);
    assert_eq!(out.matches("[new]").count(), 1, "{out}");
    assert_eq!(
        out.matches("not gating: no line of it changed since the diff base")
            .count(),
        12,
        "{out}"
    );
    assert!(
        out.contains("\n1 new finding gates the run; 12 on unchanged lines do not\n"),
        "{out}"
    );
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "summary",
            "--diff-base",
            "main",
        ],
    );
    let md = stdout(&o);
    assert!(
        md.contains("**1 new finding gates the run; 12 on unchanged lines do not.**"),
        "{md}"
    );
    assert_eq!(md.matches("| **new** unsafe block").count(), 1, "{md}");
    assert_eq!(md.matches("*(unchanged line)*").count(), 12, "{md}");
    // JUnit: the new finding fails, the old ones are skipped.
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "junit",
            "--diff-base",
            "main",
        ],
    );
    let xml = stdout(&o);
    assert!(
        xml.contains("<testsuites name=\"rustgate\" tests=\"13\" failures=\"1\""),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<skipped message=\"not gating: on a line the change does not touch\"/>")
            .count(),
        12,
        "{xml}"
    );
}

#[test]
fn baseline_states_in_sarif_and_json() {
    let dir = legacy();
    let d = dir.path();
    let o = rustgate(d, &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    crate::common::git_commit_all(d, "baseline");
    // Fix old0, add a new finding.
    write(d, "src/old0.rs", b"pub fn f0() -> u8 {\n    0\n}\n");
    add_new_finding(d);
    let base = ["--baseline", "rustgate-baseline.json"];

    let v = sarif(d, &base);
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 13, "11 unchanged, 1 new, 1 absent");
    let state =
        |s: &str| -> Vec<&Value> { results.iter().filter(|r| r["baselineState"] == s).collect() };
    assert!(results.iter().all(|r| r["baselineState"].is_string()));
    let new = state("new");
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/new.rs"
    );
    assert_eq!(state("unchanged").len(), 11);
    let absent = state("absent");
    assert_eq!(absent.len(), 1);
    assert_eq!(absent[0]["kind"], "pass");
    assert_eq!(absent[0]["ruleId"], "RG101");
    assert_eq!(
        absent[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/old0.rs"
    );
    assert_eq!(
        absent[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    // A baselined finding keeps the fingerprint it has without a baseline.
    let plain = sarif(d, &[]);
    let mut with: Vec<String> = fingerprints(&v);
    with.retain(|f| fingerprints(&plain).contains(f));
    assert_eq!(
        with.len(),
        12,
        "every present finding keeps its fingerprint"
    );

    let mut args = vec!["check", "--no-cache", "--format", "json"];
    args.extend(base);
    let o = rustgate(d, &args);
    assert_eq!(code(&o), 1);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &j["summary"];
    assert_eq!(
        (
            &s["errors"],
            &s["new_errors"],
            &s["new_warnings"],
            &s["new_notes"]
        ),
        (&1.into(), &1.into(), &0.into(), &0.into())
    );
    assert_eq!(
        (&s["baselined"], &s["baseline_fixed"]),
        (&11.into(), &1.into())
    );
    assert_eq!(j["diagnostics"].as_array().unwrap().len(), 1);
    assert_eq!(j["diagnostics"][0]["new"], true);

    let mut args = vec!["check", "--no-cache"];
    args.extend(base);
    let out = stdout(&rustgate(d, &args));
    assert!(
        out.contains("[new] unsafe block")
            && out.contains("\n1 new finding gates the run; 11 baselined do not\n"),
        "{out}"
    );

    // Without a baseline or a diff base, every finding is new.
    let results = plain["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["baselineState"] == "new"));

    if let Some(tool) = validate_sarif() {
        let path = d.join("baselined.sarif");
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        let o = Command::new(&tool).arg(&path).output().unwrap();
        if code(&o) != 2 {
            assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
            assert!(
                stdout(&o).contains(": 0 errors, 0 warnings"),
                "{}",
                stdout(&o)
            );
        }
    }
}

#[test]
fn diff_base_counts_untracked_files_and_diff_file_gates_findings() {
    let dir = legacy();
    let d = dir.path();
    // Uncommitted and untracked: new.rs is a change.
    add_new_finding(d);
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--diff-base",
            "main",
            "--only-new",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/new.rs:2:5: RG101 [error] [new] unsafe block in business logic\n"
    );
    // The same change handed over as a patch.
    let patch = "--- /dev/null\n+++ b/src/new.rs\n@@ -0,0 +1,3 @@\n+pub fn f(p: *const u8) -> u8 {\n+    unsafe { *p }\n+}\n";
    write(d, "pr.diff", patch.as_bytes());
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--diff-file",
            "pr.diff",
            "--only-new",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/new.rs:2:5: RG101 [error] [new] unsafe block in business logic\n"
    );
    // A patch that touches none of them: nothing gates.
    write(
        d,
        "pr.diff",
        b"--- a/README\n+++ b/README\n@@ -0,0 +1 @@\n+hello\n",
    );
    let o = rustgate(
        d,
        &[
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--diff-file",
            "pr.diff",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 13);
}

#[test]
fn shallow_clone_without_the_base_says_fetch_depth_0() {
    let dir = legacy();
    let d = dir.path();
    add_new_finding(d);
    crate::common::git_commit_all(d, "new");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", d.display());
    crate::common::git(
        clone.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "c",
        ],
    );
    let c = clone.path().join("c");
    let o = rustgate(&c, &["check", "--no-cache", "--diff-base", "origin/main"]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("unknown git base `origin/main`") && err.contains("fetch-depth: 0"),
        "{err}"
    );
}
