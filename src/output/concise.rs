//! `path:line:col: CODE [severity] message`, one line per finding. When only
//! new findings gate (`--baseline`, `--diff-base`, `--diff-file`), a field
//! after the severity says which: `CODE [error] [new] message` gates,
//! `CODE [error] [unchanged] message` does not.

use std::io::{self, Write};

use crate::engine::Run;

pub fn render(run: &Run, w: &mut dyn Write) -> io::Result<()> {
    let marked = run.new_code_only();
    for d in run.active() {
        let start = d.primary.span.start;
        let state = match (marked, run.gates(d)) {
            (false, _) => "",
            (true, true) => " [new]",
            (true, false) => " [unchanged]",
        };
        writeln!(
            w,
            "{}:{}:{}: {} [{}]{state} {}",
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
