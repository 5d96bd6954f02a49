//! The SQL sinks of RG401 (sql-concatenation): one table that the rule matches
//! calls against and that its documentation lists (a unit test keeps the doc
//! and the table equal).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// A database library, for the sink list and the bind-parameter help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Sqlx,
    Diesel,
    Postgres,
    Rusqlite,
    Mysql,
    SeaOrm,
}

impl Lib {
    pub const ALL: [Lib; 6] = [
        Lib::Sqlx,
        Lib::Diesel,
        Lib::Postgres,
        Lib::Rusqlite,
        Lib::Mysql,
        Lib::SeaOrm,
    ];

    /// The name the rule's doc uses.
    pub fn name(self) -> &'static str {
        match self {
            Lib::Sqlx => "sqlx",
            Lib::Diesel => "diesel",
            Lib::Postgres => "postgres / tokio_postgres",
            Lib::Rusqlite => "rusqlite",
            Lib::Mysql => "mysql / mysql_async",
            Lib::SeaOrm => "sea-orm",
        }
    }

    /// The crate roots (`use <root>::..`) that belong to the library.
    pub fn crates(self) -> &'static [&'static str] {
        match self {
            Lib::Sqlx => &["sqlx"],
            Lib::Diesel => &["diesel"],
            Lib::Postgres => &[
                "postgres",
                "tokio_postgres",
                "deadpool_postgres",
                "bb8_postgres",
            ],
            Lib::Rusqlite => &["rusqlite", "r2d2_sqlite", "deadpool_sqlite"],
            Lib::Mysql => &["mysql", "mysql_async"],
            Lib::SeaOrm => &["sea_orm"],
        }
    }

    /// The library a crate root belongs to.
    pub fn of_crate(root: &str) -> Option<Lib> {
        Lib::ALL
            .into_iter()
            .find(|lib| lib.crates().contains(&root))
    }

    /// How to pass the value as a bind parameter with this library.
    pub fn help(self) -> &'static str {
        match self {
            Lib::Sqlx => {
                "pass the value as a bind parameter: `sqlx::query(\"... WHERE id = $1\").bind(id)` (`?` on MySQL and SQLite), or use `sqlx::query!`"
            }
            Lib::Diesel => {
                "use diesel's query builder, or a placeholder with `.bind::<Type, _>(value)`: `sql_query(\"... WHERE id = $1\").bind::<Integer, _>(id)`"
            }
            Lib::Postgres => {
                "use a `$1` placeholder and pass the value in the parameters: `client.query(\"... WHERE id = $1\", &[&id])`"
            }
            Lib::Rusqlite => {
                "use a `?1` placeholder and pass the value in the parameters: `conn.execute(\"... WHERE id = ?1\", params![id])`"
            }
            Lib::Mysql => {
                "use a `?` placeholder and pass the value in the parameters: `conn.exec_drop(\"... WHERE id = ?\", (id,))`"
            }
            Lib::SeaOrm => {
                "use `Statement::from_sql_and_values(backend, \"... WHERE id = $1\", [id.into()])`"
            }
        }
    }
}

/// How a sink is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A function or associated function, qualified by the path segments
    /// before its name (`sqlx::query`, `Statement::from_string`). `bare`: a
    /// call by the bare name (`query(..)`) counts too, when imported or when the
    /// string looks like SQL.
    Path {
        qualifier: &'static [&'static str],
        bare: bool,
    },
    /// A method on any receiver: matched by name only, so the string must look
    /// like SQL.
    Method,
    /// `push` on a local initialised with `QueryBuilder::new`: any runtime value.
    BuilderPush,
}

/// One SQL sink: the library, how it is called, its name and which argument
/// is the SQL text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sink {
    pub lib: Lib,
    pub form: Form,
    pub name: &'static str,
    pub arg: usize,
}

impl Sink {
    /// How the rule's doc writes the sink: `sqlx::query`, `.execute`.
    pub fn display(&self) -> String {
        match self.form {
            Form::Path { qualifier, .. } => format!("{}::{}", qualifier.join("::"), self.name),
            Form::Method => format!(".{}", self.name),
            Form::BuilderPush => format!("QueryBuilder::{}", self.name),
        }
    }
}

const fn path(
    lib: Lib,
    qualifier: &'static [&'static str],
    name: &'static str,
    arg: usize,
) -> Sink {
    Sink {
        lib,
        form: Form::Path {
            qualifier,
            bare: true,
        },
        name,
        arg,
    }
}

const fn assoc(
    lib: Lib,
    qualifier: &'static [&'static str],
    name: &'static str,
    arg: usize,
) -> Sink {
    Sink {
        lib,
        form: Form::Path {
            qualifier,
            bare: false,
        },
        name,
        arg,
    }
}

const fn method(lib: Lib, name: &'static str) -> Sink {
    Sink {
        lib,
        form: Form::Method,
        name,
        arg: 0,
    }
}

/// Every sink, grouped by library in [`Lib::ALL`] order.
pub static SINKS: &[Sink] = &[
    path(Lib::Sqlx, &["sqlx"], "query", 0),
    path(Lib::Sqlx, &["sqlx"], "query_as", 0),
    path(Lib::Sqlx, &["sqlx"], "query_scalar", 0),
    path(Lib::Sqlx, &["sqlx"], "query_with", 0),
    path(Lib::Sqlx, &["sqlx"], "query_as_with", 0),
    path(Lib::Sqlx, &["sqlx"], "query_scalar_with", 0),
    path(Lib::Sqlx, &["sqlx"], "raw_sql", 0),
    assoc(Lib::Sqlx, &["QueryBuilder"], "new", 0),
    Sink {
        lib: Lib::Sqlx,
        form: Form::BuilderPush,
        name: "push",
        arg: 0,
    },
    method(Lib::Sqlx, "execute"),
    method(Lib::Sqlx, "execute_many"),
    method(Lib::Sqlx, "fetch"),
    method(Lib::Sqlx, "fetch_all"),
    method(Lib::Sqlx, "fetch_many"),
    method(Lib::Sqlx, "fetch_one"),
    method(Lib::Sqlx, "fetch_optional"),
    path(Lib::Diesel, &["diesel"], "sql_query", 0),
    path(Lib::Diesel, &["diesel", "dsl"], "sql", 0),
    method(Lib::Postgres, "query"),
    method(Lib::Postgres, "query_one"),
    method(Lib::Postgres, "query_opt"),
    method(Lib::Postgres, "query_raw"),
    method(Lib::Postgres, "execute"),
    method(Lib::Postgres, "batch_execute"),
    method(Lib::Postgres, "simple_query"),
    method(Lib::Postgres, "prepare"),
    method(Lib::Rusqlite, "execute"),
    method(Lib::Rusqlite, "execute_batch"),
    method(Lib::Rusqlite, "prepare"),
    method(Lib::Rusqlite, "prepare_cached"),
    method(Lib::Rusqlite, "query_row"),
    method(Lib::Mysql, "query"),
    method(Lib::Mysql, "query_opt"),
    method(Lib::Mysql, "query_first"),
    method(Lib::Mysql, "query_first_opt"),
    method(Lib::Mysql, "query_iter"),
    method(Lib::Mysql, "query_drop"),
    method(Lib::Mysql, "query_fold"),
    method(Lib::Mysql, "query_fold_opt"),
    method(Lib::Mysql, "query_map"),
    method(Lib::Mysql, "query_map_opt"),
    method(Lib::Mysql, "query_stream"),
    method(Lib::Mysql, "prep"),
    method(Lib::Mysql, "exec"),
    method(Lib::Mysql, "exec_first"),
    method(Lib::Mysql, "exec_iter"),
    method(Lib::Mysql, "exec_drop"),
    method(Lib::Mysql, "exec_map"),
    method(Lib::Mysql, "exec_batch"),
    assoc(Lib::SeaOrm, &["Statement"], "from_string", 1),
];

/// How a call path matched a [`Form::Path`] sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMatch {
    /// Qualified by the library (`sqlx::query`, `dsl::sql`) or imported from it.
    Known,
    /// Only the name matched (`db::query`, a bare `query` not imported from
    /// the library): the string must look like SQL.
    NameOnly,
}

/// The path sink a call to `segments` (`["sqlx", "query"]`) is, if any.
/// `imported(name)` gives the crate root a bare name was imported from.
pub fn path_sink(
    segments: &[String],
    imported: &dyn Fn(&str) -> Option<String>,
) -> Option<(&'static Sink, PathMatch)> {
    let (name, before) = segments.split_last()?;
    SINKS.iter().find_map(|sink| {
        let Form::Path { qualifier, bare } = sink.form else {
            return None;
        };
        if sink.name != name {
            return None;
        }
        let qualified = match before.last() {
            Some(prev) => {
                qualifier.last() == Some(&prev.as_str())
                    || (bare
                        && before
                            .first()
                            .is_some_and(|root| sink.lib.crates().contains(&root.as_str())))
            }
            None => imported(name).is_some_and(|root| sink.lib.crates().contains(&root.as_str())),
        };
        if qualified {
            Some((sink, PathMatch::Known))
        } else if bare {
            Some((sink, PathMatch::NameOnly))
        } else {
            None
        }
    })
}

/// The method sinks named `name`; the first is the one whose library the file
/// uses (`uses(lib)`), else the first in the table.
pub fn method_sink(name: &str, uses: &dyn Fn(Lib) -> bool) -> Option<&'static Sink> {
    let mut candidates = SINKS
        .iter()
        .filter(|s| s.form == Form::Method && s.name == name);
    let first = candidates.clone().next()?;
    Some(candidates.find(|s| uses(s.lib)).unwrap_or(first))
}

/// The `QueryBuilder::push` sink.
pub fn builder_push() -> &'static Sink {
    SINKS
        .iter()
        .find(|s| s.form == Form::BuilderPush)
        .unwrap_or(&SINKS[0])
}

/// Whether `source` may call a sink: the word a call must contain (a sink's
/// name, or `QueryBuilder` for `QueryBuilder::new` and its `push`) occurs in
/// it. A sink is called by its name or through a `use` of it in the same file
/// (`use sqlx::query as q;`, `use sqlx::*;` still name it), so a file without
/// any of these words has nothing for the per-function analysis: on the
/// benchmark corpus, most files. One pass over the text.
pub fn may_call_a_sink(source: &str) -> bool {
    static WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        let all: Vec<&str> = SINKS.iter().map(call_word).collect();
        // A word that contains another (`query_as`, `query`) adds nothing.
        let mut words: Vec<&str> = all
            .iter()
            .copied()
            .filter(|w| !all.iter().any(|o| o.len() < w.len() && w.contains(o)))
            .collect();
        words.sort_unstable();
        words.dedup();
        // Leftmost-first lets the search use its SIMD prefilter (Teddy).
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(words)
            .ok()
    });
    WORDS.as_ref().is_none_or(|w| w.is_match(source))
}

/// The word every call of `sink` contains.
fn call_word(sink: &Sink) -> &'static str {
    match sink.form {
        Form::Path {
            qualifier,
            bare: false,
        } => qualifier.last().copied().unwrap_or(sink.name),
        Form::BuilderPush => "QueryBuilder",
        _ => sink.name,
    }
}

/// Whether `text` looks like SQL: a keyword such as `SELECT` at its start or
/// after whitespace, case-insensitive, as a whole word.
pub fn looks_like_sql(text: &str) -> bool {
    const KEYWORDS: [&str; 8] = [
        "select", "insert", "update", "delete", "with", "create", "drop", "alter",
    ];
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    KEYWORDS.iter().any(|kw| {
        lower.match_indices(kw).any(|(i, _)| {
            let before_ok = i == 0 || bytes[i - 1].is_ascii_whitespace();
            let after = bytes.get(i + kw.len());
            let after_ok = after.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
            before_ok && after_ok
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_may_call_a_sink() {
        for sink in SINKS {
            assert!(may_call_a_sink(&sink.display()), "{}", sink.display());
        }
        assert!(may_call_a_sink("use sqlx::query as q;"));
        assert!(may_call_a_sink("let b = QueryBuilder::new(\"\");"));
        assert!(!may_call_a_sink(
            "fn main() { let v = Vec::new(); v.push(1); }"
        ));
        assert!(!may_call_a_sink(
            "pub fn new() -> Self { Self { inner: run() } }"
        ));
    }

    #[test]
    fn sql_look() {
        assert!(looks_like_sql("SELECT * FROM t"));
        assert!(looks_like_sql("  delete from t"));
        assert!(looks_like_sql("x\nUPDATE t"));
        assert!(!looks_like_sql("selected items"));
        assert!(!looks_like_sql("user {} not found"));
        assert!(!looks_like_sql("preselect"));
    }

    #[test]
    fn path_sinks_match_qualified_imported_and_bare_names() {
        let segs = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
        let none = |_: &str| None;
        let sqlx = |_: &str| Some("sqlx".to_owned());
        assert_eq!(
            path_sink(&segs("sqlx::query"), &none).map(|m| m.1),
            Some(PathMatch::Known)
        );
        assert_eq!(
            path_sink(&segs("query"), &sqlx).map(|m| m.1),
            Some(PathMatch::Known)
        );
        assert_eq!(
            path_sink(&segs("query"), &none).map(|m| m.1),
            Some(PathMatch::NameOnly)
        );
        assert_eq!(
            path_sink(&segs("dsl::sql"), &none).map(|m| m.1),
            Some(PathMatch::Known)
        );
        assert_eq!(
            path_sink(&segs("Statement::from_string"), &none).map(|m| m.0.arg),
            Some(1)
        );
        assert!(path_sink(&segs("new"), &none).is_none());
        assert!(path_sink(&segs("Vec::new"), &none).is_none());
        assert_eq!(
            method_sink("execute", &|l| l == Lib::Rusqlite).map(|s| s.lib),
            Some(Lib::Rusqlite)
        );
        assert_eq!(
            method_sink("execute", &|_| false).map(|s| s.lib),
            Some(Lib::Sqlx)
        );
    }
}
