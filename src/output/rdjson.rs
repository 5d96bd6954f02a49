//! reviewdog's Diagnostic Format as one JSON document (`reviewdog
//! -f=rdjson`): `source`, `severity` and `diagnostics`, each with `message`,
//! `location.path` and `range` (1-based lines; columns in UTF-8 bytes, as the
//! format asks, converted from rustgate's character columns by reading the
//! line; end exclusive), `severity` (`ERROR`, `WARNING`, `INFO`) and `code`
//! (`value`, `url`). A finding about whole lines has a range without columns.

use std::collections::HashMap;
use std::io::{self, Write};

use rustgate_rules::{LineCol, Severity};
use serde_json::{Value, json};

use crate::engine::Run;

const URL: &str = "https://github.com/rustgate/rustgate";

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Note => "INFO",
    }
}

/// The lines of the checked files, read once each through
/// [`Run::source_text`] (`None`: unreadable, or refused by the walk).
struct Lines<'a> {
    run: &'a Run,
    files: HashMap<String, Option<Vec<String>>>,
}

impl Lines<'_> {
    /// `at`'s character column as a UTF-8 byte column (1-based); the
    /// character column when the line cannot be read.
    fn byte_column(&mut self, path: &str, at: LineCol) -> u32 {
        let run = self.run;
        let lines = self.files.entry(path.to_owned()).or_insert_with(|| {
            run.source_text(path)
                .map(|text| text.lines().map(str::to_owned).collect())
        });
        let line = lines
            .as_ref()
            .and_then(|l| l.get(at.line.checked_sub(1)? as usize));
        let Some(line) = line else {
            return at.column.max(1);
        };
        let chars = at.column.saturating_sub(1) as usize;
        let bytes: usize = line.chars().take(chars).map(char::len_utf8).sum();
        // Past the end of the line (an end column after the last character).
        let beyond = chars.saturating_sub(line.chars().count());
        u32::try_from(bytes + beyond + 1).unwrap_or(u32::MAX)
    }
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let mut lines = Lines {
        run,
        files: HashMap::new(),
    };
    let mut worst: Option<Severity> = None;
    let diagnostics: Vec<Value> = run
        .active()
        .map(|d| {
            worst = worst.max(Some(d.severity));
            let span = d.primary.span;
            let path = &d.primary.path;
            let range = if span.end.column == u32::MAX {
                json!({
                    "start": { "line": span.start.line.max(1) },
                    "end": { "line": span.end.line.max(span.start.line).max(1) },
                })
            } else {
                json!({
                    "start": {
                        "line": span.start.line.max(1),
                        "column": lines.byte_column(path, span.start),
                    },
                    "end": {
                        "line": span.end.line.max(span.start.line).max(1),
                        "column": lines.byte_column(path, span.end),
                    },
                })
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            json!({
                "message": message,
                "location": { "path": path, "range": range },
                "severity": severity(d.severity),
                "code": {
                    "value": d.rule.code,
                    "url": format!("{URL}#{}", d.rule.code.to_ascii_lowercase()),
                },
            })
        })
        .collect();
    let mut doc = json!({
        "source": { "name": "rustgate", "url": URL },
        "diagnostics": diagnostics,
    });
    if let Some(s) = worst {
        doc["severity"] = json!(severity(s));
    }
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
