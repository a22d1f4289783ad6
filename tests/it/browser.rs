//! The sample site in real headless Chromium over http://127.0.0.1: what a reader sees,
//! clicks and types. Screenshots go to target/screenshots/.

use crate::support::repo_root;
use crate::webdriver::{open_sample, Session};

const TAB: &str = "\u{E004}";

fn no_console_errors(s: &Session, page: &str) {
    let errors: Vec<_> = s.console().into_iter().filter(|m| m["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors on {page}: {errors:?}");
}

fn only_local_requests(s: &Session, origin: &str) {
    let names = s.js("return performance.getEntriesByType('resource').map(e => e.name)");
    for n in names.as_array().unwrap() {
        assert!(n.as_str().unwrap().starts_with(origin), "request to another host: {n}");
    }
}

#[test]
fn browser_record_page_over_http() {
    let Some(sample) = open_sample("browser_record_page_over_http", 1280, 3000) else { return };
    let (s, origin) = (&sample.session, &sample.origin);
    s.goto(&format!("{origin}/remote-desktop/0xc07/"));

    assert!(s.title().starts_with("Remote Desktop error 0xc07"), "{}", s.title());
    assert_eq!(s.text(&s.find("h1")), "Remote Desktop error 0xc07: security negotiation failed");
    let causes = s.texts(".cause-list > li h3");
    assert_eq!(causes.len(), 4, "{causes:?}");
    assert!(causes[0].starts_with("The host's Remote Desktop certificate"), "most likely cause first: {causes:?}");
    let likelihoods = s.texts(".cause-list .likelihood");
    assert_eq!(likelihoods, ["High likelihood", "Medium likelihood", "Medium likelihood", "Low likelihood"]);

    // The FAQ is collapsed and opens on click.
    let answer = s.find(".faq-item .faq-answer");
    assert!(!s.displayed(&answer), "FAQ answers start collapsed");
    s.click(&s.find(".faq-item summary"));
    assert!(s.displayed(&answer), "the FAQ answer shows after a click");
    assert!(s.text(&answer).contains("w32tm /resync"));

    // A cause's "Fixed by" link jumps to the fix.
    s.click(&s.find("#cause-cert .crosslinks a"));
    assert!(s.url().ends_with("#fix-1"), "{}", s.url());

    no_console_errors(s, "the 0xc07 page");
    only_local_requests(s, origin);
    s.js("window.scrollTo(0, 0)");
    s.screenshot(&repo_root().join("target/screenshots/record-0xc07.png"));
}

#[test]
fn browser_keyboard_and_phone_layout() {
    let Some(sample) = open_sample("browser_keyboard_and_phone_layout", 390, 844) else { return };
    let (s, origin) = (&sample.session, &sample.origin);
    s.goto(&format!("{origin}/remote-desktop/0xc07/"));

    // The first Tab reaches the skip link, which is then visible.
    s.keys(TAB);
    let focused = s.js("return document.activeElement.className");
    assert_eq!(focused, "skip-link");
    let top = s.js("return document.activeElement.getBoundingClientRect().top").as_f64().unwrap();
    assert!(top >= 0.0, "the focused skip link is on screen");

    // Nothing is wider than a phone screen.
    let overflow = s.js("return document.documentElement.scrollWidth - window.innerWidth").as_i64().unwrap();
    assert!(overflow <= 0, "page is {overflow}px wider than the phone screen");
    no_console_errors(s, "the 0xc07 page on a phone");
    s.screenshot(&repo_root().join("target/screenshots/record-0xc07-phone.png"));
}

#[test]
fn browser_navigate_from_home_to_a_record() {
    let Some(sample) = open_sample("browser_navigate_from_home_to_a_record", 1280, 1000) else { return };
    let (s, origin) = (&sample.session, &sample.origin);
    s.goto(&format!("{origin}/"));
    let products = s.texts(".product-card .product-name");
    assert!(products.len() >= 5, "{products:?}");
    let rd = s.find_all(".product-card a").into_iter().find(|e| s.text(e) == "Remote Desktop").expect("a Remote Desktop card");
    s.click(&rd);
    assert!(s.url().ends_with("/remote-desktop/"), "{}", s.url());
    let link = s.find_all(".record-link").into_iter().find(|e| s.text(e).starts_with("0xc07")).expect("0xc07 is listed");
    s.click(&link);
    assert!(s.url().ends_with("/remote-desktop/0xc07/"), "{}", s.url());
    no_console_errors(s, "the home and product pages");

    let missing = format!("{origin}/no/such/page/");
    s.goto(&missing);
    assert_eq!(s.text(&s.find("h1")), "Page not found");
    assert!(
        s.find_all("link[rel=stylesheet]").len() == 1 && s.js("return getComputedStyle(document.body).fontFamily").as_str().unwrap().contains("system-ui"),
        "the 404 page is styled at any depth"
    );
    let errors: Vec<_> = s.console().into_iter().filter(|m| m["level"] == "SEVERE" && !m["message"].as_str().unwrap().starts_with(&missing)).collect();
    assert!(errors.is_empty(), "console errors on the 404 page: {errors:?}");
}
