//! The guided fix, the procedure checklist, the ticket summary, feedback and the not-found
//! page's suggestions, in headless Chromium over http:// and from file://.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use fixbook::LinkStyle;

use crate::support::{build_with, repo_root, sample_kb};
use crate::webdriver::{browser, Session};

const RECORD: &str = "remote-desktop/0xc07";

/// The fix titles of 0xc07 in the order the build decides (the Rust rule).
fn expected_order(root: &Path) -> Vec<String> {
    let site = fixbook::load_site(root).unwrap();
    let (r, _) = site.get(&fixbook::record::RecordId(RECORD.into())).unwrap();
    fixbook::guide::order(r).iter().map(|a| r.fixes[a.fix].title.clone()).collect()
}

fn wait(s: &Session, cond: &str) -> bool {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if s.js(&format!("return !!({cond})")).as_bool() == Some(true) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Answers "no" until the escalation view; returns the fixes offered, in order.
fn walk_to_escalation(s: &Session) -> Vec<String> {
    let mut offered = Vec::new();
    for _ in 0..20 {
        if s.js("return document.querySelector('.guide-panel').getAttribute('data-step')").as_str() == Some("escalate") {
            return offered;
        }
        let title = s.text(&s.find(".guide-fix-title strong"));
        offered.push(title.trim_start_matches("Try: ").to_string());
        s.click(&s.find(".guide-answers [data-answer=no]"));
        let focused = s.js("return document.activeElement.className").as_str().unwrap_or("").to_string();
        assert_eq!(focused, "guide-heading", "focus moves to each new question");
    }
    panic!("no escalation view after 20 answers: {offered:?}");
}

fn tick_and_reload(s: &Session) {
    let boxes = s.find_all(".step-done input");
    assert!(boxes.len() >= 3, "the steps have checkboxes");
    s.click(&boxes[0]);
    s.click(&boxes[2]);
    let status = s.text(&s.find(".checklist-status"));
    assert!(status.starts_with(&format!("2 of {} steps done", boxes.len())), "{status}");
    s.js("location.reload()");
    assert!(wait(s, "document.querySelector('.checklist-status')"));
    let checked = s.js("return Array.from(document.querySelectorAll('.step-done input')).map(b => b.checked)");
    let checked: Vec<bool> = checked.as_array().unwrap().iter().map(|v| v.as_bool().unwrap()).collect();
    assert_eq!(&checked[..3], [true, false, true], "ticked steps survive a reload");
}

fn check_summary(s: &Session, order: &[String], url_part: &str) {
    let text = s.text(&s.find(".guide-summary"));
    assert!(text.starts_with("0xc07 (Remote Desktop): Remote Desktop error 0xc07"), "{text}");
    assert!(text.contains("Page: ") && text.contains(url_part), "{text}");
    for fix in order {
        assert!(text.contains(&format!("- {fix}: did not fix it")), "{fix} in {text}");
    }
    assert!(text.contains("Steps completed: 2 of "), "{text}");
    // The copy button puts the same text on the clipboard.
    s.js("window.__copied = null; navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }");
    s.click(&s.find(".guide-actions button"));
    assert!(wait(s, "window.__copied"));
    assert_eq!(s.js("return window.__copied").as_str().unwrap(), text);
    assert_eq!(s.text(&s.find(".guide-copied")), "Copied.");
}

#[test]
fn browser_guided_fix_over_http() {
    let Some(b) = browser("browser_guided_fix_over_http") else { return };
    let kb = sample_kb();
    let root = kb.path();
    // A feedback endpoint and a support link, served by this test.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let site_toml = std::fs::read_to_string(root.join("site.toml")).unwrap();
    std::fs::write(
        root.join("site.toml"),
        format!("{site_toml}\n[support]\nurl = \"https://support.example.com/new?code={{code}}&summary={{summary}}\"\nfeedback_url = \"{origin}/feedback\"\n"),
    )
    .unwrap();
    let site = build_with(root, LinkStyle::Absolute);
    let posts = serve_with_feedback(listener, site.out.clone());
    let order = expected_order(root);
    assert!(order.len() >= 3, "{order:?}");

    let s = Session::start(&b);
    s.window(1280, 1000);
    s.goto(&format!("{origin}/{RECORD}/"));
    assert!(wait(&s, "document.querySelector('.guide-panel')"));
    assert!(s.find_all(".guide-order").iter().all(|o| !s.displayed(o)), "the static order gives way to the questions");
    tick_and_reload(&s);
    s.js("window.scrollTo(0, document.getElementById('guided-fix').offsetTop - 20)");
    s.screenshot(&repo_root().join("target/screenshots/guided-fix-question.png"));

    let offered = walk_to_escalation(&s);
    assert_eq!(offered, order, "the browser offers the fixes in the build's order");
    check_summary(&s, &order, &format!("/{RECORD}/"));
    let contact = s.js("return document.querySelector('.guide-actions a').href").as_str().unwrap().to_string();
    assert!(contact.starts_with("https://support.example.com/new?code=0xc07&summary=0xc07%20(Remote%20Desktop)"), "{contact}");

    // Every answer was sent to the feedback endpoint.
    let got: Vec<serde_json::Value> = (0..order.len()).map(|_| posts.recv_timeout(Duration::from_secs(10)).expect("a feedback POST")).collect();
    assert!(got.iter().all(|p| p["type"] == "fix" && p["worked"] == false && p["code"] == "0xc07"), "{got:?}");
    assert_eq!(got[0]["fix"], order[0].as_str());

    // Start over, and the first fix works: the success view with the takeaways.
    s.click(&s.find(".guide-panel > p:last-child button"));
    s.click(&s.find(".guide-answers [data-answer=yes]"));
    assert_eq!(s.js("return document.querySelector('.guide-panel').getAttribute('data-step')").as_str(), Some("fixed"));
    assert!(s.text(&s.find(".guide-panel h3")).contains(&order[0]));
    assert!(!s.find_all(".guide-panel ul li").is_empty(), "the takeaways are shown");
    let fixed = posts.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(fixed["worked"], true);

    // "Was this page helpful?"
    s.click(&s.find("[data-helpful=yes]"));
    let page = posts.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!((page["type"].as_str(), page["helpful"].as_bool()), (Some("page"), Some(true)));
    s.js("window.scrollTo(0, document.getElementById('guided-fix').offsetTop - 20)");
    s.screenshot(&repo_root().join("target/screenshots/guided-fix.png"));

    // A mistyped code on the not-found page: the nearest code first.
    s.goto(&format!("{origin}/remote-desktop/0xc7/"));
    assert!(wait(&s, "!document.querySelector('[data-fixbook-suggestions]').hidden"), "suggestions appear");
    let first = s.text(&s.find("[data-fixbook-suggestions] li .result-code"));
    assert_eq!(first, "0xc07");
}

#[test]
fn browser_guided_fix_from_file() {
    let Some(b) = browser("browser_guided_fix_from_file") else { return };
    // As in the offline zip: no canonical URL, so the summary names the file.
    let site = build_with(&repo_root(), LinkStyle::Offline);
    let order = expected_order(&repo_root());
    let s = Session::start(&b);
    s.window(1280, 1000);
    let url = format!("file://{}/{RECORD}/index.html", site.out.display());
    s.goto(&url);
    assert!(wait(&s, "document.querySelector('.guide-panel')"));
    assert!(s.find_all(".page-feedback").iter().all(|f| !s.displayed(f)), "no feedback without an endpoint");
    tick_and_reload(&s);
    assert_eq!(walk_to_escalation(&s), order);
    check_summary(&s, &order, "file://");
    assert!(s.find_all(".guide-actions a").is_empty(), "no support link when the site has none");
}

#[test]
fn guided_fix_without_javascript_is_an_ordered_list() {
    let site = build_with(&repo_root(), LinkStyle::Absolute);
    let html = site.read(&format!("{RECORD}/index.html"));
    let order = expected_order(&repo_root());
    let list = &html[html.find("<ol class=\"guide-order\">").unwrap()..];
    let list = &list[..list.find("</ol>").unwrap()];
    let mut at = 0;
    for fix in &order {
        let found = list[at..].find(&fixbook::escape::escape(fix)).unwrap_or_else(|| panic!("{fix} after position {at} in {list}"));
        at += found + 1;
    }
    // The guided fix comes before the causes in reading order.
    assert!(html.find("id=\"guided-fix\"").unwrap() < html.find("id=\"causes\"").unwrap());
}

/// Serves `root`, and answers `POST /feedback` (recording its JSON) with CORS headers.
fn serve_with_feedback(listener: TcpListener, root: PathBuf) -> Receiver<serde_json::Value> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
            let cors = "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST\r\nAccess-Control-Allow-Headers: Content-Type\r\n";
            if path == "/feedback" {
                if method == "POST" {
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    if let Ok(v) = serde_json::from_slice(&body) {
                        let _ = tx.send(v);
                    }
                }
                let _ = write!(stream, "HTTP/1.1 204 No Content\r\n{cors}Connection: close\r\n\r\n");
                continue;
            }
            let rel = path.split(['?', '#']).next().unwrap_or("/").trim_start_matches('/');
            let mut file = root.join(rel);
            if file.is_dir() {
                file = file.join("index.html");
            }
            let (status, body) = match std::fs::read(&file) {
                Ok(b) if !rel.contains("..") => ("200 OK", b),
                _ => ("404 Not Found", std::fs::read(root.join("404.html")).unwrap_or_default()),
            };
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("js") => "text/javascript",
                Some("css") => "text/css",
                Some("svg") => "image/svg+xml",
                _ => "text/html; charset=utf-8",
            };
            let kind = if status.starts_with("404") { "text/html; charset=utf-8" } else { kind };
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(&body);
        }
    });
    rx
}
