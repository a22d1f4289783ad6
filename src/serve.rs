//! `fixbook serve`: the site built into memory and served on 127.0.0.1, rebuilt when a file
//! of the knowledge base changes, with open pages reloaded over server-sent events. A broken
//! record keeps the last good site on screen under an overlay that names file, line and
//! column, and the overlay goes when the file is fixed.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::incremental::{matters, Files, Live, Update};
use crate::{BuildError, LinkStyle};

/// Changes closer together than this (editor swap files, `git checkout`) make one rebuild.
const QUIET: Duration = Duration::from_millis(20);
pub const EVENTS_PATH: &str = "/__fixbook/events";
/// The live-reload script, a file rather than inline so that pages keep their content
/// security policy (`script-src 'self'`) while served.
pub const LIVE_SCRIPT_PATH: &str = "/__fixbook/live.js";
const CLIENT_JS: &str = include_str!("../themes/default/static/assets/fixbook-live.js");

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
}

/// What is being served now.
struct State {
    files: Arc<Files>,
    /// The site's base path ("/" or "/help/"): requests are looked up below it.
    base_path: String,
    /// The errors of the last build, when it failed (the previous site is still served).
    error: Option<String>,
    clients: Vec<Sender<String>>,
}

type Shared = Arc<Mutex<State>>;

/// Builds, starts serving, calls `ready` with the address, then serves and rebuilds until
/// the process ends. The first build must succeed.
pub fn serve(opts: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let live = Live::build(&opts.root, LinkStyle::Absolute)?;
    let listener = TcpListener::bind(opts.addr).map_err(|source| ServeError::Bind { addr: opts.addr, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: opts.addr, source })?;
    let base_path = live.site().config.base_path();
    let state: Shared = Arc::new(Mutex::new(State { files: live.files(), base_path, error: None, clients: Vec::new() }));

    let (tx, rx) = channel();
    let to_loop = tx.clone();
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        // Reading files (as every rebuild does) raises access events: only changes count.
        // An error (an overflowing queue) asks for a look at everything.
        let event = match e {
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => return,
            Ok(e) => e,
            Err(_) => notify::Event::new(notify::EventKind::Other),
        };
        let _ = tx.send(Message::Changed(event));
    })
    .map_err(|source| ServeError::Watch { path: opts.root.clone(), source })?;
    notify::Watcher::watch(&mut watcher, &opts.root, notify::RecursiveMode::Recursive)
        .map_err(|source| ServeError::Watch { path: opts.root.clone(), source })?;
    // Events name absolute paths; compare them with the absolute root.
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|_| opts.root.clone());
    let rebuild_state = state.clone();
    std::thread::spawn(move || rebuild_loop(&root, live, &rx, &to_loop, &rebuild_state));

    ready(addr);
    for stream in listener.incoming().flatten() {
        let state = state.clone();
        std::thread::spawn(move || handle(stream, &state));
    }
    drop(watcher);
    Ok(())
}

/// What the rebuild loop waits for.
enum Message {
    Changed(notify::Event),
    /// A search index built on another thread, for the records of this generation.
    Index { built: crate::incremental::BuiltIndex, millis: u128 },
}

/// One burst of changes: the paths, whether everything must be looked at, and any index
/// that finished meanwhile. `None` when the watcher is gone.
struct Burst {
    paths: Vec<PathBuf>,
    everything: bool,
    indexes: Vec<Message>,
}

fn burst(root: &Path, first: notify::Event, rx: &Receiver<Message>) -> Option<Burst> {
    let mut b = Burst { paths: Vec::new(), everything: false, indexes: Vec::new() };
    let take = |m: Message, b: &mut Burst| match m {
        Message::Changed(e) => {
            b.everything |= e.paths.is_empty() || e.need_rescan();
            b.paths.extend(e.paths.into_iter().filter(|p| matters(root, p)));
        }
        index => b.indexes.push(index),
    };
    take(Message::Changed(first), &mut b);
    let mut deadline = Instant::now() + QUIET;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(m) => {
                take(m, &mut b);
                deadline = Instant::now() + QUIET;
            }
            Err(RecvTimeoutError::Timeout) => return Some(b),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

fn rebuild_loop(root: &Path, mut live: Live, rx: &Receiver<Message>, to_loop: &Sender<Message>, state: &Shared) {
    // One index job at a time, on a pool of its own so that page rebuilds keep the others.
    let index_pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok().map(Arc::new);
    let mut indexing = false;
    let start_index = |live: &mut Live, indexing: &mut bool| {
        if *indexing {
            return;
        }
        let Some(job) = live.index_job() else { return };
        *indexing = true;
        let (to_loop, pool) = (to_loop.clone(), index_pool.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let built = match pool {
                Some(pool) => pool.install(|| job.run()),
                None => job.run(),
            };
            let _ = to_loop.send(Message::Index { built, millis: started.elapsed().as_millis() });
        });
    };
    let install = |live: &mut Live, m: Message, indexing: &mut bool| {
        if let Message::Index { built, millis } = m {
            *indexing = false;
            if live.install_index(built) {
                // Only the index changes: an error shown for the pages stays shown.
                drop(publish(state, live));
                eprintln!("search index rebuilt in {millis} ms");
            }
        }
    };
    while let Ok(first) = rx.recv() {
        let first = match first {
            Message::Changed(e) => e,
            index => {
                install(&mut live, index, &mut indexing);
                // Records changed while it was built: build it again.
                start_index(&mut live, &mut indexing);
                continue;
            }
        };
        let Some(Burst { paths, everything, indexes }) = burst(root, first, rx) else { return };
        for index in indexes {
            install(&mut live, index, &mut indexing);
        }
        if paths.is_empty() && !everything {
            start_index(&mut live, &mut indexing);
            continue;
        }
        let started = Instant::now();
        let result = live.update(if everything { &[] } else { &paths });
        let event = match result {
            Ok(Update::Nothing) => {
                start_index(&mut live, &mut indexing);
                continue;
            }
            Ok(update) => {
                let what = match update {
                    Update::Pages(n) => format!("{n} page{}", if n == 1 { "" } else { "s" }),
                    _ => "the whole site".to_string(),
                };
                publish(state, &live).error = None;
                eprintln!("rebuilt {what} in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
                "event: reload\ndata: {}\n\n".to_string()
            }
            Err(e) => {
                let text = e.to_string();
                eprintln!("{text}");
                let data: String = text.lines().map(|l| format!("data: {l}\n")).collect();
                state.lock().expect("no thread panics holding the state").error = Some(text);
                format!("event: problem\n{data}\n")
            }
        };
        state.lock().expect("no thread panics holding the state").clients.retain(|c| c.send(event.clone()).is_ok());
        // After the reload, away from this loop: the search index and data files, which
        // depend on every record. Pages go on being rebuilt meanwhile; an index of records
        // that changed again still replaces an older one, and another is started.
        start_index(&mut live, &mut indexing);
    }
}

/// Serves `live`'s files from now on; the state stays locked while the caller holds it.
fn publish<'s>(state: &'s Shared, live: &Live) -> std::sync::MutexGuard<'s, State> {
    let mut s = state.lock().expect("no thread panics holding the state");
    s.files = live.files();
    s.base_path = live.site().config.base_path();
    s
}

fn handle(mut stream: TcpStream, state: &Shared) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        let _ = respond(&mut stream, "405 Method Not Allowed", "text/plain", b"only GET and HEAD\n", method == "HEAD");
        return;
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if path == EVENTS_PATH {
        events(stream, state);
        return;
    }
    if path == LIVE_SCRIPT_PATH {
        let error = state.lock().expect("no thread panics holding the state").error.clone();
        let _ = respond(&mut stream, "200 OK", "text/javascript; charset=utf-8", live_script(error.as_deref()).as_bytes(), method == "HEAD");
        return;
    }
    let (files, base_path) = {
        let s = state.lock().expect("no thread panics holding the state");
        (s.files.clone(), s.base_path.clone())
    };
    let head = method == "HEAD";
    let Some(decoded) = percent_decode(path) else {
        let _ = respond(&mut stream, "400 Bad Request", "text/plain", b"bad path\n", head);
        return;
    };
    let Some(rel) = decoded.strip_prefix(&base_path).or_else(|| decoded.strip_prefix(base_path.trim_end_matches('/'))) else {
        let _ = respond(&mut stream, "404 Not Found", "text/plain", b"not found\n", head);
        return;
    };
    let rel = rel.trim_start_matches('/');
    if rel.split('/').any(|p| p == ".." || p == ".") || rel.contains('\\') {
        let _ = respond(&mut stream, "400 Bad Request", "text/plain", b"bad path\n", head);
        return;
    }
    let key = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
    let (status, key) = if files.contains_key(&key) {
        ("200 OK", key)
    } else if files.contains_key(&format!("{key}/index.html")) {
        let _ = write!(stream, "HTTP/1.1 301 Moved Permanently\r\nLocation: {decoded}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    } else {
        ("404 Not Found", "404.html".to_string())
    };
    let body = files.get(&key).cloned().unwrap_or_default();
    let kind = content_type(&key);
    if kind.starts_with("text/html") {
        let html = inject(&String::from_utf8_lossy(&body));
        let _ = respond(&mut stream, status, kind, html.as_bytes(), head);
    } else {
        let _ = respond(&mut stream, status, kind, &body, head);
    }
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

/// A server-sent event stream that lives until the page goes away.
fn events(mut stream: TcpStream, state: &Shared) {
    let (tx, rx) = channel();
    state.lock().expect("no thread panics holding the state").clients.push(tx);
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n: connected\n\n";
    if stream.write_all(head.as_bytes()).and_then(|()| stream.flush()).is_err() {
        return;
    }
    loop {
        let message = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(m) => m,
            // A comment now and then finds closed pages, so their senders are dropped.
            Err(RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if stream.write_all(message.as_bytes()).and_then(|()| stream.flush()).is_err() {
            return;
        }
    }
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], head_only: bool) -> std::io::Result<()> {
    write!(stream, "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n", body.len())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
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

/// `%2e%2E` and friends decoded, so that encoded `..` is seen as `..`; `None` if malformed.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    (!s.contains('\0')).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_traversal_is_decoded_before_the_check() {
        assert_eq!(percent_decode("/a%2F..%2f%2E%2e/x").as_deref(), Some("/a/../../x"));
        assert_eq!(percent_decode("/bad%zz"), None);
        assert_eq!(percent_decode("/nul%00"), None);
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
