//! The JSON output: a stable, versioned schema (documented in README.md).

use std::io::{self, Write};

use rustgate_rules::{Label, Location};
use serde_json::{Value, json};

use crate::engine::Run;

/// Bumped on any incompatible change of the schema.
pub const SCHEMA_VERSION: u32 = 1;

fn location(l: &Location) -> Value {
    // A finding about whole lines (coverage) has no end column: `null`, never
    // the internal "whole line" value.
    let end_column = (l.span.end.column != u32::MAX).then_some(l.span.end.column);
    json!({
        "path": l.path,
        "line": l.span.start.line,
        "column": l.span.start.column,
        "end_line": l.span.end.line,
        "end_column": end_column,
    })
}

fn label(l: &Label) -> Value {
    let mut v = location(&l.location);
    v["message"] = json!(l.message);
    v
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let (errors, warnings, notes) = super::counts(run);
    let (new_errors, new_warnings, new_notes) = run.new_counts();
    let (baselined, baseline_fixed) = run
        .baseline
        .as_ref()
        .map_or((0, 0), |b| (b.accepted.len(), b.fixed.len()));
    let diagnostics: Vec<Value> = run
        .active()
        .map(|d| {
            let mut v = location(&d.primary);
            let obj = json!({
                "code": d.rule.code,
                "name": d.rule.name,
                "severity": d.severity,
                "message": d.message,
                "labels": d.labels.iter().map(label).collect::<Vec<_>>(),
                "flow": d.flow.iter().map(label).collect::<Vec<_>>(),
                "help": d.help,
                "new": run.gates(d),
            });
            if let (Value::Object(target), Value::Object(src)) = (&mut v, obj) {
                target.extend(src);
            }
            v
        })
        .collect();
    let doc = json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "rustgate", "version": env!("CARGO_PKG_VERSION") },
        "summary": {
            "files_checked": run.files_checked,
            "orphans": run.files.iter().filter(|f| f.zone == "orphan").count(),
            "errors": errors,
            "warnings": warnings,
            "notes": notes,
            "new_errors": new_errors,
            "new_warnings": new_warnings,
            "new_notes": new_notes,
            "baselined": baselined,
            "baseline_fixed": baseline_fixed,
            "suppressed": run.diagnostics.len() - run.active().count(),
            "fail_on": run.config.fail_on,
            "gate": if run.gate_failed() { "fail" } else { "pass" },
        },
        "diagnostics": diagnostics,
        "coverage": run.coverage,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
