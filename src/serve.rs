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
    /// The site before the last rebuild: a page loaded before it still finds the search
    /// shards its manifest named (they are named by content, so a rebuild renames them).
    previous: Arc<Files>,
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
    let state: Shared = Arc::new(Mutex::new(State { files: live.files(), previous: live.files(), base_path, error: None, clients: Vec::new() }));

    let (tx, rx) = channel();
    let watcher = watch(&opts.root, tx)?;
    // Events name absolute paths; compare them with the absolute root.
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|_| opts.root.clone());
    let rebuild_state = state.clone();
    std::thread::spawn(move || rebuild_loop(&root, live, &rx, &rebuild_state));

    ready(addr);
    for stream in listener.incoming().flatten() {
        let state = state.clone();
        std::thread::spawn(move || handle(stream, &state));
    }
    drop(watcher);
    Ok(())
}

/// One burst of changes: the paths, and whether everything must be looked at. `None` when
/// the watcher is gone.
pub(crate) struct Burst {
    pub paths: Vec<PathBuf>,
    pub everything: bool,
}

/// Waits out a burst that starts with `first`: changes closer together than [`QUIET`] make
/// one rebuild.
pub(crate) fn burst(root: &Path, first: notify::Event, rx: &Receiver<notify::Event>) -> Option<Burst> {
    let mut b = Burst { paths: Vec::new(), everything: false };
    let mut take = |e: notify::Event| {
        b.everything |= e.paths.is_empty() || e.need_rescan();
        b.paths.extend(e.paths.into_iter().filter(|p| matters(root, p)));
    };
    take(first);
    let mut deadline = Instant::now() + QUIET;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(e) => {
                take(e);
                deadline = Instant::now() + QUIET;
            }
            Err(RecvTimeoutError::Timeout) => return Some(b),
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// Watches `root` recursively; every change (not mere reads) goes to `tx`, and an error of
/// the watcher (an overflowing queue) as an event that asks for a look at everything.
pub(crate) fn watch(root: &Path, tx: Sender<notify::Event>) -> Result<notify::RecommendedWatcher, ServeError> {
    let mut watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        let event = match e {
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => return,
            Ok(e) => e,
            Err(_) => notify::Event::new(notify::EventKind::Other),
        };
        let _ = tx.send(event);
    })
    .map_err(|source| ServeError::Watch { path: root.to_path_buf(), source })?;
    notify::Watcher::watch(&mut watcher, root, notify::RecursiveMode::Recursive).map_err(|source| ServeError::Watch { path: root.to_path_buf(), source })?;
    Ok(watcher)
}

fn rebuild_loop(root: &Path, mut live: Live, rx: &Receiver<notify::Event>, state: &Shared) {
    while let Ok(first) = rx.recv() {
        let Some(Burst { paths, everything }) = burst(root, first, rx) else { return };
        if paths.is_empty() && !everything {
            continue;
        }
        let started = Instant::now();
        let event = match live.update(if everything { &[] } else { &paths }) {
            Ok(Update::Nothing) => continue,
            Ok(update) => {
                publish(state, &live).error = None;
                eprintln!("rebuilt {update} in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
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
    }
}

/// Serves `live`'s files from now on; the state stays locked while the caller holds it.
fn publish<'s>(state: &'s Shared, live: &Live) -> std::sync::MutexGuard<'s, State> {
    let mut s = state.lock().expect("no thread panics holding the state");
    s.previous = std::mem::replace(&mut s.files, live.files());
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
    let (files, previous, base_path) = {
        let s = state.lock().expect("no thread panics holding the state");
        (s.files.clone(), s.previous.clone(), s.base_path.clone())
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
    } else if let Some(body) = previous.get(&key).filter(|_| crate::search::index::is_index_file(&key)) {
        let _ = respond(&mut stream, "200 OK", content_type(&key), body, head);
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
