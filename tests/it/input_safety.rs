//! What a build keeps beside the knowledge base: the cache's ignore file stays inside the
//! cache, and nothing is written or deleted through a link in its place.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use crate::support::{fixture, fixbook, kb};

fn build_into(root: &Path, out: &Path) -> Result<fixbook::BuildSummary, String> {
    fixbook::build(&fixbook::BuildOptions { root: root.to_path_buf(), out: out.to_path_buf(), progress: false, links: Default::default(), clean: false })
        .map_err(|e| e.to_string())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_NOSYSTEM", "1").output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the base fixture without the cache other tests' searches leave in it.
fn base_kb() -> tempfile::TempDir {
    let dir = kb(&fixture("base"), &[]);
    let _ = std::fs::remove_dir_all(dir.path().join(".fixbook-cache"));
    dir
}

const RECORD: &str = "code = \"0x999\"\nproduct = \"rd\"\ntitle = \"Added after the build\"\nsummary = \"s\"\n";

#[test]
fn records_added_after_a_build_are_still_seen_by_git() {
    let dir = base_kb();
    let root = dir.path();
    git(root, &["init", "-q"]);
    let out = tempfile::tempdir().unwrap();
    build_into(root, &out.path().join("public")).unwrap();
    // `fixbook search` keeps its index in the cache too.
    let (code, _, err) = fixbook(&["search", ".", "0xc07"], root);
    assert_eq!(code, 0, "{err}");
    assert!(!root.join(".gitignore").exists(), "Fixbook wrote {}:\n{}", root.join(".gitignore").display(), std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default());
    assert_eq!(std::fs::read_to_string(root.join(".fixbook-cache/.gitignore")).unwrap(), "*\n", "the cache ignores itself");

    std::fs::write(root.join("content/rd/0x999.toml"), RECORD).unwrap();
    let status = git(root, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.lines().any(|l| l == "?? content/rd/0x999.toml"), "git sees the new record: {status}");
    assert!(!status.contains(".fixbook-cache"), "git does not see the cache: {status}");
    let cleaned = git(root, &["clean", "-X", "-n"]);
    assert!(!cleaned.contains("content/"), "`git clean -X` would delete records: {cleaned}");
}

#[test]
fn a_cache_folder_that_is_a_link_is_neither_written_through_nor_emptied() {
    let dir = base_kb();
    let root = dir.path();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(elsewhere.path().join("search")).unwrap();
    std::fs::write(elsewhere.path().join("search/keep.txt"), "not Fixbook's").unwrap();
    symlink(elsewhere.path(), root.join(".fixbook-cache")).unwrap();
    let out = tempfile::tempdir().unwrap();
    build_into(root, &out.path().join("public")).expect("a build works without its cache");
    let (code, _, err) = fixbook(&["search", ".", "0xc07"], root);
    assert_ne!(code, 0, "search cannot keep its index there");
    assert!(err.contains(".fixbook-cache") && err.contains("symbolic link"), "the error says why: {err}");
    let mut left: Vec<String> = walkdir::WalkDir::new(elsewhere.path()).min_depth(1).into_iter().map(|e| e.unwrap().path().strip_prefix(elsewhere.path()).unwrap().display().to_string()).collect();
    left.sort();
    assert_eq!(left, ["search", "search/keep.txt"], "nothing written or deleted through the link");
}
