//! Exit codes, flags and the `rule` / `rules` commands.

use crate::common::{UNSAFE_LIB, code, crate_with_lib, repo, rustgate, stderr, stdout};

#[test]
fn exit_0_when_clean_1_when_gate_fails() {
    let clean = crate_with_lib("pub fn f() -> u8 { 1 }\n");
    let o = rustgate(clean.path(), &["check"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("no findings; 1 file checked"),
        "{}",
        stdout(&o)
    );

    let dirty = crate_with_lib(UNSAFE_LIB);
    let o = rustgate(dirty.path(), &["check"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("1 error in 1 file; 1 file checked"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn exit_zero_and_fail_on() {
    let dirty = crate_with_lib(UNSAFE_LIB);
    assert_eq!(code(&rustgate(dirty.path(), &["check", "--exit-zero"])), 0);
    // Demoted to a warning, the default gate (error) passes; fail-on warning fails it.
    let cfg = "severity = { RG101 = \"warning\" }\n";
    std::fs::write(dirty.path().join("rustgate.toml"), cfg).unwrap();
    assert_eq!(code(&rustgate(dirty.path(), &["check"])), 0);
    assert_eq!(
        code(&rustgate(dirty.path(), &["check", "--fail-on", "warning"])),
        1
    );
}

#[test]
fn select_and_ignore_flags() {
    let dirty = crate_with_lib(UNSAFE_LIB);
    assert_eq!(
        code(&rustgate(dirty.path(), &["check", "--ignore", "RG101"])),
        0
    );
    assert_eq!(
        code(&rustgate(
            dirty.path(),
            &["check", "--ignore", "unsafe-in-business-logic"]
        )),
        0
    );
    assert_eq!(
        code(&rustgate(dirty.path(), &["check", "--select", "RG1"])),
        1
    );
    assert_eq!(
        code(&rustgate(dirty.path(), &["check", "--select", "RG9"])),
        0
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = crate_with_lib("");
    let o = rustgate(dir.path(), &["check", "--format", "xml"]);
    assert_eq!(code(&o), 2);
    let o = rustgate(dir.path(), &["check", "--select", "RG1O1"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown rule `RG1O1` in `select`"),
        "{}",
        stderr(&o)
    );
    let o = rustgate(dir.path(), &["check", "no/such/path"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no/such/path"), "{}", stderr(&o));
    let o = rustgate(dir.path(), &["check", "--output", "sarif"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("FORMAT=PATH"), "{}", stderr(&o));
    let o = rustgate(dir.path(), &["check", "--fail-on", "fatal"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn rule_prints_documentation() {
    let o = rustgate(&repo(), &["rule", "RG101"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.starts_with("# RG101 unsafe-in-business-logic"), "{out}");
    for heading in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "Use instead:",
    ] {
        assert!(out.contains(heading), "{heading} missing:\n{out}");
    }
    let by_name = rustgate(&repo(), &["rule", "unsafe-in-business-logic"]);
    assert_eq!(stdout(&by_name), out);
    let o = rustgate(&repo(), &["rule", "unsafe-in-bussiness-logic"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `unsafe-in-business-logic`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rules_lists_every_rule() {
    let o = rustgate(&repo(), &["rules", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = rustgate_rules::registry::all()
        .iter()
        .map(|m| m.code)
        .collect();
    assert_eq!(codes, want);
    let text = stdout(&rustgate(&repo(), &["rules"]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("RG101  unsafe-in-business-logic")),
        "{text}"
    );
}

#[test]
fn outputs_written_to_files_in_the_same_run() {
    let dirty = crate_with_lib(UNSAFE_LIB);
    let o = rustgate(
        dirty.path(),
        &[
            "check",
            "--format",
            "concise",
            "--output",
            "sarif=out.sarif",
            "--output",
            "json=out.json",
        ],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/lib.rs:2:5: RG101 [error] unsafe block in business logic\n"
    );
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirty.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RG101");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirty.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "RG101");
}

#[test]
fn completions_and_manual_page_come_from_the_flags() {
    let dir = crate_with_lib("");
    let o = rustgate(dir.path(), &["completions", "bash"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bash = stdout(&o);
    assert!(bash.contains("_rustgate()"), "{bash}");
    assert!(bash.contains("--show-settings"), "{bash}");
    let o = rustgate(dir.path(), &["completions", "fish"]);
    assert!(
        stdout(&o).contains("complete -c rustgate"),
        "{}",
        stdout(&o)
    );
    assert_eq!(code(&rustgate(dir.path(), &["completions", "tcsh"])), 2);
    let o = rustgate(dir.path(), &["man"]);
    assert_eq!(code(&o), 0);
    let man = stdout(&o);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH rustgate"),
        "{man}"
    );
    assert!(man.contains("check"), "{man}");
}

#[test]
fn colour_on_request_and_a_pointer_to_the_rule_doc() {
    let dir = crate_with_lib(UNSAFE_LIB);
    // The test's stdout is a pipe: no colour by default...
    let o = rustgate(dir.path(), &["check"]);
    assert!(!stdout(&o).contains('\u{1b}'), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("= see `rustgate rule RG101`"),
        "{}",
        stdout(&o)
    );
    // ...unless asked for; NO_COLOR (set by the helper) still wins.
    let o = std::process::Command::new(crate::common::bin())
        .args(["check", "--color", "always"])
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\u{1b}["), "{}", stdout(&o));
    let o = std::process::Command::new(crate::common::bin())
        .args(["check"])
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env("FORCE_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\u{1b}["), "{}", stdout(&o));
    let o = rustgate(dir.path(), &["check", "--color", "always"]);
    assert!(!stdout(&o).contains('\u{1b}'), "{}", stdout(&o));
    // The progress line never reaches a pipe.
    assert!(!stderr(&o).contains("checking"), "{}", stderr(&o));
}
