//! GitHub Actions workflow commands: `::error file=..,line=..::message`.

use std::io::{self, Write};

use rustgate_rules::Severity;

use crate::engine::Run;

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    for d in run.active() {
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
            escape_property(&d.primary.path),
            s.start.line,
            s.start.column,
            s.end.line,
            s.end.column.min(s.start.column.max(1) + 10_000),
            escape_property(&format!("{} {}", d.rule.code, d.rule.name)),
            escape_data(&message)
        )?;
    }
    Ok(())
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
