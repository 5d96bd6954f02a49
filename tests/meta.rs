//! Conventions that keep the project honest: the README's rule list matches
//! the registry, and every rule is documented with the required headings.

use rustgate_rules::registry;

use crate::common::repo;

const START: &str = "<!-- rules:start -->";
const END: &str = "<!-- rules:end -->";

/// The README's rule table, generated from the registry.
fn rule_table() -> String {
    let mut s = String::from(
        "| Code | Name | Default | Maturity | What it finds |\n|---|---|---|---|---|\n",
    );
    for m in registry::all() {
        s.push_str(&format!(
            "| [`{}`](docs/rules/{}.md) | `{}` | {} | {} | {} |\n",
            m.code,
            m.code,
            m.name,
            m.default_severity,
            m.maturity(),
            m.summary
        ));
    }
    s
}

#[test]
fn readme_rule_list_matches_the_registry() {
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the {START} ... {END} markers");
    };
    let current = &readme[a + START.len()..b];
    let want = format!("\n{}", rule_table());
    if current != want {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{}{}{}", &readme[..a], START, want, &readme[b..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "README.md's rule list is out of date: run `UPDATE_README=1 cargo test readme` and commit"
            );
        }
    }
}

/// `docs/rules/CODE.md` for every rule, as `rustgate rule CODE` prints it:
/// the pages SARIF's `helpUri` and the README's table link to.
#[test]
fn rule_pages_match_the_registry() {
    let dir = repo().join("docs/rules");
    let update = std::env::var_os("UPDATE_README").is_some();
    let mut stale = Vec::new();
    let mut want_files = Vec::new();
    for m in registry::all() {
        let path = dir.join(format!("{}.md", m.code));
        let want = rustgate::cli::rule_page(m);
        want_files.push(format!("{}.md", m.code));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, want).unwrap();
            } else {
                stale.push(m.code);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is out of date for {stale:?}: run `UPDATE_README=1 cargo test readme rule_pages` and commit"
    );
    // No page for a rule that no longer exists.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            want_files.contains(&name),
            "docs/rules/{name} names no rule"
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for m in registry::all() {
        let doc = m.doc_text();
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
        ] {
            assert!(
                doc.contains(heading),
                "{} lacks `{heading}` in its doc comment",
                m.code
            );
        }
        assert!(m.code.starts_with("RG"), "{}", m.code);
        assert!(
            m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            m.name
        );
        assert!(
            !m.summary.ends_with('.') && !crate::fixtures::starts_capitalised(m.summary),
            "{}",
            m.code
        );
    }
}

#[test]
fn codes_and_names_are_unique() {
    let all = registry::all();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.code, b.code);
            assert_ne!(a.name, b.name);
        }
    }
}

/// Every test the README's "What rustgate guarantees" table names exists:
/// `module::name` is a `fn name` in `tests/module.rs`, or in the `tests`
/// module of `src/module.rs` (`src/module/mod.rs`).
#[test]
fn readme_guarantees_name_tests_that_exist() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("### What rustgate guarantees").unwrap();
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |e| e + 4)];
    let mut named = 0;
    for row in section.lines().filter(|l| l.starts_with("| ")) {
        let Some(tests) = row.trim_end_matches(" |").rsplit(" | ").next() else {
            continue;
        };
        for name in tests.split('`').skip(1).step_by(2) {
            let parts: Vec<&str> = name.split("::").collect();
            let (module, function) = match parts.as_slice() {
                [m, f] => (*m, *f),
                [m, "tests", f] => (*m, *f),
                _ => continue,
            };
            let candidates = [
                repo().join("tests").join(format!("{module}.rs")),
                repo().join("src").join(format!("{module}.rs")),
                repo().join("src").join(module).join("mod.rs"),
            ];
            let found = candidates.iter().any(|p| {
                std::fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("fn {function}()")))
            });
            assert!(found, "README names `{name}`, which is no test");
            named += 1;
        }
    }
    assert!(named > 20, "{named} tests named");
}
