//! A site kept in memory and brought up to date after a change, redoing only what the change
//! affects. Parsed records are kept per file (by its [`load::FileStamp`]). An edit that
//! keeps a record's id, product, code and tags re-renders only the pages that show the record:
//! its own page and, when what its card shows changed (title, summary, severity, date), the
//! pages listing it. Anything else (a record added, removed or moved, site.toml, the theme, an
//! edit that breaks a rule) goes through the whole pipeline, still without re-reading the
//! files that did not change. The search index is kept too ([`Index`]), and after an edit its
//! statistics and the shards of the terms the edit touched are brought up to date, with the
//! parts of the records data that hold the edited records: after a patch the site is byte
//! for byte what a full build of the same files gives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::build_state::{card, place};
use crate::config::SITE_FILE;
use crate::load::{self, FileCache, CONTENT_DIR};
use crate::output::MemorySink;
use crate::record::{Record, RecordId};
use crate::render::{self, PageSet};
use crate::search::index::{is_index_file, Index};
use crate::search::terms::Terms;
use crate::site::Site;
use crate::theme::Theme;
use crate::{validate, BuildError, LinkStyle};

/// Every file of the site by path; cloning the map shares the contents.
pub type Files = BTreeMap<String, Arc<[u8]>>;

/// What one [`Live::update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// No file of the site changed (the watcher saw only an unchanged file).
    Nothing,
    /// Only these pages were rendered again, with the search index and data files.
    Pages(usize),
    /// Everything was rendered again, search index included.
    Full,
}

/// "3 pages and the search index", "the whole site".
impl std::fmt::Display for Update {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Update::Nothing => write!(f, "nothing"),
            Update::Pages(n) => write!(f, "{n} page{} and the search index", if *n == 1 { "" } else { "s" }),
            Update::Full => write!(f, "the whole site"),
        }
    }
}

pub struct Live {
    root: PathBuf,
    style: LinkStyle,
    cache: FileCache,
    theme: Theme,
    site: Site,
    index: Index,
    files: Arc<Files>,
    /// The last update failed: the site in memory is older than some file, so the next
    /// update looks at everything.
    failed: bool,
}

impl Live {
    /// Loads, validates and renders the whole site into memory.
    pub fn build(root: &Path, style: LinkStyle) -> Result<Live, BuildError> {
        // Files are known by their full path: the watcher reports them so.
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let mut cache = FileCache::default();
        let (site, theme) = load_full(&root, &mut cache)?;
        let (files, index) = render_all(&site, &theme, style)?;
        Ok(Live { root, style, cache, theme, site, index, files: Arc::new(files), failed: false })
    }

    pub fn files(&self) -> Arc<Files> {
        self.files.clone()
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    /// Brings the site up to date after `changed` (paths the watcher reported, absolute or
    /// relative to the knowledge base; empty means "look at everything"). On an error the
    /// site being served stays as it was.
    pub fn update(&mut self, changed: &[PathBuf]) -> Result<Update, BuildError> {
        let result = match self.edits(changed).filter(|_| !self.failed) {
            Some(edits) if edits.is_empty() => Ok(Update::Nothing),
            Some(edits) => self.patch(edits),
            None => self.rebuild(),
        };
        self.failed = result.is_err();
        result
    }

    /// The records that changed, when every change is an edit a patch can take: `None` when
    /// the whole pipeline must run.
    fn edits(&self, changed: &[PathBuf]) -> Option<Vec<(usize, PathBuf, load::FileStamp, Record)>> {
        if changed.is_empty() {
            return None;
        }
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let content = root.join(CONTENT_DIR);
        let mut edits = Vec::new();
        let mut seen = BTreeSet::new();
        for path in changed {
            let path = if path.is_absolute() { path.clone() } else { root.join(path) };
            if !seen.insert(path.clone()) {
                continue;
            }
            let rel = path.strip_prefix(&content).ok()?;
            if path.extension().is_none_or(|x| x != "toml") || rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
                // A folder, or a file the walk skips: only a folder can change the site.
                if path.is_dir() || !path.exists() && path.extension().is_none() {
                    return None;
                }
                continue;
            }
            let known = self.cache.stamp_of(&path)?;
            let now = load::stamp(&path)?;
            if &now == known {
                continue;
            }
            // A name that is not text is the walk's to report.
            rel.to_str()?;
            let id = RecordId::from_relative_path(rel);
            let &i = self.site.by_id.get(&id)?;
            let old = &self.site.records[i];
            let record = Record::from_file(&crate::fs::Inputs::new(&root), &path, &old.file, id).ok()?;
            let targets_exist = record
                .related
                .iter()
                .map(|r| RecordId::from_reference(r.get_ref()))
                .chain(record.links.iter().map(|l| l.target.clone()))
                .all(|t| t != record.id && self.site.by_id.contains_key(&t));
            if place(&record) != place(old) || !targets_exist {
                return None;
            }
            edits.push((i, path, now, record));
        }
        Some(edits)
    }

    fn patch(&mut self, edits: Vec<(usize, PathBuf, load::FileStamp, Record)>) -> Result<Update, BuildError> {
        let mut undo = Vec::with_capacity(edits.len());
        for (i, path, stamp, record) in edits {
            self.cache.insert(path, stamp, Ok(record.clone()));
            undo.push((i, std::mem::replace(&mut self.site.records[i], record)));
        }
        // Product, code and tags are unchanged, so the lists of the site still hold.
        let mut set = PageSet::default();
        for (i, old) in &undo {
            set.add_record(&self.site, *i, card(old) != card(&self.site.records[*i]));
        }
        let sink = MemorySink::default();
        match render::render_pages(&self.site, &self.theme, &sink, self.style, &set, &|| {}) {
            Ok(pages) => {
                let edited: BTreeSet<usize> = undo.iter().map(|(i, _)| *i).collect();
                self.index.update(&self.site, &edited);
                let (index, data) = rayon::join(|| self.index.files(&self.site), || render::data_files_after(&self.site, self.style, Some(&edited)));
                let mut files: Files = (*self.files).clone();
                // Index files are named by their content: the previous index's go.
                files.retain(|path, _| !is_index_file(path));
                files.extend(sink.into_files().into_iter().chain(data).map(|(p, b)| (p, b.into())));
                files.extend(index);
                self.files = Arc::new(files);
                Ok(Update::Pages(pages))
            }
            Err(e) => {
                // A template failed on the new text: serve the old records, and read the
                // files again next time.
                for (i, record) in undo {
                    self.site.records[i] = record;
                }
                self.cache = FileCache::default();
                Err(e.into())
            }
        }
    }

    fn rebuild(&mut self) -> Result<Update, BuildError> {
        let (site, theme) = load_full(&self.root, &mut self.cache)?;
        let (files, index) = render_all(&site, &theme, self.style)?;
        self.site = site;
        self.theme = theme;
        self.index = index;
        self.files = Arc::new(files);
        Ok(Update::Full)
    }
}

fn load_full(root: &Path, cache: &mut FileCache) -> Result<(Site, Theme), BuildError> {
    let site = validate::validate(load::load_cached(root, cache)).map_err(BuildError::Invalid)?;
    let theme = Theme::load(&site.root)?;
    Ok((site, theme))
}

/// Every file of the site, as `build` writes them, and the search index they hold.
fn render_all(site: &Site, theme: &Theme, style: LinkStyle) -> Result<(Files, Index), BuildError> {
    let sink = MemorySink::default();
    let (rendered, mut index) = rayon::join(|| render::render(site, theme, &sink, style, &PageSet::all(), &|| {}), || Index::new(site, Terms::analyse(site)));
    rendered?;
    let mut files: Files = sink.into_files().into_iter().map(|(p, b)| (p, b.into())).collect();
    // The index's own allocations: files a later update leaves alone compare by address.
    files.extend(index.files(site));
    Ok((files, index))
}

/// Whether a path the watcher reported can change the site: site.toml, content/, templates/
/// or static/, but not hidden files or editor litter (a built public/ folder does not count).
pub fn matters(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else { return false };
    let top = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    let input = top == SITE_FILE || [CONTENT_DIR, "templates", "static"].contains(&top.as_str());
    let hidden = rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
    let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let litter = name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx") || name.starts_with('#') || name.ends_with(".tmp");
    input && !hidden && !litter
}
