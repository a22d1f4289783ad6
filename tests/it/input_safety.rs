//! What a build reads from the knowledge base, and what it keeps beside it: only regular files
//! inside the knowledge base are read, the cache's ignore file stays inside the cache, and
//! nothing taken from the cache is older or less checked than the files themselves.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{fixbook, fixture, kb};

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
    assert!(
        !root.join(".gitignore").exists(),
        "Fixbook wrote {}:\n{}",
        root.join(".gitignore").display(),
        std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default()
    );
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
    let mut left: Vec<String> = walkdir::WalkDir::new(elsewhere.path())
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap().path().strip_prefix(elsewhere.path()).unwrap().display().to_string())
        .collect();
    left.sort();
    assert_eq!(left, ["search", "search/keep.txt"], "nothing written or deleted through the link");
}

/// The build's errors, from the binary (the file is opened by the process that reports it).
fn build_errors(root: &Path) -> String {
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = fixbook(&["build", ".", "--out", out.path().join("public").to_str().unwrap()], root);
    assert_eq!(code, 1, "the build fails: {err}");
    assert!(!out.path().join("public").exists(), "a failed build writes nothing");
    err
}

#[test]
fn a_site_file_linked_outside_is_refused_and_never_quoted() {
    let dir = base_kb();
    let root = dir.path();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("environ"), "API_TOKEN=hunter2-secret\n").unwrap();
    std::fs::remove_file(root.join("site.toml")).unwrap();
    symlink(elsewhere.path().join("environ"), root.join("site.toml")).unwrap();
    let (_, out, err) = fixbook(&["check", "."], root);
    for err in [build_errors(root), out + &err] {
        assert!(!err.contains("hunter2"), "nothing of the file is shown: {err}");
        assert!(err.contains("site.toml") && err.contains("outside the knowledge base"), "{err}");
    }
}

/// Runs `fixbook args` in `dir`, killed after 20 s: (exit code, stdout and stderr, seconds).
fn run_bounded(args: &[&str], dir: &Path) -> (Option<i32>, String, f64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixbook")).args(args).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut text).unwrap();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut text).unwrap();
            return (status.code(), text, started.elapsed().as_secs_f64());
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            return (None, String::new(), started.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_site_file_that_is_a_pipe_is_an_error_not_a_hang() {
    let dir = base_kb();
    let root = dir.path();
    std::fs::remove_file(root.join("site.toml")).unwrap();
    assert!(Command::new("mkfifo").arg(root.join("site.toml")).status().unwrap().success());
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("public");
    for args in [vec!["build", ".", "--out", out.to_str().unwrap()], vec!["check", "."]] {
        let (code, err, seconds) = run_bounded(&args, root);
        assert_eq!(code, Some(1), "`fixbook {}` ends with an error (after {seconds:.1} s): {err}", args[0]);
        assert!(err.contains("site.toml") && err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn templates_and_static_files_are_read_only_inside_the_knowledge_base() {
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("secret.txt"), "hunter2-secret").unwrap();

    // A template linked out.
    let dir = base_kb();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    symlink(elsewhere.path().join("secret.txt"), dir.path().join("templates/404.html")).unwrap();
    let err = build_errors(dir.path());
    assert!(err.contains("templates/404.html") && err.contains("outside the knowledge base"), "{err}");

    // The whole static folder linked out: its files would be published.
    let dir = base_kb();
    symlink(elsewhere.path(), dir.path().join("static")).unwrap();
    let err = build_errors(dir.path());
    assert!(err.contains("static: ") && err.contains("outside the knowledge base"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    // A pipe among the static files.
    let dir = base_kb();
    std::fs::create_dir(dir.path().join("static")).unwrap();
    assert!(Command::new("mkfifo").arg(dir.path().join("static/pipe.css")).status().unwrap().success());
    let (code, err, _) = run_bounded(&["build", ".", "--out", elsewhere.path().join("public").to_str().unwrap()], dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("static/pipe.css") && err.contains("not a regular file"), "{err}");

    // A link that stays inside is followed.
    let dir = base_kb();
    std::fs::create_dir_all(dir.path().join("static/assets")).unwrap();
    std::fs::write(dir.path().join("shared.css"), "body { color: teal }").unwrap();
    symlink(dir.path().join("shared.css"), dir.path().join("static/assets/extra.css")).unwrap();
    let out = tempfile::tempdir().unwrap();
    build_into(dir.path(), &out.path().join("public")).unwrap();
    assert_eq!(std::fs::read_to_string(out.path().join("public/assets/extra.css")).unwrap(), "body { color: teal }");
}

/// Replaces `from` by `to` (of the same length) in `path`, and gives the file back its
/// modification time, as `touch -r` does.
fn edit_keeping_mtime(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    std::fs::File::options().write(true).open(path).unwrap().set_modified(modified).unwrap();
    assert_eq!(std::fs::metadata(path).unwrap().modified().unwrap(), modified);
}

fn title_of(out: &Path, page: &str) -> String {
    let html = std::fs::read_to_string(out.join(page)).unwrap();
    let start = html.find("<h1").unwrap();
    html[start..start + html[start..].find("</h1>").unwrap()].to_string()
}

#[test]
fn a_same_length_edit_with_the_old_modification_time_is_rebuilt() {
    let dir = base_kb();
    let root = dir.path();
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("first"), out.path().join("second"));
    build_into(root, &first).unwrap();
    let before = title_of(&first, "rd/0xc07/index.html");
    let file = root.join("content/rd/0xc07.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let title = text.lines().find_map(|l| l.strip_prefix("title = \"")).unwrap().trim_end_matches('"').to_string();
    let edited: String = title.chars().rev().collect();
    assert_ne!(title, edited);
    edit_keeping_mtime(&file, &title, &edited);

    build_into(root, &second).unwrap();
    assert!(title_of(&second, "rd/0xc07/index.html").contains(&edited), "a new output folder shows the edit: {}", title_of(&second, "rd/0xc07/index.html"));
    build_into(root, &first).unwrap();
    assert!(title_of(&first, "rd/0xc07/index.html").contains(&edited), "the same output folder shows the edit (was {before})");
}

#[test]
fn a_copied_knowledge_base_and_its_cache_publish_nothing_check_refuses() {
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("kb");
    crate::support::copy_dir(&fixture("base"), &original);
    let _ = std::fs::remove_dir_all(original.join(".fixbook-cache"));
    build_into(&original, &work.path().join("public")).unwrap();
    // A same-length edit that brings in a right-to-left override, modification time restored:
    // the cache still holds the record as it was.
    let file = original.join("content/rd/0xc07.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let title = text.lines().find_map(|l| l.strip_prefix("title = \"")).unwrap();
    edit_keeping_mtime(&file, &format!("title = \"{}", &title[..3]), "title = \"\u{202E}");
    // Shipped: copied with its cache, times kept (tar, zip and rsync -a do the same).
    let copy = work.path().join("copy");
    assert!(Command::new("cp").arg("-a").arg(&original).arg(&copy).status().unwrap().success());
    assert!(copy.join(".fixbook-cache/records.bin").is_file(), "the cache came along");

    let check = fixbook::check(&copy);
    assert!(check.errors.iter().any(|d| d.message.contains("bidirectional control")), "check refuses it: {:?}", check.errors);
    let err = build_into(&copy, &work.path().join("published")).expect_err("the copy's build refuses what check refuses");
    assert!(err.contains("bidirectional control") && err.contains("content/rd/0xc07.toml"), "{err}");
    let err = build_into(&original, &work.path().join("public")).expect_err("so does the original's");
    assert!(err.contains("bidirectional control"), "{err}");
}

#[test]
fn record_names_that_are_not_utf8_are_errors() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = base_kb();
    let rd = dir.path().join("content/rd");
    // Both names read as `x\u{FFFD}` when made into text, so they would get one id.
    for (name, code) in [(&b"x\xff.toml"[..], "0xa1"), (&b"x\xfe.toml"[..], "0xa2")] {
        std::fs::write(rd.join(OsStr::from_bytes(name)), format!("code = \"{code}\"\nproduct = \"rd\"\ntitle = \"t\"\nsummary = \"s\"\n")).unwrap();
    }
    let folder = dir.path().join("content").join(OsStr::from_bytes(b"f\xe9"));
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("0xa3.toml"), "code = \"0xa3\"\nproduct = \"rd\"\ntitle = \"t\"\nsummary = \"s\"\n").unwrap();
    let err = build_errors(dir.path());
    for shown in ["content/rd/x\u{FFFD}.toml", "content/f\u{FFFD}/0xa3.toml"] {
        let at = err.find(&format!("--> {shown}")).unwrap_or_else(|| panic!("{shown} is reported: {err}"));
        assert!(err[..at].rsplit("error: ").next().unwrap().contains("not valid UTF-8"), "{err}");
    }
    assert_eq!(err.matches("--> content/rd/x\u{FFFD}.toml").count(), 2, "both files: {err}");
    assert!(err.contains("rename"), "says what to do: {err}");
}

#[test]
fn static_and_template_names_that_are_not_utf8_are_errors() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = base_kb();
    std::fs::create_dir_all(dir.path().join("static/img")).unwrap();
    // Both would be published as img/a\u{FFFD}.svg, one over the other.
    for name in [&b"a\xff.svg"[..], &b"a\xfe.svg"[..]] {
        std::fs::write(dir.path().join("static/img").join(OsStr::from_bytes(name)), "<svg/>").unwrap();
    }
    let err = build_errors(dir.path());
    assert!(err.contains("static/img/a\u{FFFD}.svg") && err.contains("not valid UTF-8") && err.contains("rename"), "{err}");
}

#[test]
fn search_sees_a_same_length_edit_with_the_old_modification_time() {
    let dir = base_kb();
    let root = dir.path();
    let (code, first, err) = fixbook(&["search", ".", "0xc07", "--json"], root);
    assert_eq!(code, 0, "{err}");
    let file = root.join("content/rd/0xc07.toml");
    let new_word = "zqxjkz";
    edit_keeping_mtime(&file, "title = \"Remote", &format!("title = \"{new_word}"));
    let (code, hits, err) = fixbook(&["search", ".", new_word, "--json"], root);
    assert_eq!(code, 0, "{err}");
    assert!(hits.contains("rd/0xc07"), "the index was made again from the edited file: {hits} (before the edit: {first})");
}
