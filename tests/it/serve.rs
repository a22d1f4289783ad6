//! `fixbook serve` and incremental rebuilds (in memory and `build` again): every kind of edit gives exactly the
//! files a full build gives, and the real server reloads pages and shows build errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use fixbook::incremental::{Live, Update};
use fixbook::LinkStyle;

use crate::support::{assert_same_files, edit, sample_kb, send_lines, Running};
use crate::webdriver::{browser, Session};

/// After `update`, the site in memory, search index and data files included, is byte for
/// byte a fresh build.
fn assert_same_as_full(live: &mut Live, root: &Path, what: &str) {
    let fresh = Live::build(root, LinkStyle::Absolute).unwrap().files();
    let got = live.files();
    let listed = |files: &fixbook::incremental::Files| -> Vec<(String, Vec<u8>)> { files.iter().map(|(p, b)| (p.clone(), b.to_vec())).collect() };
    assert_same_files(&listed(&got), &listed(&fresh), what);
}

#[test]
fn incremental_updates_match_a_full_build() {
    let kb = sample_kb();
    let root = kb.path();
    let rec = root.join("content/remote-desktop/0x204.toml");
    // Given as `fixbook serve .` gives it, not as the watcher names files.
    let mut live = Live::build(&root.join("content/.."), LinkStyle::Absolute).unwrap();

    // Text only the record's page shows: one page.
    edit(&rec, "Check that the host", "First check that the host");
    assert_eq!(live.update(std::slice::from_ref(&rec)).unwrap(), Update::Pages(1));
    assert_same_as_full(&mut live, root, "body edit");

    // The title shows on listings and on records that list it as related.
    edit(&rec, "title = \"", "title = \"Renamed: ");
    match live.update(std::slice::from_ref(&rec)).unwrap() {
        Update::Pages(n) => assert!(n > 3, "the record, its product, tags, listings and referrers: {n}"),
        other => panic!("a title edit is a patch: {other:?}"),
    }
    assert_same_as_full(&mut live, root, "title edit");

    // A new tag changes counts on other pages: the whole pipeline.
    edit(&rec, "tags = [", "tags = [\"brand-new-tag\", ");
    assert_eq!(live.update(std::slice::from_ref(&rec)).unwrap(), Update::Full);
    assert_same_as_full(&mut live, root, "tag added");

    // An unchanged file (an editor that only touched it) does nothing.
    assert_eq!(live.update(std::slice::from_ref(&rec)).unwrap(), Update::Nothing);

    // A new record and a removed one.
    let added = root.join("content/remote-desktop/0x999.toml");
    std::fs::write(&added, "code = \"0x999\"\nproduct = \"remote-desktop\"\ntitle = \"A new one\"\nsummary = \"Added while serving.\"\n").unwrap();
    assert_eq!(live.update(std::slice::from_ref(&added)).unwrap(), Update::Full);
    assert!(live.files().contains_key("remote-desktop/0x999/index.html"));
    assert_same_as_full(&mut live, root, "record added");
    std::fs::remove_file(&added).unwrap();
    assert_eq!(live.update(std::slice::from_ref(&added)).unwrap(), Update::Full);
    assert!(!live.files().contains_key("remote-desktop/0x999/index.html"));
    assert_same_as_full(&mut live, root, "record removed");

    // A broken record keeps the last good site; fixing it brings the edit in.
    let before = live.files();
    edit(&rec, "summary = \"", "summary = ");
    let err = live.update(std::slice::from_ref(&rec)).unwrap_err().to_string();
    assert!(err.contains("content/remote-desktop/0x204.toml:"), "{err}");
    assert!(Vec::from_iter(before.keys()) == Vec::from_iter(live.files().keys()));
    edit(&rec, "summary = ", "summary = \"Fixed: ");
    assert_eq!(live.update(std::slice::from_ref(&rec)).unwrap(), Update::Full);
    assert_same_as_full(&mut live, root, "broken then fixed");

    // site.toml: the whole pipeline.
    edit(&root.join("site.toml"), "title = \"", "title = \"Renamed ");
    assert_eq!(live.update(&[root.join("site.toml")]).unwrap(), Update::Full);
    assert_same_as_full(&mut live, root, "site.toml edit");
}

/// `fixbook serve` on a free port, stopped when dropped.
pub(crate) struct Server {
    pub(crate) child: Running,
    pub(crate) origin: String,
    pub(crate) log: Receiver<String>,
}

pub(crate) fn start(root: &Path) -> Server {
    start_with(root, &[])
}

/// `fixbook serve` with `args` after `--port 0`.
pub(crate) fn start_with(root: &Path, args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixbook"))
        .args(["serve", "--port", "0"])
        .args(args)
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let origin = line.split(" at ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {line:?}"));
    let origin = origin.trim_end_matches('/').to_string();
    let (tx, log) = channel();
    send_lines(child.stderr.take().unwrap(), tx);
    Server { child: Running(child), origin, log }
}

pub(crate) fn get(url: &str) -> (u16, String) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// The server-sent events of `/__fixbook/events`, one `event:` name and its data at a time.
pub(crate) struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    pub(crate) fn open(origin: &str) -> Events {
        let host = origin.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(stream, "GET /__fixbook/events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        Events { reader }
    }

    /// The next event within `wait`, or `None`.
    pub(crate) fn next_within(&mut self, wait: Duration) -> Option<(String, String)> {
        self.reader.get_ref().set_read_timeout(Some(wait)).unwrap();
        let (mut name, mut data) = (String::new(), Vec::new());
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !name.is_empty() {
                    return Some((name, data.join("\n")));
                }
            } else if let Some(v) = line.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push(v.to_string());
            }
        }
    }

    /// The next event that is not a comment: (name, data lines joined).
    pub(crate) fn next(&mut self) -> (String, String) {
        let (mut name, mut data) = (String::new(), Vec::new());
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("an event within 30 s");
            assert!(n > 0, "the event stream closed");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !name.is_empty() {
                    return (name, data.join("\n"));
                }
            } else if let Some(v) = line.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push(v.to_string());
            }
        }
    }
}

#[test]
fn serve_reloads_on_change_and_shows_errors() {
    let kb = sample_kb();
    let root = kb.path();
    let server = start(root);
    let page = format!("{}/remote-desktop/0x204/", server.origin);
    let (status, html) = get(&page);
    assert_eq!(status, 200);
    assert!(html.contains("<script src=\"/__fixbook/live.js\"></script>\n</body>"), "the live-reload script is added");
    let live = format!("{}/__fixbook/live.js", server.origin);
    assert!(get(&live).1.starts_with("window.__fixbookError = null;"));

    // The first metadata chunk as the manifest names it: a title edit renames it.
    let first_chunk = || {
        let js = get(&format!("{}/search/manifest.js", server.origin)).1;
        let args = js.strip_prefix("FixbookSearch.loaded(\"manifest\",").and_then(|r| r.strip_suffix(");\n")).unwrap().to_string();
        let manifest: serde_json::Value = serde_json::from_str(&args).unwrap();
        format!("{}/search/m0.{}.js", server.origin, manifest["meta"]["hashes"][0].as_str().unwrap())
    };
    let chunk_before = first_chunk();
    assert_eq!(get(&chunk_before).0, 200);

    let mut events = Events::open(&server.origin);
    let rec = root.join("content/remote-desktop/0x204.toml");
    edit(&rec, "title = \"", "title = \"Served live: ");
    assert_eq!(events.next().0, "reload");
    assert!(get(&page).1.contains("Served live: "), "the page shows the edit");
    let chunk_after = first_chunk();
    assert_ne!(chunk_after, chunk_before, "the edited title renames the chunk");
    assert!(get(&chunk_after).1.contains("Served live: "));
    assert_eq!(get(&chunk_before).0, 200, "a page loaded before the rebuild still finds the shards its manifest named");

    // Broken: an event with the error, the last good page with the overlay's text.
    edit(&rec, "summary = \"", "summary = ");
    let (name, data) = events.next();
    assert_eq!(name, "problem");
    assert!(data.contains("content/remote-desktop/0x204.toml:"), "file, line and column: {data}");
    assert!(get(&page).1.contains("Served live: "), "the last good page is still served");
    assert!(get(&live).1.contains("0x204.toml:"), "the live script carries the error for the overlay");

    // Fixed: a reload, and no error on the page.
    edit(&rec, "summary = ", "summary = \"");
    assert_eq!(events.next().0, "reload");
    assert!(get(&live).1.starts_with("window.__fixbookError = null;"));

    // Many files replaced at once, as `git checkout` does: one rebuild, one reload.
    let files: Vec<PathBuf> = walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| e.path().to_path_buf())
        .collect();
    let staged: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|f| {
            let tmp = f.with_extension("toml.tmp");
            std::fs::write(&tmp, std::fs::read_to_string(f).unwrap().replacen("summary = \"", "summary = \"Checked out. ", 1)).unwrap();
            (tmp, f.clone())
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    for (tmp, f) in &staged {
        std::fs::rename(tmp, f).unwrap();
    }
    assert_eq!(events.next().0, "reload");
    assert_eq!(events.next_within(Duration::from_millis(1500)), None, "{} files make one reload", files.len());
    assert!(get(&page).1.contains("Checked out. "));

    // Missing pages and traversal attempts.
    assert_eq!(get(&format!("{}/no/such/page/", server.origin)).0, 404);
    for bad in ["/../site.toml", "/%2e%2e/site.toml", "/remote-desktop/..%2F..%2Fsite.toml"] {
        let host = server.origin.trim_start_matches("http://");
        let mut s = TcpStream::connect(host).unwrap();
        write!(s, "GET {bad} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 400") || reply.starts_with("HTTP/1.1 404"), "{bad}: {}", reply.lines().next().unwrap_or(""));
        assert!(!reply.contains("[products"), "{bad} must not serve site.toml");
    }
    let log: Vec<String> = server.log.try_iter().collect();
    assert!(log.iter().any(|l| l.starts_with("rebuilt")), "{log:?}");
}

#[test]
fn serve_overlay_in_chromium() {
    let Some(b) = browser("serve_overlay_in_chromium") else { return };
    let kb = sample_kb();
    let root: PathBuf = kb.path().to_path_buf();
    let server = start(&root);
    let s = Session::start(&b);
    s.window(1024, 900);
    s.goto(&format!("{}/remote-desktop/0x204/", server.origin));
    s.js("window.scrollTo(0, 400)");
    let rec = root.join("content/remote-desktop/0x204.toml");
    let wait = |cond: &str| {
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < until {
            if s.js(&format!("return !!({cond})")).as_bool() == Some(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };

    edit(&rec, "summary = \"", "summary = ");
    assert!(wait("document.getElementById('fixbook-overlay')"), "the overlay appears");
    let text = s.text(&s.find("#fixbook-overlay"));
    assert!(text.contains("content/remote-desktop/0x204.toml:"), "{text}");

    edit(&rec, "summary = ", "summary = \"Overlay gone: ");
    assert!(wait("document.querySelector('.lead') && document.querySelector('.lead').textContent.includes('Overlay gone')"), "the page reloads with the fix");
    assert!(s.find_all("#fixbook-overlay").is_empty(), "the overlay is gone after the fix");
    let y = s.js("return window.scrollY").as_f64().unwrap_or(0.0);
    assert!(y > 300.0, "the scroll position is kept across the reload: {y}");
}

/// `fixbook build` into the same folder again: nothing changed does nothing; an edit renders
/// only what it affects and leaves the same files as a clean build.
#[test]
fn build_again_renders_only_what_changed() {
    let kb = sample_kb();
    let root = kb.path();
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let build = |clean: bool| {
        fixbook::build(&fixbook::BuildOptions { root: root.to_path_buf(), out: public.clone(), progress: false, links: LinkStyle::Absolute, clean }).unwrap()
    };
    let first = build(false);
    assert_eq!(first.rendered, first.pages);
    let marker = std::fs::metadata(public.join(".fixbook")).unwrap().modified().unwrap();
    let again = build(false);
    assert_eq!(again.rendered, 0, "nothing changed");
    assert_eq!(std::fs::metadata(public.join(".fixbook")).unwrap().modified().unwrap(), marker, "the output was not touched");

    // A link to the page made outside keeps the old text: the new page is a new file.
    let page = public.join("remote-desktop/0x204/index.html");
    let kept = out.path().join("kept.html");
    std::fs::hard_link(&page, &kept).unwrap();
    let rec = root.join("content/remote-desktop/0x204.toml");
    // The search terms kept for the next build, cut short: that build analyses every record.
    let builds = root.join(".fixbook-cache/builds");
    let terms: Vec<_> = std::fs::read_dir(&builds).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "terms")).collect();
    assert_eq!(terms.len(), 1, "one build keeps its search terms");
    let bytes = std::fs::read(&terms[0]).unwrap();
    std::fs::write(&terms[0], &bytes[..bytes.len() / 2]).unwrap();
    // So are the records kept: that build parses every file.
    let records = root.join(".fixbook-cache/records.bin");
    let records_bytes = std::fs::read(&records).unwrap();
    std::fs::write(&records, &records_bytes[..records_bytes.len() / 3]).unwrap();
    edit(&rec, "Check that the host", "First check that the host");
    let body = build(false);
    assert!(std::fs::read(&terms[0]).unwrap().len() >= bytes.len(), "the terms were kept again, whole");
    assert!(std::fs::read(&records).unwrap().len() >= records_bytes.len(), "and the records");
    assert_eq!(body.rendered, 1, "a body edit renders one page");
    assert!(std::fs::read_to_string(&page).unwrap().contains("First check that the host"));
    assert!(!std::fs::read_to_string(&kept).unwrap().contains("First check that the host"), "the previous file was not written through");

    // The site the edit replaced is the spare the next build starts from; files that come out
    // the same are the same files, not copies.
    let spare = out.path().join(".public.fixbook-spare");
    assert!(spare.join(".fixbook").is_file(), "the replaced site is kept as the spare");
    use std::os::unix::fs::MetadataExt;
    let ino = |p: &std::path::Path| std::fs::metadata(p).unwrap().ino();
    let other = public.join("browser/err_ssl_protocol_error/index.html");
    let before = ino(&other);
    edit(&rec, "title = \"", "title = \"Renamed: ");
    let title = build(false);
    assert!(title.rendered > 1 && title.rendered < title.pages, "{title:?}");
    assert_eq!(ino(&other), before, "an unchanged page is not written again");
    assert_eq!(ino(&spare.join("browser/err_ssl_protocol_error/index.html")), before, "the spare shares it");
    assert!(std::fs::read_to_string(spare.join("remote-desktop/0x204/index.html")).unwrap().contains("First check that the host"));
    let incremental = crate::support::tree(&public);
    let clean = build(true);
    assert_eq!(clean.rendered, clean.pages);
    assert!(!spare.exists(), "a full build removes the spare");
    assert_same_files(&incremental, &crate::support::tree(&public), "the incremental build against the clean one");

    // A template change is a full build.
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("templates/record.html"), "{% extends \"default/record.html\" %}{% block takeaways %}<p>Local takeaways</p>{% endblock %}")
        .unwrap();
    let themed = build(false);
    assert_eq!(themed.rendered, themed.pages);
    assert!(std::fs::read_to_string(&page).unwrap().contains("Local takeaways"));
}

/// A bounded load from this process on loopback while records change: every answer is a
/// whole page, never an error or a half-written one.
#[test]
fn serve_under_load_while_files_change() {
    let kb = sample_kb();
    let root = kb.path().to_path_buf();
    let server = start(&root);
    let pages = ["/", "/remote-desktop/0x204/", "/remote-desktop/", "/codes/", "/search/", "/assets/fixbook.css"];
    let until = std::time::Instant::now() + Duration::from_secs(3);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let origin = server.origin.clone();
            std::thread::spawn(move || {
                let (mut ok, mut n) = (0usize, 0usize);
                while std::time::Instant::now() < until && n < 20_000 {
                    let page = pages[(w + n) % pages.len()];
                    let (status, body) = get(&format!("{origin}{page}"));
                    n += 1;
                    let whole = page.ends_with(".css") || body.trim_end().ends_with("</html>");
                    assert!(status == 200 && whole, "{page}: {status}, {} bytes, whole page: {whole}", body.len());
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    let rec = root.join("content/remote-desktop/0x204.toml");
    let mut edits = 0;
    while std::time::Instant::now() + Duration::from_millis(300) < until {
        edit(&rec, "summary = \"", &format!("summary = \"Edit {edits}. "));
        edits += 1;
        std::thread::sleep(Duration::from_millis(150));
    }
    let served: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    eprintln!("serve load: {served} requests in 3 s from 4 clients ({:.0}/s) during {edits} edits, all complete", served as f64 / 3.0);
    assert!(served > 100 && edits > 5);
    assert!(get(&format!("{}/remote-desktop/0x204/", server.origin)).1.contains(&format!("Edit {}. ", edits - 1)), "the last edit is served");
}
