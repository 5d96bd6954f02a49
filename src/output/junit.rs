//! JUnit XML, the test report Jenkins, Azure DevOps, CircleCI and GitLab
//! read: one `<testsuite>` per rule with findings, one `<testcase>` per
//! finding (`classname` the rule, `name` the place, `file` and `line`).
//! A finding that fails the gate (it gates and reaches `fail-on`) is a
//! `<failure>`; the others are `<skipped>` with the reason, so the failed
//! test count is the gate. A run without findings is one passing testcase,
//! so the report is never empty.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use rustgate_rules::Diagnostic;

use crate::engine::Run;

/// Text safe in XML 1.0 content and attributes: control characters (which
/// XML 1.0 cannot carry, even escaped) become `\u{..}` text, then the five
/// markup characters are escaped. Newlines are kept in content.
pub fn escape(s: &str, keep_newlines: bool) -> String {
    let s = super::escape_controls(s, keep_newlines);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' if !keep_newlines => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let (prefix, _) = super::repo_root(run);
    let fails = |d: &Diagnostic| run.gates(d) && d.severity >= run.config.fail_on;
    let mut by_rule: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in run.active() {
        by_rule.entry(d.rule.code).or_default().push(d);
    }
    let total: usize = by_rule.values().map(Vec::len).sum();
    let failures = run.active().filter(|d| fails(d)).count();
    let seconds = run.elapsed.as_secs_f64();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rustgate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">",
        total.max(1)
    );
    if by_rule.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"rustgate\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"rustgate\" name=\"{} files checked, no findings\"/>\n  </testsuite>",
            run.files_checked
        );
    }
    for (code, findings) in &by_rule {
        let rule = findings[0].rule;
        let failed = findings.iter().filter(|d| fails(d)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{}\">",
            escape(code, false),
            escape(rule.name, false),
            findings.len(),
            findings.len() - failed
        );
        for d in findings {
            let s = d.primary.span.start;
            let path = format!("{prefix}{}", d.primary.path);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}:{}:{}\" file=\"{}\" line=\"{}\">",
                escape(&format!("rustgate.{code}"), false),
                escape(&path, false),
                s.line,
                s.column,
                escape(&path, false),
                s.line
            );
            let mut text = format!(
                "{path}:{}:{}: {code} [{}] {}",
                s.line, s.column, d.severity, d.message
            );
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            if fails(d) {
                let _ = write!(
                    out,
                    "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                    d.severity,
                    escape(&d.message, false),
                    escape(&text, true)
                );
            } else {
                let why = if !run.gates(d) {
                    "not gating: on a line the change does not touch"
                } else {
                    "below fail-on"
                };
                let _ = write!(
                    out,
                    "\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    ",
                    escape(why, false),
                    escape(&text, true)
                );
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    w.write_all(out.as_bytes())
}
