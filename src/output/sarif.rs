//! SARIF 2.1.0: one run, the tool's rules with their documentation, and
//! results with relative locations under `%SRCROOT%`.

use std::io::{self, Write};

use rustgate_rules::{Location, RuleMeta, Severity, registry};
use serde_json::{Value, json};

use crate::engine::Run;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/rustgate/rustgate";

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule_descriptor(rule: &RuleMeta) -> Value {
    let doc = rule.doc_text();
    let mut properties = json!({
        "tags": rule.tags,
        "precision": rule.precision,
        "problem.severity": match rule.default_severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "recommendation",
        },
    });
    if let Some(sec) = rule.security_severity {
        properties["security-severity"] = json!(sec);
    }
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.full_description() },
        "help": { "text": doc, "markdown": doc },
        "helpUri": format!("{INFORMATION_URI}#{}", rule.code.to_ascii_lowercase()),
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": properties,
    })
}

pub fn physical_location(l: &Location) -> Value {
    let mut region = json!({
        "startLine": l.span.start.line.max(1),
        "startColumn": l.span.start.column.max(1),
    });
    if l.span.end.line >= l.span.start.line {
        region["endLine"] = json!(l.span.end.line.max(1));
        if l.span.end.column != u32::MAX && l.span.end.column > 0 {
            let end_col = if l.span.end.line == l.span.start.line {
                l.span.end.column.max(l.span.start.column)
            } else {
                l.span.end.column
            };
            region["endColumn"] = json!(end_col);
        }
    }
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": encode_uri(&l.path), "uriBaseId": "%SRCROOT%" },
            "region": region,
        }
    })
}

/// Percent-encodes what is not allowed in a relative URI path.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let rules = registry::all();
    let results: Vec<Value> = run
        .diagnostics
        .iter()
        .map(|d| {
            let mut result = json!({
                "ruleId": d.rule.code,
                "ruleIndex": rules.iter().position(|r| r.code == d.rule.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": match &d.help {
                    Some(help) => format!("{}\nhelp: {help}", d.message),
                    None => d.message.clone(),
                } },
                "locations": [physical_location(&d.primary)],
            });
            if !d.labels.is_empty() {
                result["relatedLocations"] = d
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc = physical_location(&l.location);
                        loc["id"] = json!(i + 1);
                        loc["message"] = json!({ "text": l.message });
                        loc
                    })
                    .collect();
            }
            if let Some(s) = &d.suppressed {
                result["suppressions"] =
                    json!([{ "kind": "inSource", "justification": s.justification }]);
            }
            result
        })
        .collect();
    let root_uri = format!(
        "file://{}/",
        encode_uri(&run.root.to_string_lossy()).trim_end_matches('/')
    );
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rustgate",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut doc = doc;
    if let Some(coverage) = &run.coverage {
        doc["runs"][0]["properties"] = json!({ "coverage": coverage });
    }
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}
