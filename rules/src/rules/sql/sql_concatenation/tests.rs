use std::collections::BTreeSet;

use super::*;
use crate::rules::sql::sql_sinks::{self, Lib};
use crate::testing::{assert_fixture, check_sources};
use crate::{Settings, TargetKind};

macro_rules! fixture {
    ($group:literal, $file:literal) => {
        (
            concat!("fixtures/rules/", $group, "/", $file),
            TargetKind::Lib,
            include_str!(concat!(
                "../../../../../fixtures/rules/",
                $group,
                "/",
                $file
            )),
        )
    };
}

fn check(files: &[(&str, TargetKind, &str)]) {
    assert_fixture(files, &[&SqlConcatenation], &Settings::default());
}

#[test]
fn sqlx_builders_and_sinks() {
    check(&[fixture!("sql-sqlx", "src/lib.rs")]);
}

#[test]
fn postgres_sinks() {
    check(&[fixture!("sql-postgres", "src/lib.rs")]);
}

#[test]
fn rusqlite_sinks() {
    check(&[fixture!("sql-rusqlite", "src/lib.rs")]);
}

#[test]
fn diesel_mysql_and_sea_orm_sinks() {
    check(&[fixture!("sql-diesel-mysql-seaorm", "src/lib.rs")]);
}

#[test]
fn flows_through_locals_shadowing_branches_and_closures() {
    check(&[fixture!("sql-flows", "src/lib.rs")]);
}

#[test]
fn negatives_are_not_reported() {
    check(&[fixture!("sql-negatives", "src/lib.rs")]);
}

#[test]
fn constants_of_other_files_of_the_crate() {
    check(&[
        fixture!("sql-crate-consts", "src/lib.rs"),
        fixture!("sql-crate-consts", "src/schema.rs"),
    ]);
}

#[test]
fn label_points_where_the_value_entered_and_help_names_the_library() {
    let src = r#"
use rusqlite::Connection;
fn f(conn: &Connection, name: &str) {
    let sql = format!("DELETE FROM t WHERE name = '{}'", name);
    conn.execute(&sql, []);
}
fn g(pool: &PgPool, name: &str) {
    let mut sql = String::from("SELECT 1 WHERE x = ");
    sql.push_str(name);
    sqlx::query(&sql);
}
"#;
    let found = check_sources(
        &[("src/lib.rs", TargetKind::Lib, src)],
        &[&SqlConcatenation],
        &Settings::default(),
    );
    assert_eq!(found.len(), 2);
    let d = &found[0];
    assert_eq!(
        d.message,
        "SQL query built from a runtime value reaches `execute`"
    );
    assert_eq!(
        (d.primary.span.start.line, d.primary.span.start.column),
        (5, 10)
    );
    let label = &d.labels[0].location.span;
    assert_eq!(
        (label.start.line, label.start.column, label.end.column),
        (4, 58, 62)
    );
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("?1")),
        "{:?}",
        d.help
    );
    let d = &found[1];
    assert_eq!(
        d.message,
        "SQL query built from a runtime value reaches `sqlx::query`"
    );
    assert_eq!(d.labels[0].location.span.start.line, 9);
    assert_eq!(d.labels[0].location.span.start.column, 5);
    assert!(d.help.as_deref().is_some_and(|h| h.contains(".bind(")));
}

#[test]
fn meta_is_a_security_rule() {
    let meta = &SqlConcatenation::META;
    assert_eq!(meta.security_severity, Some("8.8"));
    assert_eq!(meta.tags, &["security", "external/cwe/cwe-089"]);
    assert_eq!(meta.default_severity, crate::Severity::Error);
}

/// The sink list in the doc is the table: every entry is listed under its
/// library, and every listed sink is in the table.
#[test]
fn doc_lists_exactly_the_sink_table() {
    let doc = SqlConcatenation::META.doc_text();
    for lib in Lib::ALL {
        let prefix = format!("- {}: ", lib.name());
        let line = doc
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in the doc"));
        let listed: BTreeSet<&str> = line[prefix.len()..]
            .split(", ")
            .map(|s| s.trim().trim_matches('`'))
            .collect();
        let table: Vec<String> = sql_sinks::SINKS
            .iter()
            .filter(|s| s.lib == lib)
            .map(Sink::display)
            .collect();
        let table_set: BTreeSet<&str> = table.iter().map(String::as_str).collect();
        assert_eq!(
            listed,
            table_set,
            "doc line for {} differs from the table",
            lib.name()
        );
        let in_order: Vec<&str> = line[prefix.len()..]
            .split(", ")
            .map(|s| s.trim().trim_matches('`'))
            .collect();
        assert_eq!(
            in_order,
            table,
            "doc line for {} is not in table order",
            lib.name()
        );
    }
    let libs = doc
        .lines()
        .filter(|l| l.starts_with("- ") && l.contains(": `"))
        .count();
    assert_eq!(
        libs,
        Lib::ALL.len(),
        "the doc lists a library the table does not have"
    );
}

/// The demo workspace plants one finding and one safe query.
#[test]
fn demo_repository_has_one_finding() {
    let src = include_str!("../../../../../fixtures/demo/crates/core/src/repo.rs");
    let found = check_sources(
        &[("crates/core/src/repo.rs", TargetKind::Lib, src)],
        &[&SqlConcatenation],
        &Settings::default(),
    );
    let lines: Vec<u32> = found.iter().map(|d| d.primary.span.start.line).collect();
    assert_eq!(lines, [33]);
    assert_eq!(found[0].labels[0].location.span.start.line, 26);
}

#[test]
fn odd_syntax_is_handled() {
    let src = r#"
fn f(pool: &PgPool, x: &str, v: Vec<String>) {
    let a = format!();
    let b = format!(concat!("SELECT ", "{}"), x);
    sqlx::query(&b); //~ RG401
    let c = format!("{:>1$} {{literal}} {0:?} {x:?} {}", x);
    sqlx::query(&c); //~ RG401
    write!();
    let mut d;
    d = format!("SELECT {}", 1);
    sqlx::query(&d);
    let (e, _) = (format!("SELECT {x}"), 1);
    sqlx::query(&e);
    let s = match x { "a" => "SELECT 1", _ => "SELECT 2" };
    sqlx::query(s);
    let mut q = String::new();
    q.push_str(&v[0]);
    sqlx::query(&q); //~ RG401
    Self::run(&format!("SELECT {x}"));
    x.query(&format!("not sql {x}"));
}
"#;
    check(&[("src/lib.rs", TargetKind::Lib, src)]);
}

#[test]
fn many_appends_in_branches_stay_bounded() {
    // Each `+=` inside a branch joins the old and the new value: without a
    // bound the tracked text doubles per statement (found on regex-syntax).
    let mut body = String::from(
        "fn f(pool: &PgPool, x: &str) {\n    let mut q = String::from(\"SELECT \");\n",
    );
    for _ in 0..64 {
        body.push_str("    if x.is_empty() { q += x; q.push_str(x); }\n");
    }
    body.push_str("    sqlx::query(&q); //~ RG401\n}\n");
    check(&[("src/lib.rs", TargetKind::Lib, &body)]);
}

#[test]
fn numbers_literals_either_way_and_included_files() {
    check(&[fixture!("sql-numbers", "src/lib.rs")]);
}

#[test]
fn numbers_taint_with_report_numbers() {
    let src = r#"
fn f(pool: &PgPool, id: i64, names: &[String]) {
    sqlx::query(&format!("SELECT * FROM t WHERE id = {id}")); //~ RG401
    sqlx::query(&format!("SELECT * FROM t LIMIT {}", names.len())); //~ RG401
    sqlx::query(&format!("SELECT * FROM t WHERE a = {}", if id > 0 { "x" } else { "y" }));
}
"#;
    let mut settings = Settings::default();
    settings.sql_concatenation.report_numbers = true;
    assert_fixture(
        &[("src/lib.rs", TargetKind::Lib, src)],
        &[&SqlConcatenation],
        &settings,
    );
}

#[test]
fn values_checked_against_a_fixed_set() {
    check(&[fixture!("sql-fixed-set", "src/lib.rs")]);
}

/// The label sits on the interpolated expression: an argument, or the
/// `{name}` placeholder of a captured name, also in a multi-line raw string.
#[test]
fn label_sits_on_the_interpolated_expression() {
    let src = r##"
fn f(pool: &PgPool, name: &str, id: &str) {
    sqlx::query(&format!("SELECT {{x}} FROM t WHERE a = '{name}' AND b = {}", id));
    sqlx::query(&format!(
        r#"SELECT * FROM t
           WHERE {{literal}} AND name = '{name}'"#
    ));
    sqlx::query(&format!("SELECT * FROM t WHERE b = {} AND a = '{name}'", 1));
}
"##;
    let found = check_sources(
        &[("src/lib.rs", TargetKind::Lib, src)],
        &[&SqlConcatenation],
        &Settings::default(),
    );
    let labels: Vec<(u32, u32, u32, u32)> = found
        .iter()
        .map(|d| {
            let s = &d.labels[0].location.span;
            (s.start.line, s.start.column, s.end.line, s.end.column)
        })
        .collect();
    assert_eq!(labels, [(3, 58, 3, 64), (6, 42, 6, 48), (8, 65, 8, 71)]);
}

#[test]
fn constants_through_one_call() {
    check(&[fixture!("sql-one-call", "src/lib.rs")]);
}

/// A file with an out-of-line module: a child module could call the private
/// function with anything, so its parameters stay runtime values.
#[test]
fn one_call_constants_need_every_caller_in_the_file() {
    let src = r#"
mod child;
pub async fn run(pool: &PgPool) { count(pool, "users").await; }
async fn count(pool: &PgPool, table: &str) {
    sqlx::query(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await; //~ RG401
}
"#;
    check(&[("src/lib.rs", TargetKind::Lib, src)]);
}

#[test]
fn request_input_as_the_sql_text_in_handlers() {
    check(&[
        fixture!("sql-request", "src/lib.rs"),
        fixture!("sql-request", "src/axum_app.rs"),
        fixture!("sql-request", "src/actix.rs"),
    ]);
}
