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
    /// The folder holds hard links to the previous output's files: a file is unlinked before
    /// it is written, so the previous output is never written through a link.
    pub linked: bool,
}

impl Sink for DirSink {
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), FsError> {
        debug_assert!(!path.starts_with('/') && !path.split('/').any(|p| p == ".."), "{path}");
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        if self.linked {
            let _ = std::fs::remove_file(&full);
        }
        fs::write(&full, bytes)
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
    publish_with(out, None, write)
}

/// Like [`publish`], but the staging folder starts with every file of the current `out`
/// (hard links, or copies where the file system has none) except those `skip` names (by
/// site-relative path), and `write` replaces what changed.
pub fn publish_reusing<T, E>(out: &Path, skip: &dyn Fn(&str) -> bool, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    publish_with(out, Some(skip), write)
}

fn publish_with<T, E>(out: &Path, reuse: Option<&dyn Fn(&str) -> bool>, write: impl FnOnce(&DirSink) -> Result<T, E>) -> Result<T, E>
where
    E: From<OutputError>,
{
    check_replaceable(out)?;
    let staging = sibling(out, "staging");
    remove_stale_siblings(out);
    fs::create_dir_all(staging.parent().unwrap_or(Path::new("."))).map_err(OutputError::from)?;
    fs::create_dir(&staging).map_err(OutputError::from)?;
    let sink = DirSink { dir: staging.clone(), linked: reuse.is_some() };
    let result = sink
        .put(MARKER, MARKER_TEXT.as_bytes())
        .and_then(|()| reuse.map_or(Ok(()), |skip| link_tree(out, &staging, skip)))
        .map_err(OutputError::from)
        .map_err(E::from)
        .and_then(|()| write(&sink));
    match result {
        Ok(value) => {
            swap_in(&staging, out).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staging);
                E::from(e)
            })?;
            Ok(value)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
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

/// Every file of `from` (but the marker and what `skip` names) linked at the same path in `to`.
fn link_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) -> Result<(), FsError> {
    let files: Vec<(PathBuf, PathBuf)> = walkdir::WalkDir::new(from)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            let rel = e.path().strip_prefix(from).unwrap_or(e.path()).to_string_lossy().replace('\\', "/");
            rel != MARKER && !skip(&rel)
        })
        .map(|e| (e.path().to_path_buf(), to.join(e.path().strip_prefix(from).unwrap_or(e.path()))))
        .collect();
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
    if std::fs::symlink_metadata(out).is_err() {
        return Ok(fs::rename(staging, out)?);
    }
    let old = sibling(out, "old");
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(staging, out) {
        // Put the previous site back before reporting.
        let _ = std::fs::rename(&old, out);
        return Err(e.into());
    }
    if old.join(MARKER).is_file() {
        remove_marked(&old).map_err(|source| FsError { action: "remove folder", path: old.clone(), source })?;
    } else {
        // An empty folder the user made: remove only if it is still empty.
        let _ = std::fs::remove_dir(&old);
    }
    Ok(())
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
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.fixbook-{kind}-{}", std::process::id()))
}

/// Staging or old folders left by a killed build (they carry our marker).
fn remove_stale_siblings(out: &Path) {
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let prefix = format!(".{name}.fixbook-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
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
}
