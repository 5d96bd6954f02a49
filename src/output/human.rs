//! Code snippets (codespan-reporting), then a one-line summary.

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as Snippet, Label as SnippetLabel, Severity as SnippetSeverity,
};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use rustgate_rules::{LineCol, Location, Severity};

use crate::engine::Run;

pub fn render(run: &Run, w: &mut dyn Write, color: bool) -> io::Result<()> {
    if color {
        snippets(run, &mut termcolor::Ansi::new(&mut *w))?;
    } else {
        snippets(run, &mut termcolor::NoColor::new(&mut *w))?;
    }
    let with_findings = run
        .active()
        .map(|d| d.primary.path.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let suppressed = run.diagnostics.len() - run.active().count();
    let mut summary = super::counts_text(run);
    if with_findings > 0 {
        summary.push_str(&format!(
            " in {with_findings} file{}",
            plural(with_findings)
        ));
    }
    if suppressed > 0 {
        summary.push_str(&format!(" ({suppressed} suppressed)"));
    }
    writeln!(
        w,
        "{summary}; {} file{} checked in {:.2} s",
        run.files_checked,
        plural(run.files_checked),
        run.elapsed.as_secs_f64()
    )?;
    if let Some(coverage) = &run.coverage {
        super::coverage_table::render(coverage, w)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn snippets(run: &Run, w: &mut dyn termcolor::WriteColor) -> io::Result<()> {
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<String, Option<usize>> = HashMap::new();
    let mut file_id = |files: &mut SimpleFiles<String, String>, path: &str| -> Option<usize> {
        *ids.entry(path.to_owned()).or_insert_with(|| {
            std::fs::read_to_string(run.root.join(path))
                .ok()
                .map(|text| files.add(path.to_owned(), text))
        })
    };
    let config = term::Config::default();
    for d in run.active() {
        let severity = match d.severity {
            Severity::Error => SnippetSeverity::Error,
            Severity::Warning => SnippetSeverity::Warning,
            Severity::Note => SnippetSeverity::Note,
        };
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        match file_id(&mut files, &d.primary.path) {
            Some(id) => {
                let range = byte_range(
                    files.get(id).map(|f| f.source().as_str()).unwrap_or(""),
                    &d.primary,
                );
                labels.push(SnippetLabel::primary(id, range).with_message(d.rule.name));
            }
            None => notes.push(format!(
                "at {}:{}:{}",
                d.primary.path, d.primary.span.start.line, d.primary.span.start.column
            )),
        }
        for l in &d.labels {
            match file_id(&mut files, &l.location.path) {
                Some(id) => {
                    let range = byte_range(
                        files.get(id).map(|f| f.source().as_str()).unwrap_or(""),
                        &l.location,
                    );
                    labels.push(SnippetLabel::secondary(id, range).with_message(&l.message));
                }
                None => notes.push(format!("{}: {}", l.location.path, l.message)),
            }
        }
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        let snippet = Snippet::new(severity)
            .with_code(d.rule.code)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(notes);
        if term::emit(&mut *w, &config, &files, &snippet).is_err() {
            // A span outside the file (it changed since the check): one plain line.
            writeln!(
                w,
                "{}:{}:{}: {} [{}] {}",
                d.primary.path,
                d.primary.span.start.line,
                d.primary.span.start.column,
                d.rule.code,
                d.severity,
                d.message
            )?;
        }
    }
    Ok(())
}

/// The byte range of a location in `source` (columns count characters).
fn byte_range(source: &str, loc: &Location) -> Range<usize> {
    let start = offset(source, loc.span.start);
    let end = offset(source, loc.span.end).max(start);
    start..end
}

fn offset(source: &str, at: LineCol) -> usize {
    let mut line_start = 0;
    for _ in 1..at.line.max(1) {
        match source[line_start..].find('\n') {
            Some(n) => line_start += n + 1,
            None => return source.len(),
        }
    }
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |n| line_start + n);
    let line = &source[line_start..line_end];
    let col = at.column.saturating_sub(1) as usize;
    line.char_indices()
        .nth(col)
        .map_or(line_end, |(i, _)| line_start + i)
}
