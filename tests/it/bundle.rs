//! `fixbook bundle`: the offline zip, checked as files and opened from file:// in Chromium.

use std::io::Read;
use std::path::Path;

use crate::support::{fixbook, repo_root};
use crate::webdriver::{browser, Session};

/// Every entry of the zip at `path`: (name, bytes), in zip order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn unzip(zip: &Path, into: &Path) {
    for (name, bytes) in entries(zip) {
        let dest = into.join(&name);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

#[test]
fn bundle_is_a_zip_of_the_site_that_points_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fixbook(&["bundle", repo_root().to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Bundled 33 records into northwind-it-help-center.zip"), "{stdout}");
    let zip = dir.path().join("northwind-it-help-center.zip");
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().all(|n| n.starts_with("northwind-it-help-center/")), "one folder: {names:?}");
    for wanted in ["index.html", "remote-desktop/0xc07/index.html", "search/index.html", "search/manifest.js", "assets/fixbook-search.js"] {
        assert!(names.contains(&format!("northwind-it-help-center/{wanted}").as_str()), "{wanted} is in the bundle");
    }
    for unwanted in ["sitemap.xml", "robots.txt", "atom.xml", "records.json"] {
        assert!(!names.iter().any(|n| n.ends_with(unwanted)), "{unwanted} needs the published address and is left out");
    }
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("help.example.com"), "{name} points at the published site");
        if name.ends_with(".html") {
            assert!(!text.contains("href=\"/") && !text.contains("src=\"/"), "{name} has a root-absolute link");
            assert!(!text.contains("application/ld+json"), "{name} carries JSON-LD");
        }
    }

    // The same knowledge base gives the same bytes; our own zip is replaced, another file is not.
    let first = std::fs::read(&zip).unwrap();
    let (code, _, _) = fixbook(&["bundle", repo_root().to_str().unwrap(), "-q"], dir.path());
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&zip).unwrap(), first, "bundles are deterministic");
    let mine = dir.path().join("mine.zip");
    std::fs::write(&mine, b"my own archive").unwrap();
    let (code, _, stderr) = fixbook(&["bundle", repo_root().to_str().unwrap(), "--out", "mine.zip"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("mine.zip already exists and is not a file Fixbook wrote"), "{stderr}");
    assert!(stderr.contains("hint: choose another file name with --out"), "{stderr}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"my own archive");
}

#[test]
fn browser_bundle_works_from_file_url() {
    let Some(b) = browser("browser_bundle_works_from_file_url") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fixbook(&["bundle", repo_root().to_str().unwrap(), "--out", "kb.zip"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let unzipped = dir.path().join("somewhere else");
    unzip(&dir.path().join("kb.zip"), &unzipped);
    let home = format!("file://{}/northwind-it-help-center/index.html", unzipped.display());
    let s = Session::start(&b);
    s.window(1280, 1000);
    s.goto(&home);

    // Click from the home page to a product, then to a record.
    let card = s.find_all(".product-card a").into_iter().find(|e| s.text(e) == "Remote Desktop").expect("a Remote Desktop card");
    s.click(&card);
    assert!(s.url().ends_with("/remote-desktop/index.html"), "{}", s.url());
    let link = s.find_all(".record-link").into_iter().find(|e| s.text(e).starts_with("0x204")).expect("0x204 is listed");
    s.click(&link);
    assert!(s.url().ends_with("/remote-desktop/0x204/index.html"), "{}", s.url());
    assert!(s.js("return getComputedStyle(document.body).fontFamily").as_str().unwrap().contains("system-ui"), "styled from file://");

    // Search for a code from the header box and open the first result with Enter.
    s.js("document.getElementById('fixbook-q').focus()");
    s.keys("3079");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.js("return document.querySelector('#fixbook-option-0')?.textContent || ''").as_str().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no search results from file://");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let first = s.js("return document.querySelector('#fixbook-option-0').textContent");
    assert!(first.as_str().unwrap().contains("0xc07"), "{first}");
    s.keys("\u{E015}\u{E007}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s.url().ends_with("/remote-desktop/0xc07/index.html") {
        assert!(std::time::Instant::now() < deadline, "Enter did not open the record: {}", s.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let errors: Vec<_> = s.console().into_iter().filter(|m| m["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let names = s.js("return performance.getEntriesByType('resource').map(e => e.name)");
    for n in names.as_array().unwrap() {
        assert!(n.as_str().unwrap().starts_with("file://"), "a request left the bundle: {n}");
    }
}

/// Polls `script` until it returns true.
fn wait_true(s: &Session, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.js(script) != serde_json::Value::Bool(true) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {}", s.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn browser_single_file_site_navigates_and_searches() {
    let Some(b) = browser("browser_single_file_site_navigates_and_searches") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fixbook(&["bundle", repo_root().to_str().unwrap(), "--single-file", "--out", "kb.html"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("into kb.html: one file"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("kb.html")).unwrap();
    assert!(!html.contains("help.example.com"), "nothing points at the published site");
    assert_eq!(html.matches(" src=\"").count(), html.matches(" src=\"data:").count(), "every script and image is inline");
    assert!(!html.contains("rel=\"stylesheet\""), "the stylesheet is inline");

    let s = Session::start(&b);
    s.window(1280, 1000);
    s.goto(&format!("file://{}", dir.path().join("kb.html").display()));
    wait_true(&s, "return location.hash === '#/' && !!document.querySelector('.product-card')", "the home page");

    let card = s.find_all(".product-card a").into_iter().find(|e| s.text(e) == "Remote Desktop").expect("a Remote Desktop card");
    s.click(&card);
    wait_true(&s, "return location.hash === '#/remote-desktop/'", "the product route");
    let link = s.find_all(".record-link").into_iter().find(|e| s.text(e).starts_with("0x204")).expect("0x204 is listed");
    s.click(&link);
    wait_true(&s, "return location.hash === '#/remote-desktop/0x204/' && document.title.startsWith('Remote Desktop error 0x204')", "the record route");
    // The guided fix and the checklist work on a route too.
    wait_true(
        &s,
        "return !!document.querySelector('.guide-panel [data-answer=no]') && !!document.querySelector('.step-done input')",
        "the guided fix on the route",
    );
    s.click(&s.find(".guide-panel [data-answer=no]"));
    wait_true(&s, "return document.querySelector('.guide-panel').getAttribute('data-step') === '2'", "the second fix");
    // A mistyped code on a route: the not-found page suggests the nearest one.
    s.goto(&format!("file://{}#/remote-desktop/0x0204/", dir.path().join("kb.html").display()));
    wait_true(&s, "return !document.querySelector('[data-fixbook-suggestions]').hidden", "suggestions on the not-found route");
    assert_eq!(s.text(&s.find("[data-fixbook-suggestions] li .result-code")), "0x204");
    s.goto(&format!("file://{}#/remote-desktop/0x204/", dir.path().join("kb.html").display()));
    wait_true(&s, "return document.title.startsWith('Remote Desktop error 0x204')", "back on the record");
    // An anchor inside the page keeps the route.
    s.click(&s.find(".toc a[href='#causes']"));
    wait_true(&s, "return location.hash === '#/remote-desktop/0x204/#causes'", "the anchor inside the route");

    // Search from the header box; Enter opens the first result.
    s.js("document.getElementById('fixbook-q').focus()");
    s.keys("0x80070005");
    wait_true(&s, "return (document.querySelector('#fixbook-option-0')?.textContent || '').includes('access denied')", "a search result");
    s.keys("\u{E015}\u{E007}");
    wait_true(&s, "return location.hash === '#/windows-update/0x80070005/'", "the record from search");
    assert!(s.text(&s.find("h1")).contains("0x80070005"));

    // The search page is a route too, with results from ?q=.
    s.goto(&format!("file://{}#/search/?q=certificate", dir.path().join("kb.html").display()));
    wait_true(&s, "return document.querySelectorAll('[data-fixbook-results] a').length >= 4", "results on the search route");
    s.js("history.back()");
    let errors: Vec<_> = s.console().into_iter().filter(|m| m["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let names = s.js("return performance.getEntriesByType('resource').map(e => e.name)");
    for n in names.as_array().unwrap() {
        assert!(n.as_str().unwrap().starts_with("file://") || n.as_str().unwrap().starts_with("data:"), "a request left the file: {n}");
    }
}

#[test]
fn single_file_refuses_what_would_not_open_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let kb = crate::support::kb(&crate::support::fixture("base"), &[]);
    for i in 0..=fixbook::bundle::SINGLE_FILE_LIMIT {
        if i % 1000 == 0 {
            std::fs::create_dir_all(kb.path().join(format!("content/wu/{}", i / 1000))).unwrap();
        }
        std::fs::write(
            kb.path().join(format!("content/wu/{}/{i}.toml", i / 1000)),
            format!("code = \"0x{:x}\"\nproduct = \"wu\"\ntitle = \"t\"\nsummary = \"s\"\n", 0x9000_0000u32 + i as u32),
        )
        .unwrap();
    }
    let (code, _, stderr) = fixbook(&["bundle", kb.path().to_str().unwrap(), "--single-file", "--out", "x.html"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("a single HTML file opens quickly only up to 10000"), "{stderr}");
    assert!(stderr.contains("hint: use `fixbook bundle` without --single-file"), "{stderr}");
    assert!(!dir.path().join("x.html").exists());
}

/// A knowledge base whose record shows an image from `static/`, written from the site root.
fn kb_with_an_image() -> tempfile::TempDir {
    let kb = crate::support::kb(&crate::support::fixture("base"), &[]);
    std::fs::create_dir_all(kb.path().join("static/img")).unwrap();
    std::fs::write(kb.path().join("static/img/diagram.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let file = kb.path().join("content/rd/0x204.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("quick_answer = \"See the path: ![Network path](/img/diagram.svg)\"\n{text}")).unwrap();
    kb
}

#[test]
fn images_from_the_site_root_work_in_every_output() {
    let kb = kb_with_an_image();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push(kb.path().to_str().unwrap());
        let (code, _, stderr) = fixbook(&all, dir.path());
        assert_eq!(code, 0, "{stderr}");
    };
    run(&["build", "--out", "abs", "-q"]);
    let page = std::fs::read_to_string(dir.path().join("abs/rd/0x204/index.html")).unwrap();
    assert!(page.contains("<img src=\"/img/diagram.svg\" alt=\"Network path\""), "absolute");
    run(&["build", "--out", "rel", "--relative-links", "-q"]);
    let page = std::fs::read_to_string(dir.path().join("rel/rd/0x204/index.html")).unwrap();
    assert!(page.contains("<img src=\"../../img/diagram.svg\""), "relative");
    assert!(dir.path().join("rel/img/diagram.svg").exists());
    run(&["bundle", "--single-file", "--out", "one.html", "-q"]);
    let one = std::fs::read_to_string(dir.path().join("one.html")).unwrap();
    assert!(one.contains("\\u003cimg src=\\\"data:image/svg+xml;base64,"), "the image is inline in the single file");
    assert!(!one.contains("img/diagram.svg\\\""), "and not referenced by path");
}
