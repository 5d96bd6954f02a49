//! The coverage table that ends the human output: totals, patch coverage and
//! the least covered files, each with covered/total and the percentage.

use std::io::{self, Write};

use crate::coverage::{Counts, CoverageSummary};

pub fn render(summary: &CoverageSummary, w: &mut dyn Write) -> io::Result<()> {
    let mut rows: Vec<(String, Counts)> = vec![("total lines".to_owned(), summary.lines)];
    if summary.functions.total > 0 {
        rows.push(("functions".to_owned(), summary.functions));
    }
    if let Some(b) = summary.branches {
        rows.push(("branches".to_owned(), b));
    }
    if let Some(r) = summary.regions {
        rows.push(("regions".to_owned(), r));
    }
    if let Some(p) = &summary.patch {
        rows.push(("patch (changed lines)".to_owned(), p.lines));
    }
    let totals = rows.len();
    for f in &summary.worst_files {
        rows.push((format!("  {}", f.path), f.lines));
    }
    let fraction = |c: Counts| format!("{}/{}", c.covered, c.total);
    let label_width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .chain(["coverage".len(), "least covered files".len()])
        .max()
        .unwrap_or(0);
    let fraction_width = rows
        .iter()
        .map(|(_, c)| fraction(*c).len())
        .chain(["covered/total".len()])
        .max()
        .unwrap_or(0);
    writeln!(w)?;
    writeln!(
        w,
        "{:<label_width$}  {:>fraction_width$}  {:>7}",
        "coverage", "covered/total", "percent"
    )?;
    for (i, (label, counts)) in rows.iter().enumerate() {
        if i == totals {
            writeln!(w, "least covered files")?;
        }
        let pct = counts
            .percent()
            .map_or_else(|| "-".to_owned(), |p| format!("{p:.2}%"));
        writeln!(
            w,
            "{label:<label_width$}  {:>fraction_width$}  {pct:>7}",
            fraction(*counts)
        )?;
    }
    if let Some(p) = &summary.patch {
        writeln!(
            w,
            "patch: {} changed line{} in {} file{}, {} of them executable",
            p.changed_lines,
            if p.changed_lines == 1 { "" } else { "s" },
            p.files_changed,
            if p.files_changed == 1 { "" } else { "s" },
            p.lines.total
        )?;
    }
    Ok(())
}
