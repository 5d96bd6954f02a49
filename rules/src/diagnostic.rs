//! What a rule reports: a [`Diagnostic`] with a primary [`Location`], optional
//! secondary labels (possibly in other files), an optional call flow and help.

use serde::{Deserialize, Serialize};

use crate::rule::RuleMeta;

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based line and 1-based column counted in Unicode scalar values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// A region of one file, start inclusive, end exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: LineCol,
    pub end: LineCol,
}

impl Span {
    /// The span of a syntax node (or token) as parsed with span locations.
    pub fn of(node: &impl syn::spanned::Spanned) -> Span {
        Span::from(node.span())
    }

    /// A span from `first` up to the end of `last`.
    pub fn join(first: Span, last: Span) -> Span {
        Span {
            start: first.start,
            end: last.end,
        }
    }

    /// A span covering whole lines `first..=last`, for findings about lines
    /// (coverage) rather than syntax.
    pub fn lines(first: u32, last: u32) -> Span {
        Span {
            start: LineCol {
                line: first,
                column: 1,
            },
            end: LineCol {
                line: last,
                column: u32::MAX,
            },
        }
    }
}

impl From<proc_macro2::Span> for Span {
    fn from(span: proc_macro2::Span) -> Span {
        let (start, end) = (span.start(), span.end());
        Span {
            start: LineCol {
                line: start.line as u32,
                column: start.column as u32 + 1,
            },
            end: LineCol {
                line: end.line as u32,
                column: end.column as u32 + 1,
            },
        }
    }
}

/// A span in a named file. `path` is relative to the workspace root and uses `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub span: Span,
}

/// A secondary location with a message: shown under the snippet, and as a SARIF
/// related location.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// Why a finding was suppressed in source, for outputs (SARIF) that keep it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    pub justification: String,
}

/// One finding.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The rule that produced it; serialised as its code.
    #[serde(with = "crate::registry::serde_rule")]
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    /// Lowercase, no trailing period.
    pub message: String,
    pub primary: Location,
    /// Secondary labels and related locations, possibly in other files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// A path through the code (call chain), first step first: SARIF codeFlows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flow: Vec<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Set by the driver when an in-source suppression covers this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
}

impl Diagnostic {
    pub fn new(rule: &'static RuleMeta, path: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: rule.default_severity,
            message: message.into(),
            primary: Location {
                path: path.to_owned(),
                span,
            },
            labels: Vec::new(),
            flow: Vec::new(),
            help: None,
            suppressed: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, path: &str, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            location: Location {
                path: path.to_owned(),
                span,
            },
            message: message.into(),
        });
        self
    }

    /// The order every output uses: path, line, column, code, message.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.primary.path,
            self.primary.span.start.line,
            self.primary.span.start.column,
            self.rule.code,
            &self.message,
        )
    }
}
