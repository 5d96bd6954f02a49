//! The workspace model: manifests read without running anything, compared
//! with `cargo metadata` on the same fixtures (the test runs cargo on its own
//! fixtures; rustgate never does), module trees, zones and RG905.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use rustgate::workspace::Workspace;
use rustgate_rules::TargetKind;

use crate::common::{code, rustgate, stderr, stdout, workspace, write};

const PKG: &str = "version = \"0.1.0\"\nedition = \"2021\"\n";

/// A workspace that exercises every discovery rule rustgate follows.
fn discovery_fixture() -> tempfile::TempDir {
    workspace(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\", \"apps/server\"]\nexclude = [\"crates/excluded\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"1.2.3\"\nedition = \"2021\"\n\n[workspace.dependencies]\nextra = { path = \"libs/extra\" }\n",
        ),
        // Targets by convention, inherited version and edition.
        (
            "crates/a/Cargo.toml",
            "[package]\nname = \"a\"\nversion.workspace = true\nedition.workspace = true\n",
        ),
        ("crates/a/src/lib.rs", "pub fn a() {}\n"),
        ("crates/a/src/main.rs", "fn main() {}\n"),
        ("crates/a/src/bin/tool.rs", "fn main() {}\n"),
        ("crates/a/src/bin/multi/main.rs", "fn main() {}\n"),
        ("crates/a/tests/it.rs", "#[test]\nfn t() {}\n"),
        ("crates/a/tests/multi/main.rs", "#[test]\nfn t() {}\n"),
        ("crates/a/benches/b.rs", "fn main() {}\n"),
        ("crates/a/examples/ex.rs", "fn main() {}\n"),
        ("crates/a/build.rs", "fn main() {}\n"),
        // Explicit paths, crate types, auto-discovery switched off, package.build.
        (
            "crates/b/Cargo.toml",
            "[package]\nname = \"b-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\nautotests = false\nautoexamples = false\nbuild = \"gen.rs\"\n\n[lib]\npath = \"lib/b.rs\"\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[[bin]]\nname = \"bb\"\npath = \"cli/main.rs\"\n\n[[test]]\nname = \"explicit\"\npath = \"checks/explicit.rs\"\n\n[dependencies]\nextra = { workspace = true }\n",
        ),
        ("crates/b/lib/b.rs", "pub fn b() {}\n"),
        ("crates/b/cli/main.rs", "fn main() {}\n"),
        ("crates/b/gen.rs", "fn main() {}\n"),
        ("crates/b/checks/explicit.rs", "#[test]\nfn t() {}\n"),
        ("crates/b/tests/not_a_target.rs", "#[test]\nfn t() {}\n"),
        ("crates/b/examples/not_an_example.rs", "fn main() {}\n"),
        // A proc-macro crate.
        (
            "crates/pm/Cargo.toml",
            &format!("[package]\nname = \"pm\"\n{PKG}\n[lib]\nproc-macro = true\n"),
        ),
        ("crates/pm/src/lib.rs", "\n"),
        // An excluded folder with a workspace of its own.
        (
            "crates/excluded/Cargo.toml",
            &format!("[package]\nname = \"excluded\"\n{PKG}\n[workspace]\n"),
        ),
        ("crates/excluded/src/lib.rs", "\n"),
        // A member named by path, with a path dependency and an explicit example.
        (
            "apps/server/Cargo.toml",
            &format!(
                "[package]\nname = \"server\"\n{PKG}\n[dependencies]\na = {{ path = \"../../crates/a\" }}\n\n[[example]]\nname = \"demo\"\npath = \"demo/main.rs\"\n"
            ),
        ),
        ("apps/server/src/main.rs", "fn main() {}\n"),
        ("apps/server/demo/main.rs", "fn main() {}\n"),
        // Not listed in members: a member because a member depends on it by path.
        (
            "libs/extra/Cargo.toml",
            &format!("[package]\nname = \"extra\"\n{PKG}"),
        ),
        ("libs/extra/src/lib.rs", "\n"),
    ])
}

/// (package, kind, root path relative to the workspace root), sorted.
type Model = BTreeSet<(String, &'static str, String)>;

fn kind_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Lib => "lib",
        TargetKind::Bin => "bin",
        TargetKind::Test => "test",
        TargetKind::Bench => "bench",
        TargetKind::Example => "example",
        TargetKind::BuildScript => "custom-build",
        TargetKind::Unknown => "unknown",
    }
}

fn rustgate_model(root: &Path) -> Model {
    let ws = Workspace::discover(&[root.canonicalize().unwrap()]);
    assert!(ws.problems.is_empty(), "{:?}", ws.problems);
    let mut out = Model::new();
    for p in &ws.packages {
        // Only the members of the workspace at `root`, as cargo metadata lists.
        if !p.workspace_root.is_empty() {
            continue;
        }
        for t in &p.targets {
            out.insert((p.name.clone(), kind_name(t.kind), t.root.clone()));
        }
    }
    out
}

fn cargo_model(root: &Path) -> Option<Model> {
    let o = Command::new("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root)
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()?;
    assert!(
        o.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let canon = root.canonicalize().unwrap();
    let mut out = Model::new();
    for p in v["packages"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            let kind = match kinds[0] {
                "lib" | "rlib" | "cdylib" | "dylib" | "staticlib" | "proc-macro" => "lib",
                k => match k {
                    "bin" => "bin",
                    "test" => "test",
                    "bench" => "bench",
                    "example" => "example",
                    "custom-build" => "custom-build",
                    other => panic!("unexpected kind {other}"),
                },
            };
            let src = Path::new(t["src_path"].as_str().unwrap());
            let rel = src.strip_prefix(&canon).unwrap_or(src);
            out.insert((
                p["name"].as_str().unwrap().to_owned(),
                kind,
                rel.to_string_lossy().replace('\\', "/"),
            ));
        }
    }
    Some(out)
}

#[test]
fn the_model_matches_cargo_metadata() {
    let dir = discovery_fixture();
    let ours = rustgate_model(dir.path());
    // Spot checks that hold without cargo.
    for want in [
        ("a", "lib", "crates/a/src/lib.rs"),
        ("a", "bin", "crates/a/src/bin/multi/main.rs"),
        ("a", "test", "crates/a/tests/multi/main.rs"),
        ("a", "custom-build", "crates/a/build.rs"),
        ("b-lib", "lib", "crates/b/lib/b.rs"),
        ("b-lib", "custom-build", "crates/b/gen.rs"),
        ("extra", "lib", "libs/extra/src/lib.rs"),
        ("server", "example", "apps/server/demo/main.rs"),
    ] {
        let want = (want.0.to_owned(), want.1, want.2.to_owned());
        assert!(ours.contains(&want), "{want:?} missing from {ours:#?}");
    }
    assert!(!ours.iter().any(|t| t.0 == "excluded"), "{ours:#?}");
    assert!(!ours.iter().any(|t| t.2.contains("not_a")), "{ours:#?}");
    let Some(theirs) = cargo_model(dir.path()) else {
        eprintln!("cargo not found: compared with the spot checks only");
        return;
    };
    assert_eq!(ours, theirs);
}

#[test]
fn crate_types_and_dependency_edges() {
    let dir = discovery_fixture();
    let ws = Workspace::discover(&[dir.path().canonicalize().unwrap()]);
    let b = ws.packages.iter().find(|p| p.name == "b-lib").unwrap();
    let lib = b
        .targets
        .iter()
        .find(|t| t.kind == TargetKind::Lib)
        .unwrap();
    assert_eq!(lib.crate_types, ["cdylib", "rlib"]);
    let pm = ws.packages.iter().find(|p| p.name == "pm").unwrap();
    assert_eq!(pm.targets[0].crate_types, ["proc-macro"]);
    let server = ws.packages.iter().find(|p| p.name == "server").unwrap();
    let deps: Vec<&str> = server
        .deps
        .iter()
        .map(|(_, i)| ws.packages[*i].name.as_str())
        .collect();
    assert_eq!(deps, ["a"]);
    let deps: Vec<&str> = b
        .deps
        .iter()
        .map(|(name, i)| {
            assert_eq!(name, "extra");
            ws.packages[*i].name.as_str()
        })
        .collect();
    assert_eq!(deps, ["extra"]);
}

/// `rustgate files --format json`, parsed.
fn files_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["files", "--format", "json"];
    all.extend_from_slice(args);
    let o = rustgate(dir, &all);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), stderr(&o)))
}

fn zone_of(v: &serde_json::Value, path: &str) -> String {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed: {v:#}"))["zone"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn files_lists_package_targets_module_path_and_zone() {
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"svc\"]\n\n[workspace.metadata]\n",
        ),
        (
            "svc/Cargo.toml",
            &format!("[package]\nname = \"svc\"\n{PKG}\n[dependencies]\nprost = \"0.13\"\n"),
        ),
        (
            "svc/src/lib.rs",
            "pub mod api;\nmod ffi;\n#[cfg(test)]\nmod tests;\nmod proto;\n",
        ),
        ("svc/src/api.rs", "pub mod v1;\n"),
        ("svc/src/api/v1.rs", "pub fn f() {}\n"),
        ("svc/src/ffi.rs", "\n"),
        ("svc/src/tests.rs", "mod helpers;\n"),
        ("svc/src/tests/helpers.rs", "\n"),
        (
            "svc/src/proto.rs",
            "// @generated by a code generator\npub mod x {}\n",
        ),
        ("svc/src/generated/route.pb.rs", "\n"),
        ("svc/src/stray.rs", "fn f() {}\n"),
        ("svc/src/main.rs", "fn main() {}\n"),
        ("svc/tests/it.rs", "mod common;\n"),
        ("svc/tests/common/mod.rs", "\n"),
    ]);
    let v = files_json(dir.path(), &[]);
    for (path, zone) in [
        ("svc/src/lib.rs", "business-logic"),
        ("svc/src/api/v1.rs", "business-logic"),
        ("svc/src/ffi.rs", "ffi"),
        ("svc/src/tests.rs", "test"),
        ("svc/src/tests/helpers.rs", "test"),
        ("svc/src/proto.rs", "generated"),
        ("svc/src/stray.rs", "orphan"),
        ("svc/src/generated/route.pb.rs", "orphan"),
        ("svc/tests/common/mod.rs", "test"),
    ] {
        assert_eq!(zone_of(&v, path), zone, "{path}");
    }
    let v1 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "svc/src/api/v1.rs")
        .unwrap();
    assert_eq!(v1["module_path"], "crate::api::v1");
    assert_eq!(v1["package"], "svc");
    assert_eq!(v1["targets"], serde_json::json!(["lib"]));
    assert_eq!(v["summary"]["orphans"], 2);
    // Text form: one line per file.
    let o = rustgate(dir.path(), &["files"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("svc/src/main.rs\tsvc\tbin:svc\tcrate\tbusiness-logic\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn generated_by_name_in_a_crate_that_uses_a_code_generator() {
    let dir = workspace(&[
        (
            "Cargo.toml",
            &format!(
                "[package]\nname = \"g\"\n{PKG}\n[build-dependencies]\ntonic-build = \"0.12\"\n"
            ),
        ),
        (
            "src/lib.rs",
            "mod generated { include!(\"x\"); }\n#[path = \"generated/route.pb.rs\"]\nmod route;\n",
        ),
        ("src/generated/route.pb.rs", "pub fn f() {}\n"),
    ]);
    let v = files_json(dir.path(), &[]);
    assert_eq!(zone_of(&v, "src/generated/route.pb.rs"), "generated");
}

#[test]
fn test_module_files_are_test_code_for_the_rules() {
    let dir = workspace(&[
        ("Cargo.toml", &format!("[package]\nname = \"t\"\n{PKG}")),
        ("src/lib.rs", "#[cfg(test)]\nmod tests;\npub mod shared;\n"),
        (
            "src/tests.rs",
            "fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
        ),
        (
            "src/shared.rs",
            "pub fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
        ),
    ]);
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(
        stdout(&o),
        "src/shared.rs:1:32: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn rg905_for_what_cannot_be_learned_and_the_rest_is_still_checked() {
    let dir = workspace(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\n  \"good\",\n  \"servcies/*\",\n  \"broken\",\n]\n",
        ),
        (
            "good/Cargo.toml",
            &format!("[package]\nname = \"good\"\n{PKG}"),
        ),
        (
            "good/src/lib.rs",
            "mod missing;\npub fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
        ),
        (
            "broken/Cargo.toml",
            "[package]\nname = \"broken\nversion = 1\n",
        ),
        ("broken/src/lib.rs", "pub fn g() {}\n"),
    ]);
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "Cargo.toml:4:3: RG905 [error] workspace member `servcies/*` matches no directory with a Cargo.toml",
            "broken/Cargo.toml:2:15: RG905 [error] invalid manifest: invalid basic string, expected `\"`",
            "good/src/lib.rs:1:1: RG905 [error] `mod missing` names a file that does not exist (looked for good/src/missing.rs and good/src/missing/mod.rs)",
            "good/src/lib.rs:2:32: RG101 [error] unsafe block in business logic",
        ],
        "{out}"
    );
    // Neither configuration nor a suppression comment hides it.
    write(
        dir.path(),
        "rustgate.toml",
        b"ignore = [\"RG905\"]\n[severity]\nRG905 = \"note\"\n",
    );
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("RG905"), "{}", stdout(&o));
}

#[test]
fn rg905_is_a_sarif_tool_notification() {
    let dir = workspace(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"nothing/*\"]\n"),
        ("src/lib.rs", "\n"),
    ]);
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["descriptor"]["id"], "RG905", "{notes:#}");
}

#[test]
fn each_path_is_its_own_workspace() {
    let dir = workspace(&[
        (
            "one/Cargo.toml",
            &format!("[package]\nname = \"one\"\n{PKG}"),
        ),
        ("one/src/lib.rs", "\n"),
        (
            "one/tests/t.rs",
            "fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
        ),
        (
            "two/Cargo.toml",
            &format!("[package]\nname = \"two\"\n{PKG}"),
        ),
        ("two/src/lib.rs", "\n"),
        (
            "two/tests/t.rs",
            "fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
        ),
        (
            "two/src/bin/x.rs",
            "fn main() { let p = 0 as *const u8; unsafe { *p }; }\n",
        ),
    ]);
    let o = rustgate(
        dir.path(),
        &["check", "one", "two", "--no-cache", "--format", "concise"],
    );
    assert_eq!(
        stdout(&o),
        "two/src/bin/x.rs:1:37: RG101 [error] unsafe block in business logic\n",
        "{}",
        stderr(&o)
    );
}

/// The shape of a service whose pinned toolchain is not installed: a root
/// `build.rs`, handlers in `src/main.rs`. Panics in handlers are found.
#[test]
fn pinned_missing_toolchain_and_root_build_script_change_nothing() {
    let dir = workspace(&[
        (
            "Cargo.toml",
            &format!(
                "[package]\nname = \"vault\"\n{PKG}build = \"build.rs\"\n\n[dependencies]\naxum = \"0.7\"\n"
            ),
        ),
        (
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"nightly-2019-01-01\"\n",
        ),
        (
            "build.rs",
            "fn main() { let _ = std::env::var(\"X\").unwrap(); }\n",
        ),
        (
            "src/main.rs",
            "use axum::{routing::get, Router};\n\nasync fn show() -> String {\n    std::env::var(\"HOME\").unwrap()\n}\n\nfn main() {\n    let _app: Router = Router::new().route(\"/\", get(show));\n}\n",
        ),
    ]);
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    let out = stdout(&o);
    assert!(out.contains("src/main.rs:4:"), "{out}{}", stderr(&o));
    assert!(out.contains("RG201"), "{out}");
    assert!(!out.contains("build.rs"), "{out}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// A script that writes `marker` when run.
fn evil_script(dir: &Path, name: &str, marker: &Path) -> std::path::PathBuf {
    let path = dir.join(name);
    write(
        dir,
        name,
        format!("#!/bin/sh\necho ran > '{}'\nexit 0\n", marker.display()).as_bytes(),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// Everything a hostile repository can use to make a tool run its code.
#[cfg(unix)]
#[test]
fn nothing_from_the_checked_tree_is_executed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let marker = root.join("MARKER");
    let evil = root.join("evil");
    for tool in [
        "bin/cargo",
        "bin/rustc",
        "bin/rustup",
        "wrapper",
        "runner",
        "hook",
    ] {
        evil_script(&evil, tool, &marker);
    }
    let e = |p: &str| evil.join(p).display().to_string();
    write(
        &root,
        "rust-toolchain.toml",
        format!("[toolchain]\npath = \"{}\"\n", evil.display()).as_bytes(),
    );
    write(
        &root,
        ".cargo/config.toml",
        format!(
            "[build]\nrustc = \"{}\"\nrustc-wrapper = \"{}\"\ntarget-dir = \"{}\"\n\n[target.x86_64-unknown-linux-gnu]\nrunner = \"{}\"\n",
            e("bin/rustc"),
            e("wrapper"),
            root.join("elsewhere").display(),
            e("runner")
        )
        .as_bytes(),
    );
    write(
        &root,
        "Cargo.toml",
        format!("[package]\nname = \"victim\"\n{PKG}\n[dependencies]\npm = {{ path = \"pm\" }}\n")
            .as_bytes(),
    );
    write(
        &root,
        "build.rs",
        format!(
            "fn main() {{ std::fs::write(\"{}\", \"ran\").unwrap(); }}\n",
            marker.display()
        )
        .as_bytes(),
    );
    write(&root, "src/lib.rs", b"pub fn f() -> u8 { 1 }\n");
    write(
        &root,
        "pm/Cargo.toml",
        format!("[package]\nname = \"pm\"\n{PKG}\n[lib]\nproc-macro = true\n").as_bytes(),
    );
    write(&root, "pm/src/lib.rs", b"\n");
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    git(&["-c", "user.email=t@t", "-c", "user.name=t", "add", "."]);
    git(&[
        "-c",
        "user.email=t@t",
        "-c",
        "user.name=t",
        "commit",
        "-qm",
        "init",
    ]);
    // Configuration a hostile repository cannot commit, but a checkout can
    // carry (a self-hosted runner's reused workspace).
    git(&["config", "core.fsmonitor", &e("hook")]);
    git(&["config", "core.pager", &e("hook")]);
    git(&["config", "diff.external", &e("hook")]);
    git(&["config", "core.hooksPath", &evil.display().to_string()]);
    write(&root, "src/lib.rs", b"pub fn f() -> u8 { 2 }\n");
    let runs: [&[&str]; 4] = [
        &["check", "--format", "concise"],
        &["check", "--diff-base", "HEAD", "--format", "concise"],
        &["files"],
        &["clean"],
    ];
    for args in runs {
        let o = Command::new(crate::common::bin())
            .args(args)
            .current_dir(&root)
            .env("RUSTC_WRAPPER", e("wrapper"))
            .env("CARGO", e("bin/cargo"))
            .env("RUSTC", e("bin/rustc"))
            .env("GIT_PAGER", e("hook"))
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    evil.join("bin").display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .output()
            .unwrap();
        assert!(
            !marker.exists(),
            "`rustgate {}` ran code from the repository: {}{}",
            args.join(" "),
            stdout(&o),
            stderr(&o)
        );
        assert!(code(&o) == 0 || code(&o) == 1, "{args:?}: {}", stderr(&o));
    }
    // The cache went under the root's target/, not where .cargo/config.toml says.
    assert!(!root.join("elsewhere").exists());
}

/// No cargo, rustc or rustup on PATH: the same output as with them.
#[cfg(unix)]
#[test]
fn no_toolchain_on_path_gives_the_same_output() {
    let dir = discovery_fixture();
    write(
        dir.path(),
        "crates/a/src/lib.rs",
        b"pub fn a(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    write(
        dir.path(),
        "crates/a/tests/it.rs",
        b"fn t(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    let bare = tempfile::tempdir().unwrap();
    let run = |path: &str| {
        Command::new(crate::common::bin())
            .args(["check", "--no-cache", "--format", "json"])
            .current_dir(dir.path())
            .env("PATH", path)
            .output()
            .unwrap()
    };
    let with = run(&std::env::var("PATH").unwrap());
    let without = run(&bare.path().display().to_string());
    assert_eq!(code(&with), 1);
    assert_eq!(stdout(&with), stdout(&without));
    assert!(stdout(&without).contains("crates/a/src/lib.rs"));
    assert!(!stdout(&without).contains("tests/it.rs"));
}
