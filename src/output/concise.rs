//! `path:line:col: CODE [severity] message`, one line per finding.

use std::io::{self, Write};

use crate::engine::Run;

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    for d in run.active() {
        let start = d.primary.span.start;
        writeln!(
            w,
            "{}:{}:{}: {} [{}] {}",
            d.primary.path, start.line, start.column, d.rule.code, d.severity, d.message
        )?;
    }
    Ok(())
}
