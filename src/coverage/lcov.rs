//! LCOV tracefiles (cargo-llvm-cov `--lcov`, tarpaulin `--out Lcov`, grcov).
//!
//! Records: `SF:` opens a file, `DA:line,hits` an executable line,
//! `FN:line[,end],name` + `FNDA:hits,name` (or lcov 2's `FNL`/`FNA`) a
//! function, `BRDA:line,block,branch,taken` a branch, `end_of_record` closes
//! the file. Summary records (`LF`, `LH`, `FNF`, ...) are recomputed, not
//! trusted; unknown records are skipped, as lcov itself does.

use std::collections::HashMap;
use std::path::Path;

use super::{CoverageError, FileCoverage, Report};

pub fn parse(path: &Path, text: &str) -> Result<Report, CoverageError> {
    let mut report = Report::default();
    // The file being read: its name, its coverage, function start by name
    // (FN) or by index (FNL).
    let mut current: Option<(String, FileCoverage)> = None;
    let mut fn_lines: HashMap<String, u32> = HashMap::new();
    let mut fnl_lines: HashMap<String, u32> = HashMap::new();
    let mut last_line = 0;
    // `LF` and `LH` of the current file.
    let mut stated: (Option<u64>, Option<u64>) = (None, None);
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        last_line = lineno;
        let line = raw.trim_end_matches('\r').trim_start_matches('\u{feff}');
        let bad = |expected: &str| CoverageError::Malformed {
            path: path.to_owned(),
            line: lineno,
            expected: expected.to_owned(),
        };
        if line.trim().is_empty() {
            continue;
        }
        if line == "end_of_record" {
            let (name, mut cov) = current
                .take()
                .ok_or_else(|| bad("`SF:<path>` before `end_of_record`"))?;
            match std::mem::take(&mut stated) {
                (Some(found), Some(hit)) => {
                    cov.stated_lines = super::checked_summary(
                        path,
                        &name,
                        "`LF`/`LH` summary",
                        super::Counts::new(hit, found),
                        &cov,
                        &mut report.warnings,
                    );
                }
                (None, None) => {}
                _ => report.warnings.push(format!(
                    "warning: `{name}` in `{}` states only one of `LF` and `LH`: its line records are used",
                    path.display()
                )),
            }
            report.file(&name).merge(&cov);
            fn_lines.clear();
            fnl_lines.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(bad("an LCOV record `KEY:value` or `end_of_record`"));
        };
        match key {
            "TN" | "VER" => {}
            "SF" => {
                if current.is_some() {
                    return Err(bad("`end_of_record` before the next `SF:`"));
                }
                if value.is_empty() {
                    return Err(bad("a source path after `SF:`"));
                }
                current = Some((value.to_owned(), FileCoverage::default()));
                stated = (None, None);
            }
            _ => {
                let Some((_, cov)) = current.as_mut() else {
                    return Err(bad("`SF:<path>` before the first record"));
                };
                match key {
                    "DA" => {
                        let mut parts = value.split(',');
                        let line_no = parts.next().and_then(|s| s.parse::<u32>().ok());
                        let hits = parts.next().and_then(parse_hits);
                        let (Some(l), Some(h)) = (line_no, hits) else {
                            return Err(bad("`DA:<line>,<hits>` with numbers"));
                        };
                        if l > super::MAX_LINE {
                            return Err(bad(&format!(
                                "a line number of at most {}",
                                super::MAX_LINE
                            )));
                        }
                        let e = cov.lines.entry(l).or_insert(0);
                        *e = (*e).saturating_add(h);
                    }
                    "FN" => {
                        // FN:<line>,<name> or lcov 2: FN:<line>,<end line>,<name>
                        let mut parts = value.splitn(3, ',');
                        let start = parts.next().and_then(parse_line);
                        let rest: Vec<&str> = parts.collect();
                        let name = match rest.as_slice() {
                            [end, name] if end.parse::<u32>().is_ok() => (*name).to_owned(),
                            [a, b] => format!("{a},{b}"),
                            [name] => (*name).to_owned(),
                            _ => String::new(),
                        };
                        let Some(start) = start.filter(|_| !name.is_empty()) else {
                            return Err(bad("`FN:<line>,<name>`"));
                        };
                        fn_lines.insert(name, start);
                        cov.functions.entry((start, 0)).or_insert(0);
                    }
                    "FNDA" => {
                        let Some((hits, name)) = value
                            .split_once(',')
                            .and_then(|(h, n)| Some((parse_hits(h)?, n)))
                        else {
                            return Err(bad("`FNDA:<hits>,<name>`"));
                        };
                        if let Some(&start) = fn_lines.get(name) {
                            let e = cov.functions.entry((start, 0)).or_insert(0);
                            *e = (*e).saturating_add(hits);
                        }
                    }
                    "FNL" => {
                        // lcov 2.2: FNL:<index>,<line>[,<end line>]
                        let mut parts = value.split(',');
                        let index = parts.next().filter(|s| !s.is_empty());
                        let start = parts.next().and_then(parse_line);
                        let (Some(index), Some(start)) = (index, start) else {
                            return Err(bad("`FNL:<index>,<line>[,<end line>]`"));
                        };
                        fnl_lines.insert(index.to_owned(), start);
                        cov.functions.entry((start, 0)).or_insert(0);
                    }
                    "FNA" => {
                        // lcov 2.2: FNA:<index>,<hits>,<name>
                        let mut parts = value.splitn(3, ',');
                        let index = parts.next();
                        let hits = parts.next().and_then(parse_hits);
                        let (Some(index), Some(hits)) = (index, hits) else {
                            return Err(bad("`FNA:<index>,<hits>,<name>`"));
                        };
                        if let Some(&start) = fnl_lines.get(index) {
                            let e = cov.functions.entry((start, 0)).or_insert(0);
                            *e = (*e).saturating_add(hits);
                        }
                    }
                    "BRDA" => {
                        let parts: Vec<&str> = value.split(',').collect();
                        let [l, block, branch, taken] = parts.as_slice() else {
                            return Err(bad("`BRDA:<line>,<block>,<branch>,<taken>`"));
                        };
                        let Some(l) = parse_line(l) else {
                            return Err(bad(
                                "`BRDA:<line>,<block>,<branch>,<taken>` with a line number",
                            ));
                        };
                        let taken = match *taken {
                            "-" => false,
                            t => {
                                parse_hits(t)
                                    .ok_or_else(|| bad("`BRDA` taken count: a number or `-`"))?
                                    > 0
                            }
                        };
                        let e = cov
                            .branches
                            .entry((l, format!("{block},{branch}")))
                            .or_insert(false);
                        *e |= taken;
                    }
                    "LF" | "LH" => {
                        let Some(n) = value
                            .trim()
                            .parse::<u64>()
                            .ok()
                            .filter(|&n| n <= super::MAX_COUNT)
                        else {
                            return Err(bad(&format!(
                                "`LF:<count>` / `LH:<count>` with a number of at most {}",
                                super::MAX_COUNT
                            )));
                        };
                        if key == "LF" {
                            stated.0 = Some(n);
                        } else {
                            stated.1 = Some(n);
                        }
                    }
                    // Other summaries are recomputed; other records (MCDC, ...) are not gated.
                    _ => {}
                }
            }
        }
    }
    if current.is_some() {
        return Err(CoverageError::Malformed {
            path: path.to_owned(),
            line: last_line,
            expected: "`end_of_record` (the report looks truncated)".to_owned(),
        });
    }
    Ok(report)
}

/// A line number of at most [`super::MAX_LINE`] (some tools write 0 for
/// code without a line: harmless, kept).
fn parse_line(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|&l| l <= super::MAX_LINE)
}

/// A hit count; some gcov versions write negative or fractional counts.
fn parse_hits(s: &str) -> Option<u64> {
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    if s.parse::<i64>().is_ok() {
        return Some(0);
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| if f > 0.0 { f.ceil() as u64 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_records() {
        let text = "TN:\nSF:/x/src/lib.rs\nFN:3,foo\nFN:9,bar\nFNDA:2,foo\nFNDA:0,bar\nDA:3,2\nDA:4,0\nBRDA:4,0,0,-\nBRDA:4,0,1,1\nLF:2\nLH:1\nend_of_record\n";
        let report = parse(Path::new("r.lcov"), text).expect("parses");
        let f = &report.files["/x/src/lib.rs"];
        assert_eq!(f.line_counts(), super::super::Counts::new(1, 2));
        assert_eq!(f.function_counts(), super::super::Counts::new(1, 2));
        assert_eq!(f.branch_counts(), super::super::Counts::new(1, 2));
    }

    #[test]
    fn malformed_names_file_and_line() {
        let text = "SF:/x/src/lib.rs\nDA:3,2\nDA:four,1\nend_of_record\n";
        let err = parse(Path::new("cov.lcov"), text).expect_err("malformed");
        let msg = err.to_string();
        assert!(
            msg.contains("cov.lcov") && msg.contains("line 3") && msg.contains("DA:<line>,<hits>"),
            "{msg}"
        );
    }

    #[test]
    fn truncated_report_is_an_error() {
        let err = parse(Path::new("t.lcov"), "SF:a.rs\nDA:1,1\n").expect_err("truncated");
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = parse(Path::new("t.lcov"), "DA:1,1\n").expect_err("no SF");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
