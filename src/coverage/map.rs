//! Maps the paths a report (or a diff) names onto workspace files.
//!
//! A report path may be absolute under the workspace root, absolute on another
//! machine (`/home/ci/build/crates/a/src/lib.rs`), or relative to some other
//! root. Under the root it maps exactly; otherwise onto the workspace file
//! sharing the longest path suffix (whole components, at least the file
//! name). Ties are ambiguous and stay unmatched. Paths into the Cargo
//! registry, git checkouts, the toolchain or a target directory are never
//! workspace files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::diff::Changes;
use super::{FileCoverage, Report};

pub struct PathMapper {
    root: String,
    /// Workspace files by their file name, for suffix matching.
    by_name: HashMap<String, Vec<String>>,
    files: BTreeSet<String>,
}

/// A report with its files renamed to workspace paths.
#[derive(Debug, Default)]
pub struct MappedReport {
    pub files: BTreeMap<String, FileCoverage>,
    /// Report paths that match no workspace file.
    pub unmatched: Vec<String>,
}

const FOREIGN: &[&str] = &[
    "/.cargo/registry/",
    "/.cargo/git/",
    "/rustc/",
    "/.rustup/toolchains/",
    "/target/",
];

impl PathMapper {
    pub fn new(workspace_root: &Path, rel_paths: &[&str]) -> PathMapper {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut files = BTreeSet::new();
        for p in rel_paths {
            let p = normalize(p);
            if let Some(name) = p.rsplit('/').next() {
                by_name.entry(name.to_owned()).or_default().push(p.clone());
            }
            files.insert(p);
        }
        PathMapper {
            root: normalize(&workspace_root.to_string_lossy()),
            by_name,
            files,
        }
    }

    /// The workspace file `path` names and how many trailing components
    /// matched (`u32::MAX` for an exact match), or `None`.
    pub fn resolve(&self, path: &str) -> Option<(String, u32)> {
        let path = normalize(path);
        let rel = path
            .strip_prefix(&self.root)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(&path);
        if self.files.contains(rel) {
            return Some((rel.to_owned(), u32::MAX));
        }
        let padded = format!("/{path}");
        if FOREIGN.iter().any(|f| padded.contains(f)) {
            return None;
        }
        let name = path.rsplit('/').next()?;
        let mut best: Option<(&str, u32)> = None;
        let mut tie = false;
        for candidate in self.by_name.get(name)? {
            let score = common_suffix(&path, candidate);
            match best {
                Some((_, s)) if score < s => {}
                Some((_, s)) if score == s => tie = true,
                _ => {
                    best = Some((candidate, score));
                    tie = false;
                }
            }
        }
        let (file, score) = best?;
        (!tie).then(|| (file.to_owned(), score))
    }

    /// Renames a report's files to workspace paths. When several report paths
    /// fall on one workspace file, only the closest matches count.
    pub fn map_report(&self, report: &Report) -> MappedReport {
        let mut chosen: BTreeMap<String, (u32, Vec<&str>)> = BTreeMap::new();
        let mut unmatched = Vec::new();
        for path in report.files.keys() {
            match self.resolve(path) {
                Some((file, score)) => {
                    let entry = chosen.entry(file).or_insert((score, Vec::new()));
                    if score > entry.0 {
                        unmatched.extend(entry.1.drain(..).map(str::to_owned));
                        entry.0 = score;
                    }
                    if score == entry.0 {
                        entry.1.push(path);
                    } else {
                        unmatched.push(path.clone());
                    }
                }
                None => unmatched.push(path.clone()),
            }
        }
        let mut files = BTreeMap::new();
        for (file, (_, paths)) in chosen {
            let mut cov = FileCoverage::default();
            for p in paths {
                if let Some(c) = report.files.get(p) {
                    cov.merge(c);
                }
            }
            files.insert(file, cov);
        }
        MappedReport { files, unmatched }
    }

    /// Renames the files of a diff to workspace paths, dropping the others.
    pub fn map_changes(&self, changes: &Changes) -> Changes {
        let mut out = Changes::new();
        for (path, lines) in changes {
            if let Some((file, _)) = self.resolve(path) {
                out.entry(file).or_default().extend(lines.iter().copied());
            }
        }
        out.retain(|_, lines| !lines.is_empty());
        out
    }
}

/// Forward slashes, no `./` prefix, no `//`.
fn normalize(p: &str) -> String {
    let mut s = p.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_owned();
    }
    while s.contains("//") {
        s = s.replace("//", "/");
    }
    s.trim_end_matches('/').to_owned()
}

/// How many trailing path components two paths share.
fn common_suffix(a: &str, b: &str) -> u32 {
    a.rsplit('/')
        .zip(b.rsplit('/'))
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper() -> PathMapper {
        PathMapper::new(
            Path::new("/work/ws"),
            &[
                "src/lib.rs",
                "crates/a/src/lib.rs",
                "crates/b/src/lib.rs",
                "crates/a/src/domain/order.rs",
            ],
        )
    }

    #[test]
    fn maps_absolute_relative_and_foreign_paths() {
        let m = mapper();
        assert_eq!(
            m.resolve("/work/ws/src/lib.rs").map(|r| r.0).as_deref(),
            Some("src/lib.rs")
        );
        assert_eq!(
            m.resolve("./crates/a/src/lib.rs").map(|r| r.0).as_deref(),
            Some("crates/a/src/lib.rs")
        );
        assert_eq!(
            m.resolve("/home/ci/build/crates/b/src/lib.rs")
                .map(|r| r.0)
                .as_deref(),
            Some("crates/b/src/lib.rs")
        );
        assert_eq!(
            m.resolve(r"C:\build\a\src\domain\order.rs")
                .map(|r| r.0)
                .as_deref(),
            Some("crates/a/src/domain/order.rs")
        );
        // A path relative to crate a: only one candidate ends in domain/order.rs.
        assert_eq!(
            m.resolve("src/domain/order.rs").map(|r| r.0).as_deref(),
            Some("crates/a/src/domain/order.rs")
        );
    }

    #[test]
    fn ambiguous_and_foreign_paths_stay_unmatched() {
        let m = mapper();
        // crates/a/src/lib.rs and crates/b/src/lib.rs share the same suffix as
        // src/lib.rs, but src/lib.rs itself matches "x/src/lib.rs" as well: tie.
        assert_eq!(m.resolve("/elsewhere/x/src/lib.rs"), None);
        assert_eq!(
            m.resolve("/home/u/.cargo/registry/src/idx/serde-1.0/src/lib.rs"),
            None
        );
        assert_eq!(m.resolve("/work/ws/src/main.rs"), None);
    }

    #[test]
    fn closest_report_path_wins() {
        let m = PathMapper::new(Path::new("/ws"), &["src/lib.rs"]);
        let mut report = Report::default();
        report.file("/ci/proj/src/lib.rs").lines.insert(1, 1);
        report.file("/ci/proj/vendor/src/lib.rs").lines.insert(1, 0);
        report.file("/ws/src/lib.rs").lines.insert(2, 0);
        report.file("/ws/src/other.rs").lines.insert(2, 0);
        let mapped = m.map_report(&report);
        assert_eq!(mapped.files.len(), 1);
        assert_eq!(mapped.files["src/lib.rs"].lines, BTreeMap::from([(2, 0)]));
        assert_eq!(mapped.unmatched.len(), 3);
    }
}
