//! The last stage: pages go into a staging folder beside the output, which replaces the
//! output only when everything succeeded. Fixbook marks the folders it makes and never
//! removes a folder without its mark.

use std::path::{Path, PathBuf};

use crate::fs::{self, FsError};

/// The file Fixbook leaves in every output folder it creates.
pub const MARKER: &str = ".fixbook";
const MARKER_TEXT: &str = "This folder is written by Fixbook and replaced as a whole on every build.\n\
Do not keep your own files here: they would be removed by the next build.\n";

/// Where rendered files go.
pub trait Sink: Sync {
    /// `path` is site-relative with `/` separators, already sanitised.
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), FsError>;
}

pub struct DirSink {
    pub dir: PathBuf,
    /// The folder holds hard links to the previous output's files: a file whose bytes are
    /// the same is left as it is, any other is unlinked before it is written, so the previous
    /// output is never written through a link.
    pub linked: bool,
    /// What was put, when `linked`, so that the previous output's files this build no longer
    /// makes can be told apart.
    put: std::sync::Mutex<std::collections::HashSet<String>>,
    /// What was written, when `linked`: where the new output differs from the previous one.
    changed: std::sync::Mutex<Vec<String>>,
    written: std::sync::atomic::AtomicUsize,
}

impl DirSink {
    pub fn new(dir: PathBuf, linked: bool) -> DirSink {
        DirSink { dir, linked, put: Default::default(), changed: Default::default(), written: Default::default() }
    }

    /// How many files were written, not counting those left as they were.
    pub fn written(&self) -> usize {
        self.written.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Sink for DirSink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), FsError> {
        debug_assert!(!path.starts_with('/') && !path.split('/').any(|p| p == ".."), "{path}");
        let full = self.dir.join(path);
        if self.linked {
            self.put.lock().expect("no writer panics while holding the lock").insert(path.to_string());
            // Reading a file back is far cheaper than making a new one, and most files a
            // rebuild renders again (listings, search shards) come out the same.
            if std::fs::metadata(&full).is_ok_and(|m| m.len() == bytes.len() as u64) && std::fs::read(&full).is_ok_and(|old| old == bytes) {
                return Ok(());
            }
            let _ = std::fs::remove_file(&full);
            if path != MARKER {
                // Each folder has its own marker: it is never linked.
                self.changed.lock().expect("no writer panics while holding the lock").push(path.to_string());
            }
        }
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&full, bytes)?;
        self.written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

impl DirSink {
    /// Removes a file of the previous output, in a folder that holds one ([`DirSink::linked`]),
    /// and the folders it leaves empty.
    pub fn remove(&self, path: &str) -> Result<(), FsError> {
        debug_assert!(self.linked && !path.starts_with('/') && !path.split('/').any(|p| p == ".."), "{path}");
        remove_file_in(&self.dir, path)?;
        self.changed.lock().expect("no writer panics while holding the lock").push(path.to_string());
        Ok(())
    }
}

/// Removes `rel` under `root` if it is there, then each folder above it that this leaves
/// empty, up to `root`.
fn remove_file_in(root: &Path, rel: &str) -> Result<(), FsError> {
    remove_if_there(&root.join(rel))?;
    for folder in Path::new(rel).ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        if std::fs::remove_dir(root.join(folder)).is_err() {
            break;
        }
    }
    Ok(())
}

/// Removes the file at `path`; one that is not there is fine.
fn remove_if_there(path: &Path) -> Result<(), FsError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(FsError { action: "remove", path: path.to_path_buf(), source: e }),
        _ => Ok(()),
    }
}

/// Files kept in memory, for outputs that are one file (a zip, a single HTML page).
#[derive(Default)]
pub struct MemorySink {
    files: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl Sink for MemorySink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), FsError> {
        self.files.lock().expect("no writer panics while holding the lock").insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

impl MemorySink {
    /// Every file, sorted by path.
    pub fn into_files(self) -> std::collections::BTreeMap<String, Vec<u8>> {
        self.files.into_inner().expect("no writer panics while holding the lock")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{} already exists and was not created by Fixbook (it has no {MARKER} file), so it was left untouched",
        .0.display()
    )]
    NotOurs(PathBuf),
    #[error("{} exists and is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{} already exists and is not a file Fixbook wrote, so it was left untouched", .0.display())]
    NotOurFile(PathBuf),
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl OutputError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            OutputError::NotOurs(_) => Some("choose another folder with --out, or move that folder's files away yourself"),
            OutputError::NotOurFile(_) => Some("choose another file name with --out, or move that file away yourself"),
            _ => None,
        }
    }
}

/// Renders into a fresh staging folder with `write`, then swaps it in at `out`.
/// On any error the staging folder is removed and `out` is as it was.
pub fn publish<T, E>(out: &Path, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    check_replaceable(out)?;
    let staging = sibling(out, "staging");
    remove_stale_siblings(out);
    make_folder(&staging)?;
    let sink = DirSink::new(staging.clone(), false);
    let result = sink.put(MARKER, MARKER_TEXT.as_bytes()).map_err(OutputError::from).map_err(E::from).and_then(|()| write(&sink));
    finish(result, &staging, |staging| swap_in(staging, out))
}

/// A folder of the site, and which of its files belong to one build only (by site-relative path).
pub type Transient<'a> = (&'a str, &'a dyn Fn(&str) -> bool);

/// Like [`publish`], for a build that rewrites few files: the staging folder starts as a copy
/// of the current `out`, file for file (hard links, or copies where the file system has none),
/// and `write` replaces what changed. With `transient`, a file under its folder that its test
/// names (by site-relative path) and `write` does not put again is dropped: it belonged to the
/// previous build only.
///
/// The folder `out` replaces is kept beside it as a spare (`.public.fixbook-spare`) whose files
/// are nearly all hard links to the new output's, with a list of those that are not
/// ([`CHANGES`]). The next such build takes the spare as its staging folder and relinks only
/// the files listed, instead of linking every file into new folders and removing the previous
/// tree afterwards: on ext4, making and removing some 10,000 folders per build cost more than
/// rendering the pages that changed. A spare without the list is compared with `out` file by
/// file. A full build removes the spare.
pub fn publish_reusing<T, E>(out: &Path, transient: Option<Transient>, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    check_replaceable(out)?;
    let staging = sibling(out, "staging");
    remove_stale_siblings(out);
    let spare = spare(out);
    let claimed = spare.join(MARKER).is_file() && std::fs::rename(&spare, &staging).is_ok();
    if !claimed {
        make_folder(&staging)?;
    }
    let sink = DirSink::new(staging.clone(), true);
    let copied = if claimed { sync_spare(out, &staging) } else { sink.put(MARKER, MARKER_TEXT.as_bytes()).and_then(|()| link_tree(out, &staging)) };
    let result = copied.map_err(OutputError::from).map_err(E::from).and_then(|()| {
        let value = write(&sink)?;
        let put = sink.put.lock().expect("no writer panics while holding the lock");
        let mut changed = std::mem::take(&mut *sink.changed.lock().expect("no writer panics while holding the lock"));
        let (transient_dir, transient) = transient.unwrap_or(("", &|_| false));
        let swept = if transient_dir.is_empty() { Vec::new() } else { files_of(&staging.join(transient_dir)) };
        for rel in swept.into_iter().map(|(rel, _)| format!("{}/{rel}", transient_dir.trim_end_matches('/'))) {
            if transient(&rel) && !put.contains(&rel) {
                let path = staging.join(&rel);
                std::fs::remove_file(&path).map_err(|source| E::from(OutputError::Fs(FsError { action: "remove", path, source })))?;
                changed.push(rel);
            }
        }
        Ok((value, changed))
    });
    finish(result, &staging, |staging| exchange_in(staging, out)).map(|(value, changed)| {
        write_changes(&spare, &changed);
        value
    })
}

/// Replaces `out` with a copy of it where the files of `put` are written and those named in
/// `removed` are gone, through the spare of [`publish_reusing`]: for a change known file by
/// file (`build --watch`), nothing else is read or compared.
pub fn publish_changes(out: &Path, put: &[(&str, &[u8])], removed: &[&str]) -> Result<(), OutputError> {
    publish_reusing::<_, OutputError>(out, None, |sink| {
        use rayon::prelude::*;
        put.par_iter().try_for_each(|(path, bytes)| sink.put(path, bytes))?;
        for path in removed {
            sink.remove(path)?;
        }
        Ok(())
    })
}

/// The file in a spare that lists, one site-relative path per line, the files where the spare
/// differs from the output (see [`publish_reusing`]).
pub const CHANGES: &str = ".fixbook-changes";

/// Best effort: a spare without the list is compared with the output file by file.
fn write_changes(spare: &Path, changed: &[String]) {
    if !spare.join(MARKER).is_file() {
        return;
    }
    let mut text = changed.join("\n");
    text.push('\n');
    let tmp = spare.join(format!("{CHANGES}.partial"));
    if std::fs::write(&tmp, text).is_err() || std::fs::rename(&tmp, spare.join(CHANGES)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Makes `staging`, the spare of an earlier [`publish_reusing`], a copy of `out`: from the
/// spare's list of changes when it has one, file by file otherwise.
fn sync_spare(out: &Path, staging: &Path) -> Result<(), FsError> {
    let list = staging.join(CHANGES);
    let Ok(text) = std::fs::read_to_string(&list) else { return sync_tree(out, staging) };
    std::fs::remove_file(&list).map_err(|source| FsError { action: "remove", path: list.clone(), source })?;
    let mut missing = Vec::new();
    for rel in text.lines().filter(|l| !l.is_empty()) {
        if rel == MARKER || rel.starts_with('/') || rel.split('/').any(|p| p == ".." || p.is_empty()) {
            // Not a list this module wrote.
            return sync_tree(out, staging);
        }
        if out.join(rel).is_file() {
            // Its folder stays: the file is linked again right after.
            let path = staging.join(rel);
            remove_if_there(&path)?;
            missing.push((out.join(rel), path));
        } else {
            remove_file_in(staging, rel)?;
        }
    }
    link_files(missing)
}

/// A new, empty staging folder (its parent made if needed).
fn make_folder(staging: &Path) -> Result<(), OutputError> {
    fs::create_dir_all(staging.parent().unwrap_or(Path::new(".")))?;
    Ok(fs::create_dir(staging)?)
}

/// Swaps the staging folder in when `result` is a success; removes it otherwise.
fn finish<T, E: From<OutputError>>(result: Result<T, E>, staging: &Path, swap: impl FnOnce(&Path) -> Result<(), OutputError>) -> Result<T, E> {
    match result {
        Ok(value) => {
            swap(staging).map_err(|e| {
                let _ = std::fs::remove_dir_all(staging);
                E::from(e)
            })?;
            Ok(value)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(staging);
            Err(e)
        }
    }
}

/// Writes one file at `out` through a temporary file beside it, renamed into place only when
/// `write` succeeded, so a failure leaves the previous file as it was. `ours` says whether an
/// existing file at `out` was written by Fixbook (and may be replaced).
pub fn publish_file(out: &Path, ours: impl FnOnce(&Path) -> bool, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.is_file() || !ours(out) => return Err(OutputError::NotOurFile(out.to_path_buf())),
        _ => {}
    }
    let tmp = sibling(out, "partial");
    let fail = |source| OutputError::Fs(FsError { action: "write", path: tmp.clone(), source });
    let mut file = std::fs::File::create(&tmp).map_err(fail)?;
    let written = write(&mut file).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    std::fs::rename(&tmp, out).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Fs(FsError { action: "move into place", path: out.to_path_buf(), source })
    })
}

/// Every file of `from` (but the marker) linked at the same path in `to`.
fn link_tree(from: &Path, to: &Path) -> Result<(), FsError> {
    let files = files_of(from);
    link_files(files.iter().map(|(rel, _)| (from.join(rel), to.join(rel))).collect())
}

/// Makes `to`, a copy of an earlier `from` made by [`link_tree`] or by this, a copy of `from`
/// as it is now (but the marker): a file still linked to the same file of `from` is kept,
/// every other one removed or linked again.
fn sync_tree(from: &Path, to: &Path) -> Result<(), FsError> {
    // The two walks are most of the time a warm build spends here: run them side by side.
    let (files, present) = rayon::join(|| files_of(from), || entries_of(to));
    let mut wanted: std::collections::HashMap<&str, Option<u64>> = files.iter().map(|(rel, ino)| (rel.as_str(), *ino)).collect();
    let folders: std::collections::HashSet<&Path> = files.iter().flat_map(|(rel, _)| Path::new(rel).ancestors().skip(1)).collect();
    for entry in present? {
        if entry.is_dir {
            if !folders.contains(Path::new(&entry.rel)) {
                let _ = std::fs::remove_dir(to.join(&entry.rel));
            }
            continue;
        }
        if entry.rel == MARKER {
            continue;
        }
        match wanted.get(entry.rel.as_str()) {
            Some(&Some(ino)) if entry.ino == Some(ino) => {
                wanted.remove(entry.rel.as_str());
            }
            _ => {
                let path = to.join(&entry.rel);
                std::fs::remove_file(&path).map_err(|source| FsError { action: "remove", path, source })?
            }
        }
    }
    let mut missing: Vec<(PathBuf, PathBuf)> = wanted.into_keys().map(|rel| (from.join(rel), to.join(rel))).collect();
    missing.sort();
    link_files(missing)
}

struct Entry {
    rel: String,
    is_dir: bool,
    ino: Option<u64>,
}

/// Everything under `dir`, contents before their folder, so that a folder emptied by removing
/// its files is empty when it is reached.
fn entries_of(dir: &Path) -> Result<Vec<Entry>, FsError> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .contents_first(true)
        .into_iter()
        .map(|entry| {
            let entry = entry.map_err(|e| FsError { action: "list", path: e.path().unwrap_or(dir).to_path_buf(), source: e.into() })?;
            Ok(Entry { rel: relative(dir, entry.path()), is_dir: entry.file_type().is_dir(), ino: inode(&entry) })
        })
        .collect()
}

/// Files under `dir` (but the marker) by site-relative path, with their inode numbers where
/// the system has them.
fn files_of(dir: &Path) -> Vec<(String, Option<u64>)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| (relative(dir, e.path()), inode(&e)))
        .filter(|(rel, _)| rel != MARKER)
        .collect()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(unix)]
fn inode(entry: &walkdir::DirEntry) -> Option<u64> {
    use walkdir::DirEntryExt;
    Some(entry.ino())
}

#[cfg(not(unix))]
fn inode(_: &walkdir::DirEntry) -> Option<u64> {
    None
}

/// Hard-links (or copies) each source file to its destination, making folders as needed.
fn link_files(files: Vec<(PathBuf, PathBuf)>) -> Result<(), FsError> {
    let mut made = std::collections::HashSet::new();
    for (_, dest) in &files {
        if let Some(parent) = dest.parent().filter(|p| made.insert(p.to_path_buf())) {
            fs::create_dir_all(parent)?;
        }
    }
    use rayon::prelude::*;
    files.par_iter().try_for_each(|(src, dest)| match std::fs::hard_link(src, dest) {
        Ok(()) => Ok(()),
        Err(_) => std::fs::copy(src, dest).map(|_| ()).map_err(|source| FsError { action: "copy", path: src.clone(), source }),
    })
}

/// `out` may be replaced if it does not exist, is empty, or carries our marker.
pub fn check_replaceable(out: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => Err(OutputError::NotAFolder(out.to_path_buf())),
        Ok(_) => {
            if out.join(MARKER).is_file() || fs::read_dir(out)?.next().is_none() {
                Ok(())
            } else {
                Err(OutputError::NotOurs(out.to_path_buf()))
            }
        }
    }
}

fn swap_in(staging: &Path, out: &Path) -> Result<(), OutputError> {
    if let Some(old) = replace(staging, out)? {
        remove_previous(&old)?;
    }
    let spare = spare(out);
    if spare.join(MARKER).is_file() {
        remove_marked(&spare).map_err(|source| FsError { action: "remove folder", path: spare.clone(), source })?;
    }
    Ok(())
}

/// Swaps `staging` in at `out` and keeps what was at `out` as the spare (see
/// [`publish_reusing`]). One atomic exchange where the system has it (Linux), otherwise the
/// two renames of [`replace`].
fn exchange_in(staging: &Path, out: &Path) -> Result<(), OutputError> {
    let previous = if std::fs::symlink_metadata(out).is_ok() && exchange(staging, out) { Some(staging.to_path_buf()) } else { replace(staging, out)? };
    if let Some(previous) = previous {
        if !previous.join(MARKER).is_file() || std::fs::rename(&previous, spare(out)).is_err() {
            remove_previous(&previous)?;
        }
    }
    Ok(())
}

/// Moves `staging` to `out`, and what was at `out` aside first; returns where that went.
fn replace(staging: &Path, out: &Path) -> Result<Option<PathBuf>, OutputError> {
    if std::fs::symlink_metadata(out).is_err() {
        fs::rename(staging, out)?;
        return Ok(None);
    }
    let old = sibling(out, "old");
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(staging, out) {
        // Put the previous site back before reporting.
        let _ = std::fs::rename(&old, out);
        return Err(e.into());
    }
    Ok(Some(old))
}

/// Removes the folder a new site replaced.
fn remove_previous(old: &Path) -> Result<(), OutputError> {
    if old.join(MARKER).is_file() {
        remove_marked(old).map_err(|source| FsError { action: "remove folder", path: old.to_path_buf(), source })?;
    } else {
        // An empty folder the user made: remove only if it is still empty.
        let _ = std::fs::remove_dir(old);
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) = (std::ffi::CString::new(a.as_os_str().as_bytes()), std::ffi::CString::new(b.as_os_str().as_bytes())) else {
        return false;
    };
    // SAFETY: both pointers are to NUL-terminated strings that outlive the call, which only
    // reads them. Kernels or file systems without RENAME_EXCHANGE return an error and change
    // nothing.
    unsafe { libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Removes a folder Fixbook made, its marker last, so that removal cut short by a kill
/// leaves a folder still marked as ours, which the next build finishes removing.
fn remove_marked(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == MARKER {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    std::fs::remove_file(dir.join(MARKER))?;
    std::fs::remove_dir(dir)
}

/// `.public.fixbook-staging-1234` beside `public`.
fn sibling(out: &Path, kind: &str) -> PathBuf {
    beside(out, &format!("{kind}-{}", std::process::id()))
}

/// `.public.fixbook-spare` beside `public`: the site before the last build that reused the
/// previous output (see [`publish_reusing`]).
pub fn spare(out: &Path) -> PathBuf {
    beside(out, "spare")
}

/// `.public.fixbook-<what>` in the folder `out` is in.
fn beside(out: &Path, what: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.fixbook-{what}"))
}

/// Staging or old folders left by a killed build (they carry our marker).
fn remove_stale_siblings(out: &Path) {
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{name}.fixbook-");
    let spare = spare(out);
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_name().to_string_lossy().starts_with(&prefix) || path.file_name() == spare.file_name() {
            continue;
        }
        if path.join(MARKER).is_file() {
            let _ = remove_marked(&path);
        } else {
            // Killed between making the folder and marking it: only an empty one is removed.
            let _ = std::fs::remove_dir(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Failed;
    impl From<OutputError> for Failed {
        fn from(_: OutputError) -> Self {
            Failed
        }
    }

    #[test]
    fn failed_build_keeps_previous_site() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        publish::<_, Failed>(&out, |s| s.put("index.html", b"v1").map_err(|_| Failed)).unwrap();
        let r: Result<(), Failed> = publish(&out, |s| {
            s.put("index.html", b"v2").unwrap();
            Err(Failed)
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"v1");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec!["public"]);
    }

    #[test]
    fn refuses_a_folder_it_did_not_create() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = check_replaceable(tmp.path()).unwrap_err();
        assert!(matches!(err, OutputError::NotOurs(_)));
        assert!(tmp.path().join("notes.txt").exists());
    }

    #[test]
    fn replaces_its_own_folder_and_removes_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        publish::<_, Failed>(&out, |s| s.put("a/old.html", b"x").map_err(|_| Failed)).unwrap();
        publish::<_, Failed>(&out, |s| s.put("b/new.html", b"y").map_err(|_| Failed)).unwrap();
        assert!(!out.join("a/old.html").exists());
        assert!(out.join("b/new.html").exists());
        assert!(out.join(MARKER).exists());
    }
    fn read(dir: &Path, path: &str) -> String {
        std::fs::read_to_string(dir.join(path)).unwrap()
    }

    #[test]
    fn a_rebuild_reusing_the_output_keeps_the_previous_one_as_a_spare_and_resyncs_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let transient = |p: &str| p.starts_with("search/");
        publish::<_, Failed>(&out, |s| {
            for (p, b) in [("a/index.html", "a1"), ("b/index.html", "b1"), ("search/t0.aaa.js", "t")] {
                s.put(p, b.as_bytes()).map_err(|_| Failed)?;
            }
            Ok(())
        })
        .unwrap();
        // First reuse: links every file, writes what changed, keeps the old site as the spare.
        publish_reusing::<_, Failed>(&out, Some(("search", &transient)), |s| {
            s.put("a/index.html", b"a2").map_err(|_| Failed)?;
            s.put("search/t0.bbb.js", b"t").map_err(|_| Failed)
        })
        .unwrap();
        let spare = spare(&out);
        assert_eq!((read(&out, "a/index.html"), read(&out, "b/index.html")), ("a2".into(), "b1".into()));
        assert!(!out.join("search/t0.aaa.js").exists(), "a search file not written again is dropped");
        assert_eq!(read(&spare, "a/index.html"), "a1", "the previous site was not written through a link");
        assert!(spare.join(MARKER).is_file());
        let mut listed: Vec<String> = read(&spare, CHANGES).lines().map(str::to_string).collect();
        listed.sort();
        assert_eq!(listed, ["a/index.html", "search/t0.aaa.js", "search/t0.bbb.js"], "the spare lists where it differs");
        // Second reuse: takes the spare as its staging folder and relinks the files listed.
        publish_reusing::<_, Failed>(&out, Some(("search", &transient)), |s| {
            s.put("b/index.html", b"b2").map_err(|_| Failed)?;
            s.put("search/t0.bbb.js", b"t").map_err(|_| Failed)
        })
        .unwrap();
        assert_eq!((read(&out, "a/index.html"), read(&out, "b/index.html"), read(&out, "search/t0.bbb.js")), ("a2".into(), "b2".into(), "t".into()));
        assert!(!out.join(CHANGES).exists(), "the list stays with the spare");
        assert_eq!((read(&spare, "a/index.html"), read(&spare, "b/index.html"), read(&spare, CHANGES)), ("a2".into(), "b1".into(), "b/index.html\n".into()));
        // A spare without its list is compared file by file: changes to it are undone, and
        // folders the site does not have are removed.
        std::fs::remove_file(spare.join(CHANGES)).unwrap();
        std::fs::write(spare.join("b/index.html"), "edited").unwrap();
        std::fs::create_dir_all(spare.join("gone/deep")).unwrap();
        std::fs::write(spare.join("gone/deep/x.html"), "x").unwrap();
        publish_reusing::<_, Failed>(&out, Some(("search", &transient)), |s| {
            s.put("b/index.html", b"b1").map_err(|_| Failed)?;
            s.put("search/t0.bbb.js", b"t").map_err(|_| Failed)
        })
        .unwrap();
        assert_eq!((read(&out, "a/index.html"), read(&out, "b/index.html"), read(&out, "search/t0.bbb.js")), ("a2".into(), "b1".into(), "t".into()));
        assert!(!out.join("gone").exists() && !out.join("search/t0.aaa.js").exists());
        assert_eq!(read(&spare, "a/index.html"), "a2");
        let names: Vec<String> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.len(), 2, "only the site and its spare: {names:?}");
        // A failed reuse leaves the site as it was; a full build removes the spare.
        let r: Result<(), Failed> = publish_reusing(&out, Some(("search", &transient)), |s| {
            s.put("a/index.html", b"broken").unwrap();
            Err(Failed)
        });
        assert!(r.is_err());
        assert_eq!(read(&out, "a/index.html"), "a2");
        publish::<_, Failed>(&out, |s| s.put("c/index.html", b"c").map_err(|_| Failed)).unwrap();
        assert!(!spare.exists());
        let names: Vec<String> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["public"]);
    }
}
