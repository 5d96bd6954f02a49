//! Cobertura XML (cargo-llvm-cov `--cobertura`, tarpaulin `--out Xml`).
//!
//! `<coverage><sources><source>ROOT</source></sources><packages><package>
//! <classes><class filename="src/lib.rs"><methods><method name=".."><lines>..
//! </lines></method></methods><lines><line number="3" hits="1"
//! branch="true" condition-coverage="50% (1/2)"/></lines></class>`.
//! A class's `<lines>` give line and branch coverage; a method's lines give
//! its start and whether it ran.

use std::borrow::Cow;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{CoverageError, FileCoverage, Report};

pub fn parse(path: &Path, text: &str) -> Result<Report, CoverageError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let line_at = |pos: u64| {
        text.as_bytes()[..(pos as usize).min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let bad = |pos: u64, expected: &str| CoverageError::Malformed {
        path: path.to_owned(),
        line: line_at(pos),
        expected: expected.to_owned(),
    };

    let mut report = Report::default();
    let mut sources: Vec<String> = Vec::new();
    let mut in_source = false;
    let mut seen_root = false;
    // The class being read: its file name and coverage.
    let mut class: Option<(String, FileCoverage)> = None;
    // The method being read: (line, hits) of its lines.
    let mut method: Option<Vec<(u32, u64)>> = None;
    // Open elements: a report cut short leaves some open at the end.
    let mut depth = 0usize;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                return Err(bad(
                    reader.error_position(),
                    &format!("well-formed XML ({e})"),
                ));
            }
        };
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Eof if depth > 0 || !seen_root => {
                return Err(bad(
                    text.trim_end().len() as u64,
                    "`</coverage>` (the report looks truncated)",
                ));
            }
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if !seen_root {
                    if name != b"coverage" {
                        return Err(bad(start, "a Cobertura `<coverage>` root element"));
                    }
                    seen_root = true;
                    continue;
                }
                match name {
                    b"source" if !empty => in_source = true,
                    b"class" => {
                        if class.is_some() {
                            return Err(bad(start, "`</class>` before the next `<class>`"));
                        }
                        let Some(file) =
                            attr(&reader, e, b"filename").map_err(|m| bad(start, &m))?
                        else {
                            return Err(bad(start, "a `filename` attribute on `<class>`"));
                        };
                        let file = join_source(&sources, &file);
                        if empty {
                            report.file(&file);
                        } else {
                            class = Some((file, FileCoverage::default()));
                        }
                    }
                    b"method" if !empty => method = Some(Vec::new()),
                    b"line" => {
                        let number = attr(&reader, e, b"number").map_err(|m| bad(start, &m))?;
                        let hits = attr(&reader, e, b"hits").map_err(|m| bad(start, &m))?;
                        let number = number
                            .and_then(|n| n.parse::<u32>().ok())
                            .filter(|&n| n <= super::MAX_LINE);
                        let hits = hits.and_then(|h| parse_hits(&h));
                        let (Some(number), Some(hits)) = (number, hits) else {
                            return Err(bad(
                                start,
                                &format!(
                                    "`<line number=\"N\" hits=\"N\">` with numbers, the line at most {}",
                                    super::MAX_LINE
                                ),
                            ));
                        };
                        if let Some(lines) = method.as_mut() {
                            lines.push((number, hits));
                            continue;
                        }
                        let Some((_, cov)) = class.as_mut() else {
                            return Err(bad(start, "`<line>` inside a `<class>`"));
                        };
                        let e_hits = cov.lines.entry(number).or_insert(0);
                        *e_hits = (*e_hits).saturating_add(hits);
                        let is_branch = attr(&reader, e, b"branch").map_err(|m| bad(start, &m))?;
                        if is_branch.as_deref() == Some("true")
                            && let Some(cc) = attr(&reader, e, b"condition-coverage")
                                .map_err(|m| bad(start, &m))?
                        {
                            let Some((covered, total)) =
                                parse_condition(&cc).filter(|&(_, t)| t <= super::MAX_CONDITIONS)
                            else {
                                return Err(bad(
                                    start,
                                    &format!(
                                        "`condition-coverage=\"P% (covered/total)\"` with covered <= total <= {}",
                                        super::MAX_CONDITIONS
                                    ),
                                ));
                            };
                            for i in 0..total {
                                let e_branch = cov
                                    .branches
                                    .entry((number, format!("c{i}")))
                                    .or_insert(false);
                                *e_branch |= i < covered;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_source => {
                let text = t
                    .decode()
                    .map_err(|e| bad(start, &format!("UTF-8 text ({e})")))?;
                sources.push(text.trim().to_owned());
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"source" => in_source = false,
                b"method" => {
                    if let Some(lines) = method.take()
                        && let Some((_, cov)) = class.as_mut()
                        && let Some(&(first, _)) = lines.iter().min_by_key(|(l, _)| *l)
                    {
                        let hits = lines.iter().map(|&(_, h)| h).max().unwrap_or(0);
                        let e_fn = cov.functions.entry((first, 0)).or_insert(0);
                        *e_fn = (*e_fn).saturating_add(hits);
                    }
                }
                b"class" => {
                    if let Some((file, cov)) = class.take() {
                        report.file(&file).merge(&cov);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    if !seen_root {
        return Err(bad(0, "a Cobertura `<coverage>` root element"));
    }
    Ok(report)
}

/// An attribute's unescaped value, or an error message.
fn attr(reader: &Reader<&[u8]>, e: &BytesStart<'_>, key: &[u8]) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| format!("well-formed attributes ({err})"))?;
        if a.key.local_name().as_ref() == key {
            let v: Cow<'_, str> = a
                .decode_and_unescape_value(reader.decoder())
                .map_err(|err| format!("a valid attribute value ({err})"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn join_source(sources: &[String], file: &str) -> String {
    let absolute = file.starts_with('/') || file.as_bytes().get(1) == Some(&b':');
    match sources.first() {
        Some(root) if !absolute && !root.is_empty() => {
            format!("{}/{}", root.trim_end_matches(['/', '\\']), file)
        }
        _ => file.to_owned(),
    }
}

fn parse_hits(s: &str) -> Option<u64> {
    s.parse::<u64>()
        .ok()
        .or_else(|| s.parse::<i64>().ok().map(|_| 0))
        .or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| if f > 0.0 { f.ceil() as u64 } else { 0 })
        })
}

/// `"50% (1/2)"` -> `(1, 2)`.
fn parse_condition(s: &str) -> Option<(u64, u64)> {
    let inner = s.split_once('(')?.1.split_once(')')?.0;
    let (covered, total) = inner.split_once('/')?;
    let (covered, total) = (
        covered.trim().parse::<u64>().ok()?,
        total.trim().parse::<u64>().ok()?,
    );
    (covered <= total).then_some((covered, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::Counts;

    const SMALL: &str = r#"<?xml version="1.0" ?>
<coverage line-rate="0.5">
  <sources><source>/ci/work</source></sources>
  <packages><package name="p"><classes>
    <class name="lib" filename="src/lib.rs">
      <methods><method name="f" signature=""><lines><line number="2" hits="3"/></lines></method></methods>
      <lines>
        <line number="2" hits="3"/>
        <line number="3" hits="0" branch="true" condition-coverage="50% (1/2)"/>
      </lines>
    </class>
  </classes></package></packages>
</coverage>
"#;

    #[test]
    fn reads_classes_lines_methods_and_branches() {
        let report = parse(Path::new("c.xml"), SMALL).expect("parses");
        let f = &report.files["/ci/work/src/lib.rs"];
        assert_eq!(f.line_counts(), Counts::new(1, 2));
        assert_eq!(f.function_counts(), Counts::new(1, 1));
        assert_eq!(f.branch_counts(), Counts::new(1, 2));
    }

    #[test]
    fn malformed_names_file_and_line() {
        let text = SMALL.replace(
            r#"<line number="3" hits="0""#,
            r#"<line number="3" hits="lots""#,
        );
        let msg = parse(Path::new("c.xml"), &text)
            .expect_err("bad hits")
            .to_string();
        assert!(
            msg.contains("c.xml") && msg.contains("line 9") && msg.contains("hits"),
            "{msg}"
        );

        let text = SMALL.replace("</lines>\n    </class>", "</lines>\n    </clas>");
        let msg = parse(Path::new("c.xml"), &text)
            .expect_err("bad xml")
            .to_string();
        assert!(
            msg.contains("line 11") && msg.contains("well-formed XML"),
            "{msg}"
        );

        let msg = parse(Path::new("c.xml"), "<report/>")
            .expect_err("root")
            .to_string();
        assert!(
            msg.contains("line 1") && msg.contains("<coverage>"),
            "{msg}"
        );
    }
}
