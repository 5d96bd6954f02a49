//! Code snippets (codespan-reporting), then a one-line summary.

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as Snippet, Label as SnippetLabel, Severity as SnippetSeverity,
};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor};
use rustgate_rules::{Location, Severity, Span};

use super::escape_controls;

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
    if let Some(new) = super::new_counts_text(run) {
        writeln!(w, "{new}")?;
    }
    if let Some(coverage) = &run.coverage {
        super::coverage_table::render(coverage, w)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn snippets(run: &Run, w: &mut dyn termcolor::WriteColor) -> io::Result<()> {
    let mut sources = Sources {
        run,
        files: HashMap::new(),
    };
    let config = term::Config::default();
    for d in run.active() {
        let severity = match d.severity {
            Severity::Error => SnippetSeverity::Error,
            Severity::Warning => SnippetSeverity::Warning,
            Severity::Note => SnippetSeverity::Note,
        };
        // The primary location, then the labels: (location, message, primary).
        let mut places: Vec<(&Location, &str, bool)> = vec![(&d.primary, d.rule.name, true)];
        places.extend(
            d.labels
                .iter()
                .map(|l| (&l.location, l.message.as_str(), false)),
        );
        let mut excerpts = Excerpts(Vec::new());
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        for (path, group) in group_by_path(&places) {
            let spans: Vec<Span> = group.iter().map(|(l, _, _)| l.span).collect();
            match sources.excerpt(path, &spans) {
                Some((excerpt, ranges)) => {
                    let id = excerpts.0.len();
                    excerpts.0.push(excerpt);
                    for ((_, message, primary), range) in group.iter().zip(ranges) {
                        let label = if *primary {
                            SnippetLabel::primary(id, range)
                        } else {
                            SnippetLabel::secondary(id, range)
                        };
                        labels.push(label.with_message(escape_controls(message, false)));
                    }
                }
                None => {
                    for (l, message, primary) in group {
                        notes.push(if primary {
                            format!(
                                "at {}:{}:{}",
                                escape_controls(&l.path, false),
                                l.span.start.line,
                                l.span.start.column
                            )
                        } else {
                            format!(
                                "{}: {}",
                                escape_controls(&l.path, false),
                                escape_controls(message, false)
                            )
                        });
                    }
                }
            }
        }
        if let Some(help) = &d.help {
            notes.push(format!("help: {}", escape_controls(help, true)));
        }
        // As clippy links each lint's page: where to read the rule's doc.
        if d.rule.code.starts_with("RG") {
            notes.push(format!("see `rustgate rule {}`", d.rule.code));
        }
        // Only new findings gate: the new ones say so in their message,
        // the others in a note.
        let mut message = escape_controls(&d.message, true).into_owned();
        if run.new_code_only() {
            if run.gates(d) {
                message.insert_str(0, "[new] ");
            } else {
                notes.push("not gating: no line of it changed since the diff base".to_owned());
            }
        }
        let snippet = Snippet::new(severity)
            .with_code(d.rule.code)
            .with_message(message)
            .with_labels(labels)
            .with_notes(notes);
        if term::emit(&mut *w, &config, &excerpts, &snippet).is_err() {
            // Not expected (excerpts are built to fit): one plain line.
            writeln!(
                w,
                "{}:{}:{}: {} [{}] {}",
                escape_controls(&d.primary.path, false),
                d.primary.span.start.line,
                d.primary.span.start.column,
                d.rule.code,
                d.severity,
                escape_controls(&d.message, false)
            )?;
        }
    }
    Ok(())
}

/// One place of a finding: where, its message, whether it is the primary one.
type Place<'a> = (&'a Location, &'a str, bool);

/// The places of one finding grouped by file, in order of first mention.
fn group_by_path<'a>(places: &[Place<'a>]) -> Vec<(&'a str, Vec<Place<'a>>)> {
    let mut groups: Vec<(&str, Vec<Place>)> = Vec::new();
    for &(l, message, primary) in places {
        match groups.iter_mut().find(|(p, _)| *p == l.path) {
            Some((_, g)) => g.push((l, message, primary)),
            None => groups.push((l.path.as_str(), vec![(l, message, primary)])),
        }
    }
    groups
}

/// A line longer than this many bytes is cut around the finding, so one
/// long line with many findings is never printed whole for each of them.
const MAX_LINE_BYTES: usize = 240;
/// Characters shown before the finding's column in a cut line.
const CONTEXT_CHARS: usize = 60;
/// Characters shown in all of a cut line.
const WINDOW_CHARS: usize = 200;
/// A span over more lines shows its first lines and its last.
const MAX_SPAN_LINES: u32 = 24;

/// The checked files, each read once and indexed by line.
struct Sources<'r> {
    /// Files are read through [`Run::source_text`]: under the walk's rules,
    /// never past `max-file-size`, and the stdin text for the file it
    /// stands for.
    run: &'r Run,
    files: HashMap<String, Option<Source>>,
}

struct Source {
    text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    ascii: bool,
    /// Byte offsets of the characters of long non-ASCII lines, by line
    /// index, made once per line: columns become offsets without rescanning.
    chars: HashMap<usize, Vec<usize>>,
}

impl Source {
    fn new(text: String) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Source {
            ascii: text.is_ascii(),
            text,
            line_starts,
            chars: HashMap::new(),
        }
    }

    /// The bytes of line `index` (0-based) without its line ending.
    fn line(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(index)?;
        let mut end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&n| n - 1);
        if self.text.as_bytes()[start..end].last() == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end)
    }

    /// The byte offset, within line `index`, of its character `col` (0-based),
    /// or the line's length past its end.
    fn byte_of(&mut self, index: usize, line: &std::ops::Range<usize>, col: usize) -> usize {
        let len = line.len();
        if self.ascii {
            return col.min(len);
        }
        let text = &self.text[line.clone()];
        if len <= MAX_LINE_BYTES {
            return text.char_indices().nth(col).map_or(len, |(i, _)| i);
        }
        let chars = self
            .chars
            .entry(index)
            .or_insert_with(|| text.char_indices().map(|(i, _)| i).collect());
        chars.get(col).copied().unwrap_or(len)
    }
}

impl Sources<'_> {
    /// The excerpt of `path` that shows `spans`, and each span's byte range
    /// in it; `None` when the file cannot be read or a span is not in it.
    fn excerpt(&mut self, path: &str, spans: &[Span]) -> Option<(Excerpt, Vec<Range<usize>>)> {
        let run = self.run;
        let source = self
            .files
            .entry(path.to_owned())
            .or_insert_with(|| run.source_text(path).map(Source::new))
            .as_mut()?;
        // The lines shown: each span's first lines and its last.
        let mut shown: Vec<u32> = Vec::new();
        for s in spans {
            let (first, last) = (s.start.line.max(1), s.end.line.max(s.start.line.max(1)));
            shown.extend(first..=last.min(first.saturating_add(MAX_SPAN_LINES - 1)));
            shown.push(last);
        }
        shown.sort_unstable();
        shown.dedup();
        if shown
            .last()
            .is_some_and(|&l| l as usize > source.line_starts.len())
        {
            return None;
        }
        let mut excerpt = Excerpt {
            name: escape_controls(path, false).into_owned(),
            text: String::new(),
            lines: Vec::with_capacity(shown.len()),
        };
        for &number in &shown {
            let index = number as usize - 1;
            let line = source.line(index)?;
            // Cut a long line around the first column a span starts or ends at.
            let (from, to, skipped) = if line.len() <= MAX_LINE_BYTES {
                (line.start, line.end, 0)
            } else {
                let col = spans
                    .iter()
                    .flat_map(|s| {
                        [
                            (s.start.line == number).then_some(s.start.column),
                            (s.end.line == number && s.end.column != u32::MAX)
                                .then_some(s.end.column),
                        ]
                    })
                    .flatten()
                    .min()
                    .unwrap_or(1)
                    .saturating_sub(1) as usize;
                let first = col.saturating_sub(CONTEXT_CHARS);
                let from = source.byte_of(index, &line, first);
                let to = source.byte_of(index, &line, first + WINDOW_CHARS);
                (line.start + from, line.start + to, first)
            };
            let start = excerpt.text.len();
            let cut_before = from > line.start;
            if cut_before {
                excerpt.text.push('…');
            }
            excerpt.text.extend(source.text[from..to].chars().map(|c| {
                if super::is_hostile(c) && c != '\t' {
                    super::picture(c)
                } else {
                    c
                }
            }));
            if to < line.end {
                excerpt.text.push('…');
            }
            excerpt.text.push('\n');
            excerpt.lines.push(ExcerptLine {
                number: number as usize,
                start,
                skipped,
                marker: usize::from(cut_before),
            });
        }
        let ranges = spans
            .iter()
            .map(|s| {
                let start = excerpt.offset(&shown, s.start.line.max(1), s.start.column);
                let end = excerpt.offset(&shown, s.end.line.max(s.start.line.max(1)), s.end.column);
                start..end.max(start)
            })
            .collect();
        Some((excerpt, ranges))
    }
}

/// The lines of one file that one finding shows, cut and made printable.
struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ExcerptLine>,
}

struct ExcerptLine {
    /// Its line number in the file.
    number: usize,
    /// Where it starts in the excerpt's text.
    start: usize,
    /// Characters of the file's line cut before it.
    skipped: usize,
    /// Characters of the `…` shown for them (0 or 1).
    marker: usize,
}

impl Excerpt {
    /// The byte offset in the excerpt of line `number`, column `column`
    /// (1-based, in characters of the file's line; `u32::MAX` is its end).
    fn offset(&self, shown: &[u32], number: u32, column: u32) -> usize {
        let Ok(i) = shown.binary_search(&number) else {
            return self.text.len();
        };
        let line = &self.lines[i];
        let end = self.lines.get(i + 1).map_or(self.text.len(), |l| l.start) - 1;
        let body = &self.text[line.start..end];
        let col = (column.saturating_sub(1) as usize).saturating_sub(line.skipped) + line.marker;
        line.start + body.char_indices().nth(col).map_or(body.len(), |(b, _)| b)
    }
}

/// Excerpts as codespan's files: line numbers and columns are the file's.
struct Excerpts(Vec<Excerpt>);

impl<'a> Files<'a> for Excerpts {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.get(id)?.name)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.get(id)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let e = self.get(id)?;
        Ok(e.lines
            .partition_point(|l| l.start <= byte_index)
            .saturating_sub(1))
    }

    fn line_number(&'a self, id: usize, line_index: usize) -> Result<usize, FilesError> {
        Ok(self.line(id, line_index)?.number)
    }

    fn column_number(
        &'a self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let e = self.get(id)?;
        let line = self.line(id, line_index)?;
        let range = self.line_range(id, line_index)?;
        let chars = codespan_reporting::files::column_index(&e.text, range, byte_index);
        Ok(line.skipped + chars.saturating_sub(line.marker) + 1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let e = self.get(id)?;
        let line = self.line(id, line_index)?;
        let end = e
            .lines
            .get(line_index + 1)
            .map_or(e.text.len(), |l| l.start);
        Ok(line.start..end)
    }
}

impl Excerpts {
    fn get(&self, id: usize) -> Result<&Excerpt, FilesError> {
        self.0.get(id).ok_or(FilesError::FileMissing)
    }

    fn line(&self, id: usize, index: usize) -> Result<&ExcerptLine, FilesError> {
        let e = self.get(id)?;
        e.lines.get(index).ok_or(FilesError::LineTooLarge {
            given: index,
            max: e.lines.len().saturating_sub(1),
        })
    }
}
