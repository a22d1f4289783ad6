//! The output folder under pressure: two builds into it at once, symbolic links planted
//! beside it or inside it, a damaged output, and an output inside the knowledge base's own
//! folders. Nothing is lost, nothing outside Fixbook's folders is touched.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::support::{assert_same_files, edit, fixbook, fixture, kb, send_lines, tree, Running};

/// A clean build of `root` into a folder of its own, as [`tree`] lists it.
fn clean_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let opts = fixbook::BuildOptions { root: root.to_path_buf(), out: out.clone(), progress: false, links: fixbook::LinkStyle::Absolute, clean: true };
    fixbook::build(&opts).unwrap_or_else(|e| panic!("clean build of {}: {e}", root.display()));
    tree(&out)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `fixbook ARGS` in `cwd`, its stdout and stderr lines sent to the receiver as they come.
fn spawn(args: &[&str], cwd: &Path) -> (Running, Receiver<String>) {
    let mut child: Child =
        Command::new(env!("CARGO_BIN_EXE_fixbook")).args(args).current_dir(cwd).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (tx, lines) = channel();
    send_lines(child.stdout.take().unwrap(), tx.clone());
    send_lines(child.stderr.take().unwrap(), tx);
    (Running(child), lines)
}

/// The lines still to come from a process that ended (or that stay silent for half a second).
fn rest_of(lines: &Receiver<String>) -> Vec<String> {
    std::iter::from_fn(|| lines.recv_timeout(Duration::from_millis(500)).ok()).collect()
}

/// Waits up to `limit` for the process to end: its exit code, or `None` if it still runs.
fn exit_within(child: &mut Running, limit: Duration) -> Option<i32> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(status) = child.0.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A folder that looks like a site another Fixbook build made, with a page the user cares
/// about: what a planted symbolic link points at.
fn victim(parent: &Path) -> PathBuf {
    let victim = parent.join("other-site");
    std::fs::create_dir_all(victim.join("rd/0x204")).unwrap();
    std::fs::write(victim.join(".fixbook"), "marker").unwrap();
    std::fs::write(victim.join("index.html"), "the other site's home page").unwrap();
    std::fs::write(victim.join("rd/0x204/index.html"), "the other site's page").unwrap();
    victim
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A build started while another build holds the output's lock waits for it, saying so, and
/// leaves that build's staging folder alone; once the lock is free it builds the whole site.
#[test]
fn a_build_waits_for_another_build_into_the_same_output() {
    let dir = kb(&fixture("base"), &[]);
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    // Another build, pid 4242, is writing its staging folder and holds the lock.
    let staging = dir.path().join(".public.fixbook-staging-4242");
    std::fs::create_dir_all(staging.join("rd")).unwrap();
    std::fs::write(staging.join(".fixbook"), "marker").unwrap();
    std::fs::write(staging.join("rd/page.html"), "half written").unwrap();
    let lock = std::fs::OpenOptions::new().create(true).truncate(true).write(true).open(dir.path().join(".public.fixbook-lock")).unwrap();
    lock.lock_exclusive().unwrap();
    std::fs::write(dir.path().join(".public.fixbook-lock"), "4242\n").unwrap();

    let (mut child, lines) = spawn(&["build", "--clean"], dir.path());
    let said = lines.recv_timeout(Duration::from_secs(20));
    if let Some(code) = exit_within(&mut child, Duration::from_millis(500)) {
        panic!(
            "a build ran while another build held the output's lock (exit {code}, said {said:?}); the other build's staging folder {}",
            if staging.join("rd/page.html").exists() { "is still there" } else { "was removed under it" }
        );
    }
    let said = said.unwrap();
    assert!(said.contains("waiting for another build into public") && said.contains("pid 4242"), "{said}");
    assert!(staging.join("rd/page.html").exists(), "the other build's staging folder is left alone while it runs");

    // The other build ends without finishing: its staging folder is now provably abandoned.
    drop(lock);
    assert_eq!(exit_within(&mut child, Duration::from_secs(60)), Some(0), "{:?}", rest_of(&lines));
    assert!(!staging.exists(), "an abandoned staging folder is removed once the lock is ours");
    assert_same_files(&tree(&dir.path().join("public")), &clean_tree(dir.path()), "after waiting");
}

/// `build --watch` holds the output for as long as it runs: a build or an export into the
/// same folder waits, naming it, and goes on once the watch stops.
#[test]
fn a_build_waits_while_a_watch_holds_the_output() {
    let dir = kb(&fixture("base"), &[]);
    let (mut watch, said) = spawn(&["build", "--watch"], dir.path());
    let first = said.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(first.starts_with("Built 3 records into public"), "{first}");
    let pid = watch.0.id();
    for args in [&["build", "--clean"][..], &["export", "--format", "markdown", "--out", "public"][..]] {
        let (mut child, lines) = spawn(args, dir.path());
        let line = lines.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(line.contains(&format!("waiting for another build into public to finish (pid {pid}, `fixbook build --watch`)")), "{args:?}: {line}");
        assert_eq!(exit_within(&mut child, Duration::from_millis(300)), None, "{args:?} waits");
    }
    let _ = watch.0.kill();
    let _ = watch.0.wait();
    let (code, stdout, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Built 3 records into public"), "{stdout}");
}

/// A symbolic link where the lock file belongs is reported, not followed or written.
#[cfg(unix)]
#[test]
fn a_symlink_named_like_the_lock_file_is_not_followed() {
    let dir = kb(&fixture("base"), &[]);
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = victim(elsewhere.path());
    let before = tree(&victim);
    symlink(&victim.join("index.html"), &dir.path().join(".public.fixbook-lock"));
    let (code, _, stderr) = fixbook(&["build"], dir.path());
    assert_same_files(&tree(&victim), &before, &format!("the other site, changed through a link: {stderr}"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(".public.fixbook-lock is a symbolic link") && stderr.contains("hint:"), "{stderr}");
    assert!(!dir.path().join("public").exists());
}

/// A knowledge base of `n` generated records: large enough for two builds to overlap.
fn generated_kb(n: usize) -> tempfile::TempDir {
    let dir = kb(&fixture("base"), &[]);
    for i in 0..n {
        let product = if i % 2 == 0 { "rd" } else { "wu" };
        let text = format!(
            "code = \"0x{:x}\"\nproduct = \"{product}\"\ntitle = \"Generated error {i}\"\nsummary = \"Summary of generated error number {i}.\"\ntags = [\"tag{}\"]\n\n[[sections]]\nheading = \"Why it happens\"\nbody = \"Some **text** for record {i}, with words to index.\"\n",
            0x1000 + i,
            i % 7
        );
        std::fs::write(dir.path().join(format!("content/{product}/0x{:x}.toml", 0x1000 + i)), text).unwrap();
    }
    dir
}

/// Two `--clean` builds into one output at once, as two terminals or a CI job and a writer
/// start them: both succeed and the output is, file for file, what one build alone writes.
#[test]
fn two_builds_at_once_into_one_output_leave_the_whole_site() {
    let dir = generated_kb(1000);
    let want = clean_tree(dir.path());
    for round in 0..3 {
        let a = spawn(&["build", "--clean", "--quiet"], dir.path());
        let b = spawn(&["build", "--clean", "--quiet"], dir.path());
        for (mut child, lines) in [a, b] {
            let code = exit_within(&mut child, Duration::from_secs(120));
            assert_eq!(code, Some(0), "round {round}: {:?}", rest_of(&lines));
        }
        assert_same_files(&tree(&dir.path().join("public")), &want, &format!("round {round}"));
        let (code, stdout, stderr) = fixbook(&["build"], dir.path());
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.starts_with("Nothing changed"), "round {round}: {stdout}");
        let left: Vec<String> = names(dir.path()).into_iter().filter(|n| n.contains("staging") || n.contains("-old-")).collect();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
}

/// A symbolic link named like a staging folder of an earlier build, pointing at another
/// site: the build neither empties that site nor removes the link.
#[cfg(unix)]
#[test]
fn a_symlink_named_like_a_staging_folder_is_not_followed() {
    let dir = kb(&fixture("base"), &[]);
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = victim(elsewhere.path());
    let before = tree(&victim);
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    for name in [".public.fixbook-staging-1", ".public.fixbook-old-1"] {
        symlink(&victim, &dir.path().join(name));
    }
    let (code, _, stderr) = fixbook(&["build", "--clean"], dir.path());
    assert_same_files(&tree(&victim), &before, &format!("the other site, changed through a link: {stderr}"));
    assert_eq!(code, 0, "{stderr}");
    for name in [".public.fixbook-staging-1", ".public.fixbook-old-1"] {
        assert!(std::fs::symlink_metadata(dir.path().join(name)).unwrap().file_type().is_symlink(), "{name} is left as it was");
    }
    assert_same_files(&tree(&dir.path().join("public")), &clean_tree(dir.path()), "the site");
}

/// A symbolic link where the spare belongs, pointing at another site: no build writes into
/// that site, empties it or puts the link in place of the output; the build says why it
/// stopped.
#[cfg(unix)]
#[test]
fn a_symlink_named_like_the_spare_is_not_followed() {
    let dir = kb(&fixture("base"), &[]);
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = victim(elsewhere.path());
    let before = tree(&victim);
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    let site = tree(&dir.path().join("public"));
    symlink(&victim, &dir.path().join(".public.fixbook-spare"));
    edit(&dir.path().join("content/rd/0x204.toml"), "could not be reached", "could not be found");
    for args in [&["build"][..], &["build", "--clean"][..]] {
        let (code, _, stderr) = fixbook(args, dir.path());
        assert_same_files(&tree(&victim), &before, &format!("{args:?}: the other site, changed through a link: {stderr}"));
        assert!(!std::fs::symlink_metadata(dir.path().join("public")).unwrap().file_type().is_symlink(), "{args:?}: the output was replaced by the link");
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(".public.fixbook-spare") && stderr.contains("symbolic link"), "{args:?}: {stderr}");
        assert!(stderr.contains("hint:"), "{stderr}");
        assert_same_files(&tree(&dir.path().join("public")), &site, &format!("{args:?}: the output stays as it was"));
    }
    // Once the link is gone, the build goes on.
    std::fs::remove_file(dir.path().join(".public.fixbook-spare")).unwrap();
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    assert_same_files(&tree(&dir.path().join("public")), &clean_tree(dir.path()), "the site");
}

/// Symbolic links planted by hand inside the spare or inside the output are neither
/// followed nor carried into the new output.
#[cfg(unix)]
#[test]
fn a_symlink_inside_the_spare_or_the_output_is_not_followed() {
    for inside in ["spare", "output"] {
        let dir = kb(&fixture("base"), &[]);
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = victim(elsewhere.path());
        std::fs::write(elsewhere.path().join("secret.txt"), "not for the site").unwrap();
        let before = tree(elsewhere.path());
        let record = dir.path().join("content/rd/0x204.toml");
        assert_eq!(fixbook(&["build"], dir.path()).0, 0);
        edit(&record, "could not be reached", "could not be found");
        assert_eq!(fixbook(&["build"], dir.path()).0, 0);
        let spare = dir.path().join(".public.fixbook-spare");
        assert!(spare.join(".fixbook").is_file(), "a rebuild after an edit leaves a spare");
        let public = dir.path().join("public");
        if inside == "spare" {
            // The spare's folder of the product becomes a link to the other site's.
            std::fs::remove_dir_all(spare.join("rd")).unwrap();
            symlink(&victim.join("rd"), &spare.join("rd"));
        } else {
            symlink(&elsewhere.path().join("secret.txt"), &public.join("leak.txt"));
            symlink(&victim.join("rd"), &public.join("wu/linked"));
        }
        edit(&record, "could not be found", "could not be reached at all");
        let (code, _, stderr) = fixbook(&["build"], dir.path());
        assert_same_files(&tree(elsewhere.path()), &before, &format!("link inside the {inside}: the files outside, changed through it: {stderr}"));
        assert_eq!(code, 0, "{stderr}");
        let links: Vec<_> =
            walkdir::WalkDir::new(&public).into_iter().map(Result::unwrap).filter(|e| e.path_is_symlink()).map(|e| e.path().to_path_buf()).collect();
        assert!(links.is_empty(), "link inside the {inside}: carried into the new output: {links:?}");
        assert_same_files(&tree(&public), &clean_tree(dir.path()), &format!("link inside the {inside}: the site"));
    }
}

/// An output damaged by hand (a page deleted, the home page overwritten) is noticed and
/// repaired by the next build, whether or not a record changed.
#[test]
fn a_damaged_output_is_repaired() {
    let dir = kb(&fixture("base"), &[]);
    let public = dir.path().join("public");
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    std::fs::remove_file(public.join("rd/0xc07/index.html")).unwrap();
    std::fs::write(public.join("index.html"), "overwritten").unwrap();
    let (code, stdout, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.starts_with("Nothing changed"), "a damaged output was taken as up to date: {stdout}");
    assert_same_files(&tree(&public), &clean_tree(dir.path()), "after damage");

    // Damage, then an edit to another record: the rebuild of the edited pages repairs the rest.
    std::fs::remove_file(public.join("rd/0xc07/index.html")).unwrap();
    std::fs::write(public.join("wu/0x80070005/index.html"), "overwritten").unwrap();
    edit(&dir.path().join("content/rd/0x204.toml"), "could not be reached", "could not be found");
    let (code, _, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert_same_files(&tree(&public), &clean_tree(dir.path()), "after damage and an edit");
    let (_, stdout, _) = fixbook(&["build"], dir.path());
    assert!(stdout.starts_with("Nothing changed"), "an intact output is still up to date: {stdout}");
}

/// An output inside content/, static/, templates/ or the cache folder (however the path is
/// spelled) is refused before anything is written, by every command that writes a folder.
#[test]
fn an_output_inside_the_knowledge_base_folders_is_refused() {
    let dir = kb(&fixture("base"), &[]);
    for folder in ["static", "templates"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    #[cfg(unix)]
    symlink(&dir.path().join("content"), &dir.path().join("words"));
    let mut outs = vec!["content/site", "content", "static/site", "templates/site", ".fixbook-cache/site", "public/../content/rd/site", "./static"];
    if cfg!(unix) {
        outs.push("words/site");
    }
    for out in outs {
        for args in [&["build", "--out", out][..], &["export", "--format", "markdown", "--out", out][..]] {
            let (code, _, stderr) = fixbook(args, dir.path());
            assert_eq!(code, 1, "{args:?}: {stderr}");
            assert!(stderr.contains("inside") && stderr.contains("hint:"), "{args:?}: {stderr}");
        }
    }
    for leftover in ["content/site", "static/site", "templates/site", "content/rd/site", "content/.fixbook", "static/.fixbook"] {
        assert!(!dir.path().join(leftover).exists(), "{leftover} was written");
    }
    // `build --watch` stops at once instead of rebuilding its own output forever.
    let (mut child, lines) = spawn(&["build", "--watch", "--out", "content/site"], dir.path());
    let code = exit_within(&mut child, Duration::from_secs(30));
    let said = rest_of(&lines);
    assert_eq!(code, Some(1), "{said:?}");
    assert!(said.iter().any(|l| l.contains("inside")), "{said:?}");
    assert!(!dir.path().join("content/site").exists());
}
