use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc::Sender;

use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// Copies the knowledge base at `from` into `to`, without the cache that tests which build or
/// search the fixtures in place leave there: each copy starts as a fresh checkout would.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().filter_entry(|e| e.file_name() != fixbook::fs::CACHE_DIR) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A knowledge base in a temporary folder: a copy of `base`, with `overlays` copied over it.
pub fn kb(base: &Path, overlays: &[&Path]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base, dir.path());
    for o in overlays {
        copy_dir(o, dir.path());
    }
    dir
}

/// A scratch copy of the bundled sample knowledge base (site.toml and content/ only).
pub fn sample_kb() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo_root().join("site.toml"), dir.path().join("site.toml")).unwrap();
    copy_dir(&repo_root().join("content"), &dir.path().join("content"));
    dir
}

/// A built site in a temporary folder.
pub struct Built {
    _dir: TempDir,
    pub out: PathBuf,
    pub summary: fixbook::BuildSummary,
}

impl Built {
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.out.join(rel).exists()
    }
}

pub fn build(root: &Path) -> Built {
    build_with(root, fixbook::LinkStyle::Absolute)
}

pub fn build_with(root: &Path, links: fixbook::LinkStyle) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let summary = fixbook::build(&fixbook::BuildOptions { root: root.to_path_buf(), out: out.clone(), progress: false, links, clean: false })
        .unwrap_or_else(|e| panic!("build of {} failed:\n{e}", root.display()));
    Built { _dir: dir, out, summary }
}

/// Runs the `fixbook` binary; returns (exit code, stdout, stderr).
pub fn fixbook(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fixbook")).args(args).current_dir(cwd).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Every file under `dir` as (relative path, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// Replaces the first `from` in the file at `path` with `to`, with a new modification time.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    // A new modification time even on a coarse clock.
    std::thread::sleep(std::time::Duration::from_millis(15));
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Two sites as [`tree`] lists them are the same, file for file and byte for byte.
pub fn assert_same_files(got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)], what: &str) {
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{what}: the same files");
    for ((p, a), (_, b)) in got.iter().zip(want) {
        assert!(a == b, "{what}: {p} differs");
    }
}

/// A process a test started, killed when dropped: a failing assertion must not leave a
/// server or watcher running.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes the sample record `remote-desktop/0x204` a symbolic link to a file elsewhere in the
/// knowledge base at `root` (`shared/0x204.toml`), and returns that file: saving it edits the
/// record.
pub fn symlink_a_record(root: &Path) -> PathBuf {
    let shared = root.join("shared");
    std::fs::create_dir(&shared).unwrap();
    let record = root.join("content/remote-desktop/0x204.toml");
    std::fs::rename(&record, shared.join("0x204.toml")).unwrap();
    std::os::unix::fs::symlink("../../shared/0x204.toml", &record).unwrap();
    shared.join("0x204.toml")
}

/// Sends each line read from `from` to `to`, on a thread of its own, until either closes.
pub fn send_lines(from: impl Read + Send + 'static, to: Sender<String>) {
    std::thread::spawn(move || BufReader::new(from).lines().map_while(Result::ok).for_each(|l| drop(to.send(l))));
}
