//! The Action's shell steps (scripts/action.sh) in a simulated GitHub
//! environment, on the demo workspace, with the binary under test on PATH.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{bin, code, repo, stderr, stdout};

/// Runs `action.sh check` as the composite step would: GitHub's variables,
/// the inputs as INPUT_*, and nothing inherited from a real Actions run.
fn run_action(tmp: &Path, inputs: &[(&str, &str)]) -> Output {
    let bin_dir = bin().parent().unwrap().to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/action.sh")).arg("check");
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("INPUT_") || k.starts_with("RUNNER_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GITHUB_WORKSPACE", repo())
        .env("GITHUB_OUTPUT", tmp.join("output"))
        .env("GITHUB_STEP_SUMMARY", tmp.join("summary.md"))
        .env("RUNNER_TEMP", tmp)
        // The result cache lives in Cargo's target dir: keep it out of fixtures/.
        .env("CARGO_TARGET_DIR", tmp.join("target"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "rustgate/rustgate")
        .env("GITHUB_SHA", "feedbeef")
        .env("INPUT_WORKING_DIRECTORY", "fixtures/demo");
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    cmd.current_dir(repo()).output().unwrap()
}

fn outputs(tmp: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(tmp.join("output"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn action_check_on_the_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_action(tmp.path(), &[("INPUT_CATEGORY", "rustgate/demo")]);
    assert_eq!(code(&o), 1, "the demo fails the gate\n{}", stderr(&o));
    let out = outputs(tmp.path());
    assert_eq!(out["gate"], "fail");
    let errors: usize = out["errors"].parse().unwrap();
    let warnings: usize = out["warnings"].parse().unwrap();
    assert!(errors >= 3 && warnings >= 3, "{out:?}");
    assert_eq!(
        out["findings"].parse::<usize>().unwrap(),
        errors + warnings + out["notes"].parse::<usize>().unwrap()
    );
    // No baseline, no diff base: every finding is new.
    assert_eq!(out["new-errors"], out["errors"]);
    assert_eq!(out["new-warnings"], out["warnings"]);
    assert_eq!(out["new-findings"], out["findings"]);
    let sarif_path = tmp.path().join("rustgate.sarif");
    assert_eq!(out["sarif-file"], sarif_path.to_string_lossy());

    // Annotations: paths relative to the repository, errors first.
    let annotations = stdout(&o);
    let first = annotations.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=fixtures/demo/crates/api/src/routes.rs,line=39,"),
        "{annotations}"
    );
    assert_eq!(
        annotations
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        errors.min(10)
    );

    // SARIF: repository-relative URIs and the category.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "rustgate/demo");
    let uri =
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
    assert!(uri.starts_with("fixtures/demo/crates/"), "{uri}");

    // The job summary, appended to what the job already wrote.
    let md = std::fs::read_to_string(tmp.path().join("summary.md")).unwrap();
    assert!(md.starts_with("## rustgate: :x: gate failed"), "{md}");
    assert!(
        md.contains("| RG201 | `unwrap-in-handler` | error | 1 |"),
        "{md}"
    );
    assert!(
        md.contains("(https://github.com/rustgate/rustgate/blob/feedbeef/fixtures/demo/crates/api/src/routes.rs#L39)"),
        "{md}"
    );
}

#[test]
fn action_passes_with_fail_on_off_and_reports_errors_of_rustgate() {
    let tmp = tempfile::tempdir().unwrap();
    // Not under target/: the tests pass whatever CARGO_TARGET_DIR says.
    let sarif = tmp.path().join("action-test.sarif");
    let o = run_action(
        tmp.path(),
        &[
            ("INPUT_ARGS", "--select RG303"),
            ("INPUT_SARIF_FILE", sarif.to_str().unwrap()),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = outputs(tmp.path());
    assert_eq!(out["gate"], "pass");
    assert_eq!(out["errors"], "0");
    assert_eq!(out["sarif-file"], sarif.to_string_lossy());
    let md = std::fs::read_to_string(tmp.path().join("summary.md")).unwrap();
    assert!(
        md.starts_with("## rustgate: :white_check_mark: gate passed"),
        "{md}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let o = run_action(tmp.path(), &[("INPUT_CONFIG", "does-not-exist.toml")]);
    assert_eq!(code(&o), 2);
    assert_eq!(outputs(tmp.path())["gate"], "error");
    assert!(stdout(&o).contains("::error title=rustgate::rustgate could not run"));
}

#[test]
fn action_cache_key_follows_the_version() {
    let tmp = tempfile::tempdir().unwrap();
    let key = |version: &str| {
        let o = Command::new("bash")
            .arg(repo().join("scripts/action.sh"))
            .arg("key")
            .env("GITHUB_OUTPUT", tmp.path().join("output"))
            .env("INPUT_VERSION", version)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let key = outputs(tmp.path())["key"].clone();
        std::fs::remove_file(tmp.path().join("output")).unwrap();
        key
    };
    let own = key("");
    assert!(
        own.starts_with(&format!(
            "rustgate-Linux-X64-{}-",
            env!("CARGO_PKG_VERSION")
        )),
        "{own}"
    );
    assert_eq!(key(""), own, "stable");
    assert_eq!(key("1.2.3"), "rustgate-Linux-X64-crates-1.2.3");
}

/// A release server on loopback (python's http.server) over `root`; killed
/// on drop.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Server {
    fn start(root: &Path) -> Option<Server> {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take()?)
            .read_line(&mut line)
            .ok()?;
        // `Serving HTTP on 127.0.0.1 port 41235 (http://127.0.0.1:41235/) ...`
        let port = line.split(" port ").nth(1)?.split(' ').next()?.to_owned();
        Some(Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TARGET: &str = "x86_64-unknown-linux-musl";

/// `srv/vVERSION/rustgate-vVERSION-TARGET.tar.gz` holding a stand-in binary
/// that prints `fake rustgate VERSION`, and its `.sha256` (of `checksum_of`
/// when given: a wrong checksum).
fn publish(srv: &Path, version: &str, checksum_of: Option<&[u8]>) {
    let name = format!("rustgate-v{version}-{TARGET}");
    let stage = srv.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::write(
        stage.join("rustgate"),
        format!("#!/bin/sh\necho fake rustgate {version}\n"),
    )
    .unwrap();
    let release = srv.join(format!("v{version}"));
    std::fs::create_dir_all(&release).unwrap();
    let archive = release.join(format!("{name}.tar.gz"));
    let o = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(srv.join("stage"))
        .arg(&name)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let summed = match checksum_of {
        Some(bytes) => {
            let other = srv.join("other");
            std::fs::write(&other, bytes).unwrap();
            other
        }
        None => archive.clone(),
    };
    let o = Command::new("sha256sum").arg(&summed).output().unwrap();
    let sum = stdout(&o).split(' ').next().unwrap().to_owned();
    std::fs::write(
        release.join(format!("{name}.tar.gz.sha256")),
        format!("{sum}  {name}.tar.gz\n"),
    )
    .unwrap();
}

/// Runs scripts/install.sh with `env`, from `cwd`, nothing inherited from a
/// real Actions run.
fn install(cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("scripts/install.sh"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_")
            || k.starts_with("RUSTGATE_")
            || k.starts_with("RUNNER_")
            || k.starts_with("RUSTUP_")
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.current_dir(cwd).output().unwrap()
}

#[test]
fn install_downloads_the_release_and_verifies_its_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = tmp.path().join("srv");
    publish(&srv, "9.9.9", None);
    publish(&srv, "9.9.8", Some(b"not the archive"));
    let Some(server) = Server::start(&srv) else {
        eprintln!("python3 http.server could not start: skipped");
        return;
    };
    let inst = tmp.path().join("inst");
    let runner_temp = tmp.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let base = |version: &'static str| {
        vec![
            ("RUSTGATE_INSTALL_DIR", inst.to_str().unwrap().to_owned()),
            ("RUSTGATE_RELEASES", server.url.clone()),
            ("RUNNER_OS", "Linux".to_owned()),
            ("RUNNER_ARCH", "X64".to_owned()),
            ("RUNNER_TEMP", runner_temp.to_str().unwrap().to_owned()),
            ("RUSTGATE_NO_BUILD", "1".to_owned()),
            ("GITHUB_ACTION_REF", format!("v{version}")),
        ]
    };
    let run = |env: &[(&str, String)]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        install(tmp.path(), &env)
    };

    // The action's ref is a version tag: that release, for Linux X64 (musl).
    let o = run(&base("9.9.9"));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("checksum verified"), "{}", stderr(&o));
    let exe = inst.join("bin/rustgate");
    let o = Command::new(&exe).output().unwrap();
    assert_eq!(stdout(&o), "fake rustgate 9.9.9\n");
    std::fs::remove_dir_all(&inst).unwrap();

    // A checksum that does not match: refused, nothing installed, no build.
    let o = run(&base("9.9.8"));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("::error title=rustgate::checksum mismatch for rustgate-v9.9.8-x86_64-unknown-linux-musl.tar.gz"),
        "{}",
        stdout(&o)
    );
    assert!(!exe.exists());

    // No such release, building off: a failure that says so.
    let o = run(&base("9.9.7"));
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("no release v9.9.7 for x86_64-unknown-linux-musl"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("building is off"), "{}", stdout(&o));
    assert!(!exe.exists());

    // The version input wins over the ref; the archive is found by target.
    let mut env = base("1");
    env.push(("RUSTGATE_VERSION", "v9.9.9".to_owned()));
    let o = run(&env);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&Command::new(&exe).output().unwrap()),
        "fake rustgate 9.9.9\n"
    );
    std::fs::remove_dir_all(&inst).unwrap();

    // A major tag or a commit SHA: the version of the action's Cargo.toml.
    let own = env!("CARGO_PKG_VERSION");
    publish(&srv, own, None);
    for r#ref in ["v0", "0123456789abcdef0123456789abcdef01234567"] {
        let mut env = base("1");
        env.retain(|(k, _)| *k != "GITHUB_ACTION_REF");
        env.push(("GITHUB_ACTION_REF", r#ref.to_owned()));
        let o = run(&env);
        assert_eq!(code(&o), 0, "{ref}: {}", stderr(&o));
        assert_eq!(
            stdout(&Command::new(&exe).output().unwrap()),
            format!("fake rustgate {own}\n")
        );
        std::fs::remove_dir_all(&inst).unwrap();
    }

    // Each runner asks for its target's archive.
    for (os, arch, target) in [
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("Windows", "X64", "x86_64-pc-windows-msvc"),
    ] {
        let mut env = base("9.9.9");
        env.retain(|(k, _)| *k != "RUNNER_OS" && *k != "RUNNER_ARCH");
        env.push(("RUNNER_OS", os.to_owned()));
        env.push(("RUNNER_ARCH", arch.to_owned()));
        let o = run(&env);
        assert_eq!(code(&o), 1);
        assert!(
            stderr(&o).contains(&format!("no release v9.9.9 for {target}")),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn install_builds_with_the_actions_toolchain_outside_the_callers_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    // The caller's workspace pins an old toolchain.
    let workspace = tmp.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(
        workspace.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.70\"\n",
    )
    .unwrap();
    // Stand-ins for cargo and rustup that record how they were called.
    let fake = tmp.path().join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    let log = tmp.path().join("calls");
    for tool in ["cargo", "rustup"] {
        let path = fake.join(tool);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"{tool} $* | cwd=$PWD | toolchain=${{RUSTUP_TOOLCHAIN:-}}\" >> '{}'\n",
                log.display()
            ),
        )
        .unwrap();
        let o = Command::new("chmod").arg("+x").arg(&path).output().unwrap();
        assert_eq!(code(&o), 0);
    }
    let path = std::env::join_paths(
        std::iter::once(fake).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let runner_temp = tmp.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let inst = tmp.path().join("inst");
    // A branch ref: its code is no release's, so it is built.
    let o = install(
        &workspace,
        &[
            ("PATH", path.to_str().unwrap()),
            ("RUSTGATE_INSTALL_DIR", inst.to_str().unwrap()),
            ("RUNNER_TEMP", runner_temp.to_str().unwrap()),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("GITHUB_ACTION_REF", "main"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let calls = std::fs::read_to_string(&log).unwrap();
    let runner_temp = runner_temp.canonicalize().unwrap();
    let expected = format!(
        "rustup toolchain install stable --profile minimal --no-self-update | cwd={rt} | toolchain=\n\
         cargo install --locked --root {inst} --path {repo} | cwd={rt} | toolchain=stable\n",
        rt = runner_temp.display(),
        inst = inst.display(),
        repo = repo().display()
    );
    assert_eq!(calls, expected);
}

/// action-validator (`npm install @action-validator/cli`) on action.yml and
/// the release workflow: RUSTGATE_ACTION_VALIDATOR, else on PATH, else skipped.
#[test]
fn action_and_release_workflow_validate() {
    let tool = std::env::var_os("RUSTGATE_ACTION_VALIDATOR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("action-validator"))
                .find(|p| p.is_file())
        });
    let Some(tool) = tool else {
        eprintln!("action-validator not found: skipped");
        return;
    };
    for file in ["action.yml", ".github/workflows/release.yml"] {
        let o = Command::new(&tool).arg(repo().join(file)).output().unwrap();
        assert_eq!(code(&o), 0, "{file}: {}{}", stdout(&o), stderr(&o));
    }
}

/// What the Action pins: full commit SHAs with the version in a comment, the
/// current majors, restore and save as separate steps, and the fork notice.
#[test]
fn action_pins_its_dependencies_and_saves_the_cache_apart() {
    let yml = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let uses: Vec<&str> = yml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uses: "))
        .collect();
    assert_eq!(uses.len(), 3, "{uses:?}");
    for u in &uses {
        let (action, rest) = u.split_once('@').unwrap();
        let (sha, comment) = rest.split_once(" # ").unwrap();
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{u}"
        );
        let major = match action {
            "actions/cache/restore" | "actions/cache/save" => "v5.",
            "github/codeql-action/upload-sarif" => "v4.",
            other => panic!("unexpected action {other}"),
        };
        assert!(comment.starts_with(major), "{u}");
    }
    assert!(yml.contains("if: ${{ !cancelled() && steps.cache.outputs.cache-hit != 'true' && steps.install.outcome == 'success' }}"));
    assert!(yml.contains("pull request from a fork"));
    assert!(!yml.contains("always()"), "!cancelled(), not always()");
}

/// The Action on a legacy repository (twelve old findings) with a pull request
/// that adds one: its line is annotated first, the outputs count it apart.
#[test]
fn action_on_a_legacy_repository_with_a_baseline() {
    let dir = crate::github::legacy();
    let d = dir.path();
    let o = crate::common::rustgate(d, &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    crate::common::git_commit_all(d, "baseline");
    crate::common::git(d, &["checkout", "-q", "-b", "pr"]);
    crate::github::add_new_finding(d);
    crate::common::git_commit_all(d, "the pull request");
    let ws = d.to_str().unwrap();

    // diff-base only: every old finding reported, one new.
    let tmp = tempfile::tempdir().unwrap();
    let o = run_action(
        tmp.path(),
        &[
            ("GITHUB_WORKSPACE", ws),
            ("INPUT_WORKING_DIRECTORY", "."),
            ("INPUT_DIFF_BASE", "main"),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = outputs(tmp.path());
    assert_eq!(
        (out["errors"].as_str(), out["findings"].as_str()),
        ("13", "13")
    );
    assert_eq!(
        (out["new-errors"].as_str(), out["new-findings"].as_str()),
        ("1", "1")
    );
    let annotations = stdout(&o);
    assert!(
        annotations
            .lines()
            .next()
            .unwrap()
            .starts_with("::error file=src/new.rs,line=2,"),
        "{annotations}"
    );
    assert_eq!(annotations.matches("::error ").count(), 1, "{annotations}");

    // With the baseline: the old findings are accepted, SARIF keeps them.
    let tmp = tempfile::tempdir().unwrap();
    let o = run_action(
        tmp.path(),
        &[
            ("GITHUB_WORKSPACE", ws),
            ("INPUT_WORKING_DIRECTORY", "."),
            ("INPUT_DIFF_BASE", "main"),
            ("INPUT_BASELINE", "rustgate-baseline.json"),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = outputs(tmp.path());
    assert_eq!(
        (out["errors"].as_str(), out["new-errors"].as_str()),
        ("1", "1")
    );
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>().len(),
        1,
        "{}",
        stdout(&o)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out["sarif-file"]).unwrap()).unwrap();
    let states: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 13);
    assert_eq!(states.iter().filter(|s| **s == "new").count(), 1);
    assert_eq!(states.iter().filter(|s| **s == "unchanged").count(), 12);
}
