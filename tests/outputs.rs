//! Each output format on one small workspace. Expected texts were read once
//! by hand against the source below.

use crate::common::{code, crate_with_lib, rustgate, stdout};

const LIB: &str = "mod b;\n\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n";
const B: &str = "pub unsafe fn g() {}\n";

fn dir() -> tempfile::TempDir {
    let d = crate_with_lib(LIB);
    std::fs::write(d.path().join("src/b.rs"), B).unwrap();
    d
}

#[test]
fn concise_is_sorted_by_path_line_column() {
    let o = rustgate(dir().path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/b.rs:1:5: RG101 [error] unsafe fn in business logic\n\
         src/lib.rs:4:5: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn human_has_snippets_help_and_summary() {
    let out = stdout(&rustgate(dir().path(), &["check"]));
    let expected_snippet = "error[RG101]: unsafe block in business logic\n  ┌─ src/lib.rs:4:5\n  │\n4 │     unsafe { *p }\n  │     ^^^^^^ unsafe-in-business-logic\n";
    assert!(out.contains(expected_snippet), "{out}");
    assert!(
        out.contains("= help: keep unsafe code behind a safe API"),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("2 errors in 2 files; 2 files checked in "),
        "{last}"
    );
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn json_schema() {
    let o = rustgate(dir().path(), &["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "rustgate");
    assert_eq!(v["summary"]["files_checked"], 2);
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["summary"]["gate"], "fail");
    let d = &v["diagnostics"][1];
    assert_eq!(d["code"], "RG101");
    assert_eq!(d["name"], "unsafe-in-business-logic");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unsafe block in business logic");
    assert_eq!(d["path"], "src/lib.rs");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(4), Some(11))
    );
    assert!(d["help"].as_str().unwrap().starts_with("keep unsafe code"));
}

#[test]
fn sarif_basics() {
    let o = rustgate(dir().path(), &["check", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rg101 = rules.iter().find(|r| r["id"] == "RG101").unwrap();
    assert_eq!(rg101["name"], "unsafe-in-business-logic");
    assert_eq!(rg101["defaultConfiguration"]["level"], "error");
    assert!(
        rg101["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?")
    );
    assert!(
        rg101["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Reports every `unsafe` block")
    );
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "RG101");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/b.rs");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 1);
    let index = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "RG101");
}

#[test]
fn github_workflow_commands() {
    let out = stdout(&rustgate(dir().path(), &["check", "--format", "github"]));
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=src/b.rs,line=1,col=5,endLine=1,endColumn=11,title=RG101 unsafe-in-business-logic::unsafe fn in business logic%0Ahelp%3A keep unsafe code behind a safe API in an `ffi` or `sys` module, or exclude the path with `[business-logic] exclude` in rustgate.toml"
            .replace("help%3A", "help:")
    );
}

/// A workspace whose finding has a multi-byte character before it on its
/// line, and whose message-bearing paths need escaping in XML.
fn odd_dir() -> tempfile::TempDir {
    let d = crate_with_lib(
        "mod b;\n\npub fn f(p: *const u8) -> u8 {\n    let _é = 1; unsafe { *p }\n}\n",
    );
    std::fs::write(d.path().join("src/b.rs"), B).unwrap();
    d
}

fn run_format(dir: &std::path::Path, format: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["check", "--no-cache", "--format", format];
    args.extend_from_slice(extra);
    let o = rustgate(dir, &args);
    (code(&o), stdout(&o))
}

#[test]
fn gitlab_code_quality_has_the_required_fields() {
    let d = odd_dir();
    let (c, out) = run_format(d.path(), "gitlab", &[]);
    assert_eq!(c, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    // GitLab's required fields and types, and its severities.
    for i in issues {
        assert!(
            i["description"]
                .as_str()
                .unwrap()
                .starts_with("RG101: unsafe ")
        );
        assert_eq!(i["check_name"], "RG101");
        assert_eq!(i["fingerprint"].as_str().unwrap().len(), 16);
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    assert_eq!(issues[0]["location"]["path"], "src/b.rs");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 1);
    assert_eq!(issues[1]["location"]["path"], "src/lib.rs");
    assert_eq!(issues[1]["location"]["lines"]["begin"], 4);
    assert_eq!(issues[1]["severity"], "major");
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);

    // In a GitLab job, paths are relative to $CI_PROJECT_DIR.
    let parent = d.path().parent().unwrap().canonicalize().unwrap();
    let name = d.path().file_name().unwrap().to_string_lossy().into_owned();
    let o = std::process::Command::new(crate::common::bin())
        .args(["check", "--no-cache", "--format", "gitlab"])
        .env("CI_PROJECT_DIR", &parent)
        .current_dir(d.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["location"]["path"], format!("{name}/src/b.rs"));

    // No findings: an empty array.
    let clean = crate_with_lib("pub fn f() {}\n");
    let (c, out) = run_format(clean.path(), "gitlab", &[]);
    assert_eq!((c, out.as_str()), (0, "[]\n"));
}

#[test]
fn junit_parses_back_with_failures_for_the_gate() {
    use quick_xml::events::Event;
    let d = odd_dir();
    let (c, out) = run_format(d.path(), "junit", &[]);
    assert_eq!(c, 1);
    // Parse with a real XML parser: the elements, their attributes, and the
    // text of each failure.
    let mut reader = quick_xml::Reader::from_str(&out);
    let mut testcases = Vec::new();
    let mut failures = Vec::new();
    let mut suites = Vec::new();
    let mut root_failures = None;
    let mut in_failure = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"testsuites" => root_failures = attr("failures"),
                    b"testsuite" => suites.push((attr("name").unwrap(), attr("tests").unwrap())),
                    b"testcase" => testcases.push((attr("name").unwrap(), attr("file").unwrap())),
                    b"failure" => {
                        in_failure = true;
                        failures.push((attr("type").unwrap(), String::new()));
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_failure => {
                failures
                    .last_mut()
                    .unwrap()
                    .1
                    .push_str(&t.decode().unwrap());
            }
            Event::GeneralRef(r) if in_failure => {
                let name = String::from_utf8(r.to_vec()).unwrap();
                let c = match name.as_str() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("entity {other}"),
                };
                failures.last_mut().unwrap().1.push_str(c);
            }
            Event::End(e) if e.name().as_ref() == b"failure" => in_failure = false,
            _ => {}
        }
    }
    assert_eq!(root_failures.as_deref(), Some("2"));
    assert_eq!(
        suites,
        vec![("RG101 unsafe-in-business-logic".to_owned(), "2".to_owned())]
    );
    assert_eq!(
        testcases,
        vec![
            ("src/b.rs:1:5".to_owned(), "src/b.rs".to_owned()),
            ("src/lib.rs:4:17".to_owned(), "src/lib.rs".to_owned()),
        ]
    );
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[1].0, "error");
    assert!(
        failures[1]
            .1
            .starts_with("src/lib.rs:4:17: RG101 [error] unsafe block in business logic\nhelp: "),
        "{failures:?}"
    );

    // Below fail-on: skipped, not failed; no findings: one passing testcase.
    std::fs::write(
        d.path().join("rustgate.toml"),
        "[severity]\nRG101 = \"note\"\n",
    )
    .unwrap();
    let (c, out) = run_format(d.path(), "junit", &["--fail-on", "warning"]);
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("failures=\"0\""), "{out}");
    assert_eq!(
        out.matches("<skipped message=\"below fail-on\"/>").count(),
        2,
        "{out}"
    );
    let clean = crate_with_lib("pub fn f() {}\n");
    let (c, out) = run_format(clean.path(), "junit", &[]);
    assert_eq!(c, 0);
    assert!(
        out.contains("<testcase classname=\"rustgate\" name=\"1 files checked, no findings\"/>"),
        "{out}"
    );
}

#[test]
fn junit_escapes_markup_and_controls() {
    assert_eq!(
        rustgate::output::junit::escape("a<b>&\"c'\u{1b}[2J\nx", true),
        "a&lt;b&gt;&amp;&quot;c&apos;\\u{1b}[2J\nx"
    );
    assert_eq!(
        rustgate::output::junit::escape("l1\nl2\t", false),
        "l1\\u{a}l2&#9;"
    );
}

#[test]
fn rdjson_has_byte_columns_and_reviewdog_fields() {
    let d = odd_dir();
    let (c, out) = run_format(d.path(), "rdjson", &[]);
    assert_eq!(c, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["source"]["name"], "rustgate");
    assert_eq!(v["severity"], "ERROR");
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2);
    let d1 = &diags[1];
    assert_eq!(d1["location"]["path"], "src/lib.rs");
    assert_eq!(d1["severity"], "ERROR");
    assert_eq!(d1["code"]["value"], "RG101");
    assert!(
        d1["message"]
            .as_str()
            .unwrap()
            .starts_with("unsafe block in business logic\nhelp: ")
    );
    // `    let _é = 1; unsafe { *p }`: `unsafe` is character 17 and byte 18
    // (é is two bytes); the span ends after `unsafe` (exclusive).
    assert_eq!(
        d1["location"]["range"],
        serde_json::json!({"start": {"line": 4, "column": 18}, "end": {"line": 4, "column": 24}})
    );
}
