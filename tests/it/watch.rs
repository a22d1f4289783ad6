//! `fixbook build --watch`: each change is rebuilt into the output folder, which after every
//! rebuild holds exactly what a clean build of the same files writes; a broken record leaves
//! the output as it was.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use crate::support::{assert_same_files, edit, sample_kb, send_lines, tree, Running};

/// `fixbook build --watch`, stopped when dropped; its stdout and stderr lines, in order.
struct Watching {
    _child: Running,
    lines: Receiver<String>,
}

impl Watching {
    fn start(root: &Path, out: &Path) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fixbook"))
            .args(["build", "--watch"])
            .arg(root)
            .arg("--out")
            .arg(out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        send_lines(child.stdout.take().unwrap(), tx.clone());
        send_lines(child.stderr.take().unwrap(), tx);
        Watching { _child: Running(child), lines }
    }

    /// Lines up to and including the first that starts with `prefix`.
    fn until(&self, prefix: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(l) => {
                    let done = l.starts_with(prefix);
                    seen.push(l);
                    if done {
                        return seen;
                    }
                }
                Err(_) => panic!("no line starting {prefix:?} within 60 s; saw {seen:?}"),
            }
        }
    }
}

/// The output is, file for file, what a clean build of the knowledge base writes.
fn assert_same_as_clean(root: &Path, public: &Path, what: &str) {
    let clean = tempfile::tempdir().unwrap();
    let opts =
        fixbook::BuildOptions { root: root.to_path_buf(), out: clean.path().join("public"), progress: false, links: fixbook::LinkStyle::Absolute, clean: true };
    fixbook::build(&opts).unwrap();
    assert_same_files(&tree(public), &tree(&clean.path().join("public")), what);
}

#[test]
fn watch_rebuilds_each_change_into_the_output_as_a_clean_build_would() {
    let kb = sample_kb();
    let root = kb.path();
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let w = Watching::start(root, &public);
    let first = w.until("Built ");
    assert!(first.last().unwrap().contains("watching"), "{first:?}");
    assert_same_as_clean(root, &public, "first build");
    let rec = root.join("content/remote-desktop/0x204.toml");

    edit(&rec, "Check that the host", "First check that the host");
    let line = w.until("Rebuilt ").pop().unwrap();
    assert!(line.starts_with("Rebuilt 1 page and the search index in "), "{line}");
    assert!(std::fs::read_to_string(public.join("remote-desktop/0x204/index.html")).unwrap().contains("First check that the host"));
    assert_same_as_clean(root, &public, "body edit");

    // The title shows on listings, related records, search results and the records data.
    edit(&rec, "title = \"", "title = \"Renamed: ");
    let line = w.until("Rebuilt ").pop().unwrap();
    assert!(line.contains("pages and the search index"), "{line}");
    assert_same_as_clean(root, &public, "title edit");
    let mut parts: Vec<String> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    parts.sort();
    assert_eq!(parts, [".public.fixbook-lock", ".public.fixbook-spare", "public"], "the site, its spare and the lock this watch holds, nothing left behind");

    // A broken record: the error names the file, and the output stays as it was.
    let before = tree(&public);
    edit(&rec, "summary = \"", "summary = ");
    let said = w.until("error").join("\n") + &w.until(&public.display().to_string()).join("\n");
    assert!(said.contains("content/remote-desktop/0x204.toml:"), "{said}");
    assert!(tree(&public) == before, "a failed rebuild leaves the output as it was");
    edit(&rec, "summary = ", "summary = \"Fixed: ");
    let line = w.until("Rebuilt ").pop().unwrap();
    assert!(line.starts_with("Rebuilt the whole site"), "after a failure everything is looked at: {line}");
    assert_same_as_clean(root, &public, "broken then fixed");

    // A record added, then removed: its folder goes with it.
    let added = root.join("content/remote-desktop/0x999.toml");
    std::fs::write(&added, "code = \"0x999\"\nproduct = \"remote-desktop\"\ntitle = \"A new one\"\nsummary = \"Added while watching.\"\n").unwrap();
    w.until("Rebuilt the whole site");
    assert!(public.join("remote-desktop/0x999/index.html").is_file());
    assert_same_as_clean(root, &public, "record added");
    std::fs::remove_file(&added).unwrap();
    w.until("Rebuilt the whole site");
    assert!(!public.join("remote-desktop/0x999").exists(), "the removed record's folder is gone");
    assert_same_as_clean(root, &public, "record removed");
}

/// A record that is a symbolic link to a file elsewhere in the knowledge base: saving that
/// file rebuilds, as a plain `build` would see the edit.
#[test]
fn watch_sees_edits_through_a_symlinked_record() {
    let kb = sample_kb();
    let root = kb.path();
    let target = crate::support::symlink_a_record(root);
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let w = Watching::start(root, &public);
    w.until("Built ");
    edit(&target, "title = \"", "title = \"Through the link: ");
    let seen = w.lines.recv_timeout(Duration::from_secs(10));
    assert!(seen.as_deref().is_ok_and(|l| l.starts_with("Rebuilt ")), "an edit of the file a record links to rebuilds: {seen:?}");
    assert!(std::fs::read_to_string(public.join("remote-desktop/0x204/index.html")).unwrap().contains("Through the link: "));
    assert_same_as_clean(root, &public, "edit through a link");
}
