//! Search as a reader uses it, in headless Chromium: typing into the header box over
//! http://127.0.0.1 and from file://, the keyboard, and the search page with its facets.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{build_with, repo_root};
use crate::webdriver::{browser, serve, Session};

const DOWN: &str = "\u{E015}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// Polls `script` (a function body) until it returns something other than null or false.
fn wait_for(s: &Session, script: &str, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = s.js(script);
        if !v.is_null() && v != Value::Bool(false) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what} at {}", s.url());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Types `query` into the empty header box and returns the options' texts once they match it.
fn type_query(s: &Session, query: &str) -> Vec<String> {
    s.js("const i = document.getElementById('fixbook-q'); i.value = ''; i.focus();");
    s.keys(query);
    let script = format!(
        "const i = document.getElementById('fixbook-q');
         const opts = [...document.querySelectorAll('#fixbook-options [role=option], #fixbook-options .search-empty')];
         return i.value === {q} && !i.closest('form').querySelector('.search-popup').hidden && opts.length
           && i.getAttribute('aria-expanded') === 'true' && document.querySelector('#fixbook-options').dataset.query === {q}
           ? opts.map(o => o.textContent) : null;",
        q = serde_json::to_string(query).unwrap()
    );
    let v = wait_for(s, &script, &format!("results for {query:?}"));
    v.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
}

/// What both transports must do: a code in three spellings, a typo, the keyboard.
pub(crate) fn header_box(s: &Session, home: &str, record_url_end: &str) {
    s.goto(home);
    // "/" focuses the box from anywhere on the page.
    s.js("document.body.focus()");
    s.keys("/");
    assert_eq!(s.js("return document.activeElement.id"), "fixbook-q", "/ focuses the search box");

    for spelling in ["0X80070005", "80070005", "-2147024891"] {
        let options = type_query(s, spelling);
        assert!(options[0].contains("0x80070005") && options[0].contains("access denied"), "{spelling}: {options:?}");
        let marked = s.js("return document.querySelector('#fixbook-options [role=option] mark')?.textContent");
        assert_eq!(marked, "0x80070005", "{spelling}: the code is highlighted");
    }
    let options = type_query(s, "certifcate expird");
    assert!(options[0].contains("ERR_CERT_DATE_INVALID"), "a typo still finds the record: {options:?}");
    let options = type_query(s, "zzqxv");
    assert!(options[0].contains("No results"), "{options:?}");

    // Arrows move through the results, Escape closes them, Enter opens the chosen one.
    let options = type_query(s, "error c07");
    assert!(options[0].contains("0xc07"), "{options:?}");
    s.keys(DOWN);
    assert_eq!(s.js("return document.getElementById('fixbook-q').getAttribute('aria-activedescendant')"), "fixbook-option-0");
    s.keys(ESCAPE);
    assert_eq!(s.js("return document.querySelector('.search-popup').hidden"), true, "Escape closes the results");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(s.js("return document.getElementById('fixbook-q').value"), "error c07", "and keeps the text");
    s.keys(DOWN);
    s.keys(ENTER);
    wait_for(s, &format!("return location.href.endsWith({})", serde_json::to_string(record_url_end).unwrap()), "the record page");
    assert_eq!(s.text(&s.find("h1")), "Remote Desktop error 0xc07: security negotiation failed");
}

/// The search page: results on load from ?q=, in `data-fixbook-results`; a facet narrows them.
pub(crate) fn search_page(s: &Session, search_url: &str) {
    s.goto(&format!("{search_url}?q=certificate"));
    let results = "return [...document.querySelectorAll('[data-fixbook-results] a')].map(a => a.textContent)";
    wait_for(s, &format!("{results}.length > 0 || null"), "results on the search page");
    let all: Vec<Value> = s.js(results).as_array().unwrap().clone();
    assert!(all.len() >= 5, "{all:?}");
    assert_eq!(s.js("return document.querySelector('[data-fixbook-page-input]').value"), "certificate");
    let status = s.text(&s.find("[data-fixbook-status]"));
    assert!(status.starts_with(&format!("{} results for", all.len())), "{status}");

    // Facets with counts; ticking one narrows the list and lands in the URL.
    let label = s.find_all(".search-facets label").into_iter().find(|l| s.text(l).trim().starts_with("Web Browser")).expect("a Web Browser facet");
    let count = s.js("return +[...document.querySelectorAll('.search-facets label')].find(l => l.textContent.trim().startsWith('Web Browser')).querySelector('.count').textContent");
    let count = count.as_u64().unwrap() as usize;
    assert!(count > 0 && count < all.len(), "{count} of {}", all.len());
    s.click(&label);
    wait_for(s, &format!("{results}.length === {count} || null"), "the narrowed list");
    assert!(s.url().contains("product=browser"), "{}", s.url());
    let about: Vec<Value> =
        s.js("return [...document.querySelectorAll('[data-fixbook-results] .result-about')].map(a => a.textContent)").as_array().unwrap().clone();
    assert!(about.iter().all(|a| a.as_str().unwrap().starts_with("Web Browser")), "{about:?}");

    // The narrowed search can be linked.
    let linked = s.url();
    s.goto("about:blank");
    s.goto(&linked);
    wait_for(s, &format!("{results}.length === {count} || null"), "the linked, narrowed list");
}

pub(crate) fn no_console_errors(s: &Session, what: &str) {
    let errors: Vec<_> = s.console().into_iter().filter(|m| m["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors {what}: {errors:?}");
}

#[test]
fn browser_search_over_http() {
    let Some(b) = browser("browser_search_over_http") else { return };
    let site = build_with(&repo_root(), fixbook::LinkStyle::Absolute);
    let origin = serve(&site.out);
    let s = Session::start(&b);
    s.window(1280, 1000);
    header_box(&s, &format!("{origin}/"), "/remote-desktop/0xc07/");
    search_page(&s, &format!("{origin}/search/"));
    no_console_errors(&s, "over http");
    s.screenshot(&repo_root().join("target/screenshots/search-page.png"));
    let names = s.js("return performance.getEntriesByType('resource').map(e => e.name)");
    for n in names.as_array().unwrap() {
        assert!(n.as_str().unwrap().starts_with(&origin), "request to another host: {n}");
    }
}

#[test]
fn browser_search_from_file_url() {
    let Some(b) = browser("browser_search_from_file_url") else { return };
    let site = build_with(&repo_root(), fixbook::LinkStyle::Relative);
    let root = format!("file://{}", site.out.display());
    let s = Session::start(&b);
    s.window(1280, 1000);
    header_box(&s, &format!("{root}/index.html"), "/remote-desktop/0xc07/index.html");
    search_page(&s, &format!("{root}/search/index.html"));
    no_console_errors(&s, "from file://");
}
