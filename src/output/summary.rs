//! A Markdown report for GitHub's job summary (`$GITHUB_STEP_SUMMARY`): the
//! gate result, counts by rule, the most severe findings with links to their
//! lines, and the coverage table when coverage was gated. Kept well under GitHub's
//! 1 MiB limit per step.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Severity};

use crate::engine::Run;

/// How many findings are listed.
pub const TOP_FINDINGS: usize = 50;
/// GitHub rejects a step summary over 1 MiB; stop listing well before.
const MAX_BYTES: usize = 512 * 1024;
const MAX_MESSAGE_CHARS: usize = 300;

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let mut out = String::new();
    gate(run, &mut out);
    by_rule(run, &mut out);
    top_findings(run, &mut out);
    coverage(run, &mut out)?;
    // Further sections go here, each a `### Heading` of its own.
    w.write_all(out.as_bytes())
}

/// The coverage table of the human output, when coverage was gated.
fn coverage(run: &Run, out: &mut String) -> io::Result<()> {
    let Some(summary) = &run.coverage else {
        return Ok(());
    };
    let mut table = Vec::new();
    super::coverage_table::render(summary, &mut table)?;
    out.push_str("### Coverage\n\n```text\n");
    out.push_str(String::from_utf8_lossy(&table).trim_matches('\n'));
    out.push_str("\n```\n\n");
    Ok(())
}

fn gate(run: &Run, out: &mut String) {
    let failed = run.gate_failed();
    out.push_str(if failed {
        "## rustgate: :x: gate failed\n\n"
    } else {
        "## rustgate: :white_check_mark: gate passed\n\n"
    });
    let files = run
        .active()
        .map(|d| d.primary.path.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let suppressed = run.diagnostics.len() - run.active().count();
    out.push_str(&format!("**{}**", super::counts_text(run)));
    if files > 0 {
        out.push_str(&format!(" in {files} file{}", plural(files)));
    }
    out.push_str(&format!(
        " · {} file{} checked · fail-on: `{}`",
        run.files_checked,
        plural(run.files_checked),
        run.config.fail_on
    ));
    if suppressed > 0 {
        out.push_str(&format!(" · {suppressed} suppressed"));
    }
    out.push('\n');
    if let Some(new) = super::new_counts_text(run) {
        out.push_str(&format!("\n**{new}.**\n"));
    }
    out.push('\n');
}

fn by_rule(run: &Run, out: &mut String) {
    let mut rules: BTreeMap<&str, (&str, Severity, usize)> = BTreeMap::new();
    for d in run.active() {
        let e = rules
            .entry(d.rule.code)
            .or_insert((d.rule.name, d.severity, 0));
        e.1 = e.1.max(d.severity);
        e.2 += 1;
    }
    if rules.is_empty() {
        return;
    }
    out.push_str(
        "### Findings by rule\n\n| Rule | Name | Severity | Findings |\n|---|---|---|---:|\n",
    );
    for (code, (name, severity, n)) in rules {
        out.push_str(&format!("| {code} | `{name}` | {severity} | {n} |\n"));
    }
    out.push('\n');
}

fn top_findings(run: &Run, out: &mut String) {
    let mut active: Vec<&Diagnostic> = run.active().collect();
    if active.is_empty() {
        return;
    }
    // Most severe first, gating before not gating; stable keeps path order.
    active.sort_by_key(|d| (std::cmp::Reverse(d.severity), !run.gates(d)));
    let (prefix, _) = super::repo_root(run);
    let link_base = blob_url();
    out.push_str(
        "### Top findings\n\n| Severity | Location | Rule | Message |\n|---|---|---|---|\n",
    );
    let mut listed = 0;
    for d in &active {
        if listed == TOP_FINDINGS || out.len() > MAX_BYTES {
            break;
        }
        let line = d.primary.span.start.line;
        let path = format!("{prefix}{}", d.primary.path);
        let text = format!("{path}:{line}");
        let location = match &link_base {
            Some(base) => {
                let end = d.primary.span.end.line;
                let anchor = if end > line {
                    format!("L{line}-L{end}")
                } else {
                    format!("L{line}")
                };
                format!(
                    "[{}]({base}/{}#{anchor})",
                    cell(&text),
                    crate::output::sarif::encode_uri(&path)
                )
            }
            None => format!(
                "`{}`",
                super::escape_controls(&text, false).replace('`', "'")
            ),
        };
        let mut message = cell(&truncate(&d.message, MAX_MESSAGE_CHARS));
        if run.new_code_only() {
            if run.gates(d) {
                message.insert_str(0, "**new** ");
            } else {
                message.push_str(" *(unchanged line)*");
            }
        }
        out.push_str(&format!(
            "| {} | {location} | {} `{}` | {message} |\n",
            d.severity, d.rule.code, d.rule.name
        ));
        listed += 1;
    }
    if listed < active.len() {
        out.push_str(&format!(
            "\n{} more finding{} in code scanning and in `rustgate check`'s output.\n",
            active.len() - listed,
            if active.len() - listed == 1 {
                " is"
            } else {
                "s are"
            }
        ));
    }
    out.push('\n');
}

/// `https://github.com/OWNER/REPO/blob/SHA` from the Actions environment.
fn blob_url() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
    Some(format!(
        "{}/{}/blob/{}",
        server.trim_end_matches('/'),
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?
    ))
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    super::escape_controls(s, true)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace(['\r', '\n'], " ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
