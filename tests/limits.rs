//! Hostile input at the walk and parse: deep nesting never aborts, only
//! regular files inside the tree are read, sizes are bounded, names are exact,
//! and what cannot be read always gates.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{code, crate_with_lib, rustgate, stderr, stdout, write};

/// Runs rustgate with a deadline: a hang fails the test instead of stalling it.
fn run_with_deadline(dir: &Path, args: &[&str], deadline: Duration) -> Output {
    let mut child = Command::new(crate::common::bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The pipes are drained while it runs: a large output (SARIF) never
    // blocks the child on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Output {
                status,
                stdout: out.join().unwrap(),
                stderr: err.join().unwrap(),
            };
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("rustgate {args:?} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The constructs that aborted the process, at the sizes that did.
fn deep_sources() -> Vec<(&'static str, String)> {
    let n = |k: usize, s: &str| s.repeat(k);
    vec![
        (
            "parens",
            format!("const X: u8 = {}1{};\n", n(473, "("), n(473, ")")),
        ),
        ("blocks", format!("fn f() {}{}\n", n(448, "{"), n(448, "}"))),
        (
            "closures",
            format!("fn f() {{ let _c = {}0; }}\n", n(577, "|x: u8| ")),
        ),
        (
            "generics",
            format!("type T = {}u8{};\n", n(319, "Vec<"), n(319, ">")),
        ),
        (
            "modules",
            format!("{}{}\n", n(372, "mod a { "), n(372, "}")),
        ),
        ("flat", format!("const X: u32 = 1{};\n", n(13_020, " + 1"))),
        (
            "chain",
            format!("fn f(x: X) {{ x{}; }}\n", n(5_000, ".a()")),
        ),
        (
            "else-if",
            format!(
                "fn f(a: bool) {{ if a {{}} {}}}\n",
                n(3_000, "else if a {} ")
            ),
        ),
    ]
}

#[test]
fn deep_nesting_never_aborts() {
    for (name, source) in deep_sources() {
        let dir = crate_with_lib(&source);
        // With the default limit: parsed when under it, RG901 when over.
        let o = run_with_deadline(
            dir.path(),
            &["check", "--no-cache", "--format", "concise"],
            Duration::from_secs(120),
        );
        assert!(
            code(&o) == 0 || code(&o) == 1,
            "{name}: exit {:?} {}",
            o.status,
            stderr(&o)
        );
        let over = depth_over(&source, 1000);
        let out = stdout(&o);
        assert_eq!(
            out.contains("RG901 [error] nesting deeper than 1000 (`max-nesting`): not parsed"),
            over,
            "{name}: {out}"
        );
        // At the largest limit allowed, everything is parsed, and nothing aborts.
        write(dir.path(), "rustgate.toml", b"max-nesting = 5000\n");
        let o = run_with_deadline(
            dir.path(),
            &["check", "--no-cache", "--format", "concise"],
            Duration::from_secs(120),
        );
        assert!(
            code(&o) == 0 || code(&o) == 1,
            "{name}: exit {:?} {}",
            o.status,
            stderr(&o)
        );
        if !depth_over(&source, 5000) {
            assert!(!stdout(&o).contains("RG901"), "{name}: {}", stdout(&o));
        }
    }
}

/// Whether rustgate's estimate exceeds `limit` (the library's own scanner).
fn depth_over(source: &str, limit: u32) -> bool {
    rustgate::nesting::exceeds(source, limit).is_some()
}

#[test]
fn a_hundred_thousand_parentheses_are_rg901_not_a_crash() {
    let dir = crate_with_lib(&format!(
        "// fine\nconst X: u8 = {}1{};\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    ));
    let o = run_with_deadline(
        dir.path(),
        &["check", "--no-cache", "--format", "concise"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/lib.rs:2:1: RG901 [error] nesting deeper than 1000 (`max-nesting`): not parsed\n"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_tree_are_never_read() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "credentials",
        b"https://user:SECRET-TOKEN@example.com\n",
    );
    let dir = crate_with_lib("pub fn f() {}\n");
    let link = dir.path().join("src/env.rs");
    std::os::unix::fs::symlink(outside.path().join("credentials"), &link).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("src/zero.rs")).unwrap();
    // Whatever the setting: out of the root is RG901 (fail closed), unread.
    for config in ["", "follow-symlinks = true\n"] {
        write(dir.path(), "rustgate.toml", config.as_bytes());
        let o = run_with_deadline(
            dir.path(),
            &["check", "--no-cache", "--format", "concise"],
            Duration::from_secs(60),
        );
        assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains("SECRET"), "{all}");
        assert_eq!(
            stdout(&o),
            "src/env.rs:1:1: RG901 [error] symlink to a file outside the workspace: not read\nsrc/zero.rs:1:1: RG901 [error] symlink to a file outside the workspace: not read\n"
        );
    }
}

/// The outputs that show a line of the file (snippets) or hash it
/// (fingerprints) read it again: under the walk's rules, never through a
/// link out of the tree, to a device or to a FIFO.
#[cfg(unix)]
#[test]
fn no_output_reads_through_a_link_the_walk_refused() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "credentials",
        b"https://user:XYZZY-PLANTED-TOKEN@example.com\n",
    );
    let dir = crate_with_lib("pub fn f() {}\n");
    let src = dir.path().join("src");
    std::os::unix::fs::symlink(outside.path().join("credentials"), src.join("env.rs")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", src.join("zero.rs")).unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("../pipe", src.join("pipe.rs")).unwrap();
    for format in [
        "human", "concise", "json", "sarif", "github", "summary", "cargo", "gitlab", "junit",
        "rdjson",
    ] {
        let o = run_with_deadline(
            dir.path(),
            &["check", "--no-cache", "--format", format],
            Duration::from_secs(60),
        );
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(code(&o), 1, "{format}: {all}");
        assert!(!all.contains("XYZZY"), "{format}: {all}");
        assert_eq!(all.matches("RG901").count().min(3), 3, "{format}: {all}");
    }
    let o = run_with_deadline(
        dir.path(),
        &["check", "--no-cache"],
        Duration::from_secs(60),
    );
    assert!(
        stdout(&o).contains("error[RG901]: symlink to a file outside the workspace: not read\n = at src/env.rs:1:1\n"),
        "{}",
        stdout(&o)
    );
    // A baseline fingerprints what it records: the same rules.
    let o = run_with_deadline(
        dir.path(),
        &["baseline", "-o", "b.json"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_tree_are_followed_on_request() {
    let dir = crate_with_lib("mod shared;\n");
    write(
        dir.path(),
        "common/shared.rs",
        crate::common::UNSAFE_LIB.as_bytes(),
    );
    std::os::unix::fs::symlink("../common/shared.rs", dir.path().join("src/shared.rs")).unwrap();
    write(
        dir.path(),
        "rustgate.toml",
        b"follow-symlinks = true\nexclude = [\"common\"]\n",
    );
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(
        stdout(&o),
        "src/shared.rs:2:5: RG101 [error] unsafe block in business logic\n",
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_rs_is_skipped_with_a_note_and_never_hangs() {
    let dir = crate_with_lib("pub fn f() {}\n");
    let fifo = dir.path().join("src/pipe.rs");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = run_with_deadline(
        dir.path(),
        &["check", "--no-cache"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("src/pipe.rs: not a regular file (a FIFO, socket or device): skipped"),
        "{}",
        stderr(&o)
    );
    // Named on the command line: the same.
    let o = run_with_deadline(
        dir.path(),
        &["check", "--no-cache", "src/pipe.rs"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn a_file_over_the_size_limit_is_rg901_and_not_read() {
    let dir = crate_with_lib("mod big;\n");
    write(
        dir.path(),
        "src/big.rs",
        format!("// {}\n", "x".repeat(200)).as_bytes(),
    );
    write(dir.path(), "rustgate.toml", b"max-file-size = 100\n");
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/big.rs:1:1: RG901 [error] file too large (204 bytes; `max-file-size` is 100): not read\n"
    );
    write(dir.path(), "rustgate.toml", b"max-file-size = -1\n");
    let o = rustgate(dir.path(), &["check", "--no-cache"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("invalid value for `max-file-size`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rg901_cannot_be_downgraded_and_always_gates() {
    let dir = crate_with_lib("mod broken;\n");
    write(dir.path(), "src/broken.rs", b"fn broken( {\n");
    write(
        dir.path(),
        "rustgate.toml",
        b"[severity]\nRG901 = \"note\"\n",
    );
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("RG901 [error]"), "{}", stdout(&o));
}

#[test]
fn rg901_gates_under_diff_base_on_an_unchanged_line() {
    let dir = crate_with_lib("mod broken;\npub fn ok() {}\n");
    write(dir.path(), "src/broken.rs", b"fn broken( {\n");
    crate::common::git_commit_all(dir.path(), "base");
    // New code lands in the file that does not parse: it is never checked, so
    // the broken file must fail the gate although its error line is old.
    write(
        dir.path(),
        "src/broken.rs",
        b"fn broken( {\nfn added() { unsafe {} }\n",
    );
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--diff-base",
            "HEAD",
            "--format",
            "concise",
        ],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
}

#[cfg(unix)]
#[test]
fn non_utf8_and_backslash_names_are_exact_and_never_merged() {
    use std::os::unix::ffi::OsStrExt;
    let dir = crate_with_lib("pub fn f() {}\n");
    for name in [&b"caf\xe9.rs"[..], b"caf\xe8.rs", b"a\\b.rs"] {
        let path = dir
            .path()
            .join("src")
            .join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, "fn broken( {\n").unwrap();
    }
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    let out = stdout(&o);
    let mut paths: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["src/a\\\\b.rs", "src/caf\\xE8.rs", "src/caf\\xE9.rs"],
        "{out}"
    );
}

/// Runs rustgate so that file permissions apply to it. Not root: as is.
/// Root (as in most CI containers) reads a `chmod 000` folder anyway, so
/// rustgate runs under `setpriv` without the two capabilities that bypass
/// permissions (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`). `None` when
/// neither is possible (root without setpriv, or not allowed to drop them).
#[cfg(unix)]
fn run_subject_to_permissions(dir: &Path, denied: &Path, args: &[&str]) -> Option<Output> {
    if std::fs::read_dir(denied).is_err() {
        return Some(rustgate(dir, args));
    }
    let o = Command::new("setpriv")
        .args(["--bounding-set", "-dac_override,-dac_read_search", "--"])
        .arg(crate::common::bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .ok()?;
    // setpriv's own failure (not allowed to drop a capability): its name on
    // stderr and nothing from rustgate.
    if o.stdout.is_empty() && stderr(&o).contains("setpriv") {
        return None;
    }
    Some(o)
}

#[cfg(unix)]
#[test]
fn a_folder_that_cannot_be_read_is_rg901_on_its_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = crate_with_lib("pub fn f() {}\n");
    write(
        dir.path(),
        "src/secret/hidden.rs",
        crate::common::UNSAFE_LIB.as_bytes(),
    );
    let secret = dir.path().join("src/secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = run_subject_to_permissions(
        dir.path(),
        &secret,
        &["check", "--no-cache", "--format", "concise"],
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
    let Some(o) = o else {
        // The code path itself is covered by the unit test
        // `workspace::tests::a_walk_error_is_rg901_on_its_path`.
        eprintln!(
            "skipped: running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here, so no folder can be made unreadable"
        );
        return;
    };
    // Nothing under it was checked, and the run says so: the gate fails.
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/secret:1:1: RG901 [error] cannot read: Permission denied (os error 13)\n",
        "{}",
        stderr(&o)
    );
    // The same folder named on the command line.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = run_subject_to_permissions(
        dir.path(),
        &secret,
        &["check", "--no-cache", "--format", "concise", "src/secret"],
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = o.unwrap();
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("RG901 [error] cannot read: Permission denied"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// SARIF names a file by the bytes of its name, percent-encoded: a
/// backslash is `%5C` and a byte that is not UTF-8 `%E9`, not the escapes
/// the other formats print (`\\`, `\xE9`).
#[cfg(unix)]
#[test]
fn sarif_uris_encode_the_bytes_of_the_name() {
    use std::os::unix::ffi::OsStrExt;
    let dir = crate_with_lib("pub fn f() {}\n");
    for name in [&b"caf\xe9.rs"[..], b"a\\b.rs", b"a\\xE9.rs"] {
        let path = dir
            .path()
            .join("src")
            .join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, crate::common::UNSAFE_LIB).unwrap();
    }
    let o = rustgate(dir.path(), &["check", "--no-cache", "--format", "sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    uris.sort();
    assert_eq!(uris, ["src/a%5Cb.rs", "src/a%5CxE9.rs", "src/caf%E9.rs"]);
    // The other formats keep the faithful escapes; the snippet is found.
    let o = rustgate(dir.path(), &["check", "--no-cache"]);
    let out = stdout(&o);
    assert!(
        out.contains("src/a\\\\b.rs:2:5\n  │\n2 │     unsafe { *p }"),
        "{out}"
    );
    assert!(
        out.contains("src/caf\\xE9.rs:2:5\n  │\n2 │     unsafe { *p }"),
        "{out}"
    );
}

/// The configuration files found in the tree follow the walk's rules: a
/// link out of the tree, a FIFO or a device is an error (exit 2) that names
/// the file, never read (a TOML error would print its first line), never a
/// hang, never a silent fallback to the defaults.
#[cfg(unix)]
#[test]
fn configuration_files_are_read_only_inside_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "credentials",
        b"https://user:XYZZY-PLANTED-TOKEN@example.com\n",
    );
    let secret = outside.path().join("credentials");
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let config = dir.path().join("rustgate.toml");
    let check = |dir: &Path| {
        let o = run_with_deadline(dir, &["check", "--no-cache"], Duration::from_secs(60));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains("XYZZY"), "{all}");
        (code(&o), stderr(&o))
    };
    for name in ["rustgate.toml", ".rustgate.toml"] {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let (exit, err) = check(dir.path());
        assert_eq!(exit, 2, "{err}");
        // Named from the working directory, not by the machine's path.
        assert!(
            err.contains(&format!("rustgate: {name}: a symlink to a file outside the workspace: not read (name it with `--config` to use it)")),
            "{err}"
        );
        std::fs::remove_file(&link).unwrap();
    }
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    let (exit, err) = check(dir.path());
    assert_eq!(exit, 2, "{err}");
    assert!(err.contains("outside the workspace: not read"), "{err}");
    std::fs::remove_file(&config).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&config)
            .status()
            .unwrap()
            .success()
    );
    let (exit, err) = check(dir.path());
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains(
            "rustgate.toml: not a regular file (a folder, FIFO, socket or device): not read"
        ),
        "{err}"
    );
    std::fs::remove_file(&config).unwrap();
    // Cargo.toml's metadata tables: the same.
    let manifest = dir.path().join("Cargo.toml");
    std::fs::rename(&manifest, dir.path().join("real.toml")).unwrap();
    std::os::unix::fs::symlink(&secret, &manifest).unwrap();
    let (exit, err) = check(dir.path());
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains("Cargo.toml: a symlink to a file outside the workspace: not read\n"),
        "{err}"
    );
    std::fs::remove_file(&manifest).unwrap();
    std::fs::rename(dir.path().join("real.toml"), &manifest).unwrap();
    // A link to a file inside the tree is read: `ignore = ["RG101"]` passes.
    write(
        dir.path(),
        "config/rustgate.toml",
        b"ignore = [\"RG101\"]\n",
    );
    std::os::unix::fs::symlink("config/rustgate.toml", &config).unwrap();
    assert_eq!(check(dir.path()).0, 0);
    // `extend` from a file of the tree: only to a regular file of the tree.
    std::fs::remove_file(&config).unwrap();
    let credentials = secret.to_str().unwrap();
    write(
        dir.path(),
        "rustgate.toml",
        format!("extend = \"{credentials}\"\n").as_bytes(),
    );
    let (exit, err) = check(dir.path());
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains(&format!(
            "rustgate.toml:1:1: `extend` target `{credentials}` is outside the workspace: not read"
        )),
        "{err}"
    );
    assert!(
        Command::new("mkfifo")
            .arg(dir.path().join("base.toml"))
            .status()
            .unwrap()
            .success()
    );
    write(dir.path(), "rustgate.toml", b"extend = \"base.toml\"\n");
    let (exit, err) = check(dir.path());
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains("`extend` target `base.toml` is not a regular file: not read"),
        "{err}"
    );
    std::fs::remove_file(&config).unwrap();
    // Named with `--config`, the user's choice: read.
    write(outside.path(), "strict.toml", b"ignore = [\"RG101\"]\n");
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--no-cache",
            "--config",
            outside.path().join("strict.toml").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// A baseline is read like a source file: a FIFO or a device (a link to
/// `/dev/zero` committed as `rustgate-baseline.json`) is a clear error,
/// never a hang or a read without end.
#[cfg(unix)]
#[test]
fn a_baseline_that_is_not_a_regular_file_is_an_error_not_a_hang() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let baseline = dir.path().join("rustgate-baseline.json");
    std::os::unix::fs::symlink("/dev/zero", &baseline).unwrap();
    for round in ["device", "fifo"] {
        let o = run_with_deadline(
            dir.path(),
            &[
                "check",
                "--no-cache",
                "--baseline",
                "rustgate-baseline.json",
            ],
            Duration::from_secs(60),
        );
        assert_eq!(code(&o), 2, "{round}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot read baseline rustgate-baseline.json: not a regular file"),
            "{round}: {}",
            stderr(&o)
        );
        std::fs::remove_file(&baseline).unwrap();
        assert!(
            Command::new("mkfifo")
                .arg(&baseline)
                .status()
                .unwrap()
                .success()
        );
    }
}

/// The walker reads each folder's ignore files: a FIFO there blocked the
/// walk for ever, a link to `/dev/zero` read without end. They are checked
/// first, RG901 on the ignore file; a refused one in a subfolder leaves the
/// folder unchecked (and says so), one at the root turns ignore files off.
#[cfg(unix)]
#[test]
fn ignore_files_that_are_not_regular_files_are_rg901_never_a_hang() {
    let dir = crate_with_lib("pub fn f() {}\n");
    write(
        dir.path(),
        "src/sub/x.rs",
        crate::common::UNSAFE_LIB.as_bytes(),
    );
    let mkfifo = |p: &Path| assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    let concise = |dir: &Path| {
        run_with_deadline(
            dir,
            &["check", "--no-cache", "--format", "concise"],
            Duration::from_secs(60),
        )
    };
    let sub = dir.path().join("src/sub/.gitignore");
    mkfifo(&sub);
    let o = concise(dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/sub/.gitignore:1:1: RG901 [error] ignore file that is not a regular file (a folder, FIFO, socket or device): not read; the folder is not checked\n"
    );
    std::fs::remove_file(&sub).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(".ignore")).unwrap();
    write(dir.path(), ".gitignore", b"sub/\n");
    let o = concise(dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // At the root: no ignore file is read, so `sub/` is checked too.
    assert_eq!(
        stdout(&o),
        ".ignore:1:1: RG901 [error] ignore file that is not a regular file (a folder, FIFO, socket or device): not read\nsrc/sub/x.rs:2:5: RG101 [error] unsafe block in business logic\n"
    );
    // A large ignore file is refused like a large source file.
    std::fs::remove_file(dir.path().join(".ignore")).unwrap();
    write(dir.path(), "rustgate.toml", b"max-file-size = 3\n");
    let o = concise(dir.path());
    assert!(
        stdout(&o).starts_with(".gitignore:1:1: RG901 [error] ignore file too large (5 bytes; `max-file-size` is 3): not read\n"),
        "{}",
        stdout(&o)
    );
    // An ordinary .gitignore is read as before.
    std::fs::remove_file(dir.path().join("rustgate.toml")).unwrap();
    let o = concise(dir.path());
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

/// The default cache lives in `<root>/target`, which the checked repository
/// owns: a `target` link it commits out of the tree must not choose where
/// rustgate writes. Such a run does not cache, and says so.
#[cfg(unix)]
#[test]
fn a_target_link_out_of_the_tree_is_not_written_through() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("target")).unwrap();
    for _ in 0..2 {
        let o = rustgate(dir.path(), &["check", "--format", "concise"]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "src/lib.rs:2:5: RG101 [error] unsafe block in business logic\n"
        );
        assert!(
            stderr(&o).contains(
                "target/rustgate: a symlink out of the workspace on the way: not cached there"
            ),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // A link inside the tree is followed: the cache is written there.
    std::fs::remove_file(dir.path().join("target")).unwrap();
    std::fs::create_dir(dir.path().join("build")).unwrap();
    std::os::unix::fs::symlink("build", dir.path().join("target")).unwrap();
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert!(!stderr(&o).contains("not cached"), "{}", stderr(&o));
    assert!(dir.path().join("build/rustgate").is_dir());
}

/// Files and folders that come and go while rustgate runs (a build writing
/// generated code, an editor's swap files): every run ends with a result,
/// and a file it listed but could not read is RG901, never a crash.
#[test]
fn files_deleted_during_the_walk_never_crash_the_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = crate_with_lib("pub fn f() {}\n");
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = std::sync::Arc::clone(&stop);
        let src = dir.path().join("src");
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let folder = src.join(format!("gen{}", i % 4));
                let _ = std::fs::create_dir_all(&folder);
                for k in 0..20 {
                    let _ =
                        std::fs::write(folder.join(format!("f{k}.rs")), crate::common::UNSAFE_LIB);
                }
                let _ = std::fs::remove_dir_all(&folder);
                i += 1;
            }
        })
    };
    for format in ["concise", "human", "sarif", "json"] {
        for cache in ["--no-cache", "--cache-dir=cache"] {
            let o = run_with_deadline(
                dir.path(),
                &["check", cache, "--format", format],
                Duration::from_secs(60),
            );
            assert!(
                code(&o) == 0 || code(&o) == 1,
                "{format}: exit {:?}: {}",
                o.status,
                stderr(&o)
            );
            assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
            if format == "concise" {
                for line in stdout(&o).lines() {
                    assert!(
                        line.contains(": RG101 [error] unsafe block in business logic")
                            || line.contains(": RG901 [error] cannot read"),
                        "{line}"
                    );
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
}
