//! The local loop: `--format cargo` for rust-analyzer, `cargo rustgate`,
//! checking a buffer from stdin.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{code, crate_with_lib, stderr, stdout, write};

/// What rust-analyzer does with `check.overrideCommand`: run it, parse each
/// stdout line with `cargo_metadata::Message`, show compiler messages.
#[test]
fn cargo_format_is_read_by_rust_analyzers_parser() {
    let dir = crate_with_lib("mod api;\n");
    write(
        dir.path(),
        "src/api.rs",
        b"use axum::{routing::get, Router};\n\nasync fn show() -> String {\n    std::env::var(\"HOME\").unwrap()\n}\n\npub fn app() -> Router {\n    Router::new().route(\"/\", get(show))\n}\n\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n",
    );
    let o = crate::common::rustgate(dir.path(), &["check", "--no-cache", "--format", "cargo"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut messages = Vec::new();
    let mut finished = None;
    for m in cargo_metadata::Message::parse_stream(&o.stdout[..]) {
        match m.unwrap() {
            cargo_metadata::Message::CompilerMessage(c) => messages.push(c),
            cargo_metadata::Message::BuildFinished(b) => finished = Some(b.success),
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert_eq!(finished, Some(false));
    let got: Vec<(String, String, usize, usize, String)> = messages
        .iter()
        .map(|c| {
            let d = &c.message;
            let s = d.spans.iter().find(|s| s.is_primary).unwrap();
            (
                d.code.as_ref().unwrap().code.clone(),
                s.file_name.clone(),
                s.line_start,
                s.column_start,
                format!("{:?}", d.level),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "RG201".to_owned(),
                "src/api.rs".to_owned(),
                4,
                27,
                "Error".to_owned()
            ),
            (
                "RG101".to_owned(),
                "src/api.rs".to_owned(),
                12,
                5,
                "Error".to_owned()
            ),
        ]
    );
    let rendered = messages[0].message.rendered.as_deref().unwrap();
    assert!(rendered.contains("rustgate rule RG201"), "{rendered}");
}

/// `cargo rustgate check` as Cargo runs it: `cargo-rustgate rustgate check`.
#[test]
fn cargo_rustgate_runs_rustgate() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-rustgate"))
        .args(["rustgate", "check", "--no-cache", "--format", "concise"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/lib.rs:2:5: RG101 [error] unsafe block in business logic\n"
    );
}

/// An editor's unsaved buffer: the text on stdin is checked in place of the
/// file, with the rest of the crate from disk (the handler registration lives
/// in another file), and only that file's findings are printed.
#[test]
fn stdin_is_checked_in_place_of_its_file() {
    let dir = crate_with_lib(
        "mod routes;\nmod handlers;\npub fn g(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    write(
        dir.path(),
        "src/routes.rs",
        b"use axum::{routing::get, Router};\n\npub fn app() -> Router {\n    Router::new().route(\"/\", get(crate::handlers::show))\n}\n",
    );
    write(
        dir.path(),
        "src/handlers.rs",
        b"pub async fn show() -> String {\n    String::new()\n}\n",
    );
    let check_as = |format: &str, text: &str| {
        let mut child = Command::new(crate::common::bin())
            .args([
                "check",
                "--no-cache",
                "--format",
                format,
                "--stdin-filename",
                "src/handlers.rs",
                "-",
            ])
            .env("NO_COLOR", "1")
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let check = |text: &str| check_as("concise", text);
    let o = check("pub async fn show() -> String {\n    std::env::var(\"HOME\").unwrap()\n}\n");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("src/handlers.rs:2:27: RG201 [error] `.unwrap()` in handler "),
        "{out}"
    );
    // The snippet shows the buffer, not the file on disk.
    let o = check_as(
        "human",
        "pub async fn show() -> String {\n    std::env::var(\"HOME\").unwrap()\n}\n",
    );
    let out = stdout(&o);
    assert!(
        out.contains("2 │     std::env::var(\"HOME\").unwrap()\n"),
        "{out}"
    );
    // The fixed buffer: nothing, though src/lib.rs on disk has a finding.
    let o = check("pub async fn show() -> String {\n    String::new()\n}\n");
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
    // `-` is required with --stdin-filename.
    let o = Command::new(crate::common::bin())
        .args(["check", "--stdin-filename", "src/handlers.rs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "`-` missing is a usage error: {}", stderr(&o));
}

/// A buffer for a file that is not on disk yet is checked as that file.
#[test]
fn stdin_for_a_new_file() {
    let dir = crate_with_lib(
        "pub fn ok() {}
",
    );
    let mut child = Command::new(crate::common::bin())
        .args([
            "check",
            "--no-cache",
            "--format",
            "concise",
            "--stdin-filename",
            "src/new.rs",
            "-",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(crate::common::UNSAFE_LIB.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        stdout(&o),
        "src/new.rs:2:5: RG101 [error] unsafe block in business logic\n",
        "{}",
        stderr(&o)
    );
}

/// The pre-commit hook's command, read from `.pre-commit-hooks.yaml`: the old
/// finding does not block the commit, the new one does.
#[test]
fn pre_commit_hook_gates_only_new_findings() {
    let hooks =
        std::fs::read_to_string(crate::common::repo().join(".pre-commit-hooks.yaml")).unwrap();
    let entries: Vec<&str> = hooks
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(entries.len(), 2);
    let dir = crate_with_lib(&format!("mod new;\n{}", crate::common::UNSAFE_LIB));
    write(dir.path(), "src/new.rs", b"pub fn ok() {}\n");
    crate::common::git_commit_all(dir.path(), "legacy");
    for entry in entries {
        let args: Vec<&str> = entry.split_whitespace().skip(1).collect();
        let mut with_format = args.clone();
        with_format.extend(["--format", "concise", "--no-cache"]);
        write(dir.path(), "src/new.rs", b"pub fn ok() {}\n");
        let o = crate::common::rustgate(dir.path(), &with_format);
        assert_eq!(
            code(&o),
            0,
            "old findings only: {}{}",
            stdout(&o),
            stderr(&o)
        );
        write(
            dir.path(),
            "src/new.rs",
            crate::common::UNSAFE_LIB.as_bytes(),
        );
        let o = crate::common::rustgate(dir.path(), &with_format);
        assert_eq!(code(&o), 1);
        assert_eq!(
            stdout(&o),
            "src/new.rs:2:5: RG101 [error] [new] unsafe block in business logic\n"
        );
    }
}
