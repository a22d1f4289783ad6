//! File-system calls whose errors always name the path they were about.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

pub type FsResult<T> = Result<T, FsError>;

fn named<T>(action: &'static str, path: &Path, r: io::Result<T>) -> FsResult<T> {
    r.map_err(|source| FsError { action, path: path.to_path_buf(), source })
}

pub fn read_to_string(path: &Path) -> FsResult<String> {
    named("read", path, std::fs::read_to_string(path))
}

pub fn read(path: &Path) -> FsResult<Vec<u8>> {
    named("read", path, std::fs::read(path))
}

pub fn write(path: &Path, bytes: &[u8]) -> FsResult<()> {
    named("write", path, std::fs::write(path, bytes))
}

pub fn create_dir_all(path: &Path) -> FsResult<()> {
    named("create folder", path, std::fs::create_dir_all(path))
}

pub fn create_dir(path: &Path) -> FsResult<()> {
    named("create folder", path, std::fs::create_dir(path))
}

pub fn remove_dir_all(path: &Path) -> FsResult<()> {
    named("remove folder", path, std::fs::remove_dir_all(path))
}

pub fn rename(from: &Path, to: &Path) -> FsResult<()> {
    named("move a folder into place at", to, std::fs::rename(from, to))
}

pub fn read_dir(path: &Path) -> FsResult<std::fs::ReadDir> {
    named("list", path, std::fs::read_dir(path))
}

/// Reading never waits (a pipe swapped in after the check) and never follows a link swapped in
/// for the file itself.
fn open_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK | libc::O_NOFOLLOW);
    options
}

/// "a folder", "a named pipe"...: what a file that is not a regular one is.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// The folder beside the records where builds keep what they can reuse.
pub const CACHE_DIR: &str = ".fixbook-cache";

/// Makes `dir`, the knowledge base's cache folder or a folder inside it, if missing. The
/// cache folder gets its own `.gitignore`, so that version control skips the cache and only
/// the cache. Each level must be a folder, not a link: Fixbook writes and deletes in there,
/// and never through a link it did not make.
pub fn make_cache_folder(dir: &Path) -> FsResult<()> {
    let cache = dir.ancestors().find(|a| a.file_name().is_some_and(|n| n == CACHE_DIR)).ok_or_else(|| FsError {
        action: "keep a cache in",
        path: dir.to_path_buf(),
        source: io::Error::other(format!("it is not inside a {CACHE_DIR} folder")),
    })?;
    own_folder(cache)?;
    let ignore = cache.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        // create_new: never through a link someone left under that name.
        let made = std::fs::OpenOptions::new().write(true).create_new(true).open(&ignore);
        named("write", &ignore, made.and_then(|mut f| io::Write::write_all(&mut f, b"*\n")))?;
    }
    let inside = dir.strip_prefix(cache).unwrap_or(Path::new(""));
    let mut at = cache.to_path_buf();
    for part in inside.components() {
        at.push(part);
        own_folder(&at)?;
    }
    Ok(())
}

/// Makes the folder `dir` if missing; an error if something else than a folder is there.
fn own_folder(dir: &Path) -> FsResult<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => Err(FsError {
            action: "keep a cache in",
            path: dir.to_path_buf(),
            source: io::Error::other(format!("it is {}, not a folder Fixbook made; remove it and Fixbook makes the folder again", kind_of(&m))),
        }),
        Err(_) => match std::fs::create_dir(dir) {
            // Made at the same moment by another build.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) => Ok(()),
            r => named("create folder", dir, r),
        },
    }
}

/// A file of Fixbook's cache, if it is a regular file there: not read through a link in its
/// place, and never a pipe or a device, whatever a copied knowledge base brought along.
pub fn read_cache_file(path: &Path) -> Option<Vec<u8>> {
    let mut file = open_options().open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || std::fs::symlink_metadata(path).ok()?.file_type().is_symlink() {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    io::Read::read_to_end(&mut file, &mut bytes).ok()?;
    Some(bytes)
}
