//! The result cache: cached and uncached runs print byte-identical output,
//! whatever changed in between; a damaged cache is never trusted.

use std::path::Path;

use crate::common::{code, rustgate, stderr, stdout, write};

/// A copy of the demo workspace, plus files with suppressions, a syntax error
/// and invalid UTF-8.
fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&crate::common::repo().join("fixtures/demo"), dir.path());
    write(
        dir.path(),
        "crates/core/src/audited.rs",
        b"// rustgate: allow(RG101) audited by the storage team\npub fn read(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n\n// rustgate: allow(RG999) no such rule\npub fn f() {}\n\npub fn g(p: *const u8) -> u8 {\n    unsafe { *p } // rustgate: allow(RG101)\n}\n",
    );
    write(dir.path(), "crates/core/src/broken.rs", b"pub fn f( {\n");
    write(
        dir.path(),
        "crates/core/src/latin1.rs",
        b"// caf\xe9\npub fn f() {}\n",
    );
    let lib = dir.path().join("crates/core/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        format!("{text}pub mod audited;\npub mod broken;\npub mod latin1;\n"),
    )
    .unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

const FORMATS: &[&str] = &["concise", "json", "sarif"];

/// One run's outputs in every format, and the number of files served from
/// the cache (from `--timings`).
fn outputs(dir: &Path, cache: &[&str]) -> (Vec<String>, usize) {
    let mut outs = Vec::new();
    let mut hits = usize::MAX;
    for format in FORMATS {
        let mut args = vec!["check", "--select", "ALL", "--timings", "--format", format];
        args.extend_from_slice(cache);
        let o = rustgate(dir, &args);
        assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
        let err = stderr(&o);
        let n = err
            .split(" from cache")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no cache count in {err}"));
        hits = hits.min(n);
        outs.push(stdout(&o));
    }
    (outs, hits)
}

/// Checks cached == uncached and returns how many files the cached run took
/// from the cache.
fn same_as_uncached(dir: &Path) -> usize {
    let (uncached, none) = outputs(dir, &["--no-cache"]);
    assert_eq!(none, 0);
    let (cached, hits) = outputs(dir, &[]);
    for ((u, c), format) in uncached.iter().zip(&cached).zip(FORMATS) {
        assert_eq!(u, c, "{format} output differs with the cache");
    }
    hits
}

fn cache_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let cache = dir.join("target/rustgate");
    // The cache files, not the folder's CACHEDIR.TAG marker.
    let mut files: Vec<_> = std::fs::read_dir(cache)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "bin"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn cached_runs_print_what_uncached_runs_print() {
    let dir = demo();
    let root = dir.path();
    // Cold, then warm: everything comes from the cache the second time.
    same_as_uncached(root);
    assert_eq!(
        cache_files(root).len(),
        1,
        "one cache file per configuration"
    );
    let files = same_as_uncached(root);
    assert!(files >= 12, "{files} files from the cache");

    // A file changes: it alone is checked again.
    let orders = root.join("crates/core/src/orders.rs");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        format!("{text}\npub fn late(p: *const u8) -> u8 {{\n    unsafe {{ *p }}\n}}\n"),
    )
    .unwrap();
    assert_eq!(same_as_uncached(root), files - 1);

    // A file is deleted (and its `mod` with it).
    std::fs::remove_file(root.join("crates/core/src/audited.rs")).unwrap();
    let lib = root.join("crates/core/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace("pub mod audited;\n", "")).unwrap();
    assert_eq!(same_as_uncached(root), files - 2);

    // The configuration changes: a different cache, nothing reused from the
    // other one; severities and per-file ignores apply to cached findings.
    write(
        root,
        "rustgate.toml",
        b"[unwrap-in-handler]\nindexing = true\n\n[severity]\nRG101 = \"warning\"\n\n[per-file-ignores]\n\"crates/core/src/ffi.rs\" = [\"RG101\"]\n",
    );
    let o = rustgate(root, &["check", "--no-cache"]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    assert_eq!(same_as_uncached(root), 0);
    assert_eq!(same_as_uncached(root), files - 1);
    assert_eq!(cache_files(root).len(), 2);

    // `rustgate clean` removes it all.
    let o = rustgate(root, &["clean"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(cache_files(root).is_empty());
    assert!(!root.join("target/rustgate").exists());
    assert_eq!(same_as_uncached(root), 0);
}

#[test]
fn a_damaged_cache_is_ignored_and_rebuilt() {
    let dir = demo();
    let root = dir.path();
    same_as_uncached(root);
    let files = same_as_uncached(root);
    let cache = cache_files(root).pop().unwrap();
    let good = std::fs::read(&cache).unwrap();

    let mut damaged: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("header only", good[..16].to_vec()),
        ("garbage", b"not a cache at all".repeat(100)),
        ("longer", [good.as_slice(), b"tail"].concat()),
    ];
    for at in [good.len() / 3, good.len() / 2, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x5a;
        damaged.push(("flipped byte", flipped));
    }
    for (what, bytes) in damaged {
        std::fs::write(&cache, &bytes).unwrap();
        assert_eq!(same_as_uncached(root), 0, "{what}: cache trusted");
        // Rewritten by that run: the next one uses it again.
        assert_eq!(same_as_uncached(root), files, "{what}: not rebuilt");
    }
}

#[test]
fn no_cache_writes_nothing_and_cache_dir_is_honoured() {
    let dir = demo();
    let root = dir.path();
    let o = rustgate(root, &["check", "--no-cache"]);
    assert!(code(&o) <= 1);
    assert!(!root.join("target").exists());
    let elsewhere = tempfile::tempdir().unwrap();
    let cache_dir = elsewhere.path().join("c");
    let c = cache_dir.to_str().unwrap();
    let (_, hits) = outputs(root, &["--cache-dir", c]);
    assert_eq!(hits, 0);
    assert!(!root.join("target").exists());
    let (_, hits) = outputs(root, &["--cache-dir", c]);
    assert!(hits >= 12);
    let o = rustgate(root, &["clean", "--cache-dir", c]);
    assert_eq!(code(&o), 0);
    assert!(!cache_dir.exists());
}
