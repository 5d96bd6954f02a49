//! Preview rules run only with `--preview` or `preview = true`.

use crate::common::{code, crate_with_lib, rustgate, stderr, stdout, write};

const INSECURE: &str = "pub fn client() {\n    let _ = reqwest::Client::builder().danger_accept_invalid_certs(true).build();\n}\n";

#[test]
fn preview_rules_need_preview() {
    let dir = crate_with_lib(INSECURE);
    let args = ["check", "--no-cache", "--format", "concise"];
    let o = rustgate(dir.path(), &args);
    assert_eq!((code(&o), stdout(&o).as_str()), (0, ""), "{}", stderr(&o));
    // Selecting it is not enough.
    let o = rustgate(dir.path(), &[&args[..], &["--select", "RG604"]].concat());
    assert_eq!(stdout(&o), "");
    let want = "src/lib.rs:2:40: RG604 [error] `danger_accept_invalid_certs(true)` switches off TLS verification\n";
    let o = rustgate(dir.path(), &[&args[..], &["--preview"]].concat());
    assert_eq!(stdout(&o), want);
    write(dir.path(), "rustgate.toml", b"preview = true\n");
    let o = rustgate(dir.path(), &args);
    assert_eq!(stdout(&o), want);
}

#[test]
fn maturity_shows_in_rules_and_sarif() {
    let dir = crate_with_lib(INSECURE);
    let o = rustgate(dir.path(), &["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rg604 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "RG604")
        .unwrap();
    assert_eq!(rg604["maturity"], "preview");
    let rg101 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "RG101")
        .unwrap();
    assert_eq!(rg101["maturity"], "stable");
    let o = rustgate(
        dir.path(),
        &["check", "--no-cache", "--preview", "--format", "sarif"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let tags = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(tags("RG604").contains(&"preview".to_owned()));
    assert!(!tags("RG101").contains(&"preview".to_owned()));
}
