//! Gating new code only, in a real git repository: `rustgate baseline`,
//! `check --baseline`, `--update-baseline`, `--diff-base`, `--only-new`.

use std::path::Path;
use std::process::Command;

use crate::common::{code, crate_with_lib, rustgate, stderr, stdout, write};

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

const F: &str = "pub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n";
const G: &str = "pub fn g(p: *const u8) -> u8 {\n    unsafe { *p.add(1) }\n}\n";

/// A repository with two findings: src/lib.rs:5 and src/b.rs:2.
fn repo() -> tempfile::TempDir {
    let dir = crate_with_lib(&format!("mod b;\n\n{F}"));
    write(dir.path(), "src/b.rs", G.as_bytes());
    git(dir.path(), &["init", "-q"]);
    commit_all(dir.path(), "initial");
    dir
}

fn concise(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["check", "--format", "concise"];
    args.extend_from_slice(extra);
    let o = rustgate(dir, &args);
    (code(&o), stdout(&o), stderr(&o))
}

#[test]
fn baseline_survives_moves_and_shifts_and_reports_new_and_fixed() {
    let dir = repo();
    let d = dir.path();
    let o = rustgate(d, &["baseline", "-o", "rustgate-baseline.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded 2 findings in rustgate-baseline.json"));
    commit_all(d, "baseline");
    let base = ["--baseline", "rustgate-baseline.json"];
    assert_eq!(concise(d, &base).0, 0);

    // Move b.rs to c.rs, shift lib.rs's finding down and re-indent it.
    git(d, &["mv", "src/b.rs", "src/c.rs"]);
    write(
        d,
        "src/lib.rs",
        format!(
            "//! docs\nmod c;\n\npub fn h() {{}}\n\n{}",
            F.replace("    unsafe", "        unsafe")
        )
        .as_bytes(),
    );
    commit_all(d, "move and shift");
    let (c, out, err) = concise(d, &base);
    assert_eq!((c, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("2 baselined findings not reported"), "{err}");

    // New code: a finding the baseline does not have.
    write(d, "src/new.rs", F.replace("*p", "*p.add(2)").as_bytes());
    std::fs::OpenOptions::new()
        .append(true)
        .open(d.join("src/lib.rs"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"mod new;\n"))
        .unwrap();
    commit_all(d, "add");
    let (c, out, _) = concise(d, &base);
    assert_eq!(c, 1);
    assert_eq!(
        out,
        "src/new.rs:2:5: RG101 [error] [new] unsafe block in business logic\n"
    );

    // Fix one baselined finding.
    write(d, "src/c.rs", b"pub fn g(p: &[u8]) -> u8 {\n    p[1]\n}\n");
    commit_all(d, "fix");
    let (c, out, err) = concise(d, &base);
    assert_eq!(c, 1);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        err.contains("1 baselined finding is fixed; run with --update-baseline to remove it from rustgate-baseline.json"),
        "{err}"
    );
    let (_, _, err) = concise(
        d,
        &["--baseline", "rustgate-baseline.json", "--update-baseline"],
    );
    assert!(
        err.contains("removed 1 fixed finding from rustgate-baseline.json"),
        "{err}"
    );
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("rustgate-baseline.json")).unwrap())
            .unwrap();
    let findings = b["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["path"], "src/lib.rs");
    assert_eq!(findings[0]["line"], 7);
    let (_, _, err) = concise(d, &base);
    assert!(!err.contains("fixed"), "{err}");
}

#[test]
fn two_identical_findings_in_one_file_are_counted() {
    let dir = crate_with_lib(&format!("{F}{}", F.replace("fn f", "fn f2")));
    let d = dir.path();
    assert_eq!(code(&rustgate(d, &["baseline"])), 0);
    // A third identical block: one new finding, whichever it is.
    write(
        d,
        "src/lib.rs",
        format!(
            "{F}{}{}",
            F.replace("fn f", "fn f2"),
            F.replace("fn f", "fn f3")
        )
        .as_bytes(),
    );
    let (c, out, _) = concise(d, &["--baseline", "rustgate-baseline.json"]);
    assert_eq!((c, out.lines().count()), (1, 1), "{out}");
}

#[test]
fn diff_base_gates_only_changed_lines() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "feature"]);
    // Unrelated edit above the old findings: they stay out of the gate.
    write(
        d,
        "src/lib.rs",
        format!("//! docs\nmod b;\n\n{F}").as_bytes(),
    );
    commit_all(d, "docs");
    let (c, out, err) = concise(d, &["--diff-base", "main"]);
    assert_eq!(c, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 2, "old findings are still reported");

    // A new finding on a changed line (uncommitted: the working tree counts).
    write(
        d,
        "src/b.rs",
        format!("{G}{}", F.replace("fn f", "fn f9")).as_bytes(),
    );
    let (c, out, _) = concise(d, &["--diff-base", "main"]);
    assert_eq!((c, out.lines().count()), (1, 3), "{out}");
    let (c, out, _) = concise(d, &["--diff-base", "main", "--only-new"]);
    assert_eq!(c, 1);
    assert_eq!(
        out,
        "src/b.rs:5:5: RG101 [error] [new] unsafe block in business logic\n"
    );

    let o = rustgate(d, &["check", "--diff-base", "no-such-ref"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-ref"), "{}", stderr(&o));
}
