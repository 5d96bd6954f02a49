//! GitHub Actions workflow commands: `::error file=..,line=..::message`.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Severity};

use crate::engine::Run;

/// GitHub shows at most this many annotations of each kind per step.
pub const MAX_PER_KIND: usize = 10;

/// The most severe findings as annotations (at most [`MAX_PER_KIND`] errors,
/// warnings and notices), then a notice counting the rest.
pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let (prefix, _) = super::repo_root(run);
    let total = run.active().count();
    let mut shown = 0;
    for severity in Severity::ALL {
        // Keep one notice for the closing line.
        let cap = match severity {
            Severity::Note => MAX_PER_KIND - 1,
            _ => MAX_PER_KIND,
        };
        for d in run.active().filter(|d| d.severity == severity).take(cap) {
            annotation(d, &prefix, w)?;
            shown += 1;
        }
    }
    if shown < total {
        writeln!(
            w,
            "::notice title=rustgate::{}",
            escape_data(&format!(
                "{} more finding{} not annotated here (GitHub shows {MAX_PER_KIND} per kind): see the job summary and code scanning",
                total - shown,
                if total - shown == 1 { " is" } else { "s are" }
            ))
        )?;
    }
    Ok(())
}

fn annotation(d: &Diagnostic, prefix: &str, w: &mut dyn Write) -> io::Result<()> {
    let command = match d.severity {
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
    writeln!(
        w,
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&format!("{prefix}{}", d.primary.path)),
        s.start.line,
        s.start.column,
        s.end.line,
        s.end.column.min(s.start.column.max(1) + 10_000),
        escape_property(&format!("{} {}", d.rule.code, d.rule.name)),
        escape_data(&message)
    )
}

/// Escapes a message as GitHub's toolkit does (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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
    }
}
