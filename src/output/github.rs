//! GitHub Actions workflow commands: `::error file=..,line=..::message`.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Severity};

use crate::engine::Run;

/// GitHub shows at most this many annotations of each kind per step.
pub const MAX_PER_KIND: usize = 10;

/// The findings that gate the run first, most severe first, as errors,
/// warnings and notices (at most [`MAX_PER_KIND`] of each kind); then, when
/// only new findings gate (`--baseline`, `--diff-base`), the others as
/// notices in the notices left; then a notice counting the rest.
pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let (prefix, _) = super::repo_root(run);
    let total = run.active().count();
    let mut shown = 0;
    // Keep one notice for the closing line.
    let mut notices_left = MAX_PER_KIND - 1;
    for severity in Severity::ALL {
        let gating = run
            .active()
            .filter(|d| d.severity == severity && run.gates(d));
        let cap = match severity {
            Severity::Note => notices_left,
            _ => MAX_PER_KIND,
        };
        for d in gating.take(cap) {
            annotation(d, &prefix, true, w)?;
            shown += 1;
            if severity == Severity::Note {
                notices_left -= 1;
            }
        }
    }
    for severity in Severity::ALL {
        let others = run
            .active()
            .filter(|d| d.severity == severity && !run.gates(d));
        for d in others.take(notices_left) {
            annotation(d, &prefix, false, w)?;
            shown += 1;
            notices_left -= 1;
        }
    }
    if shown < total {
        let rest = total - shown;
        writeln!(
            w,
            "::notice title=rustgate::{}",
            escape_data(&format!(
                "{rest} more finding{} not annotated here (GitHub shows {MAX_PER_KIND} per kind): see the job summary and code scanning",
                if rest == 1 { " is" } else { "s are" }
            ))
        )?;
    }
    Ok(())
}

/// One annotation: its severity's kind when it gates, else a notice that
/// says it does not.
fn annotation(d: &Diagnostic, prefix: &str, gates: bool, w: &mut dyn Write) -> io::Result<()> {
    let command = match d.severity {
        _ if !gates => "notice",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let s = d.primary.span;
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut title = format!("{} {}", d.rule.code, d.rule.name);
    if !gates {
        title.push_str(&format!(" ({}, not gating)", d.severity));
    }
    // A finding about whole lines (coverage) has no end column: the internal
    // "whole line" column never reaches the annotation.
    let end_column = if s.end.column == u32::MAX {
        String::new()
    } else {
        format!(
            ",endColumn={}",
            s.end
                .column
                .min(s.start.column.max(1).saturating_add(10_000))
        )
    };
    writeln!(
        w,
        "::{command} file={},line={},col={},endLine={}{end_column},title={}::{}",
        escape_property(&format!("{prefix}{}", d.primary.path)),
        s.start.line,
        s.start.column,
        s.end.line.max(s.start.line),
        escape_property(&title),
        escape_data(&message)
    )
}

/// Escapes a message as GitHub's toolkit does (`%`, CR, LF), and the
/// control characters that would reach the log as escape sequences.
pub fn escape_data(s: &str) -> String {
    let encoded = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::escape_controls(&encoded, false).into_owned()
}

/// Escapes a property value (`%`, CR, LF, `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_toolkit_does() {
        assert_eq!(escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("\u{1b}[2J\u{7}"), "\\u{1b}[2J\\u{7}");
    }
}
