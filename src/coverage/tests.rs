//! The engine on real reports (fixtures/coverage/reports, made by
//! cargo-llvm-cov from fixtures/coverage/sample: see regenerate.sh) and patch
//! coverage in a real git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/coverage")
}

fn report(name: &str) -> PathBuf {
    fixtures().join("reports").join(name)
}

fn sample_files() -> Vec<WorkspaceFile> {
    ["src/lib.rs", "src/pricing.rs"]
        .iter()
        .map(|p| WorkspaceFile {
            rel_path: (*p).to_owned(),
            package: "coverage-sample".to_owned(),
        })
        .collect()
}

fn config(reports: &[&str]) -> CoverageConfig {
    CoverageConfig {
        reports: reports.iter().map(|r| report(r)).collect(),
        ..CoverageConfig::default()
    }
}

/// A "Cover" column of cargo-llvm-cov's `report --summary-only` row.
struct ToolRow {
    regions: String,
    functions: String,
    lines: String,
}

fn tool_row(name: &str) -> ToolRow {
    let text = std::fs::read_to_string(report("SUMMARY.txt")).expect("SUMMARY.txt");
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .expect("row in SUMMARY.txt");
    let cols: Vec<&str> = row.split_whitespace().collect();
    ToolRow {
        regions: cols[3].to_owned(),
        functions: cols[6].to_owned(),
        lines: cols[9].to_owned(),
    }
}

fn pct(c: Counts) -> String {
    format!("{:.2}%", c.percent().expect("measured"))
}

/// Runs on a root other than the one the reports were made in: every path
/// maps by suffix, as for a report from CI.
fn run_elsewhere(cfg: &CoverageConfig) -> Result<CoverageOutcome, CoverageError> {
    run(cfg, Path::new("/nonexistent/checkout"), &sample_files())
}

#[test]
fn lcov_and_json_totals_equal_llvm_cov_summary() {
    let total = tool_row("TOTAL");
    for name in ["sample.lcov", "sample.llvm.json"] {
        let out = run_elsewhere(&config(&[name])).expect("runs");
        let s = &out.summary;
        assert_eq!(pct(s.lines), total.lines, "{name} lines");
        assert_eq!(pct(s.functions), total.functions, "{name} functions");
        assert_eq!(s.files_covered, 2);
        assert!(
            out.diagnostics.is_empty() && s.unmatched.is_empty(),
            "{name}: {out:?}"
        );
    }
    let json = run_elsewhere(&config(&["sample.llvm.json"])).expect("runs");
    assert_eq!(pct(json.summary.regions.expect("regions")), total.regions);
    assert_eq!(json.summary.lines, Counts::new(45, 57));
}

#[test]
fn per_file_figures_equal_llvm_cov_summary() {
    for name in ["sample.lcov", "sample.llvm.json"] {
        let out = run_elsewhere(&config(&[name])).expect("runs");
        let worst = &out.summary.worst_files;
        assert_eq!(
            worst.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["src/lib.rs", "src/pricing.rs"]
        );
        assert_eq!(pct(worst[0].lines), tool_row("lib.rs").lines, "{name}");
        assert_eq!(pct(worst[1].lines), tool_row("pricing.rs").lines, "{name}");
    }
}

#[test]
fn cobertura_totals_equal_its_own_header() {
    // cargo-llvm-cov's Cobertura counts each line once (44 of 56), where
    // llvm-cov's summary counts line 52 of pricing.rs twice (a test function
    // and the closure in it): the report's own line-rate is the reference.
    let text = std::fs::read_to_string(report("sample.cobertura.xml")).expect("report");
    let rate: f64 = text
        .split("line-rate=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|r| r.parse().ok())
        .expect("line-rate");
    let out = run_elsewhere(&config(&["sample.cobertura.xml"])).expect("runs");
    assert_eq!(pct(out.summary.lines), format!("{:.2}%", rate * 100.0));
    assert_eq!(out.summary.lines, Counts::new(44, 56));
    assert_eq!(pct(out.summary.functions), tool_row("TOTAL").functions);
}

#[test]
fn per_line_data_agrees_across_formats() {
    let parse = |name: &str| {
        let path = report(name);
        let text = std::fs::read_to_string(&path).expect("report");
        let r = parse_report(&path, &text).expect("parses");
        let m = map::PathMapper::new(Path::new("/x"), &["src/lib.rs", "src/pricing.rs"]);
        m.map_report(&r).files
    };
    let (lcov, json, xml) = (
        parse("sample.lcov"),
        parse("sample.llvm.json"),
        parse("sample.cobertura.xml"),
    );
    for file in ["src/lib.rs", "src/pricing.rs"] {
        assert_eq!(lcov[file].lines, json[file].lines, "{file}: segments vs DA");
        assert_eq!(lcov[file].lines, xml[file].lines, "{file}: Cobertura vs DA");
        assert_eq!(
            lcov[file].function_counts(),
            json[file].function_counts(),
            "{file}"
        );
    }
}

#[test]
fn functions_of_reports_with_and_without_columns_merge_by_line() {
    // llvm-cov JSON keys functions by line and column, Cobertura by line:
    // the same profile in both formats still has 11 of 12 functions.
    for pair in [
        ["sample.llvm.json", "sample.cobertura.xml"],
        ["sample.lcov", "sample.llvm.json"],
    ] {
        let out = run_elsewhere(&config(&pair)).expect("runs");
        assert_eq!(out.summary.functions, Counts::new(11, 12), "{pair:?}");
    }
}

#[test]
fn merged_reports_count_a_line_covered_by_any() {
    // A second report that covers `unused` (lines 23..=29 of lib.rs) only.
    let partial = format!(
        "SF:/other/machine/src/lib.rs\n{}end_of_record\n",
        (23..=29).map(|l| format!("DA:{l},1\n")).collect::<String>()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = dir.path().join("extra.lcov");
    std::fs::write(&extra, partial).expect("write");
    let mut cfg = config(&["sample.lcov"]);
    cfg.reports.push(extra);
    let out = run_elsewhere(&cfg).expect("runs");
    // lib.rs, described by two reports, is counted per line: 13 + 7 of 23;
    // pricing.rs keeps the tool's figures (32 of 34).
    assert_eq!(out.summary.lines, Counts::new(52, 57));
    assert!(
        out.summary
            .worst_files
            .iter()
            .all(|f| f.path != "src/lib.rs" || f.lines == Counts::new(20, 23))
    );
}

#[test]
fn thresholds_produce_diagnostics() {
    let mut cfg = config(&["sample.llvm.json"]);
    cfg.min_line_coverage = Some(80.0);
    cfg.min_function_coverage = Some(90.0);
    cfg.min_region_coverage = Some(90.0);
    cfg.min_file_coverage = Some(60.0);
    cfg.packages.insert("coverage-sample".to_owned(), 79.0);
    cfg.paths.insert("src/pricing.rs".to_owned(), 95.0);
    cfg.paths.insert("src/*.rs".to_owned(), 50.0);
    let out = run_elsewhere(&cfg).expect("runs");
    let got: Vec<(&str, &str, u32)> = out
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.rule.code,
                d.primary.path.as_str(),
                d.primary.span.start.line,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("RGC01", "Cargo.toml", 1),
            ("RGC01", "Cargo.toml", 1),
            ("RGC01", "Cargo.toml", 1),
            ("RGC02", "src/lib.rs", 1),
            ("RGC01", "src/pricing.rs", 1),
        ]
    );
    let messages: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .contains(&"total line coverage is 78.95% (45 of 57 lines), below the minimum of 80%"),
        "{messages:?}"
    );
    assert!(messages.contains(&"line coverage of package `coverage-sample` is 78.95% (45 of 57 lines), below the minimum of 79%"));
    assert!(messages.contains(
        &"line coverage of this file is 56.52% (13 of 23 lines), below the minimum of 60%"
    ));
    assert!(messages.contains(
        &"line coverage of `src/pricing.rs` is 94.12% (32 of 34 lines), below the minimum of 95%"
    ));
    assert!(
        out.diagnostics
            .iter()
            .all(|d| d.severity == rustgate_rules::Severity::Error)
    );
    let json = serde_json::to_value(&out.summary).expect("serialises");
    assert_eq!(json["lines"]["covered"], 45);
    assert_eq!(json["worst_files"][0]["path"], "src/lib.rs");
}

#[test]
fn bad_input_is_an_error() {
    let err = |cfg: &CoverageConfig| run_elsewhere(cfg).expect_err("error").to_string();
    let mut cfg = config(&["sample.lcov"]);
    cfg.packages.insert("nope".to_owned(), 50.0);
    assert!(
        err(&cfg).contains("`packages.\"nope\"` names no package"),
        "{}",
        err(&cfg)
    );
    let mut cfg = config(&["sample.lcov"]);
    cfg.min_line_coverage = Some(101.0);
    assert!(err(&cfg).contains("from 0 to 100"));
    let cfg = config(&["SUMMARY.txt"]);
    assert!(
        err(&cfg).contains("is not a coverage report"),
        "{}",
        err(&cfg)
    );
    let cfg = config(&["missing.lcov"]);
    assert!(err(&cfg).contains("cannot read"));

    let other = run(
        &config(&["sample.lcov"]),
        Path::new("/ws"),
        &[WorkspaceFile {
            rel_path: "crates/x/src/main.rs".to_owned(),
            package: "x".to_owned(),
        }],
    );
    let msg = other.expect_err("covers nothing").to_string();
    assert!(
        msg.contains("covers no file of the workspace") && msg.contains("sample.lcov"),
        "{msg}"
    );
}

#[test]
fn truncated_cobertura_is_malformed_at_its_last_line() {
    let text = std::fs::read_to_string(report("sample.cobertura.xml")).expect("report");
    let cut: String = text.lines().take(12).map(|l| format!("{l}\n")).collect();
    let err = parse_report(Path::new("cut.xml"), &cut).expect_err("truncated");
    assert_eq!(
        err.to_string(),
        "malformed coverage input `cut.xml` at line 12: expected `</coverage>` (the report looks truncated)"
    );
}

#[test]
fn config_is_kebab_case_and_strict() {
    let cfg: CoverageConfig = toml::from_str(
        "reports = [\"lcov.info\"]\nmin-line-coverage = 87.5\nmin-patch-coverage = 90\ndiff-base = \"origin/main\"\n\
         [packages]\ncore = 95\n[paths]\n\"crates/core/src/domain/**\" = 95\n",
    )
    .expect("parses");
    assert_eq!(cfg.min_line_coverage, Some(87.5));
    assert_eq!(cfg.min_patch_coverage, Some(90.0));
    assert_eq!(cfg.paths["crates/core/src/domain/**"], 95.0);
    assert!(toml::from_str::<CoverageConfig>("min-lines = 3").is_err());
}

// ---- patch coverage in a real git repository ----

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository whose `main` has the sample without `unused` and with line 14
/// of lib.rs different; `feature` (checked out) has the sample as measured.
fn sample_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let sample = fixtures().join("sample");
    let lib = std::fs::read_to_string(sample.join("src/lib.rs")).expect("lib.rs");
    let pricing = std::fs::read_to_string(sample.join("src/pricing.rs")).expect("pricing.rs");
    std::fs::create_dir_all(root.join("src")).expect("mkdir");
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"coverage-sample\"\n",
    )
    .expect("write");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "rustgate tests"]);
    git(root, &["config", "user.email", "tests@rustgate.invalid"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    let old_lib: String = lib
        .lines()
        .enumerate()
        .filter(|(i, _)| !(21..=29).contains(i)) // lines 22..=30: `unused`
        .map(|(i, l)| {
            if i == 13 {
                "        \"pos\"\n".to_owned()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(root.join("src/lib.rs"), old_lib).expect("write");
    std::fs::write(root.join("src/pricing.rs"), &pricing).expect("write");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(root.join("src/lib.rs"), &lib).expect("write");
    git(
        root,
        &["commit", "-q", "-am", "add unused, rename positive"],
    );
    dir
}

fn patch_config() -> CoverageConfig {
    let mut cfg = config(&["sample.lcov"]);
    cfg.min_patch_coverage = Some(50.0);
    cfg
}

fn assert_patch_findings(out: &CoverageOutcome) {
    let patch = out.summary.patch.as_ref().expect("patch");
    // Changed: line 14 (covered) and 22..=30, of which 23..=29 executable and
    // uncovered.
    assert_eq!(patch.lines, Counts::new(1, 8));
    assert_eq!(patch.changed_lines, 10);
    let got: Vec<(&str, &str, u32, u32, &str)> = out
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.rule.code,
                d.primary.path.as_str(),
                d.primary.span.start.line,
                d.primary.span.end.line,
                d.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "RGC03",
                "src/lib.rs",
                23,
                23,
                "patch coverage is 12.50% (1 of 8 changed executable lines), below the minimum of 50%"
            ),
            (
                "RGC04",
                "src/lib.rs",
                23,
                29,
                "7 changed lines are not covered by any test"
            ),
        ]
    );
    assert_eq!(out.diagnostics[1].severity, rustgate_rules::Severity::Note);
}

#[test]
fn patch_coverage_against_git_base() {
    let repo = sample_repo();
    let mut cfg = patch_config();
    cfg.diff_base = Some("main".to_owned());
    let out = run(&cfg, repo.path(), &sample_files()).expect("runs");
    assert_patch_findings(&out);
}

#[test]
fn patch_coverage_from_diff_file() {
    let repo = sample_repo();
    let diff = git(repo.path(), &["diff", "main", "HEAD"]);
    std::fs::write(repo.path().join("change.diff"), diff).expect("write");
    let mut cfg = patch_config();
    cfg.diff_file = Some(PathBuf::from("change.diff"));
    let out = run(&cfg, repo.path(), &sample_files()).expect("runs");
    assert_patch_findings(&out);
}

#[test]
fn empty_diff_passes_with_a_note() {
    let repo = sample_repo();
    let mut cfg = patch_config();
    cfg.diff_base = Some("feature".to_owned());
    let out = run(&cfg, repo.path(), &sample_files()).expect("runs");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("patch coverage passes")),
        "{:?}",
        out.notes
    );
}

#[test]
fn unknown_git_base_is_an_error() {
    let repo = sample_repo();
    let mut cfg = patch_config();
    cfg.diff_base = Some("no-such-branch".to_owned());
    let msg = run(&cfg, repo.path(), &sample_files())
        .expect_err("unknown")
        .to_string();
    assert!(msg.contains("unknown git base `no-such-branch`"), "{msg}");

    let not_repo = tempfile::tempdir().expect("tempdir");
    let msg = run(&cfg, not_repo.path(), &sample_files())
        .expect_err("no repo")
        .to_string();
    assert!(msg.contains("unknown git base"), "{msg}");
}

/// A report is read up to a limit: a link to `/dev/zero` (or a stream that
/// never ends) is an error naming the file, not all the memory there is.
#[cfg(unix)]
#[test]
fn a_report_without_end_stops_at_the_limit() {
    let err = read_text_bounded(Path::new("/dev/zero"), 1000).expect_err("bounded");
    assert_eq!(
        err.to_string(),
        "cannot read `/dev/zero`: larger than 1000 bytes"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lcov.info");
    std::fs::write(&path, "SF:a.rs\nend_of_record\n").expect("write");
    assert_eq!(
        read_text_bounded(&path, 22).expect("fits"),
        "SF:a.rs\nend_of_record\n"
    );
    assert!(read_text_bounded(&path, 21).is_err());
}
