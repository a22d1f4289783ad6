//! What the last `build` into an output folder was made from, so the next one can tell what
//! changed: kept in `<kb>/.fixbook-cache/builds/`, one file per output folder. A build whose
//! inputs match does nothing; one where records were edited in place renders only the pages
//! those edits affect and takes every other page from the previous output (hard links into
//! the staging folder, which is still swapped in whole). The search index and the data files
//! are always written again: they depend on every record.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::load::{self, FileStamp};
use crate::output;
use crate::record::Record;
use crate::render::{LinkStyle, PageSet};
use crate::search::encode::fnv1a_64 as hash;
use crate::site::Site;
use crate::url::tag_slug;

const STATE_FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildState {
    format: u32,
    /// Fixbook's version: another version may render differently.
    version: String,
    links: String,
    /// site.toml, templates/ and static/: a change to any is a full build.
    inputs: u64,
    /// The output folder as this build left it: the output is still the one we wrote, not
    /// damaged or changed by hand since.
    output: output::Stamp,
    /// HTML pages of the site built.
    pub pages: usize,
    records: BTreeMap<String, RecordState>,
}

/// What the state says of each record, apart from the output it went to: made while the
/// pages render, so that only the output's stamp is left for after the swap. `None` when a
/// record's file had no stamp.
pub struct RecordStates(Option<BTreeMap<String, RecordState>>);

impl RecordStates {
    pub fn new(site: &Site, stamps: &[Option<FileStamp>]) -> RecordStates {
        RecordStates(
            site.records
                .iter()
                .zip(stamps)
                .map(|(r, stamp)| Some((r.id.as_str().to_string(), RecordState { stamp: (*stamp)?, place: place(r), card: card(r) })))
                .collect(),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RecordState {
    stamp: FileStamp,
    /// Product, code and tags: where the record is filed.
    place: u64,
    /// What the record's card shows on the pages that list it.
    card: u64,
}

/// Where the state of the build into `out` is kept.
pub fn path(root: &Path, out: &Path) -> PathBuf {
    // By the folder it is in, which exists before the first build too, so that `public` and
    // the absolute path of `public` name the same state.
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    let out = out.file_name().map_or(parent.clone(), |name| parent.join(name));
    let key = hash(out.to_string_lossy().as_bytes());
    root.join(crate::fs::CACHE_DIR).join("builds").join(format!("{key:016x}.json"))
}

impl BuildState {
    /// The state of a build of `site` into an output folder whose [`output::stamp`] is
    /// `output`, taken after it was swapped in, from `inputs` ([`inputs`] of its root).
    pub fn new(records: RecordStates, links: LinkStyle, output: output::Stamp, pages: usize, inputs: u64) -> Option<BuildState> {
        let records = records.0?;
        Some(BuildState { format: STATE_FORMAT, version: env!("CARGO_PKG_VERSION").to_string(), links: format!("{links:?}"), inputs, output, pages, records })
    }

    pub fn read(path: &Path) -> Option<BuildState> {
        serde_json::from_slice(&crate::fs::read_cache_file(path)?).ok().filter(|s: &BuildState| s.format == STATE_FORMAT)
    }

    /// Best effort: without it the next build is a full one.
    pub fn write(&self, path: &Path) {
        if let Ok(json) = serde_json::to_vec(self) {
            write_cache_file(path, &json);
        }
    }

    pub fn records(&self) -> usize {
        self.records.len()
    }

    /// Whether this state is of a build with these options and inputs into an output whose
    /// [`output::stamp`] is now `output`, as the previous build left it.
    fn same_build(&self, links: LinkStyle, output: Option<output::Stamp>, inputs: u64) -> bool {
        self.version == env!("CARGO_PKG_VERSION") && self.links == format!("{links:?}") && self.inputs == inputs && Some(self.output) == output
    }

    /// Whether nothing the build reads changed since this state (`walked`: [`load::walk`] of
    /// its root), and the output (whose [`output::stamp`] is `output`) is as it was left,
    /// seen from the file system alone (no record is parsed).
    pub fn unchanged(
        &self,
        walked: &(Vec<load::Found>, Vec<crate::diagnostic::Diagnostic>),
        links: LinkStyle,
        output: Option<output::Stamp>,
        inputs: u64,
    ) -> bool {
        if !self.same_build(links, output, inputs) {
            return false;
        }
        let (found, errors) = walked;
        errors.is_empty()
            && found.len() == self.records.len()
            && found.iter().all(|f| self.records.get(f.id.as_str()).is_some_and(|r| Some(r.stamp) == load::stamp(&f.path)))
    }

    /// The pages a build of `site` into an output whose [`output::stamp`] is `output` must
    /// render, given that the previous build left this state; `None` when everything must be
    /// built (a damaged output is never reused).
    pub fn changed_pages(&self, site: &Site, links: LinkStyle, output: Option<output::Stamp>, inputs: u64, stamps: &[Option<FileStamp>]) -> Option<PageSet> {
        if !self.same_build(links, output, inputs) || self.records.len() != site.records.len() {
            return None;
        }
        let mut set = PageSet::default();
        for (i, r) in site.records.iter().enumerate() {
            let before = self.records.get(r.id.as_str())?;
            if before.place != place(r) {
                return None;
            }
            if before.stamp == stamps[i]? {
                continue;
            }
            set.add_record(site, i, before.card != card(r));
        }
        Some(set)
    }
}

/// Writes a file of `.fixbook-cache/` whole or not at all, best effort: a build that finds
/// no cache file does the work the file would have saved.
pub fn write_cache_file(path: &Path, bytes: &[u8]) {
    write_cache_with(path, &mut |file| file.write_all(bytes));
}

/// [`write_cache_file`] with what `write` writes, through a buffer.
pub fn write_cache_with(path: &Path, write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>) {
    if path.parent().is_none_or(|dir| crate::fs::make_cache_folder(dir).is_err()) {
        return;
    }
    let mut tmp = path.as_os_str().to_owned();
    // Two builds of one knowledge base at once each write their own.
    tmp.push(format!(".{}.partial", std::process::id()));
    // A new file, not one left under that name (it might be a link).
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::File::options().write(true).create_new(true).open(&tmp).and_then(|file| {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut buffered)?;
        buffered.flush()
    });
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, path);
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// What a record's card shows on the pages that list it.
pub fn card(r: &Record) -> u64 {
    let severity = r.severity.map_or("", |s| s.as_str());
    let updated = r.updated.map(|d| d.to_string()).unwrap_or_default();
    hash([r.title.as_str(), &r.summary, severity, &updated].join("\u{0}").as_bytes())
}

/// Where a record is filed: product, code and tags. A change to it is a full build.
pub fn place(r: &Record) -> u64 {
    let tags: Vec<String> = r.tags.iter().map(|t| tag_slug(t)).collect();
    hash([r.product(), r.code(), &tags.join("\u{1}")].join("\u{0}").as_bytes())
}

/// The [`FileStamp`] of every record's file, in the site's order, from the stamps the load
/// took (by path as shown).
pub fn stamps(site: &Site, taken: &std::collections::HashMap<PathBuf, FileStamp>) -> Vec<Option<FileStamp>> {
    site.records.iter().map(|r| taken.get(&r.file).copied()).collect()
}

/// What says a record is the one whose search terms a build kept: its id and file stamp.
pub fn terms_keys(site: &Site, stamps: &[Option<FileStamp>]) -> Vec<Vec<u8>> {
    site.records
        .iter()
        .zip(stamps)
        .map(|(r, s)| {
            // A record without a stamp gets a key no kept terms have.
            let stamp = s.map_or([0xff; 48], |s| s.to_bytes());
            let mut key = r.id.as_str().as_bytes().to_vec();
            key.push(0);
            key.extend_from_slice(&stamp);
            key
        })
        .collect()
}

/// Where the list of the files of the output of the build whose state is at `state` is kept:
/// what [`output::stamp`] looks at.
fn files_path(state: &Path) -> PathBuf {
    state.with_extension("files")
}

/// The files (site-relative paths, one a line) the build whose state is at `state` left in
/// its output.
pub fn read_files(state: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(files_path(state)).ok()?;
    Some(text.lines().map(str::to_string).collect())
}

/// Best effort: without it the next build is a full one.
pub fn write_files(state: &Path, files: &[String]) {
    write_cache_with(&files_path(state), &mut |out| files.iter().try_for_each(|f| writeln!(out, "{f}")));
}

/// Where the search terms of the build whose state is at `state` are kept.
pub fn terms_path(state: &Path) -> PathBuf {
    state.with_extension("terms")
}

/// site.toml and every file under templates/ and static/, by content.
pub fn inputs(root: &Path) -> u64 {
    // Read as the load and the theme read them: a pipe or a link out is not read here either
    // (the load reports it).
    let files = crate::fs::Inputs::new(root);
    let mut all = Vec::new();
    all.extend(files.read(&root.join(crate::config::SITE_FILE)).unwrap_or_default());
    for dir in [crate::theme::TEMPLATES_DIR, crate::theme::STATIC_DIR] {
        for (_, path) in crate::theme::files_under(&root.join(dir)) {
            all.extend(path.to_string_lossy().as_bytes());
            all.push(0);
            all.extend(files.read(&path).unwrap_or_default());
        }
    }
    hash(&all)
}
