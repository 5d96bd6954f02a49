//! `path:line:col: CODE [severity] message`, one line per finding.

use std::io::{self, Write};

use crate::engine::Run;

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    for d in run.active() {
        let start = d.primary.span.start;
        writeln!(
            w,
            "{}:{}:{}: {} [{}] {}",
            super::escape_controls(&d.primary.path, false),
            start.line,
            start.column,
            d.rule.code,
            d.severity,
            super::escape_controls(&d.message, false)
        )?;
    }
    Ok(())
}
