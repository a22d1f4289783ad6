//! The last stage: pages go into a staging folder beside the output, which replaces the
//! output only when everything succeeded. Fixbook marks the folders it makes and never
//! removes a folder without its mark. Every writer of an output folder holds its lock
//! ([`lock`]) from before it looks at the output until it is done, so two builds into one
//! output run one after the other. Nothing here follows a symbolic link it finds beside the
//! output or inside a folder it made: such a link is left alone, stepped around or reported.

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
    /// What was put: when `linked`, so that the previous output's files this build no longer
    /// makes can be told apart; always, to list what the output holds ([`DirSink::put_paths`]).
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

    /// Every site-relative path put so far, the marker included.
    pub fn put_paths(&self) -> Vec<String> {
        self.put.lock().expect("no writer panics while holding the lock").iter().cloned().collect()
    }
}

impl Sink for DirSink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), FsError> {
        debug_assert!(!path.starts_with('/') && !path.split('/').any(|p| p == ".."), "{path}");
        let full = self.dir.join(path);
        self.put.lock().expect("no writer panics while holding the lock").insert(path.to_string());
        if self.linked {
            // Reading a file back is far cheaper than making a new one, and most files a
            // rebuild renders again (listings, search shards) come out the same.
            if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
                && std::fs::read(&full).is_ok_and(|old| old == bytes)
            {
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
    #[error("{} is a symbolic link, which Fixbook did not make: it was left alone and not followed", .0.display())]
    SymlinkInTheWay(PathBuf),
    #[error("{} is in the way: Fixbook keeps its own file or folder under that name beside the output, and did not make this one, so it was left untouched", .0.display())]
    InTheWay(PathBuf),
    #[error("{} is inside {}, which the build reads: the site would become part of its own input, so nothing was written", .out.display(), .input.display())]
    InsideInput { out: PathBuf, input: PathBuf },
    #[error("{} holds the knowledge base {}: replacing it would remove the records, so nothing was written", .out.display(), .root.display())]
    HoldsInput { out: PathBuf, root: PathBuf },
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl OutputError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            OutputError::NotOurs(_) => Some("choose another folder with --out, or move that folder's files away yourself"),
            OutputError::NotOurFile(_) => Some("choose another file name with --out, or move that file away yourself"),
            OutputError::SymlinkInTheWay(_) => {
                Some("remove the link (Fixbook keeps its own files under that name beside the output), or choose another folder with --out")
            }
            OutputError::InTheWay(_) => Some("move it away yourself, or choose another folder with --out"),
            OutputError::InsideInput { .. } | OutputError::HoldsInput { .. } => {
                Some("choose an output folder outside content/, static/, templates/ and .fixbook-cache/, e.g. --out public beside site.toml")
            }
            _ => None,
        }
    }
}

/// Renders into a fresh staging folder with `write`, then swaps it in at the locked output.
/// On any error the staging folder is removed and the output is as it was.
pub fn publish<T, E>(lock: &OutputLock, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    let out = lock.out();
    check_replaceable(out)?;
    check_spare(out)?;
    remove_stale_siblings(lock);
    let staging = make_folder(out, "staging")?;
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
///
/// A spare holding anything but files and folders (a symbolic link planted by hand) is
/// compared file by file too, which removes what it should not hold: its links are never
/// followed and never reach the output.
pub fn publish_reusing<T, E>(lock: &OutputLock, transient: Option<Transient>, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    let out = lock.out();
    check_replaceable(out)?;
    check_spare(out)?;
    remove_stale_siblings(lock);
    let spare = spare(out);
    let claimed = if is_marked(&spare) {
        let staging = unused(out, "staging");
        // Renaming moves the folder itself; it was checked to be one, not a link to one.
        std::fs::rename(&spare, &staging).is_ok().then_some(staging)
    } else {
        None
    };
    let staging = match &claimed {
        Some(staging) => staging.clone(),
        None => make_folder(out, "staging")?,
    };
    let claimed = claimed.is_some();
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
pub fn publish_changes(lock: &OutputLock, put: &[(&str, &[u8])], removed: &[&str]) -> Result<(), OutputError> {
    publish_reusing::<_, OutputError>(lock, None, |sink| {
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
    if !is_marked(spare) {
        return;
    }
    let mut text = changed.join("\n");
    text.push('\n');
    let tmp = spare.join(format!("{CHANGES}.partial"));
    // Made new, so that nothing already at that name (a link) is written through.
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if written.is_err() || std::fs::rename(&tmp, spare.join(CHANGES)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Makes `staging`, the spare of an earlier [`publish_reusing`], a copy of `out`: from the
/// spare's list of changes when it has one, file by file otherwise.
fn sync_spare(out: &Path, staging: &Path) -> Result<(), FsError> {
    if holds_links(staging) {
        // Planted by hand: the list cannot say where; the file-by-file comparison removes them.
        return sync_tree(out, staging);
    }
    let list = staging.join(CHANGES);
    let Ok(text) = std::fs::read_to_string(&list) else { return sync_tree(out, staging) };
    std::fs::remove_file(&list).map_err(|source| FsError { action: "remove", path: list.clone(), source })?;
    let mut missing = Vec::new();
    for rel in text.lines().filter(|l| !l.is_empty()) {
        if rel == MARKER || rel.starts_with('/') || rel.split('/').any(|p| p == ".." || p.is_empty()) {
            // Not a list this module wrote.
            return sync_tree(out, staging);
        }
        if plain_file(out, rel) {
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

/// A new, empty folder of `kind` beside `out` (its parent made if needed). A name that is
/// taken (by a link or a folder Fixbook did not make) is stepped around, never reused.
fn make_folder(out: &Path, kind: &str) -> Result<PathBuf, OutputError> {
    let first = sibling(out, kind);
    fs::create_dir_all(first.parent().unwrap_or(Path::new(".")))?;
    for n in 0..100 {
        let path = if n == 0 { first.clone() } else { beside(out, &format!("{kind}-{}.{n}", std::process::id())) };
        match std::fs::create_dir(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            made => return made.map(|()| path.clone()).map_err(|source| OutputError::Fs(FsError { action: "create folder", path, source })),
        }
    }
    Err(OutputError::InTheWay(first))
}

/// A name of `kind` beside `out` that nothing has: where a folder is moved to.
fn unused(out: &Path, kind: &str) -> PathBuf {
    (0..)
        .map(|n| if n == 0 { sibling(out, kind) } else { beside(out, &format!("{kind}-{}.{n}", std::process::id())) })
        .find(|path| std::fs::symlink_metadata(path).is_err())
        .expect("some name is free")
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
    // Made new, stepping around a name that is taken: nothing there (a link) is written through.
    let (tmp, mut file) = (0..100)
        .map(|n| beside(out, &if n == 0 { format!("partial-{}", std::process::id()) } else { format!("partial-{}.{n}", std::process::id()) }))
        .map(|tmp| (std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp), tmp))
        .find(|(opened, _)| !opened.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists))
        .map(|(opened, tmp)| opened.map(|file| (tmp.clone(), file)).map_err(|source| OutputError::Fs(FsError { action: "write", path: tmp, source })))
        .unwrap_or_else(|| Err(OutputError::InTheWay(sibling(out, "partial"))))?;
    let fail = |source| OutputError::Fs(FsError { action: "write", path: tmp.clone(), source });
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
        // A copy reads through a link: only a regular file is copied.
        Err(_) if !std::fs::symlink_metadata(src).is_ok_and(|m| m.is_file()) => Ok(()),
        Err(_) => std::fs::copy(src, dest).map(|_| ()).map_err(|source| FsError { action: "copy", path: src.clone(), source }),
    })
}

/// `out` may be replaced if it does not exist, is empty, or carries our marker.
pub fn check_replaceable(out: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => Err(OutputError::NotAFolder(out.to_path_buf())),
        Ok(_) => {
            if is_marked(out) || fs::read_dir(out)?.next().is_none() {
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
    if is_marked(&spare) {
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
        // The spare's name is free: a spare was claimed or refused before the build began.
        if !is_marked(&previous) || std::fs::rename(&previous, spare(out)).is_err() {
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
    let old = unused(out, "old");
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
    if is_marked(old) {
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
/// leaves a folder still marked as ours, which the next build finishes removing. A link
/// inside is removed, not followed (`remove_dir_all` does not follow links either).
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

/// Staging or old folders left by a killed build (they carry our marker). Only while the
/// output's lock is held is such a folder provably abandoned: every build that makes one holds
/// the lock until it is gone. Links and anything unmarked are left alone.
fn remove_stale_siblings(lock: &OutputLock) {
    let out = lock.out();
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{name}.fixbook-");
    let ours = [spare(out), beside(out, "lock")];
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        // The entry's own type: a link to a folder is not a folder here.
        let is_folder = entry.file_type().is_ok_and(|t| t.is_dir());
        if !entry.file_name().to_string_lossy().starts_with(&prefix) || !is_folder || ours.iter().any(|p| p.file_name() == path.file_name()) {
            continue;
        }
        if is_marked(&path) {
            let _ = remove_marked(&path);
        } else {
            // Killed between making the folder and marking it: only an empty one is removed.
            let _ = std::fs::remove_dir(&path);
        }
    }
}

/// Whether `dir` is a folder Fixbook made: a folder itself (not a link to one) holding the
/// marker as a regular file (not a link to one).
fn is_marked(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) && std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// The spare's name holds nothing, or a spare Fixbook made. Anything else there is reported,
/// not followed, removed or used; but an empty folder (a removal cut short after the marker
/// went) is removed.
fn check_spare(out: &Path) -> Result<(), OutputError> {
    let spare = spare(out);
    match std::fs::symlink_metadata(&spare) {
        Err(_) => Ok(()),
        Ok(m) if m.file_type().is_symlink() => Err(OutputError::SymlinkInTheWay(spare)),
        Ok(_) if is_marked(&spare) || std::fs::remove_dir(&spare).is_ok() => Ok(()),
        Ok(_) => Err(OutputError::InTheWay(spare)),
    }
}

/// Whether anything under `dir` is neither a file nor a folder (a link planted by hand).
fn holds_links(dir: &Path) -> bool {
    walkdir::WalkDir::new(dir).min_depth(1).into_iter().any(|e| e.map_or(true, |e| !e.file_type().is_file() && !e.file_type().is_dir()))
}

/// Whether `rel` under `root` is a regular file reached through folders alone, no link.
fn plain_file(root: &Path, rel: &str) -> bool {
    let mut path = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let Ok(m) = std::fs::symlink_metadata(&path) else { return false };
        if if i + 1 == parts.len() { !m.is_file() } else { !m.is_dir() } {
            return false;
        }
    }
    true
}

/// Held by every writer of an output folder while it looks at and replaces the output (an
/// advisory lock on `.public.fixbook-lock` beside it); released when dropped.
pub struct OutputLock {
    out: PathBuf,
    path: PathBuf,
    file: std::fs::File,
}

impl OutputLock {
    /// The output folder this lock is for.
    pub fn out(&self) -> &Path {
        &self.out
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked: a build waiting on this file finds, once it has the
        // lock, that the name no longer leads to it, and starts again (see [`lock`]).
        let _ = std::fs::remove_file(&self.path);
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}

/// Takes the lock on the output folder `out` for `command` (as the user typed it, e.g.
/// `fixbook build`), waiting for the process that holds it, if any: `waiting` hears once what
/// it waits for. The lock file is made beside the output and removed when the lock is
/// released; one left by a killed build is taken over. A link, or any file that is not a
/// lock file, at its name is reported, never followed, written or removed.
pub fn lock(out: &Path, command: &str, waiting: &dyn Fn(&str)) -> Result<OutputLock, OutputError> {
    use fs4::fs_std::FileExt;
    use std::io::{Seek, Write};
    let path = beside(out, "lock");
    fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let failed = |source| OutputError::Fs(FsError { action: "lock", path: path.clone(), source });
    let mut said = false;
    loop {
        let (file, holder) = open_lock_file(&path)?;
        if !file.try_lock_exclusive().map_err(failed)? {
            if !said {
                said = true;
                let mut words = holder.split_whitespace();
                let who = match (words.next(), words.collect::<Vec<_>>().join(" ")) {
                    (Some(pid), c) if c.is_empty() => format!(" (pid {pid})"),
                    (Some(pid), c) => format!(" (pid {pid}, `{c}`)"),
                    (None, _) => String::new(),
                };
                waiting(&format!("waiting for another build into {} to finish{who} ...", out.display()));
            }
            file.lock_exclusive().map_err(failed)?;
        }
        // The holder before us removes the file before it unlocks it: the lock is ours only
        // if the name still leads to the file we locked.
        if !same_file(&file, &path) {
            continue;
        }
        // Best effort: only a waiting build reads it.
        let _ = file
            .set_len(0)
            .and_then(|()| (&file).seek(std::io::SeekFrom::Start(0)))
            .and_then(|_| (&file).write_all(format!("{} {command}\n", std::process::id()).as_bytes()));
        return Ok(OutputLock { out: out.to_path_buf(), path, file });
    }
}

/// Whether `path` names the open `file` itself.
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    let (Ok(open), Ok(named)) = (file.metadata(), std::fs::symlink_metadata(path)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        open.dev() == named.dev() && open.ino() == named.ino()
    }
    #[cfg(not(unix))]
    {
        named.is_file() && open.len() == named.len()
    }
}

/// Opens (or makes) the lock file at `path`, with what it says (the pid and command of the
/// build that holds it, or nothing). Only a regular file whose only name is that one, empty
/// or holding what [`lock`] writes, is taken: writing into it or removing it changes nothing
/// else.
fn open_lock_file(path: &Path) -> Result<(std::fs::File, String), OutputError> {
    use std::io::Read;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(OutputError::SymlinkInTheWay(path.to_path_buf()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(target_os = "linux")]
    {
        // A link put there since the check above is not followed either, and a FIFO there
        // does not block the open (it is refused below).
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => return Err(OutputError::SymlinkInTheWay(path.to_path_buf())),
        Err(source) => return Err(OutputError::Fs(FsError { action: "open", path: path.to_path_buf(), source })),
    };
    let m = file.metadata().map_err(|source| OutputError::Fs(FsError { action: "open", path: path.to_path_buf(), source }))?;
    #[cfg(unix)]
    let single = std::os::unix::fs::MetadataExt::nlink(&m) == 1;
    #[cfg(not(unix))]
    let single = true;
    let mut text = String::new();
    let read = m.is_file() && m.len() <= 256 && (&file).read_to_string(&mut text).is_ok();
    let ours = text.split_whitespace().next().is_none_or(|pid| pid.bytes().all(|b| b.is_ascii_digit()));
    if !read || !single || !ours {
        return Err(OutputError::InTheWay(path.to_path_buf()));
    }
    Ok((file, text))
}

/// What an output folder holds, seen from the file system alone: how many files it has, and
/// a digest of each file's path, size, modification time and inode and of each folder's
/// modification time and inode. Taking it costs one `lstat` per file and folder, from a list
/// of the files the build left (no folder is listed and no file read); a file removed,
/// replaced or written since changes it, and so does one added (its folder's time changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    files: u64,
    digest: u64,
}

/// The [`Stamp`] of the folder `out` holding `files` (site-relative paths); `None` when one of
/// them is missing, or `out` or a folder on the way is not a folder (a link, say).
pub fn stamp(out: &Path, files: &[String]) -> Option<Stamp> {
    stamp_files(out, files, false).map(|(stamp, _)| stamp)
}

/// The [`Stamp`] of the folder `out` holding those of `files` that are there, and which those
/// are: for a list that may name files a build removed.
pub fn stamp_present(out: &Path, files: Vec<String>) -> Option<(Stamp, Vec<String>)> {
    let (stamp, kept) = stamp_files(out, &files, true)?;
    Some((stamp, files.into_iter().zip(kept).filter_map(|(f, k)| k.then_some(f)).collect()))
}

fn stamp_files(out: &Path, files: &[String], skip_missing: bool) -> Option<(Stamp, Vec<bool>)> {
    use rayon::prelude::*;
    fn key(rel: &str, m: &std::fs::Metadata) -> u64 {
        let nanos = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(m);
        #[cfg(not(unix))]
        let ino = 0u64;
        let mut key = rel.as_bytes().to_vec();
        key.push(u8::from(m.is_dir()));
        key.extend_from_slice(&m.len().to_le_bytes());
        key.extend_from_slice(&nanos.to_le_bytes());
        key.extend_from_slice(&ino.to_le_bytes());
        crate::search::encode::fnv1a_64(&key)
    }
    let stat =
        |rel: &str, folder: bool| std::fs::symlink_metadata(out.join(rel)).ok().filter(|m| if folder { m.is_dir() } else { m.is_file() }).map(|m| key(rel, &m));
    // A sum, so that the files can be looked at side by side in any order.
    let found: Vec<Option<u64>> = files.par_iter().with_min_len(256).map(|rel| stat(rel, false)).collect();
    if !skip_missing && found.iter().any(Option::is_none) {
        return None;
    }
    let kept: Vec<bool> = found.iter().map(Option::is_some).collect();
    let folders: std::collections::HashSet<&str> =
        files.iter().zip(&kept).filter(|(_, k)| **k).flat_map(|(rel, _)| Path::new(rel.as_str()).ancestors().skip(1).filter_map(|a| a.to_str())).collect();
    let folders: Vec<&str> = folders.into_iter().collect();
    let in_folders = folders.par_iter().with_min_len(256).map(|rel| stat(rel, true)).collect::<Option<Vec<u64>>>()?;
    let digest = found.iter().flatten().chain(&in_folders).fold(0u64, |sum, k| sum.wrapping_add(*k));
    Some((Stamp { files: kept.iter().filter(|k| **k).count() as u64, digest }, kept))
}

/// The folders of the knowledge base at `root` that a build reads: an output inside one
/// would be read back as input (`build --watch` would rebuild forever; static/ would copy
/// the old site into the new one).
const INPUT_FOLDERS: [&str; 4] = [crate::load::CONTENT_DIR, "static", "templates", crate::fs::CACHE_DIR];

/// Refuses an output at `out` inside a folder the build of `root` reads, or holding `root`,
/// however the paths are spelled: they are compared with `..` and the links of the parts that
/// exist resolved.
pub fn check_location(root: &Path, out: &Path) -> Result<(), OutputError> {
    let real_out = resolve(out);
    for folder in INPUT_FOLDERS {
        // As the user would write it: `content`, not `./content`.
        let input = if root == Path::new(".") { PathBuf::from(folder) } else { root.join(folder) };
        if real_out.starts_with(resolve(&input)) {
            return Err(OutputError::InsideInput { out: out.to_path_buf(), input });
        }
    }
    if resolve(root).starts_with(&real_out) {
        return Err(OutputError::HoldsInput { out: out.to_path_buf(), root: root.to_path_buf() });
    }
    Ok(())
}

/// `path` made absolute, component by component: each part that exists with its links
/// resolved, `..` taken after that (so `link/..` is the link's target's parent, as the
/// system sees it), the parts that do not exist yet as they are.
fn resolve(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut resolved = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if let Ok(real) = std::fs::canonicalize(&resolved) {
                    resolved = real;
                }
            }
            other => resolved.push(other),
        }
    }
    resolved
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

    fn locked(out: &Path) -> OutputLock {
        lock(out, "test", &|_| {}).unwrap()
    }

    /// The names in `dir`: the lock file is gone once the lock is released.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn failed_build_keeps_previous_site() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        publish::<_, Failed>(&locked(&out), |s| s.put("index.html", b"v1").map_err(|_| Failed)).unwrap();
        let r: Result<(), Failed> = publish(&locked(&out), |s| {
            s.put("index.html", b"v2").unwrap();
            Err(Failed)
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"v1");
        assert_eq!(names(tmp.path()), vec!["public"]);
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
        publish::<_, Failed>(&locked(&out), |s| s.put("a/old.html", b"x").map_err(|_| Failed)).unwrap();
        publish::<_, Failed>(&locked(&out), |s| s.put("b/new.html", b"y").map_err(|_| Failed)).unwrap();
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
        publish::<_, Failed>(&locked(&out), |s| {
            for (p, b) in [("a/index.html", "a1"), ("b/index.html", "b1"), ("search/t0.aaa.js", "t")] {
                s.put(p, b.as_bytes()).map_err(|_| Failed)?;
            }
            Ok(())
        })
        .unwrap();
        // First reuse: links every file, writes what changed, keeps the old site as the spare.
        publish_reusing::<_, Failed>(&locked(&out), Some(("search", &transient)), |s| {
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
        publish_reusing::<_, Failed>(&locked(&out), Some(("search", &transient)), |s| {
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
        publish_reusing::<_, Failed>(&locked(&out), Some(("search", &transient)), |s| {
            s.put("b/index.html", b"b1").map_err(|_| Failed)?;
            s.put("search/t0.bbb.js", b"t").map_err(|_| Failed)
        })
        .unwrap();
        assert_eq!((read(&out, "a/index.html"), read(&out, "b/index.html"), read(&out, "search/t0.bbb.js")), ("a2".into(), "b1".into(), "t".into()));
        assert!(!out.join("gone").exists() && !out.join("search/t0.aaa.js").exists());
        assert_eq!(read(&spare, "a/index.html"), "a2");
        assert_eq!(names(tmp.path()), vec![".public.fixbook-spare", "public"], "only the site and its spare");
        // A failed reuse leaves the site as it was; a full build removes the spare.
        let r: Result<(), Failed> = publish_reusing(&locked(&out), Some(("search", &transient)), |s| {
            s.put("a/index.html", b"broken").unwrap();
            Err(Failed)
        });
        assert!(r.is_err());
        assert_eq!(read(&out, "a/index.html"), "a2");
        publish::<_, Failed>(&locked(&out), |s| s.put("c/index.html", b"c").map_err(|_| Failed)).unwrap();
        assert!(!spare.exists());
        assert_eq!(names(tmp.path()), vec!["public"]);
    }
}
