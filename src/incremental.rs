//! A site kept in memory and brought up to date after a change, redoing only what the change
//! affects. Parsed records are kept per file (by size and modification time). An edit that
//! keeps a record's id, product, code and tags re-renders only the pages that show the record:
//! its own page and, when what its card shows changed (title, summary, severity, date), the
//! pages listing it. Anything else (a record added, removed or moved, site.toml, the theme, an
//! edit that breaks a rule) goes through the whole pipeline, still without re-reading the
//! files that did not change. The search index and data files depend on every record (BM25
//! statistics, feed order), so they are rebuilt whole, apart from the pages: [`Live::refresh_index`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::SITE_FILE;
use crate::load::{self, FileCache, CONTENT_DIR};
use crate::output::MemorySink;
use crate::record::{Record, RecordId};
use crate::render::{self, PageSet};
use crate::search::terms::Kept;
use crate::site::Site;
use crate::theme::Theme;
use crate::build_state::{card, place};
use crate::{validate, BuildError, LinkStyle};

/// Every file of the site by path; cloning the map shares the contents.
pub type Files = BTreeMap<String, Arc<[u8]>>;

/// What one [`Live::update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// No file of the site changed (the watcher saw only an unchanged file).
    Nothing,
    /// Only these pages were rendered again; the search index is now stale.
    Pages(usize),
    /// Everything was rendered again, search index included.
    Full,
}

pub struct Live {
    root: PathBuf,
    style: LinkStyle,
    cache: FileCache,
    theme: Theme,
    site: Site,
    files: Arc<Files>,
    /// Search files of the index before the current one: pages loaded before a rebuild still
    /// load shards named in the manifest they read.
    previous_search: BTreeSet<String>,
    index_stale: bool,
    /// Counts the changes to the records, so that an index built from older ones is dropped.
    generation: u64,
    /// The generation of the records the served index was built from.
    index_generation: u64,
    /// The last update failed: the site in memory is older than some file, so the next
    /// update looks at everything.
    failed: bool,
    /// The search terms of the last index built, by record key: the next index analyses
    /// only the records that changed. Away while an [`IndexJob`] has them.
    terms: Option<Kept>,
}

impl Live {
    /// Loads, validates and renders the whole site into memory.
    pub fn build(root: &Path, style: LinkStyle) -> Result<Live, BuildError> {
        // Files are known by their full path: the watcher reports them so.
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let mut cache = FileCache::default();
        let (site, theme) = load_full(&root, &mut cache)?;
        let files = render_all(&site, &theme, style)?;
        Ok(Live { root, style, cache, theme, site, files: Arc::new(files), previous_search: BTreeSet::new(), index_stale: false, generation: 0, index_generation: 0, failed: false, terms: None })
    }

    pub fn files(&self) -> Arc<Files> {
        self.files.clone()
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    pub fn index_stale(&self) -> bool {
        self.index_stale
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

    /// The search index and data files for the current records, replacing the stale ones.
    pub fn refresh_index(&mut self) {
        if let Some(job) = self.index_job() {
            let built = job.run();
            self.install_index(built);
        }
    }

    /// When the index is stale: the work of rebuilding it, on a copy of the records, to run
    /// on another thread while pages go on being rebuilt.
    pub fn index_job(&mut self) -> Option<IndexJob> {
        if !self.index_stale {
            return None;
        }
        let stamps: Vec<Option<load::FileStamp>> = self.site.records.iter().map(|r| load::file_stamp(self.cache.stamp_of(&self.site.root.join(&r.file))?)).collect();
        let keys = crate::build_state::terms_keys(&self.site, &stamps);
        Some(IndexJob { generation: self.generation, site: self.site.clone(), style: self.style, kept: self.terms.take(), keys })
    }

    /// Puts in the index an [`IndexJob`] made, if it is newer than the one served. When the
    /// records changed again since, it still replaces an older index, and stays stale.
    pub fn install_index(&mut self, built: BuiltIndex) -> bool {
        let BuiltIndex { generation, files: fresh, terms } = built;
        // Terms are kept by record key, so even an index that is not served leaves good ones.
        self.terms = Some(terms);
        if generation <= self.index_generation || !self.index_stale {
            return false;
        }
        self.index_generation = generation;
        let mut files: Files = (*self.files).clone();
        let current: BTreeSet<String> = files.keys().filter(|p| crate::search::index::is_index_file(p)).cloned().collect();
        for old in &self.previous_search {
            if !current.contains(old) {
                files.remove(old);
            }
        }
        for (path, bytes) in fresh {
            files.insert(path, bytes.into());
        }
        self.previous_search = current;
        self.files = Arc::new(files);
        self.index_stale = generation != self.generation;
        true
    }

    /// The records that changed, when every change is an edit a patch can take: `None` when
    /// the whole pipeline must run.
    fn edits(&self, changed: &[PathBuf]) -> Option<Vec<(usize, PathBuf, load::Stamp, Record)>> {
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
            let id = RecordId::from_relative_path(rel);
            let &i = self.site.by_id.get(&id)?;
            let old = &self.site.records[i];
            let record = Record::from_file(&path, &old.file, id).ok()?;
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

    fn patch(&mut self, edits: Vec<(usize, PathBuf, load::Stamp, Record)>) -> Result<Update, BuildError> {
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
                let mut files: Files = (*self.files).clone();
                files.extend(sink.into_files().into_iter().map(|(p, b)| (p, b.into())));
                self.files = Arc::new(files);
                self.index_stale = true;
                self.generation += 1;
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
        let files = render_all(&site, &theme, self.style)?;
        self.previous_search = self.files.keys().filter(|p| crate::search::index::is_index_file(p)).cloned().collect();
        let mut files = files;
        for old in &self.previous_search {
            if let Some(bytes) = self.files.get(old) {
                files.entry(old.clone()).or_insert_with(|| bytes.clone());
            }
        }
        self.site = site;
        self.theme = theme;
        self.files = Arc::new(files);
        self.index_stale = false;
        self.generation += 1;
        self.index_generation = self.generation;
        Ok(Update::Full)
    }
}

/// A search index to build away from the [`Live`] site.
pub struct IndexJob {
    pub generation: u64,
    site: Site,
    style: LinkStyle,
    kept: Option<Kept>,
    /// The key of each record's terms.
    keys: Vec<Vec<u8>>,
}

/// What an [`IndexJob`] made: the index and data files, and the terms to keep.
pub struct BuiltIndex {
    pub generation: u64,
    pub files: Vec<(String, Vec<u8>)>,
    terms: Kept,
}

impl IndexJob {
    pub fn run(self) -> BuiltIndex {
        let terms = Kept::update(self.kept, &self.site, &self.keys);
        let mut files = crate::search::index::build_from(&self.site, &terms);
        files.extend(render::data_files(&self.site, self.style));
        BuiltIndex { generation: self.generation, files, terms: Kept::new(terms, self.keys) }
    }
}

fn load_full(root: &Path, cache: &mut FileCache) -> Result<(Site, Theme), BuildError> {
    let site = validate::validate(load::load_cached(root, cache)).map_err(BuildError::Invalid)?;
    let theme = Theme::load(&site.root)?;
    Ok((site, theme))
}

fn render_all(site: &Site, theme: &Theme, style: LinkStyle) -> Result<Files, BuildError> {
    let sink = MemorySink::default();
    crate::write_site(site, theme, &sink, style, &|| {})?;
    Ok(sink.into_files().into_iter().map(|(p, b)| (p, b.into())).collect())
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
