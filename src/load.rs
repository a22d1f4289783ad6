//! Stage 1: find `site.toml` and every record under `content/`, and parse them all
//! (in parallel), keeping every error rather than stopping at the first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::config::{SiteConfig, SITE_FILE};
use crate::diagnostic::Diagnostic;
use crate::fs::{InputError, Inputs};
use crate::record::{Record, RecordId};

pub const CONTENT_DIR: &str = "content";

/// What was read: the site file and the records that parsed, with every error met on the
/// way, so that `validate` can check what did parse and report everything together.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    /// `None` when site.toml is missing or invalid (its errors are in `errors`).
    pub config: Option<SiteConfig>,
    pub records: Vec<Record>,
    /// The id of every record file found, including those that failed to parse, so that a
    /// link to a broken record is not also reported as a link to a missing one.
    pub ids: HashSet<RecordId>,
    pub errors: Vec<Diagnostic>,
    pub sources: Sources,
    /// The stamp of every record file read, by the path it is shown as.
    pub stamps: HashMap<PathBuf, FileStamp>,
}

/// Where record text can be read again to quote it in an error found after parsing.
#[derive(Debug)]
pub enum Sources {
    /// Files of this knowledge base.
    Disk(Inputs),
    /// Texts by the path they are shown as (tests, previews).
    Memory(HashMap<PathBuf, String>),
}

impl Sources {
    pub fn read(&self, shown_as: &Path) -> String {
        match self {
            // By the same rules as the first read: a file replaced since by a link out of the
            // knowledge base is not quoted.
            Sources::Disk(files) => files.read_to_string(&files.root().join(shown_as)).unwrap_or_default(),
            Sources::Memory(map) => map.get(shown_as).cloned().unwrap_or_default(),
        }
    }
}

/// Parses a knowledge base held in memory: `site.toml` text and `(id, text)` records.
pub fn load_from_memory(site_toml: &str, records: &[(&str, &str)]) -> Loaded {
    let mut errors = Vec::new();
    let config = SiteConfig::parse(Path::new(SITE_FILE), site_toml).map_err(|e| errors.extend(e)).ok();
    let mut parsed = Vec::new();
    let mut texts = HashMap::new();
    for (id, text) in records {
        let shown_as = Path::new(CONTENT_DIR).join(format!("{id}.toml"));
        match Record::parse(&shown_as, RecordId(id.to_string()), text) {
            Ok(r) => parsed.push(r),
            Err(e) => errors.extend(e),
        }
        texts.insert(shown_as, text.to_string());
    }
    let ids = records.iter().map(|(id, _)| RecordId(id.to_string())).collect();
    Loaded { root: PathBuf::new(), config, records: parsed, ids, errors, sources: Sources::Memory(texts), stamps: HashMap::new() }
}

/// A record file found by the walk, before it is read.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    /// Relative to the knowledge-base root, as shown in messages.
    pub shown_as: PathBuf,
    pub id: RecordId,
}

pub fn load(root: &Path) -> Loaded {
    load_with(root, &NothingKept, None)
}

/// What says a file is unchanged without reading it: a file whose stamp is the same is not
/// read again, by this process or a later one. Size and modification time alone can be
/// forged: an edit of the same length with the old time put back (`touch -r`), or a copy of
/// the knowledge base with its cache (`cp -a`, tar, zip and `rsync -a` keep modification
/// times). On unix the stamp also holds the inode and the status-change time, which `touch`
/// cannot set back and which every copy or extraction makes new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub len: u64,
    /// Nanoseconds since 1970.
    pub modified: u128,
    pub inode: u64,
    /// Status change (ctime), nanoseconds since 1970; 0 where the system has none.
    pub changed: u128,
}

impl FileStamp {
    /// The stamp as bytes, for a key that holds it.
    pub fn to_bytes(&self) -> [u8; 48] {
        let mut b = [0; 48];
        b[..8].copy_from_slice(&self.len.to_le_bytes());
        b[8..24].copy_from_slice(&self.modified.to_le_bytes());
        b[24..32].copy_from_slice(&self.inode.to_le_bytes());
        b[32..].copy_from_slice(&self.changed.to_le_bytes());
        b
    }
}

/// The stamp of the regular file at `path` (links followed, as they are to read it); `None`
/// for anything else, or where the system gives no modification time.
pub fn stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    let modified = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt;
        (m.ino(), u128::try_from(m.ctime()).unwrap_or(0) * 1_000_000_000 + u128::try_from(m.ctime_nsec()).unwrap_or(0))
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, 0);
    Some(FileStamp { len: m.len(), modified, inode, changed })
}

/// One file's parse: the record, or every error in it.
pub type Parsed = Result<Record, Vec<Diagnostic>>;

/// Parses kept from an earlier load: a file that still has the stamp it had then is not read.
pub trait Kept: Sync {
    /// The parse of `f` if it was kept when the file had the stamp it has `now`.
    fn parsed(&self, f: &Found, now: &FileStamp) -> Option<Parsed>;
}

struct NothingKept;

impl Kept for NothingKept {
    fn parsed(&self, _: &Found, _: &FileStamp) -> Option<Parsed> {
        None
    }
}

/// What a file's parse gave, kept in memory while the file keeps its [`FileStamp`].
#[derive(Debug, Default)]
pub struct FileCache {
    files: HashMap<PathBuf, (FileStamp, Parsed)>,
}

impl Kept for FileCache {
    fn parsed(&self, f: &Found, now: &FileStamp) -> Option<Parsed> {
        self.files.get(&f.path).filter(|(then, _)| then == now).map(|(_, result)| result.clone())
    }
}

impl FileCache {
    /// The cached stamp of a record file, if it has been parsed.
    pub fn stamp_of(&self, path: &Path) -> Option<&FileStamp> {
        self.files.get(path).map(|(s, _)| s)
    }

    pub fn insert(&mut self, path: PathBuf, stamp: FileStamp, result: Parsed) {
        self.files.insert(path, (stamp, result));
    }
}

/// Like [`load`], but files unchanged since `cache` last saw them are not parsed again, and
/// `cache` is left holding this load's files.
pub fn load_cached(root: &Path, cache: &mut FileCache) -> Loaded {
    let mut files = HashMap::new();
    let loaded = load_with(
        root,
        &*cache,
        Some(&mut |f: &Found, stamp: &FileStamp, result: &Parsed| {
            files.insert(f.path.clone(), (*stamp, result.clone()));
        }),
    );
    cache.files = files;
    loaded
}

/// Like [`load`], taking from `kept` what it holds of files unchanged since.
pub fn load_kept(root: &Path, kept: &dyn Kept) -> Loaded {
    load_with(root, kept, None)
}

type OnParsed<'a> = &'a mut dyn FnMut(&Found, &FileStamp, &Parsed);

fn load_with(root: &Path, kept: &dyn Kept, mut on_parsed: Option<OnParsed>) -> Loaded {
    let mut errors = Vec::new();
    let inputs = Inputs::new(root);
    let config = match SiteConfig::from_file(&inputs, &root.join(SITE_FILE), Path::new(SITE_FILE)) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let (found, walk_errors) = walk(root);
    errors.extend(walk_errors);
    // The stamp is taken before the file is read: an edit made while it is read shows as a
    // change next time.
    let parsed: Vec<(Option<FileStamp>, Parsed)> = found
        .par_iter()
        .map(|f| {
            let now = stamp(&f.path);
            let result = now.as_ref().and_then(|s| kept.parsed(f, s)).unwrap_or_else(|| Record::from_file(&inputs, &f.path, &f.shown_as, f.id.clone()));
            (now, result)
        })
        .collect();
    let mut records = Vec::with_capacity(parsed.len());
    let mut stamps = HashMap::with_capacity(parsed.len());
    for (f, (stamp, result)) in found.iter().zip(parsed) {
        if let Some(stamp) = stamp {
            if let Some(on_parsed) = on_parsed.as_mut() {
                on_parsed(f, &stamp, &result);
            }
            stamps.insert(f.shown_as.clone(), stamp);
        }
        match result {
            Ok(r) => records.push(r),
            Err(e) => errors.extend(e),
        }
    }
    let ids = found.into_iter().map(|f| f.id).collect();
    Loaded { root: root.to_path_buf(), config, records, ids, errors, sources: Sources::Disk(inputs), stamps }
}

/// Every `*.toml` under `content/`, sorted by id. Hidden files and folders are skipped;
/// symbolic links are followed only while they stay inside the knowledge base; a record whose
/// path is not UTF-8 is an error.
pub fn walk(root: &Path) -> (Vec<Found>, Vec<Diagnostic>) {
    let content = root.join(CONTENT_DIR);
    let mut found = Vec::new();
    let mut errors = Vec::new();
    if !content.is_dir() {
        errors.push(
            Diagnostic::whole_file(Path::new(CONTENT_DIR), "there is no content/ folder")
                .with_hint(format!("put one .toml file per error code under {}", content.display())),
        );
        return (found, errors);
    }
    let inputs = Inputs::new(root);
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    let refused = |e: InputError, at: &Path| Diagnostic::whole_file(&shown(at), e.reason()).with_hint_opt(e.hint().map(str::to_string));
    let mut walker = WalkDir::new(&content).follow_links(true).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().unwrap_or(&content);
                errors.push(Diagnostic::whole_file(&shown(at), format!("cannot read this folder entry: {e}")));
                continue;
            }
        };
        if is_hidden(entry.file_name()) && entry.depth() > 0 {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let is_toml = entry.path().extension().is_some_and(|x| x == "toml");
        if entry.path_is_symlink() && !inputs.contains(entry.path()) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            } else if !is_toml {
                continue;
            }
            errors.push(refused(InputError::Outside { path: entry.path().to_path_buf() }, entry.path()));
            continue;
        }
        if is_toml && !entry.file_type().is_file() && !entry.file_type().is_dir() {
            let kind = entry.metadata().map_or("a special file", |m| crate::fs::kind_of(&m));
            errors.push(refused(InputError::NotRegular { path: entry.path().to_path_buf(), kind }, entry.path()));
            continue;
        }
        let path = entry.path();
        if !entry.file_type().is_file() || !is_toml {
            continue;
        }
        let rel = path.strip_prefix(&content).unwrap_or(path);
        // An id is text: names that are not would all become the same U+FFFD and share one.
        if rel.to_str().is_none() {
            errors.push(refused(InputError::NameNotText { path: path.to_path_buf() }, path));
            continue;
        }
        found.push(Found { path: path.to_path_buf(), shown_as: path.strip_prefix(root).unwrap_or(path).to_path_buf(), id: RecordId::from_relative_path(rel) });
    }
    (found, errors)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}
