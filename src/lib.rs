//! Fixbook turns a folder of TOML error-code records into a help-center site.
//!
//! The pipeline, one module per stage, each taking `&` inputs and returning new values:
//! [`load`] (walk + parse) -> [`validate`] (typed model, every error) -> [`render`]
//! (Tera + Markdown) -> [`output`] (atomic write).

pub mod build_state;
pub mod bundle;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod escape;
pub mod export;
pub mod fs;
pub mod fuzzing;
#[cfg(test)]
mod generated_text;
pub mod guide;
pub mod incremental;
pub mod load;
pub mod markdown;
pub mod output;
pub mod record;
pub mod record_cache;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod spanned;
pub mod terminal;
pub mod theme;
pub mod url;
pub mod validate;
pub mod watch;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use diagnostic::Diagnostics;
use output::{OutputError, Sink};
pub use render::LinkStyle;
use render::RenderError;
use site::Site;
use theme::{Theme, ThemeError};

/// Builds with at least this many records show a progress bar (on a terminal).
const PROGRESS_THRESHOLD: usize = 5_000;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The knowledge-base folder (holds site.toml and content/).
    pub root: PathBuf,
    /// The output folder; replaced as a whole when the build succeeds.
    pub out: PathBuf,
    /// Allow a progress bar on stderr when it is a terminal.
    pub progress: bool,
    /// How pages link to each other (`--relative-links`).
    pub links: render::LinkStyle,
    /// Render everything, even pages the previous build into `out` already holds (`--clean`).
    pub clean: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuildSummary {
    pub records: usize,
    /// HTML pages of the site.
    pub pages: usize,
    pub files: usize,
    /// Pages rendered by this build: fewer than `pages` when the others were unchanged since
    /// the previous build into the same folder (0 when nothing changed).
    pub rendered: usize,
    pub seconds: f64,
    /// Where the time went, in order (`--timings`).
    pub stages: Vec<Stage>,
}

/// One stage of a build: when it started and ended (seconds since the build started; stages
/// that run side by side overlap) and the process's peak memory when it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: &'static str,
    pub start: f64,
    pub end: f64,
    /// Peak resident memory so far, in MiB (0 where the system does not say).
    pub peak_mib: f64,
}

/// Collects [`Stage`]s from the threads of one build.
struct Timings {
    started: Instant,
    stages: std::sync::Mutex<Vec<Stage>>,
}

impl Timings {
    fn new(started: Instant) -> Timings {
        Timings { started, stages: std::sync::Mutex::new(Vec::new()) }
    }

    fn time<T>(&self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let start = self.started.elapsed().as_secs_f64();
        let value = f();
        let stage = Stage { name, start, end: self.started.elapsed().as_secs_f64(), peak_mib: peak_mib() };
        self.stages.lock().expect("no stage panics while holding the lock").push(stage);
        value
    }

    fn into_stages(self) -> Vec<Stage> {
        let mut stages = self.stages.into_inner().expect("no stage panics while holding the lock");
        stages.sort_by(|a, b| a.start.total_cmp(&b.start));
        stages
    }
}

/// The process's peak resident memory (VmHWM) in MiB, on Linux.
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Search(#[from] search::engine::SearchError),
    #[error(transparent)]
    SingleFile(#[from] bundle::SingleFileError),
    #[error("{0}")]
    Serve(String),
}

impl From<serve::ServeError> for BuildError {
    fn from(e: serve::ServeError) -> Self {
        match e {
            serve::ServeError::Build(b) => b,
            other => BuildError::Serve(other.to_string()),
        }
    }
}

impl BuildError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            BuildError::Output(e) => e.hint(),
            BuildError::SingleFile(e) => Some(e.hint()),
            BuildError::Theme(ThemeError::Refused(e)) => e.hint(),
            _ => None,
        }
    }
}

/// Loads and validates the knowledge base at `root`: every input error, or the site.
pub fn load_site(root: &Path) -> Result<Site, BuildError> {
    validate::validate(load::load(root)).map_err(BuildError::Invalid)
}

/// `fixbook build`: load, validate, then render the pages and build the search index side by
/// side into a staging folder, and swap it in.
pub fn build(opts: &BuildOptions) -> Result<BuildSummary, BuildError> {
    output::check_location(&opts.root, &opts.out)?;
    // Held until the build state is written: the state says what the output holds, and two
    // builds into one output would each take the other's staging folder for abandoned.
    let lock = output::lock(&opts.out, "fixbook build", &waiting)?;
    let started = Instant::now();
    let t = Timings::new(started);
    let state_path = build_state::path(&opts.root, &opts.out);
    let previous = if opts.clean { None } else { build_state::BuildState::read(&state_path) };
    // What the output holds now, against what the previous build left: a damaged output is
    // not up to date, and its files are not reused.
    let listed = previous.as_ref().and_then(|_| build_state::read_files(&state_path));
    let (inputs, output_now) = rayon::join(|| build_state::inputs(&opts.root), || listed.as_deref().and_then(|files| output::stamp(&opts.out, files)));
    let walked = previous.as_ref().map(|_| load::walk(&opts.root));
    if let Some(state) = previous.as_ref().filter(|s| walked.as_ref().is_some_and(|w| s.unchanged(w, opts.links, output_now, inputs))) {
        return Ok(BuildSummary {
            records: state.records(),
            pages: state.pages,
            files: 0,
            rendered: 0,
            seconds: started.elapsed().as_secs_f64(),
            stages: Vec::new(),
        });
    }
    // Kept records and terms hold whatever the build that left them was: only --clean does
    // without them.
    let kept_records = if opts.clean { None } else { record_cache::RecordCache::read(&opts.root) };
    // The theme does not depend on the records: its templates compile (some 20 ms) while
    // the records load.
    let (theme, mut loaded) = rayon::join(
        || t.time("theme", || Theme::load(&opts.root)),
        || {
            t.time("load", || match &kept_records {
                Some(kept) => load::load_kept(&opts.root, kept),
                None => load::load(&opts.root),
            })
        },
    );
    let file_stamps = std::mem::take(&mut loaded.stamps);
    let site = t.time("validate", || validate::validate(loaded)).map_err(BuildError::Invalid)?;
    let theme = theme?;
    // The records are kept while the pages are made: they are known now, and valid whatever
    // becomes of this build (at 100,000 records the file is some 230 MB).
    let (site, kept_records, file_stamps) = (&site, &kept_records, &file_stamps);
    let stamps = &build_state::stamps(site, file_stamps);
    let (rendered, files, total_pages) = std::thread::scope(|scope| {
        let listed = listed.unwrap_or_default();
        let record_states = scope.spawn(|| {
            t.time("keep records", || {
                build_state::write_cache_with(&record_cache::path(&opts.root), &mut |out| {
                    record_cache::RecordCache::write(out, site, file_stamps, kept_records.as_ref())
                })
            });
            build_state::RecordStates::new(site, stamps)
        });
        let changed = previous.and_then(|s| s.changed_pages(site, opts.links, output_now, inputs, stamps));
        let terms_path = build_state::terms_path(&state_path);
        let keys = build_state::terms_keys(site, stamps);
        let kept = if opts.clean { None } else { t.time("read terms", || fs::read_cache_file(&terms_path).and_then(|b| search::terms::Kept::decode(&b))) };
        let terms = TermsCache { kept, keys: &keys, path: &terms_path };
        let total_pages = render::page_count(site);
        // With what the output may hold after the write: the files put, and for a build that
        // reused the previous output, the files that one held (those removed are left out below).
        let (rendered, files, out_files) = match changed {
            Some(set) if set.is_empty() => (0, 0, listed),
            // Files that came out as they were are not counted: they were left alone.
            Some(set) => t.time("write", || {
                output::publish_reusing(&lock, Some((search::index::DIR, &search::index::is_index_file)), |sink| {
                    let r = write_pages(site, &theme, sink, opts.links, &set, &|| {}, &t, Some(terms))?;
                    let put = sink.put_paths();
                    let known: std::collections::HashSet<&String> = listed.iter().collect();
                    let new: Vec<String> = put.into_iter().filter(|p| !known.contains(p)).collect();
                    Ok::<_, BuildError>((r.pages, sink.written(), listed.iter().cloned().chain(new).collect()))
                })
            })?,
            None => {
                let bar = progress_bar(opts.progress, site.records.len());
                let (r, put) = t.time("write", || {
                    output::publish(&lock, |sink| {
                        write_pages(site, &theme, sink, opts.links, &render::PageSet::all(), &|| bar.inc(1), &t, Some(terms)).map(|r| (r, sink.put_paths()))
                    })
                })?;
                bar.finish_and_clear();
                (r.pages, r.files, put)
            }
        };
        let record_states = record_states.join().expect("keeping the records does not panic");
        t.time("keep", || {
            let Some((stamp, out_files)) = output::stamp_present(&opts.out, out_files) else { return };
            if let Some(state) = build_state::BuildState::new(record_states, opts.links, stamp, total_pages, inputs) {
                build_state::write_files(&state_path, &out_files);
                state.write(&state_path);
            }
        });
        Ok::<_, BuildError>((rendered, files, total_pages))
    })?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(BuildSummary { records: site.records.len(), pages: total_pages, files, rendered, seconds, stages: t.into_stages() })
}

/// Said on stderr while another build holds the output: a build that waits without a word
/// looks hung (Cargo says "Blocking waiting for file lock" for the same reason).
pub(crate) fn waiting(message: &str) {
    eprintln!("{message}");
}

/// The search terms an earlier build kept, and the keys of the records now: the index
/// analyses only records whose key changed, and keeps the terms at `path` for the next build.
struct TermsCache<'a> {
    kept: Option<search::terms::Kept>,
    keys: &'a [Vec<u8>],
    path: &'a Path,
}

/// Every file of the site into `sink`: the pages, and the search index built alongside.
pub(crate) fn write_site(site: &Site, theme: &Theme, sink: &dyn Sink, links: LinkStyle, on_record: &(dyn Fn() + Sync)) -> Result<render::Rendered, BuildError> {
    write_pages(site, theme, sink, links, &render::PageSet::all(), on_record, &Timings::new(Instant::now()), None)
}

/// The pages in `set`, and every file that depends on all records (search index, data
/// files) or on nothing (assets); for a partial set, the rest of the site is the previous
/// build's. With `terms`, the search terms are also kept for the next build.
#[allow(clippy::too_many_arguments)]
fn write_pages(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    links: LinkStyle,
    set: &render::PageSet,
    on_record: &(dyn Fn() + Sync),
    t: &Timings,
    terms: Option<TermsCache>,
) -> Result<render::Rendered, BuildError> {
    let (rendered, index) = rayon::join(|| t.time("render", || render::render(site, theme, sink, links, set, on_record)), || write_index(site, sink, t, terms));
    let mut rendered = rendered?;
    rendered.files += index?;
    Ok(rendered)
}

/// The search index, written while the pages render: at 100,000 records it is some 7,000
/// files, which written one by one after the pages made a tail of their own. The terms are
/// kept here too, while the pages still render: they depend only on the records, so they
/// are right for the next build whatever becomes of this one.
fn write_index(site: &Site, sink: &dyn Sink, t: &Timings, cache: Option<TermsCache>) -> Result<usize, BuildError> {
    let (kept, keys, path) = cache.map_or((None, None, None), |c| (c.kept, Some(c.keys), Some(c.path)));
    let (files, keep) = t.time("index", || {
        let terms = search::terms::Kept::update(kept, site, keys.unwrap_or_default());
        let mut index = search::index::Index::new(site, terms);
        (index.files(site), keys.map(|k| index.terms().encode(k)))
    });
    let written = render::put_all(sink, &files)?;
    if let (Some(keep), Some(path)) = (keep, path) {
        t.time("keep terms", || build_state::write_cache_file(path, &keep));
    }
    Ok(written)
}

#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The knowledge-base folder.
    pub root: PathBuf,
    /// The file to write; default: `<site title as a slug>.zip` (or `.html`) in the current folder.
    pub out: Option<PathBuf>,
    /// One self-contained HTML file instead of a zip.
    pub single_file: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BundleSummary {
    pub out: PathBuf,
    pub records: usize,
    pub files: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// `fixbook bundle`: the site with relative links and nothing pointing at the published
/// host, zipped under one folder, or as one HTML file; written atomically.
pub fn bundle(opts: &BundleOptions) -> Result<BundleSummary, BuildError> {
    let started = Instant::now();
    let site = load_site(&opts.root)?;
    if opts.single_file && site.records.len() > bundle::SINGLE_FILE_LIMIT {
        return Err(bundle::SingleFileError::TooLarge { records: site.records.len() }.into());
    }
    let theme = Theme::load(&site.root)?;
    let sink = output::MemorySink::default();
    let style = if opts.single_file { LinkStyle::SingleFile } else { LinkStyle::Offline };
    write_site(&site, &theme, &sink, style, &|| {})?;
    let files = sink.into_files();
    let name = bundle::folder_name(&site.config.title);
    let (out, bytes) = if opts.single_file {
        let out = opts.out.clone().unwrap_or_else(|| PathBuf::from(format!("{name}.html")));
        let html = bundle::single_file(&files)?;
        (out.clone(), bundle::write_single_file(&out, &html)?)
    } else {
        let out = opts.out.clone().unwrap_or_else(|| PathBuf::from(format!("{name}.zip")));
        (out.clone(), bundle::write_zip(&out, &name, &files)?)
    };
    Ok(BundleSummary { out, records: site.records.len(), files: files.len(), bytes, seconds: started.elapsed().as_secs_f64() })
}

/// What `fixbook export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// GitHub-flavoured Markdown pages with front matter, for wikis and note tools.
    Markdown,
    /// Confluence storage-format pages, a page tree and an upload script.
    Confluence,
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub root: PathBuf,
    pub format: ExportFormat,
    /// The folder to write; replaced as a whole, like `build`'s output.
    pub out: PathBuf,
    /// How Markdown pages link to each other (Markdown only).
    pub links: export::LinkForm,
}

/// `fixbook export`: every record, product and the home page as pages of another wiki.
pub fn export(opts: &ExportOptions) -> Result<BuildSummary, BuildError> {
    output::check_location(&opts.root, &opts.out)?;
    let lock = output::lock(&opts.out, "fixbook export", &waiting)?;
    let started = Instant::now();
    let site = load_site(&opts.root)?;
    let pages = match opts.format {
        ExportFormat::Markdown => export::markdown::pages(&site, opts.links),
        ExportFormat::Confluence => export::confluence::files(&site),
    };
    output::publish(&lock, |sink| {
        for (path, text) in &pages {
            sink.put(path, text.as_bytes()).map_err(OutputError::from)?;
        }
        Ok::<_, BuildError>(())
    })?;
    Ok(BuildSummary {
        records: site.records.len(),
        pages: pages.len(),
        files: pages.len(),
        rendered: pages.len(),
        seconds: started.elapsed().as_secs_f64(),
        stages: Vec::new(),
    })
}

/// What `fixbook check` found.
#[derive(Debug)]
pub struct CheckReport {
    /// What `build` would refuse; when there are any, content rules were not run.
    pub errors: Diagnostics,
    pub findings: Vec<check::Finding>,
    pub records: usize,
}

impl CheckReport {
    /// Whether anything must be fixed (exit status 1).
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.findings.iter().any(|f| f.level == check::Level::Error)
    }
}

/// `fixbook check`: every error `build` would report, then the content rules, writing nothing.
pub fn check(root: &Path) -> CheckReport {
    match load_site(root) {
        Err(BuildError::Invalid(errors)) => CheckReport { errors, findings: Vec::new(), records: 0 },
        Err(other) => unreachable!("loading reports only input errors: {other}"),
        Ok(site) => {
            let findings = check::lint(&site, &load::Sources::Disk(fs::Inputs::new(root)), check::today());
            CheckReport { errors: Diagnostics::default(), findings, records: site.records.len() }
        }
    }
}

/// `fixbook search`: the records that best match `query`, best first. The tantivy index is
/// kept in `<root>/.fixbook-cache/` and rebuilt only when the knowledge base changed.
pub fn search(root: &Path, query: &str, limit: usize) -> Result<Vec<search::engine::Hit>, BuildError> {
    let index = search::engine::open_or_build(root, || load_site(root))?;
    Ok(search::engine::search(&index, query, limit)?)
}

fn progress_bar(wanted: bool, records: usize) -> indicatif::ProgressBar {
    if !wanted || records < PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(records as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} rendering {pos}/{len} records {wide_bar} {eta}") {
        bar.set_style(style);
    }
    bar
}
