//! GitLab Code Quality: a JSON array of issues, shown in merge requests
//! (`artifacts: reports: codequality:`). Each issue has `description`,
//! `check_name` (the rule code), `fingerprint` (unique in the report, stable
//! across runs: the SARIF fingerprint), `severity` and `location` (`path`
//! relative to the repository, `lines.begin`). GitLab compares the reports of
//! the merge request and its base itself, so every reported finding is
//! listed.

use std::io::{self, Write};

use rustgate_rules::Severity;
use serde_json::{Value, json};

use crate::engine::Run;
use crate::fingerprint;

/// Code Quality's severities: `info`, `minor`, `major`, `critical`, `blocker`.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    // Paths relative to the repository ($CI_PROJECT_DIR), as GitLab expects.
    let (prefix, _) = super::repo_root_from(run, "CI_PROJECT_DIR");
    let prints = fingerprint::compute(&run.diagnostics, &|p| run.source_text(p));
    let issues: Vec<Value> = run
        .diagnostics
        .iter()
        .zip(&prints)
        .filter(|(d, _)| d.suppressed.is_none())
        .map(|(d, f)| {
            let mut description = format!("{}: {}", d.rule.code, d.message);
            if let Some(help) = &d.help {
                description.push_str(&format!(" (help: {help})"));
            }
            let begin = d.primary.span.start.line.max(1);
            json!({
                "type": "issue",
                "description": description,
                "check_name": d.rule.code,
                "fingerprint": f.located,
                "severity": severity(d.severity),
                "categories": [if d.rule.tags.contains(&"security") { "Security" } else { "Bug Risk" }],
                "location": {
                    "path": format!("{prefix}{}", d.primary.path),
                    "lines": {
                        "begin": begin,
                        "end": d.primary.span.end.line.max(begin),
                    },
                },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &issues)?;
    writeln!(w)
}
