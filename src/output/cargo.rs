//! Cargo's JSON message format (`cargo check --message-format json`): one
//! `compiler-message` per finding, with rustc's diagnostic JSON inside, then
//! `build-finished`. rust-analyzer reads it from its check command
//! (`"rust-analyzer.check.overrideCommand": ["rustgate", "check", "--format",
//! "cargo"]`) and shows the findings inline, as it shows clippy's.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Span};
use serde_json::{Value, json};

use crate::engine::{FileEntry, Run};

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    for d in run.active() {
        let entry = run.files.iter().find(|f| f.path == d.primary.path);
        let message = json!({
            "reason": "compiler-message",
            "package_id": package_id(entry),
            "manifest_path": "Cargo.toml",
            "target": target(entry, &d.primary.path),
            "message": diagnostic(d),
        });
        writeln!(w, "{message}")?;
    }
    writeln!(
        w,
        "{}",
        json!({ "reason": "build-finished", "success": !run.gate_failed() })
    )
}

fn package_id(entry: Option<&FileEntry>) -> String {
    let name = entry
        .and_then(|e| e.package.as_deref())
        .unwrap_or("rustgate");
    format!("rustgate#{name}@0.0.0")
}

fn target(entry: Option<&FileEntry>, path: &str) -> Value {
    let (kind, name) = entry
        .and_then(|e| e.targets.first())
        .map(|t| match t.split_once(':') {
            Some((kind, name)) => (kind.to_owned(), name.to_owned()),
            None => (
                t.clone(),
                entry.and_then(|e| e.package.clone()).unwrap_or_default(),
            ),
        })
        .unwrap_or_else(|| ("lib".to_owned(), String::new()));
    json!({
        "kind": [kind],
        "crate_types": [],
        "name": name,
        "src_path": path,
        "edition": "2021",
        "doctest": false,
        "test": false,
        "doc": false,
    })
}

/// rustc's diagnostic JSON for one finding: the primary span, the secondary
/// labels and the call flow as labelled spans and notes, and the help.
fn diagnostic(d: &Diagnostic) -> Value {
    let mut spans = vec![span(&d.primary.path, d.primary.span, true, None)];
    for l in &d.labels {
        spans.push(span(
            &l.location.path,
            l.location.span,
            false,
            Some(&l.message),
        ));
    }
    let mut children: Vec<Value> = d
        .flow
        .iter()
        .map(|step| {
            json!({
                "message": step.message,
                "code": null,
                "level": "note",
                "spans": [span(&step.location.path, step.location.span, true, None)],
                "children": [],
                "rendered": null,
            })
        })
        .collect();
    if let Some(help) = &d.help {
        children.push(json!({
            "message": help,
            "code": null,
            "level": "help",
            "spans": [],
            "children": [],
            "rendered": null,
        }));
    }
    let start = d.primary.span.start;
    let mut rendered = format!(
        "{}[{}]: {}\n  --> {}:{}:{}\n",
        d.severity, d.rule.code, d.message, d.primary.path, start.line, start.column
    );
    if let Some(help) = &d.help {
        rendered.push_str(&format!("  = help: {help}\n"));
    }
    rendered.push_str(&format!(
        "  = note: `rustgate rule {}` explains {}\n",
        d.rule.code, d.rule.name
    ));
    json!({
        "$message_type": "diagnostic",
        "message": d.message,
        "code": { "code": d.rule.code, "explanation": null },
        "level": d.severity.as_str(),
        "spans": spans,
        "children": children,
        "rendered": rendered,
    })
}

fn span(path: &str, span: Span, primary: bool, label: Option<&str>) -> Value {
    // A whole-line span (coverage findings) ends at the next line's start.
    let (line_end, column_end) = if span.end.column == u32::MAX {
        (span.end.line + 1, 1)
    } else if span.end.line < span.start.line
        || (span.end.line == span.start.line && span.end.column <= span.start.column)
    {
        (span.start.line, span.start.column + 1)
    } else {
        (span.end.line, span.end.column)
    };
    json!({
        "file_name": path,
        "byte_start": 0,
        "byte_end": 0,
        "line_start": span.start.line,
        "line_end": line_end,
        "column_start": span.start.column,
        "column_end": column_end,
        "is_primary": primary,
        "text": [],
        "label": label,
        "suggested_replacement": null,
        "suggestion_applicability": null,
        "expansion": null,
    })
}
