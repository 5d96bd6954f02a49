//! SARIF 2.1.0: one run, the tool's rules with their documentation, and
//! results with relative locations under `%SRCROOT%`.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Location, RuleMeta, Severity, registry};
use serde_json::{Value, json};

use crate::engine::Run;
use crate::fingerprint;

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
    let mut tags: Vec<&str> = rule.tags.to_vec();
    if rule.preview {
        tags.push("preview");
    }
    let mut properties = json!({
        "tags": tags,
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
        "helpUri": format!("{INFORMATION_URI}/blob/main/docs/rules/{}.md", rule.code),
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": properties,
    })
}

pub fn physical_location(l: &Location) -> Value {
    physical_location_in(l, "")
}

/// A location whose path is relative to the repository (`prefix` + path).
pub fn physical_location_in(l: &Location, prefix: &str) -> Value {
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
            "artifactLocation": {
                "uri": encode_uri(&format!("{prefix}{}", l.path)),
                "uriBaseId": "%SRCROOT%",
            },
            "region": region,
        }
    })
}

/// A relative URI for a path as rustgate prints it: the bytes of the file's
/// name (a backslash in it, a byte that is not UTF-8: not their printed
/// escapes), percent-encoded per RFC 3986 but for the unreserved
/// characters and `/`.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in crate::workspace::shown_path_bytes(path) {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// GitHub code scanning's limits per run.
pub const MAX_RESULTS: usize = 25_000;
pub const MAX_GZIPPED_BYTES: usize = 10 * 1000 * 1000;

/// The default `automationDetails.id`: the category `rustgate`.
pub const DEFAULT_CATEGORY: &str = "rustgate/";

fn result(
    d: &Diagnostic,
    rules: &[&RuleMeta],
    fingerprint: &str,
    prefix: &str,
    state: &str,
) -> Value {
    let loc = |l: &Location| physical_location_in(l, prefix);
    let mut result = json!({
        "ruleId": d.rule.code,
        "ruleIndex": rules.iter().position(|r| r.code == d.rule.code).unwrap_or(0),
        "level": level(d.severity),
        "message": { "text": match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        } },
        "locations": [loc(&d.primary)],
        "partialFingerprints": { "rustgate/v1": fingerprint },
        "baselineState": state,
    });
    if !d.labels.is_empty() {
        result["relatedLocations"] = d
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut related = loc(&l.location);
                related["id"] = json!(i + 1);
                related["message"] = json!({ "text": l.message });
                related
            })
            .collect();
    }
    if !d.flow.is_empty() {
        let steps: Vec<Value> = d
            .flow
            .iter()
            .map(|step| {
                let mut location = loc(&step.location);
                location["message"] = json!({ "text": step.message });
                json!({ "location": location })
            })
            .collect();
        result["codeFlows"] = json!([{ "threadFlows": [{ "locations": steps }] }]);
    }
    if let Some(s) = &d.suppressed {
        result["suppressions"] = json!([{ "kind": "inSource", "justification": s.justification }]);
    }
    result
}

/// Indices of the findings to emit: all, or past GitHub's result limit the
/// most severe (in output order).
fn keep_most_severe(diagnostics: &[&Diagnostic], max: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    if order.len() > max {
        // Active before suppressed, then by severity; stable keeps output order.
        order.sort_by_key(|&i| {
            let d = diagnostics[i];
            (d.suppressed.is_some(), std::cmp::Reverse(d.severity))
        });
        order.truncate(max);
        order.sort_unstable();
    }
    order
}

fn gzipped_len(bytes: &[u8]) -> usize {
    use flate2::{Compression, write::GzEncoder};
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    if enc.write_all(bytes).is_err() {
        return usize::MAX;
    }
    enc.finish().map_or(usize::MAX, |v| v.len())
}

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    render_with_limits(run, w, MAX_RESULTS, MAX_GZIPPED_BYTES)
}

/// [`render`] with GitHub's limits as parameters (tests use small ones).
pub fn render_with_limits(
    run: &Run,
    w: &mut dyn Write,
    max_results: usize,
    max_gzipped: usize,
) -> io::Result<()> {
    let rules = registry::all();
    let (prefix, _) = super::repo_root(run);
    // The findings the baseline accepted are results too (`unchanged`), in
    // their place, so that their fingerprints are those of a run without it.
    let mut all: Vec<(&Diagnostic, bool)> = run.diagnostics.iter().map(|d| (d, false)).collect();
    if let Some(b) = &run.baseline {
        all.extend(b.accepted.iter().map(|d| (d, true)));
        all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    }
    let diagnostics: Vec<&Diagnostic> = all.iter().map(|&(d, _)| d).collect();
    let state = |i: usize| {
        let (d, accepted) = all[i];
        if !accepted && run.gates(d) {
            "new"
        } else {
            "unchanged"
        }
    };
    let prints = fingerprint::compute(&diagnostics, &|p| run.source_text(p));
    let absent = absent_results(run, &rules, &prefix);
    let mut keep = keep_most_severe(&diagnostics, max_results);
    loop {
        let mut results: Vec<Value> = keep
            .iter()
            .map(|&i| {
                result(
                    diagnostics[i],
                    &rules,
                    &prints[i].located,
                    &prefix,
                    state(i),
                )
            })
            .collect();
        results.extend(absent.iter().cloned());
        let doc = document(
            run,
            &rules,
            &prefix,
            results,
            diagnostics.len() - keep.len(),
        );
        let mut text = serde_json::to_vec_pretty(&doc)?;
        text.push(b'\n');
        if keep.is_empty() || text.len() <= max_gzipped || gzipped_len(&text) <= max_gzipped {
            return w.write_all(&text);
        }
        // Too big: drop the least severe quarter of what is left and retry.
        let n = keep.len() - keep.len().div_ceil(4);
        keep = keep_most_severe(&diagnostics, n);
    }
}

/// The baseline's entries that no finding matched any more: results with
/// `baselineState: absent`, of kind `pass` (nothing is wrong there now), at
/// the place the baseline recorded.
fn absent_results(run: &Run, rules: &[&RuleMeta], prefix: &str) -> Vec<Value> {
    let Some(b) = &run.baseline else {
        return Vec::new();
    };
    b.fixed
        .iter()
        .map(|e| {
            let line = e.line.max(1);
            let mut r = json!({
                "ruleId": e.rule,
                "kind": "pass",
                "level": "none",
                "message": { "text": if e.message.is_empty() {
                    format!("a baselined {} finding is fixed", e.rule)
                } else {
                    e.message.clone()
                } },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": {
                        "uri": encode_uri(&format!("{prefix}{}", e.path)),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": { "startLine": line },
                } }],
                "baselineState": "absent",
            });
            if let Some(i) = rules.iter().position(|r| r.code == e.rule) {
                r["ruleIndex"] = json!(i);
            }
            if let Some(f) = fingerprint::located(&e.path, &e.fingerprint) {
                r["partialFingerprints"] = json!({ "rustgate/v1": f });
            }
            r
        })
        .collect()
}

fn document(
    run: &Run,
    rules: &[&RuleMeta],
    prefix: &str,
    results: Vec<Value>,
    omitted: usize,
) -> Value {
    let mut notifications: Vec<Value> = run
        .diagnostics
        .iter()
        .filter(|d| matches!(d.rule.code, "RG901" | "RG905"))
        .map(|d| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", d.primary.path, d.message) },
                "locations": [physical_location_in(&d.primary, prefix)],
                "descriptor": { "id": d.rule.code },
            })
        })
        .collect();
    if omitted > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{omitted} of {} findings were left out to stay within GitHub code scanning's limits ({MAX_RESULTS} results, 10 MB gzipped); the most severe were kept",
                run.diagnostics.len()
            ) },
            "descriptor": { "id": "rustgate/results-omitted" },
        }));
    }
    let category = run
        .config
        .sarif_category
        .as_deref()
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_CATEGORY);
    let mut doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rustgate",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "automationDetails": { "id": category },
            "invocations": [{
                "executionSuccessful": !run.internal_error,
                "toolExecutionNotifications": notifications,
            }],
            // No `uri`: the machine's absolute path never leaves it; SARIF
            // consumers (code scanning) resolve `%SRCROOT%` to the checkout.
            "originalUriBaseIds": { "%SRCROOT%": {
                "description": { "text": "the root of the repository" },
            } },
            "columnKind": "unicodeCodePoints",
            // As rustc counts lines: a lone CR ends none (SARIF's default,
            // spelled out).
            "newlineSequences": ["\r\n", "\n"],
            "results": results,
        }],
    });
    if let Some(coverage) = &run.coverage {
        doc["runs"][0]["properties"] = json!({ "coverage": coverage });
    }
    doc
}
