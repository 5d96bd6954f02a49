//! Configuration discovery and errors.

use crate::common::{UNSAFE_LIB, code, crate_with_lib, rustgate, stderr, workspace};

fn with_config(name: &str, text: &str) -> tempfile::TempDir {
    let dir = crate_with_lib(UNSAFE_LIB);
    std::fs::write(dir.path().join(name), text).unwrap();
    dir
}

#[test]
fn unknown_key_names_file_key_and_suggestion() {
    let dir = with_config("rustgate.toml", "selct = [\"RG1\"]\n");
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("rustgate.toml: unknown key `selct` (did you mean `select`?)"),
        "{err}"
    );
}

#[test]
fn unknown_rule_code_is_an_error_with_suggestion() {
    let dir = with_config("rustgate.toml", "ignore = [\"RG1011\"]\n");
    let err = stderr(&rustgate(dir.path(), &["check"]));
    assert!(
        err.contains("unknown rule `RG1011` in `ignore` (did you mean `RG101`?)"),
        "{err}"
    );
    let dir = with_config(
        "rustgate.toml",
        "[severity]\nunsafe-in-busines-logic = \"warning\"\n",
    );
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `unsafe-in-business-logic`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_values_and_bad_toml() {
    for (text, needle) in [
        (
            "fail-on = \"fatal\"\n",
            "invalid value for `fail-on`: `fatal`",
        ),
        ("select = \"RG1\"\n", "invalid value for `select`"),
        (
            "[business-logic]\ninclud = []\n",
            "invalid value for `business-logic`: unknown field `includ`, expected `include` or `exclude` (did you mean `include`?)",
        ),
        ("exclude = [\"[\"]\n", "invalid glob `[` in `exclude`"),
        ("select = [\n", "invalid TOML"),
        (
            "[unwrap-in-handler]\nassert = true\n",
            "unknown field `assert`, expected one of `asserts`, `indexing`, `honor-clippy-allows`, `poisoned-locks`, `template-render`, `follow-spawned`, `unreachable`, `documented` (did you mean `asserts`?)",
        ),
    ] {
        let dir = with_config("rustgate.toml", text);
        let o = rustgate(dir.path(), &["check"]);
        assert_eq!(code(&o), 2, "{text}");
        let err = stderr(&o);
        assert!(
            err.contains("rustgate.toml") && err.contains(needle),
            "{text}: {err}"
        );
    }
}

#[test]
fn discovery_order_and_cargo_metadata() {
    // .rustgate.toml is found too.
    let dir = with_config(".rustgate.toml", "ignore = [\"RG101\"]\n");
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    // [package.metadata.rustgate] in Cargo.toml.
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[package]\nname = \"t\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[package.metadata.rustgate]\nignore = [\"RG101\"]\n",
        ),
        ("src/lib.rs", UNSAFE_LIB),
    ]);
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    // --config overrides discovery.
    std::fs::write(dir.path().join("strict.toml"), "select = [\"ALL\"]\n").unwrap();
    assert_eq!(
        code(&rustgate(dir.path(), &["check", "--config", "strict.toml"])),
        1
    );
    // A missing --config file is an error naming it.
    let o = rustgate(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("missing.toml: cannot read configuration"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exclude_per_file_ignores_and_business_logic_globs() {
    let dir = with_config("rustgate.toml", "exclude = [\"src/lib.rs\"]\n");
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    let dir = with_config(
        "rustgate.toml",
        "[per-file-ignores]\n\"src/**\" = [\"RG1\"]\n",
    );
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    let dir = with_config(
        "rustgate.toml",
        "[business-logic]\nexclude = [\"src/lib.rs\"]\n",
    );
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    // include brings an ffi file back into business logic.
    let dir = crate_with_lib("mod ffi;\n");
    std::fs::write(dir.path().join("src/ffi.rs"), UNSAFE_LIB).unwrap();
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "[business-logic]\ninclude = [\"src/ffi.rs\"]\n",
    )
    .unwrap();
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 1);
}
