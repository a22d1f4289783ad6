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

/// Why a file of the knowledge base was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: {}", path.display(), self.reason())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: {}", path.display(), self.reason())]
    Outside { path: PathBuf },
    /// Made into text, such names could become one another's (both `x\u{FFFD}`).
    #[error("{}: {}", path.display(), self.reason())]
    NameNotText { path: PathBuf },
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl InputError {
    /// What is wrong, without the path: for a message that names the file already.
    pub fn reason(&self) -> String {
        match self {
            InputError::NotRegular { kind, .. } => format!("this is not a regular file ({kind}), so it was not read"),
            InputError::Outside { .. } => "this symbolic link points outside the knowledge base, so it was not read".into(),
            InputError::NameNotText { .. } => "the name of this file or of a folder it is in is not valid UTF-8, so it was not read".into(),
            InputError::Fs(e) => format!("cannot read it: {}", e.source),
        }
    }

    pub fn hint(&self) -> Option<&'static str> {
        match self {
            InputError::NotRegular { .. } => Some("Fixbook reads only ordinary files: remove this one or put a file in its place"),
            InputError::Outside { .. } => Some("Fixbook reads only files inside the knowledge base: copy the file in, or remove the link"),
            InputError::NameNotText { .. } => Some("rename it using UTF-8 text, for example lowercase ASCII letters, digits, - and _"),
            InputError::Fs(_) => None,
        }
    }
}

/// The knowledge base's folder, to read its files (site.toml, records, templates, static
/// files): only regular files are read, and only where they really are inside it, so that a
/// link to `/proc/self/environ` is never quoted in an error and a pipe never blocks a build.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The root as the caller names it: the files read are named from it.
    given: PathBuf,
    /// The root with every link resolved: what a file's real path must start with.
    real: PathBuf,
}

impl Inputs {
    pub fn new(root: &Path) -> Inputs {
        Inputs { given: root.to_path_buf(), real: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()) }
    }

    /// Where `path` really is, and what it is when that was found without following a link.
    /// A path named from the root with no link below it is the real root and the same names,
    /// found by looking at each name below the root (three for a record, `content/p/x.toml`,
    /// where resolving the whole path looks at every folder from `/`).
    fn real_path(&self, path: &Path) -> io::Result<(PathBuf, Option<std::fs::Metadata>)> {
        if let Ok(rel) = path.strip_prefix(&self.given) {
            let (mut at, mut real, mut last) = (self.given.clone(), self.real.clone(), None);
            for part in rel.components() {
                let std::path::Component::Normal(name) = part else { return Ok((std::fs::canonicalize(path)?, None)) };
                at.push(name);
                real.push(name);
                let meta = std::fs::symlink_metadata(&at)?;
                if meta.file_type().is_symlink() {
                    return Ok((std::fs::canonicalize(path)?, None));
                }
                last = Some(meta);
            }
            return Ok((real, last));
        }
        Ok((std::fs::canonicalize(path)?, None))
    }

    /// The root as given to [`Inputs::new`].
    pub fn root(&self) -> &Path {
        &self.given
    }

    /// Whether `path`, links followed, is inside the knowledge base.
    pub fn contains(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|real| real.starts_with(&self.real))
    }

    /// Opens the file at `path` for reading, with its metadata, if it is a regular file inside
    /// the knowledge base.
    pub fn open(&self, path: &Path) -> Result<(std::fs::File, std::fs::Metadata), InputError> {
        let fail = |source| InputError::Fs(FsError { action: "read", path: path.to_path_buf(), source });
        let (real, seen) = self.real_path(path).map_err(fail)?;
        if !real.starts_with(&self.real) {
            return Err(InputError::Outside { path: path.to_path_buf() });
        }
        // Looked at before it is opened: opening a device can do something, and opening a
        // pipe waits for a writer.
        let before = match seen {
            Some(meta) => meta,
            None => std::fs::symlink_metadata(&real).map_err(fail)?,
        };
        if !before.is_file() {
            return Err(InputError::NotRegular { path: path.to_path_buf(), kind: kind_of(&before) });
        }
        let file = open_options().open(&real).map_err(fail)?;
        // And after: what was opened is what was looked at, even if the name was replaced by a
        // pipe or a link in between.
        let after = file.metadata().map_err(fail)?;
        if !after.is_file() || !same_file(&before, &after) {
            return Err(InputError::NotRegular { path: path.to_path_buf(), kind: kind_of(&after) });
        }
        Ok((file, after))
    }

    pub fn read(&self, path: &Path) -> Result<Vec<u8>, InputError> {
        let (mut file, meta) = self.open(path)?;
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        named("read", path, io::Read::read_to_end(&mut file, &mut bytes))?;
        Ok(bytes)
    }

    pub fn read_to_string(&self, path: &Path) -> Result<String, InputError> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes)
            .map_err(|e| InputError::Fs(FsError { action: "read", path: path.to_path_buf(), source: io::Error::new(io::ErrorKind::InvalidData, e) }))
    }
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

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
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
