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
