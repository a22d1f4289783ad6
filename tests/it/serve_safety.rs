//! `fixbook serve` keeps the preview to this computer and to its own pages: it answers only
//! to loopback host names (no DNS rebinding), refuses cross-site reads, redirects only within
//! itself, drops idle and oversized requests without starving others, keeps the search
//! shards that open pages still ask for, and sees edits made through symbolic links.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::serve::{get, start, start_with, Events};
use crate::support::{edit, sample_kb};

/// The reply to one raw request: the status code, and the head and body as text.
struct Reply {
    status: u16,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        let head = self.text.split("\r\n\r\n").next().unwrap_or("");
        head.lines().skip(1).find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string()))
    }
}

/// Sends `GET path` to the server at `origin` with the given extra header lines.
fn raw(origin: &str, path: &str, headers: &[&str]) -> Reply {
    let addr = origin.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let _ = s.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Reply { status, text }
}

fn host(origin: &str) -> String {
    origin.trim_start_matches("http://").to_string()
}

fn port(origin: &str) -> String {
    origin.rsplit(':').next().unwrap().to_string()
}

/// The URL of the first search metadata chunk the current manifest names.
fn first_chunk(origin: &str) -> String {
    let js = get(&format!("{origin}/search/manifest.js")).1;
    let args = js.strip_prefix("FixbookSearch.loaded(\"manifest\",").and_then(|r| r.strip_suffix(");\n")).unwrap().to_string();
    let manifest: serde_json::Value = serde_json::from_str(&args).unwrap();
    format!("{origin}/search/m0.{}.js", manifest["meta"]["hashes"][0].as_str().unwrap())
}

#[test]
fn serve_answers_only_to_loopback_host_names() {
    let kb = sample_kb();
    let server = start(kb.path());
    let port = port(&server.origin);
    // A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
    for bad in
        [format!("attacker.example:{port}"), "attacker.example".to_string(), format!("localhost.attacker.example:{port}"), format!("127.0.0.1.nip.io:{port}")]
    {
        let reply = raw(&server.origin, "/remote-desktop/0x204/", &[&format!("Host: {bad}")]);
        assert_eq!(reply.status, 403, "Host: {bad} must be refused, got {}", reply.text.lines().next().unwrap_or(""));
        assert!(!reply.text.contains("0x204"), "Host: {bad} must not see the site");
        assert!(reply.text.contains("--allow-host"), "the refusal says how to allow a host: {}", reply.text);
    }
    let reply = raw(&server.origin, "/", &[]);
    assert_eq!(reply.status, 400, "a request without a Host is refused");
    let whole_url = raw(&server.origin, &format!("http://attacker.example:{port}/"), &[&format!("Host: localhost:{port}")]);
    assert_eq!(whole_url.status, 403, "the host a request line names counts");
    for good in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}"), format!("LocalHost:{port}")] {
        assert_eq!(raw(&server.origin, "/remote-desktop/0x204/", &[&format!("Host: {good}")]).status, 200, "Host: {good}");
    }
    // A name the user allows.
    let allowed = start_with(kb.path(), &["--allow-host", "kb.test"]);
    let port = crate::serve_safety::port(&allowed.origin);
    assert_eq!(raw(&allowed.origin, "/", &[&format!("Host: kb.test:{port}")]).status, 200);
    assert_eq!(raw(&allowed.origin, "/", &[&format!("Host: other.test:{port}")]).status, 403);
}

#[test]
fn serve_refuses_cross_site_reads() {
    let kb = sample_kb();
    let server = start(kb.path());
    let h = format!("Host: {}", host(&server.origin));
    let chunk = first_chunk(&server.origin);
    let chunk = chunk.trim_start_matches(&server.origin).to_string();
    // `<script src>` on another site: the search data and the live script are scripts.
    for path in ["/search/manifest.js", chunk.as_str(), "/__fixbook/live.js", "/assets/fixbook.css"] {
        let reply = raw(&server.origin, path, &[&h, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: script"]);
        assert_eq!(reply.status, 403, "{path} included from another site: {}", reply.text.lines().next().unwrap_or(""));
        assert!(!reply.text.contains("FixbookSearch") && !reply.text.contains("__fixbookError"), "{path}: nothing of it is sent");
        let reply = raw(&server.origin, path, &[&h, "Sec-Fetch-Site: same-site", "Sec-Fetch-Dest: script"]);
        assert_eq!(reply.status, 403, "{path} from another port of the same host");
        assert_eq!(raw(&server.origin, path, &[&h, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Dest: script"]).status, 200, "{path} from its own pages");
        assert_eq!(raw(&server.origin, path, &[&h]).status, 200, "{path} without fetch metadata (curl)");
    }
    // Another origin's script reading the event stream or a page.
    for path in ["/__fixbook/events", "/remote-desktop/0x204/"] {
        let reply = raw(&server.origin, path, &[&h, "Origin: http://attacker.example"]);
        assert_eq!(reply.status, 403, "{path} with a foreign Origin");
        let reply = raw(&server.origin, path, &[&h, "Origin: null"]);
        assert_eq!(reply.status, 403, "{path} with Origin: null");
    }
    // A link to the preview followed from elsewhere opens the page (the other site cannot read it).
    let nav = raw(&server.origin, "/remote-desktop/0x204/", &[&h, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"]);
    assert_eq!(nav.status, 200);
    // No request bodies.
    let body = raw(&server.origin, "/", &[&h, "Content-Length: 5"]);
    assert_eq!(body.status, 413, "a request with a body: {}", body.text.lines().next().unwrap_or(""));
}

#[test]
fn serve_redirects_only_within_itself() {
    let kb = sample_kb();
    let server = start(kb.path());
    let h = format!("Host: {}", host(&server.origin));
    let plain = raw(&server.origin, "/tags", &[&h]);
    assert_eq!(plain.status, 301);
    assert_eq!(plain.header("location").as_deref(), Some("/tags/"));
    for path in ["//tags", "///tags", "//tags?x=1"] {
        let reply = raw(&server.origin, path, &[&h]);
        let location = reply.header("location").unwrap_or_default();
        assert!(
            !location.starts_with("//") && !location.starts_with("/\\") && !location.contains("://"),
            "GET {path} redirects off the host: Location: {location}"
        );
        assert!(reply.status == 404 || location == "/tags/", "GET {path}: {} {location}", reply.status);
    }
}

/// Idle and trickling connections are dropped, and do not keep the server from answering.
#[test]
fn serve_drops_idle_connections_and_still_answers() {
    let kb = sample_kb();
    let server = start(kb.path());
    let addr = host(&server.origin);
    // More than the 520 that once kept every new request out, and within the usual limit of
    // 1,024 open files of this test process (the release binary is measured under 1,000).
    let idle: Vec<TcpStream> = (0..600).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    let started = Instant::now();
    let (status, _) = get(&format!("{}/remote-desktop/0x204/", server.origin));
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(5), "a request among 600 idle connections took {:?}", started.elapsed());
    // A head sent one line a second never ends.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let mut first = &idle[0];
    first.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let started = Instant::now();
    let mut slow_closed = None;
    for i in 0..25 {
        std::thread::sleep(Duration::from_secs(1));
        if slow_closed.is_none() && slow.write_all(format!("X-Slow-{i}: y\r\n").as_bytes()).is_err() {
            slow_closed = Some(started.elapsed());
        }
    }
    let mut buf = [0u8; 64];
    let n = first.read(&mut buf);
    assert!(n.is_ok(), "an idle connection is closed by the server within 25 s: {n:?} after {:?}", started.elapsed());
    assert!(slow_closed.is_some(), "a request head trickling in for 25 s is cut off");
    drop(idle);
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next()).unwrap().parse().unwrap()
}

#[test]
fn serve_cuts_off_an_endless_request_line() {
    let kb = sample_kb();
    let server = start(kb.path());
    let pid = server.child.0.id();
    let before = peak_rss_kib(pid);
    let mut s = TcpStream::connect(host(&server.origin)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET /").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0usize;
    while sent < 256 << 20 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = s.shutdown(std::net::Shutdown::Write);
    std::thread::sleep(Duration::from_millis(500));
    let grown = peak_rss_kib(pid).saturating_sub(before);
    assert!(grown < 32 * 1024, "a {} MiB request line grew the server by {} MiB", sent >> 20, grown / 1024);
    assert!(sent < 256 << 20, "the server stopped reading long before 256 MiB");
    assert_eq!(get(&format!("{}/", server.origin)).0, 200, "and still answers");
}

#[test]
fn serve_keeps_shards_of_pages_opened_rebuilds_ago() {
    let kb = sample_kb();
    let server = start(kb.path());
    let opened = first_chunk(&server.origin);
    let mut events = Events::open(&server.origin);
    let rec = kb.path().join("content/remote-desktop/0x204.toml");
    for i in 0..3 {
        edit(&rec, "title = \"", &format!("title = \"Rebuild {i}: "));
        assert_eq!(events.next().0, "reload");
    }
    assert_ne!(first_chunk(&server.origin), opened, "the edits renamed the chunk");
    let (status, body) = get(&opened);
    assert_eq!(status, 200, "a page opened three rebuilds ago still finds its search shard {opened}");
    assert!(!body.contains("Rebuild 0: "));
}

#[test]
fn serve_sees_edits_through_a_symlinked_record() {
    let kb = sample_kb();
    let root = kb.path();
    let target = crate::support::symlink_a_record(root);
    let server = start(root);
    let page = format!("{}/remote-desktop/0x204/", server.origin);
    assert_eq!(get(&page).0, 200);
    let mut events = Events::open(&server.origin);
    edit(&target, "title = \"", "title = \"Through the link: ");
    let event = events.next_within(Duration::from_secs(10));
    assert_eq!(event.map(|e| e.0).as_deref(), Some("reload"), "an edit of the file a record links to rebuilds");
    assert!(get(&page).1.contains("Through the link: "));
}

#[test]
fn serve_warns_when_bound_beyond_this_computer() {
    let kb = sample_kb();
    // A loopback address other than the default: that address is a host name it answers to.
    let server = start_with(kb.path(), &["--bind", "127.0.0.2"]);
    let port = port(&server.origin);
    assert_eq!(raw(&server.origin, "/", &[&format!("Host: 127.0.0.2:{port}")]).status, 200);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!server.log.try_iter().any(|l| l.contains("warning")), "a loopback address is no reason to warn");
    drop(server);
    // Every address of this computer: nothing connects to it here, only what it says is read.
    let server = start_with(kb.path(), &["--bind", "0.0.0.0"]);
    let said: Vec<String> = std::iter::from_fn(|| server.log.recv_timeout(Duration::from_secs(2)).ok()).collect();
    let said = said.join("\n");
    assert!(said.contains("warning") && said.contains("other computers") && said.contains("--allow-host"), "serve --bind 0.0.0.0 says: {said:?}");
}

/// Search in the preview, in Chromium: the page's own requests for the search data pass the
/// cross-site check.
#[test]
fn browser_search_in_the_preview() {
    let Some(b) = crate::webdriver::browser("browser_search_in_the_preview") else { return };
    let kb = sample_kb();
    let server = start(kb.path());
    let s = crate::webdriver::Session::start(&b);
    s.window(1280, 1000);
    crate::search_ui::header_box(&s, &format!("{}/", server.origin), "/remote-desktop/0xc07/");
    crate::search_ui::search_page(&s, &format!("{}/search/", server.origin));
    crate::search_ui::no_console_errors(&s, "in the preview");
}

/// A page of another site (here another port of this computer, and another host name)
/// including the preview's search data and live script with `<script src>` gets nothing.
#[test]
fn browser_other_site_cannot_include_the_preview_scripts() {
    let Some(b) = crate::webdriver::browser("browser_other_site_cannot_include_the_preview_scripts") else { return };
    let kb = sample_kb();
    let server = start(kb.path());
    let port = port(&server.origin);
    let other = tempfile::tempdir().unwrap();
    let mut html =
        String::from("<!doctype html><script>window.got = []; window.FixbookSearch = { loaded: function (name) { window.got.push(name); } };</script>\n");
    for origin in [server.origin.clone(), format!("http://localhost:{port}")] {
        html.push_str(&format!("<script src=\"{origin}/search/manifest.js\"></script>\n<script src=\"{origin}/__fixbook/live.js\"></script>\n"));
    }
    html.push_str("<script>window.done = true;</script>\n");
    std::fs::write(other.path().join("index.html"), html).unwrap();
    let elsewhere = crate::webdriver::serve(other.path());
    let s = crate::webdriver::Session::start(&b);
    s.goto(&format!("{elsewhere}/index.html"));
    let until = Instant::now() + Duration::from_secs(10);
    while s.js("return window.done === true").as_bool() != Some(true) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(s.js("return window.got.length"), serde_json::json!(0), "the search manifest was read by another site");
    assert_eq!(s.js("return typeof window.__fixbookError"), serde_json::json!("undefined"), "the live script ran on another site");
}
