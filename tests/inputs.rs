//! Bad and unusual input: nothing is skipped in silence.

use crate::common::{code, crate_with_lib, rustgate, stderr, stdout, workspace, write};

#[test]
fn syntax_error_is_rg901_with_position_and_run_goes_on() {
    let dir = crate_with_lib("mod broken;\nmod fine;\n");
    write(dir.path(), "src/broken.rs", b"fn broken( {\n");
    write(
        dir.path(),
        "src/fine.rs",
        b"pub fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("src/broken.rs:1:"), "{out}");
    assert!(out.contains("RG901 [error] syntax error:"), "{out}");
    assert!(out.contains("src/fine.rs:1:32: RG101"), "{out}");
}

#[test]
fn non_utf8_file_is_rg901_naming_the_position() {
    let dir = crate_with_lib("mod latin1;\n");
    write(
        dir.path(),
        "src/latin1.rs",
        b"// ok\nconst S: &str = \"caf\xe9\";\n",
    );
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/latin1.rs:2:21: RG901 [error] file is not valid UTF-8 (invalid byte at line 2, column 21)\n"
    );
}

#[test]
fn empty_file_is_fine() {
    let dir = crate_with_lib("");
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn unreadable_file_is_rg901() {
    // A dangling symlink named *.rs cannot be read; running as root, a chmod 000
    // file still could be.
    let dir = crate_with_lib("");
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.rs"),
        dir.path().join("src/gone.rs"),
    )
    .unwrap();
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.starts_with("src/gone.rs:1:1: RG901 [error] broken symlink:"),
        "{out}"
    );
}

#[test]
fn outside_cargo_walks_the_directory_and_says_so_once() {
    let dir = workspace(&[
        ("a.rs", "fn f() { unsafe {} }\n"),
        ("sub/b.rs", "fn g() {}\n"),
    ]);
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "a.rs:1:10: RG101 [error] unsafe block in business logic\n"
    );
    let err = stderr(&o);
    assert_eq!(err.matches("no Cargo.toml found").count(), 1, "{err}");
}

#[test]
fn single_file_path_and_gitignore_and_target() {
    let dir = crate_with_lib("pub fn f() { unsafe {} }\n");
    write(dir.path(), "generated/gen.rs", b"fn g() { unsafe {} }\n");
    write(
        dir.path(),
        "target/debug/build/out.rs",
        b"fn g() { unsafe {} }\n",
    );
    write(dir.path(), ".gitignore", b"generated/\n");
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(
        stdout(&o),
        "src/lib.rs:1:14: RG101 [error] unsafe block in business logic\n"
    );
    // A file named explicitly is checked, even when ignored.
    let o = rustgate(
        dir.path(),
        &["check", "--format", "concise", "generated/gen.rs"],
    );
    assert_eq!(
        stdout(&o),
        "generated/gen.rs:1:10: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn target_kinds_from_cargo_metadata() {
    // A file declared as a [[test]] target outside tests/ is test code.
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[package]\nname = \"t\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[[test]]\nname = \"odd\"\npath = \"checks/odd.rs\"\n",
        ),
        ("src/lib.rs", ""),
        ("checks/odd.rs", "fn f() { unsafe {} }\n"),
    ]);
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn huge_files_are_checked_like_any_other() {
    // Two files over the threshold of the one-at-a-time lane, and a small one.
    let table: String = (0..40_000).map(|i| format!("{i}, ")).collect();
    let huge = |name: &str| {
        format!(
            "pub static {name}: &[u32] = &[{table}];\npub fn f(p: *const u8) -> u8 {{\n    unsafe {{ *p }}\n}}\n"
        )
    };
    let dir = crate_with_lib("mod a;\nmod b;\nmod c;\n");
    write(dir.path(), "src/a.rs", huge("A").as_bytes());
    write(dir.path(), "src/b.rs", huge("B").as_bytes());
    write(
        dir.path(),
        "src/c.rs",
        b"pub fn g(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    assert!(huge("A").len() > 256 << 10);
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--format",
            "concise",
            "--no-cache",
            "--threads",
            "2",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/a.rs:3:5: RG101 [error] unsafe block in business logic\n\
         src/b.rs:3:5: RG101 [error] unsafe block in business logic\n\
         src/c.rs:1:32: RG101 [error] unsafe block in business logic\n"
    );
}
