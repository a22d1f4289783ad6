//! `fixbook serve`: the site built into memory and served on 127.0.0.1, rebuilt when a file
//! of the knowledge base changes, with open pages reloaded over server-sent events. A broken
//! record keeps the last good site on screen under an overlay that names file, line and
//! column, and the overlay goes when the file is fixed. `http` answers requests (only this
//! computer's pages may read the preview); `watch` reports changes, also to `build --watch`.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hyper::body::Bytes;
use tokio::sync::mpsc::UnboundedSender;

use crate::incremental::{Files, Live, Update};
use crate::search::index::is_index_file;
use crate::{BuildError, LinkStyle};

mod http;
mod watch;

pub(crate) use watch::{burst, watch, Burst, Links};

pub const EVENTS_PATH: &str = "/__fixbook/events";
/// The live-reload script, a file rather than inline so that pages keep their content
/// security policy (`script-src 'self'`) while served.
pub const LIVE_SCRIPT_PATH: &str = "/__fixbook/live.js";
const CLIENT_JS: &str = include_str!("../../themes/default/static/assets/fixbook-live.js");

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot watch {}: {source}", path.display())]
    Watch { path: PathBuf, source: notify::Error },
    #[error(transparent)]
    Build(#[from] BuildError),
}

pub struct ServeOptions {
    pub root: PathBuf,
    pub addr: SocketAddr,
    /// Host names to answer to besides `localhost`, `127.0.0.1`, `[::1]` and the address
    /// listened on.
    pub allow_hosts: Vec<String>,
}

/// What is being served now.
struct State {
    files: Arc<Files>,
    /// The search index files of earlier sites: a page loaded before a rebuild still finds
    /// the shards its manifest named (they are named by content, so a rebuild renames them).
    shards: Shards,
    /// The site's base path ("/" or "/help/"): requests are looked up below it.
    base_path: String,
    /// The errors of the last build, when it failed (the previous site is still served).
    error: Option<String>,
    clients: Vec<UnboundedSender<Bytes>>,
}

type Shared = Arc<Mutex<State>>;

/// The search index files of the last [`Shards::REBUILDS`] sites, by path, within
/// [`Shards::BYTES`] of files that the current site no longer has.
#[derive(Default)]
struct Shards {
    /// Path -> contents and the number of the last site that had the file.
    files: HashMap<String, (Arc<[u8]>, u64)>,
    site: u64,
}

impl Shards {
    const REBUILDS: u64 = 20;
    const BYTES: usize = 64 << 20;

    /// Takes in the index files of a new site, and forgets those of sites too long ago.
    fn add(&mut self, files: &Files) {
        self.site += 1;
        for (path, bytes) in files.iter().filter(|(p, _)| is_index_file(p)) {
            self.files.insert(path.clone(), (bytes.clone(), self.site));
        }
        // The newest first, within the byte budget (the current site's cost nothing more).
        let mut old: Vec<(u64, usize, String)> = self.files.iter().filter(|(_, (_, n))| *n < self.site).map(|(p, (b, n))| (*n, b.len(), p.clone())).collect();
        old.sort_unstable_by_key(|o| std::cmp::Reverse(o.0));
        let mut kept = 0;
        for (n, len, path) in old {
            kept += len;
            if n + Self::REBUILDS < self.site || kept > Self::BYTES {
                self.files.remove(&path);
            }
        }
    }

    fn get(&self, path: &str) -> Option<Arc<[u8]>> {
        self.files.get(path).map(|(b, _)| b.clone())
    }
}

/// Builds, starts serving, calls `ready` with the address, then serves and rebuilds until
/// the process ends. The first build must succeed.
pub fn serve(opts: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let live = Live::build(&opts.root, LinkStyle::Absolute)?;
    let listener = TcpListener::bind(opts.addr).map_err(|source| ServeError::Bind { addr: opts.addr, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: opts.addr, source })?;
    let base_path = live.site().config.base_path();
    let mut shards = Shards::default();
    shards.add(&live.files());
    let state: Shared = Arc::new(Mutex::new(State { files: live.files(), shards, base_path, error: None, clients: Vec::new() }));

    let (tx, rx) = channel();
    let watcher = watch(&opts.root, tx)?;
    // Events name absolute paths; compare them with the absolute root.
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|_| opts.root.clone());
    let rebuild_state = state.clone();
    std::thread::spawn(move || rebuild_loop(&root, live, &rx, &rebuild_state));

    ready(addr);
    let served = http::run(listener, state, http::Hosts::new(addr, &opts.allow_hosts));
    drop(watcher);
    served.map_err(|source| ServeError::Bind { addr, source })
}

fn rebuild_loop(root: &Path, mut live: Live, rx: &Receiver<notify::Event>, state: &Shared) {
    let mut links = Links::scan(root);
    while let Ok(first) = rx.recv() {
        let Some(Burst { paths, everything }) = burst(root, &links, first, rx) else { return };
        if paths.is_empty() && !everything {
            continue;
        }
        let started = Instant::now();
        let result = live.update(if everything { &[] } else { &paths });
        links.rescan_after(root, &result);
        let event = match result {
            Ok(Update::Nothing) => continue,
            Ok(update) => {
                publish(state, &live).error = None;
                eprintln!("rebuilt {update} in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
                "event: reload\ndata: {}\n\n".to_string()
            }
            Err(e) => {
                let text = e.to_string();
                // Quotes source lines: shown, not obeyed, as everything the binary prints.
                eprintln!("{}", crate::terminal::inert(&text));
                let data: String = text.lines().map(|l| format!("data: {l}\n")).collect();
                state.lock().expect("no thread panics holding the state").error = Some(text);
                format!("event: problem\n{data}\n")
            }
        };
        let event = Bytes::from(event);
        state.lock().expect("no thread panics holding the state").clients.retain(|c| c.send(event.clone()).is_ok());
    }
}

/// Serves `live`'s files from now on; the state stays locked while the caller holds it.
fn publish<'s>(state: &'s Shared, live: &Live) -> std::sync::MutexGuard<'s, State> {
    let mut s = state.lock().expect("no thread panics holding the state");
    let files = live.files();
    s.shards.add(&files);
    s.files = files;
    s.base_path = live.site().config.base_path();
    s
}

/// The tag that loads the live-reload script, before `</body>`.
fn inject(html: &str) -> String {
    let script = format!("<script src=\"{LIVE_SCRIPT_PATH}\"></script>\n");
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

/// The live-reload script, with the last build's errors for the overlay (`null`: none).
fn live_script(error: Option<&str>) -> String {
    format!("window.__fixbookError = {};\n{CLIENT_JS}", serde_json::to_string(&error).expect("JSON"))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incremental::matters;

    #[test]
    fn index_files_of_recent_sites_are_kept_within_bounds() {
        let site = |names: &[&str], len: usize| -> Files { names.iter().map(|n| (n.to_string(), vec![b'x'; len].into())).collect() };
        let mut shards = Shards::default();
        shards.add(&site(&["search/manifest.js", "search/t0.a.js", "index.html"], 10));
        assert!(shards.get("search/t0.a.js").is_some() && shards.get("index.html").is_none(), "index files only");
        for i in 0..Shards::REBUILDS {
            shards.add(&site(&["search/manifest.js", &format!("search/t0.{i}.js")], 10));
        }
        assert!(shards.get("search/t0.a.js").is_some(), "{} rebuilds ago", Shards::REBUILDS);
        shards.add(&site(&["search/manifest.js"], 10));
        assert!(shards.get("search/t0.a.js").is_none(), "forgotten after {} rebuilds", Shards::REBUILDS + 1);
        assert!(shards.get("search/t0.0.js").is_some());
        // Large old files: only the newest that fit in the budget.
        let big = Shards::BYTES / 3;
        for i in 0..4 {
            shards.add(&site(&[&format!("search/big{i}.js")], big));
        }
        shards.add(&site(&[], 0));
        let kept: Vec<bool> = (0..4).map(|i| shards.get(&format!("search/big{i}.js")).is_some()).collect();
        assert_eq!(kept, [false, true, true, true]);
    }

    #[test]
    fn editor_litter_and_hidden_files_do_not_rebuild() {
        let root = Path::new("/kb");
        assert!(matters(root, Path::new("/kb/content/rd/0x1.toml")));
        assert!(!matters(root, Path::new("/kb/content/rd/.0x1.toml.swp")));
        assert!(!matters(root, Path::new("/kb/content/rd/0x1.toml~")));
        assert!(!matters(root, Path::new("/kb/.fixbook-cache/search/x")));
        assert!(!matters(root, Path::new("/kb/public/index.html")));
        assert!(matters(root, Path::new("/kb/site.toml")) && matters(root, Path::new("/kb/templates/base.html")));
    }
}
