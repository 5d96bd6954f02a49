//! Configuration discovery and errors.

use crate::common::{UNSAFE_LIB, code, crate_with_lib, rustgate, stderr, stdout, workspace};

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
        err.contains("rustgate.toml:1:1: unknown key `selct` (did you mean `select`?)"),
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
            "unknown field `assert`, expected one of `asserts`, `indexing`, `honor-clippy-allows`, `poisoned-locks`, `template-render`, `follow-spawned`, `unreachable`, `documented`, `follow-libraries` (did you mean `asserts`?)",
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

#[test]
fn errors_point_at_the_line_and_list_valid_keys() {
    let dir = with_config("rustgate.toml", "preview = false\n\n  colour = true\n");
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(
            "rustgate.toml:3:3: unknown key `colour` (valid keys: select, ignore, fail-on,"
        ),
        "{err}"
    );
    // The same in Cargo.toml metadata, and for a bad value.
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[package]\nname = \"t\"\nversion = \"0.1.0\"\n\n[workspace]\n\n[workspace.metadata.rustgate]\nfail-on = 3\n",
        ),
        ("src/lib.rs", UNSAFE_LIB),
    ]);
    let err = stderr(&rustgate(dir.path(), &["check"]));
    assert!(
        err.contains("Cargo.toml:8:1: invalid value for `fail-on`"),
        "{err}"
    );
    // A TOML syntax error is placed too.
    let dir = with_config("rustgate.toml", "select = [\"RG101\"]\nignore = [\n");
    let err = stderr(&rustgate(dir.path(), &["check"]));
    assert!(
        err.contains("rustgate.toml:2:11: invalid TOML: unclosed array"),
        "{err}"
    );
}

#[test]
fn severities_as_users_type_them_and_trimmed_lists() {
    // `warn` is a severity; with fail-on = "warn" it gates.
    let dir = with_config(
        "rustgate.toml",
        "fail-on = \"warn\"\n[severity]\nRG101 = \"warn\"\n",
    );
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("warning[RG101]"), "{}", stdout(&o));
    // `off` switches a rule off.
    let dir = with_config(
        "rustgate.toml",
        "[severity]\nunsafe-in-business-logic = \"off\"\n",
    );
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // ...but never what rustgate could not read.
    let dir = with_config("rustgate.toml", "[severity]\nRG901 = \"off\"\n");
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`RG901` cannot be switched off"),
        "{}",
        stderr(&o)
    );
    // Spaces around list items are not part of the code.
    let dir = crate_with_lib(UNSAFE_LIB);
    let o = rustgate(dir.path(), &["check", "--select", "RG201, RG101"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = rustgate(
        dir.path(),
        &["check", "--fail-on", "warn", "--select", " RG201 "],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn empty_runs_say_so() {
    let dir = crate_with_lib(UNSAFE_LIB);
    let o = rustgate(
        dir.path(),
        &["check", "--select", "RG101", "--ignore", "RG101"],
    );
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("no rule is enabled"), "{}", stderr(&o));
    let dir = workspace(&[("README.md", "nothing to see\n")]);
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("no Rust files to check under ."),
        "{}",
        stderr(&o)
    );
}

/// A workspace with a member `crates/api` (one RG101 finding) and a
/// configuration at the root.
fn workspace_with_member(root_config: &str, member_config: &str) -> tempfile::TempDir {
    workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/api\"]\n"),
        (
            "crates/api/Cargo.toml",
            "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("crates/api/src/lib.rs", UNSAFE_LIB),
        ("rustgate.toml", root_config),
        ("crates/api/rustgate.toml", member_config),
    ])
}

#[test]
fn a_member_configuration_extends_the_workspace_one() {
    let dir = workspace_with_member(
        "[severity]\nRG101 = \"warning\"\n",
        "extend = \"../../rustgate.toml\"\nfail-on = \"warning\"\n",
    );
    // Checked on its own, the member's file applies, built on the root's:
    // RG101 is a warning (root) and warnings gate (member).
    let o = rustgate(dir.path(), &["check", "crates/api"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("warning[RG101]"), "{}", stdout(&o));
    // From the root, the root's file applies and the member's is named.
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("crates/api/rustgate.toml is not used: it applies when `crates/api` is checked on its own"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn extend_errors_name_the_file_at_fault() {
    // A mistake in the extended file names that file.
    let dir = workspace_with_member("selct = []\n", "extend = \"../../rustgate.toml\"\n");
    let err = stderr(&rustgate(dir.path(), &["check", "crates/api"]));
    assert!(
        err.contains("rustgate.toml:1:1: unknown key `selct`"),
        "{err}"
    );
    assert!(!err.contains("crates/api/rustgate.toml"), "{err}");
    // A cycle, and a missing target.
    let dir = workspace_with_member(
        "extend = \"crates/api/rustgate.toml\"\n",
        "extend = \"../../rustgate.toml\"\n",
    );
    let err = stderr(&rustgate(dir.path(), &["check", "crates/api"]));
    assert!(err.contains("`extend` forms a cycle"), "{err}");
    let dir = workspace_with_member("", "extend = \"../base.toml\"\n");
    let o = rustgate(dir.path(), &["check", "crates/api"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read `extend` target"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_shadowed_configuration_is_named() {
    let dir = with_config("rustgate.toml", "ignore = [\"RG101\"]\n");
    std::fs::write(dir.path().join(".rustgate.toml"), "select = [\"RG2\"]\n").unwrap();
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains(".rustgate.toml is not used: rustgate.toml takes precedence"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_every_key_and_refuses_to_overwrite() {
    let dir = crate_with_lib(UNSAFE_LIB);
    let o = rustgate(dir.path(), &["init", "--baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("rustgate.toml")).unwrap();
    assert!(text.contains("\n# fail-on = \"error\"\n"), "{text}");
    assert!(text.contains("\n# [unwrap-in-handler]\n"), "{text}");
    // All commented out: the run is the default run, and the baseline it
    // recorded holds today's finding.
    let o = rustgate(dir.path(), &["check"]);
    assert_eq!(code(&o), 1);
    let o = rustgate(
        dir.path(),
        &["check", "--baseline", "rustgate-baseline.json"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // A second init does not clobber the file.
    std::fs::write(dir.path().join("rustgate.toml"), "ignore = [\"RG101\"]\n").unwrap();
    let o = rustgate(dir.path(), &["init"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("already exists (`--force` overwrites it)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rustgate.toml")).unwrap(),
        "ignore = [\"RG101\"]\n"
    );
    assert_eq!(code(&rustgate(dir.path(), &["init", "--force"])), 0);
}

#[test]
fn show_settings_says_where_each_value_comes_from() {
    let dir = workspace_with_member(
        "[severity]\nRG101 = \"warning\"\n",
        "extend = \"../../rustgate.toml\"\nfail-on = \"warning\"\n",
    );
    let o = rustgate(
        dir.path(),
        &["check", "--show-settings", "--select", "RG1", "crates/api"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("# configuration: crates/api/rustgate.toml\n"),
        "{out}"
    );
    assert!(
        out.contains("\nfail-on = \"warning\"  # crates/api/rustgate.toml\n"),
        "{out}"
    );
    assert!(
        out.contains("\nselect = [\"RG1\"]  # command line\n"),
        "{out}"
    );
    assert!(out.contains("\nmax-nesting = 1000  # default\n"), "{out}");
    assert!(
        out.contains("\n# from: rustgate.toml\n[severity]\nRG101 = \"warning\"\n"),
        "{out}"
    );
    assert!(
        out.contains("#   RG101 unsafe-in-business-logic (warning)\n"),
        "{out}"
    );
    assert!(!out.contains("RG201"), "{out}");
    // Nothing was checked: no finding printed, no cache written.
    assert!(!out.contains("RG101]"), "{out}");
}
