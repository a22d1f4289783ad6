//! Hostile text in every field comes out inert in every output. Outputs are parsed the way a
//! browser, a feed reader or a wiki parses them (html5ever, an XML parser, JSON, CommonMark),
//! and what they would run or follow is checked, not the bytes.

use std::collections::BTreeMap;
use std::path::Path;

use scraper::{Html, Node};

use crate::support::{fixbook, tree};

/// Plain-text payloads: markup, attribute and element breaking, template syntax, entities,
/// JavaScript line separators, control and escape characters.
pub const TEXT: &[&str] = &[
    "<script>alert(\"xss-1\")</script>",
    "\"><img src=x onerror=alert(\"xss-2\")>",
    "'><svg onload=alert('xss-3')>",
    "</script><script>alert(\"xss-4\")</script>",
    "<!--<script>alert(\"xss-5\")</script>-->",
    "javascript:alert(\"xss-6\")",
    "]]><script>alert(\"xss-7\")</script>",
    "{{ site.title }}{% if true %}tera{% endif %}",
    "&lt;script&gt;alert(\"xss-9\")&lt;/script&gt;",
    "<iframe srcdoc=\"<script>alert('xss-10')</script>\"></iframe>",
    "line\u{2028}sep\u{2029}aration",
    "ctl\u{1}\u{1b}[31m\u{7f}chars",
    "</style><style>*{display:none}</style>",
    "<math><mi xlink:href=\"javascript:alert('xss-14')\">x</mi></math>",
];

/// Markdown payloads: raw HTML and every way of spelling a script URL.
pub const MARKDOWN: &[&str] = &[
    "[a](javascript:alert(\"md-1\"))",
    "[b](JaVaScRiPt:alert(\"md-2\"))",
    "[c](java&#x09;script:alert(\"md-3\"))",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[e](vbscript:msgbox(\"md-5\"))",
    "![f](javascript:alert(\"md-6\"))",
    "<javascript:alert(\"md-7\")>",
    "[g][ref]\n\n[ref]: javascript:alert(\"md-8\")",
    "[h](https://example.com \"t\\\" onmouseover=\\\"alert('md-9')\")",
    "<img src=x onerror=alert(\"md-10\")>",
    "<script>alert(\"md-11\")</script>",
    "<details open ontoggle=alert(\"md-12\")>x</details>",
    "<a href=\"javascript:alert('md-13')\">m</a>",
    "[i](%6A%61%76%61%73%63%72%69%70%74:alert(\"md-14\"))",
    "[j](&#106;avascript:alert(\"md-15\"))",
    "```html\n</code></pre><script>alert(\"md-16\")</script>\n```",
    "[k](\u{1}javascript:alert(\"md-17\"))",
];

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", "))
}

/// A knowledge base with a payload in every field of every record, the site's title and
/// description, and a product's name and description. `policy`: the `[security]` line.
pub fn hostile_kb(policy: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let t = |i: usize| TEXT[i % TEXT.len()];
    let m = |i: usize| format!("{} {}", MARKDOWN[i % MARKDOWN.len()], TEXT[i % TEXT.len()]);
    let security = policy.map(|p| format!("\n[security]\ncontent_security_policy = {}\n", q(p))).unwrap_or_default();
    let site = format!(
        "title = {}\nbase_url = \"https://help.example.com/\"\nlanguage = \"en\"\ndescription = {}\n[support]\nurl = \"https://support.example.com/new?code={{code}}\"\n[products.evil]\nname = {}\ndescription = {}\n[products.plain]\nname = \"Plain\"\n{security}",
        q(&format!("Help {}", TEXT[0])),
        q(TEXT[1]),
        q(&format!("Evil {}", TEXT[2])),
        q(TEXT[3]),
    );
    std::fs::write(dir.path().join("site.toml"), site).unwrap();
    for dir_name in ["evil", "plain"] {
        std::fs::create_dir_all(dir.path().join("content").join(dir_name)).unwrap();
    }
    for n in 0..MARKDOWN.len().max(TEXT.len()) {
        let product = if n % 2 == 0 { "evil" } else { "plain" };
        let code = if n == 0 { format!("0x{n:x}{}", TEXT[1]) } else { format!("0x{n:x}") };
        let related = if n > 0 { "related = [\"evil/r0\"]\n" } else { "" };
        let record = format!(
            "code = {code}\nproduct = \"{product}\"\ntitle = {title}\nsummary = {summary}\naliases = {aliases}\nseverity = \"high\"\ntags = {tags}\nplatforms = {platforms}\nupdated = 2026-11-{day:02}\nestimated_time = {time}\nquick_answer = {qa}\nsymptoms = {symptoms}\nquick_fixes = {fixes}\ntakeaways = {takeaways}\n{related}\n\
             [[sections]]\nheading = {heading}\nbody = {body}\n\n\
             [[causes]]\nid = \"c1\"\ntitle = {ctitle}\nlikelihood = \"high\"\ndetail = {cdetail}\n\n\
             [[fixes]]\ntitle = {ftitle}\ndifficulty = \"easy\"\ncauses = [\"c1\"]\ndetail = {fdetail}\n\n\
             [[steps]]\ntitle = {stitle}\nbody = {sbody}\ntip = {tip}\n\n\
             [[callouts]]\nkind = \"warning\"\ntext = {callout}\n\n\
             [[faq]]\nquestion = {question}\nanswer = {answer}\nshort = {short}\n",
            code = q(&code),
            title = q(&format!("Error {n} {}", t(n))),
            summary = q(&format!("Summary {}", t(n + 1))),
            aliases = list(&[t(n + 2), "3079"]),
            tags = list(&[t(n + 3), "tls"]),
            platforms = list(&[t(n + 4)]),
            day = n % 28 + 1,
            time = q(t(n + 5)),
            qa = q(&m(n)),
            symptoms = list(&[&m(n + 1), t(n + 6)]),
            fixes = list(&[&m(n + 2)]),
            takeaways = list(&[t(n + 7)]),
            heading = q(t(n + 8)),
            body = q(&format!("{}\n\n{}\n\n> {}", m(n + 3), m(n + 4), m(n + 5))),
            ctitle = q(t(n + 9)),
            cdetail = q(&m(n + 6)),
            ftitle = q(t(n + 10)),
            fdetail = q(&m(n + 7)),
            stitle = q(t(n + 11)),
            sbody = q(&m(n + 8)),
            tip = q(t(n + 12)),
            callout = q(&m(n + 9)),
            question = q(t(n + 13)),
            answer = q(&m(n + 10)),
            short = q(t(n)),
        );
        std::fs::write(dir.path().join("content").join(product).join(format!("r{n}.toml")), record).unwrap();
    }
    dir
}

/// Why `doc` would run a script or leave the page on a script URL, if it would.
fn live_parts(doc: &Html, where_: &str, single_file: bool) -> Vec<String> {
    let mut found = Vec::new();
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else { continue };
        let name = el.name();
        let text = || node.children().filter_map(|c| c.value().as_text().map(|t| t.to_string())).collect::<String>();
        match name {
            "script" => match (el.attr("type"), el.attr("src")) {
                (Some("application/ld+json"), None) => {
                    let body = text();
                    if serde_json::from_str::<serde_json::Value>(&body).is_err() {
                        found.push(format!("{where_}: JSON-LD that is not JSON: {body:.120}"));
                    }
                }
                (None, Some(src)) if !src.contains(':') && src.ends_with(".js") => {}
                (None, None) if single_file => {}
                _ => found.push(format!("{where_}: a script element {:?}", el.attrs().collect::<Vec<_>>())),
            },
            "style" if single_file => {}
            "iframe" | "frame" | "frameset" | "object" | "embed" | "applet" | "base" | "svg" | "math" | "template" | "style" => {
                found.push(format!("{where_}: a <{name}> element"));
            }
            "meta" if el.attr("http-equiv").is_some_and(|v| !v.eq_ignore_ascii_case("content-security-policy")) => {
                found.push(format!("{where_}: meta http-equiv={:?}", el.attr("http-equiv")));
            }
            _ => {}
        }
        for (attr, value) in el.attrs() {
            let folded: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_ascii_lowercase();
            let url_attr = matches!(attr, "href" | "src" | "action" | "formaction" | "xlink:href" | "data" | "poster" | "background" | "cite");
            let inline_image = single_file && folded.starts_with("data:image/") && matches!((name, attr), ("img", "src") | ("link", "href"));
            let script_url = url_attr && ["javascript:", "vbscript:", "data:"].iter().any(|s| folded.starts_with(s)) && !inline_image;
            if attr.starts_with("on") || attr == "srcdoc" || attr == "style" || script_url {
                found.push(format!("{where_}: <{name} {attr}={value:?}>"));
            }
        }
    }
    found
}

/// Every text node of `doc`, joined: what a reader sees.
fn visible_text(doc: &Html) -> String {
    doc.tree.nodes().filter_map(|n| n.value().as_text().map(|t| t.to_string())).collect::<Vec<_>>().join("")
}

/// The checks every HTML page gets; returns the pages' text for payload checks.
fn check_pages(pages: &BTreeMap<String, String>, single_file: bool) -> String {
    let mut problems = Vec::new();
    let mut text = String::new();
    for (path, html) in pages {
        let doc = Html::parse_document(html);
        problems.extend(live_parts(&doc, path, single_file));
        text.push_str(&visible_text(&doc));
    }
    assert!(problems.is_empty(), "{} live parts, the first:\n{}", problems.len(), problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n"));
    text
}

/// Each payload is shown to the reader as the text it is (so it was escaped, not dropped).
fn assert_payloads_shown(text: &str, what: &str) {
    for p in TEXT.iter().filter(|p| !p.contains(['\u{1}', '\u{2028}', '&'])) {
        assert!(text.contains(p), "{what}: the payload {p:?} is not shown as text");
    }
    assert!(text.contains("&lt;script&gt;alert(\"xss-9\")"), "{what}: entities are shown as written, not decoded");
    let without_controls: String = text.chars().filter(|c| !c.is_control()).collect();
    assert!(without_controls.contains("ctl[31mchars"), "{what}: text around control characters is kept");
}

fn html_files(files: &[(String, Vec<u8>)]) -> BTreeMap<String, String> {
    files.iter().filter(|(p, _)| p.ends_with(".html")).map(|(p, b)| (p.clone(), String::from_utf8(b.clone()).unwrap())).collect()
}

fn build(kb: &Path, extra: &[&str]) -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("site");
    let mut args = vec!["build", kb.to_str().unwrap(), "--out", dest.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (code, _, stderr) = fixbook(&args, kb);
    assert_eq!(code, 0, "{stderr}");
    let files = tree(&dest);
    (out, files)
}

#[test]
fn the_checks_see_live_markup() {
    let bad = [
        "<p><img src=x onerror=alert(1)></p>",
        "<a href=\" JaVa\tScript:alert(1)\">x</a>",
        "<script>alert(1)</script>",
        "<div><svg><a xlink:href=\"javascript:alert(1)\">x</a></svg></div>",
        "<script type=\"application/ld+json\">{\"a\": 1}</script><script>x</script>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    ];
    for html in bad {
        assert!(!live_parts(&Html::parse_document(html), "t", false).is_empty(), "{html}");
    }
    let fine =
        "<script type=\"application/ld+json\">{\"a\": \"\\u003c/script>\"}</script><script src=\"../assets/fixbook.js\" defer></script><p>&lt;script&gt;</p>";
    assert_eq!(live_parts(&Html::parse_document(fine), "t", false), Vec::<String>::new());
}

#[test]
fn payloads_are_inert_in_every_page_and_data_file() {
    let kb = hostile_kb(None);
    for links in [&[][..], &["--relative-links"][..]] {
        let (_out, files) = build(kb.path(), links);
        let pages = html_files(&files);
        assert!(pages.len() > 30, "{}", pages.len());
        let text = check_pages(&pages, false);
        assert_payloads_shown(&text, "site");
        assert!(!text.contains("Help tera") && text.contains("{{ site.title }}"), "template syntax in content is text, not evaluated");

        // Every page declares the policy that would stop what escaping missed.
        for (path, html) in &pages {
            let doc = Html::parse_document(html);
            let sel = scraper::Selector::parse("meta[http-equiv=Content-Security-Policy]").unwrap();
            let policy = doc.select(&sel).next().and_then(|m| m.attr("content")).unwrap_or_else(|| panic!("{path}: no CSP"));
            assert!(policy.contains("script-src 'self'") && policy.contains("object-src 'none'"), "{path}: {policy}");
            let csp_at = html.find("Content-Security-Policy").unwrap();
            assert!(html.find("<script").is_none_or(|s| s > csp_at), "{path}: the policy comes before any script");
        }

        // JSON-LD round-trips the text exactly.
        let page = pages.iter().find(|(p, _)| p.contains("evil/0x2/")).map(|(_, h)| h).unwrap();
        let doc = Html::parse_document(page);
        let sel = scraper::Selector::parse("script[type=\"application/ld+json\"]").unwrap();
        let ld: serde_json::Value = serde_json::from_str(&doc.select(&sel).next().unwrap().text().collect::<String>()).unwrap();
        assert_eq!(ld["@graph"][0]["headline"], format!("Error 2 {}", TEXT[2]));

        // Data files: the records data is JSON with the text intact; index files are one call each
        // with JSON arguments and no `<` at all (so none can end an inline script).
        let get = |name: &str| files.iter().find(|(p, _)| p == name).map(|(_, b)| String::from_utf8(b.clone()).unwrap()).unwrap();
        let records: serde_json::Value = serde_json::from_str(&get("records/1.json")).unwrap();
        let titles: Vec<&str> = records["records"].as_array().unwrap().iter().filter_map(|r| r["title"].as_str()).collect();
        assert!(titles.contains(&format!("Error 0 {}", TEXT[0]).as_str()), "{titles:?}");
        let mut meta = String::new();
        for (path, bytes) in files.iter().filter(|(p, _)| p.starts_with("search/") && p.ends_with(".js")) {
            let js = std::str::from_utf8(bytes).unwrap();
            assert!(!js.contains('<') && !js.contains('\u{2028}'), "{path}: raw `<` or U+2028");
            let args = js.strip_prefix("FixbookSearch.loaded(").and_then(|r| r.strip_suffix(");\n")).unwrap_or_else(|| panic!("{path}: not one call"));
            let v: serde_json::Value = serde_json::from_str(&format!("[{args}]")).unwrap_or_else(|e| panic!("{path}: arguments are not JSON: {e}"));
            meta.push_str(&v.to_string());
        }
        assert!(meta.contains(&serde_json::to_string(&format!("Error 4 {}", TEXT[4])).unwrap()[1..20]), "search metadata carries the titles");

        // Feed and sitemap are well-formed XML whose text is the text.
        for name in ["atom.xml", "sitemap.xml"] {
            let xml = get(name);
            let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(doc.descendants().all(|n| !n.has_tag_name("script")), "{name}");
            if name == "atom.xml" {
                let titles: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
                assert!(titles.iter().any(|t| *t == format!("Error 6 {}", TEXT[6])), "{titles:?}");
            }
        }
    }
}

#[test]
fn payloads_are_inert_in_the_offline_bundle_and_the_single_file() {
    let kb = hostile_kb(None);
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("site.zip");
    let (code, _, stderr) = fixbook(&["bundle", kb.path().to_str().unwrap(), "--out", zip.to_str().unwrap()], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        files.push((f.name().unwrap().to_string(), bytes));
    }
    assert_payloads_shown(&check_pages(&html_files(&files), false), "bundle");

    // The single file: its own frame, then every page's markup as a string in a script.
    let single = out.path().join("site.html");
    let (code, _, stderr) = fixbook(&["bundle", kb.path().to_str().unwrap(), "--single-file", "--out", single.to_str().unwrap()], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(&single).unwrap();
    let frame = Html::parse_document(&html);
    let mut pages = BTreeMap::new();
    let mut policy = None;
    for node in frame.tree.nodes() {
        let Node::Element(el) = node.value() else { continue };
        if el.name() == "meta" && el.attr("http-equiv") == Some("Content-Security-Policy") {
            policy = el.attr("content").map(str::to_string);
        }
        if el.name() != "script" {
            continue;
        }
        let js: String = node.children().filter_map(|c| c.value().as_text().map(|t| t.to_string())).collect();
        if let Some(json) = js.strip_prefix("FixbookPages.add(").and_then(|r| r.strip_suffix(");")) {
            let map: BTreeMap<String, (String, String)> = serde_json::from_str(json).unwrap();
            for (route, (_, content)) in map {
                pages.insert(format!("#/{route}"), format!("<!doctype html><html><body>{content}</body></html>"));
            }
        }
    }
    assert!(pages.len() > 30, "{}", pages.len());
    let mut frame_only = BTreeMap::new();
    frame_only.insert("single file".to_string(), html.clone());
    check_pages(&frame_only, true);
    assert_payloads_shown(&check_pages(&pages, false), "single file");
    let policy = policy.expect("the single file declares a policy");
    assert!(policy.contains("script-src 'sha256-") && !policy.contains("'unsafe-inline'") && !policy.contains("script-src 'self'"), "{policy}");
}

#[test]
fn payloads_are_inert_in_wiki_exports() {
    let kb = hostile_kb(None);
    let out = tempfile::tempdir().unwrap();
    // Markdown, read by a wiki that passes raw HTML through (as GitHub and GitLab partly do).
    let md_dir = out.path().join("md");
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "markdown", "--out", md_dir.to_str().unwrap()], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let mut pages = BTreeMap::new();
    for (path, bytes) in tree(&md_dir).into_iter().filter(|(p, _)| p.ends_with(".md")) {
        let md = String::from_utf8(bytes).unwrap();
        let opts = pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&md, opts));
        pages.insert(path, format!("<!doctype html><html><body>{html}</body></html>"));
    }
    assert_payloads_shown(&check_pages(&pages, false), "Markdown export");

    // Confluence storage format: XHTML with Confluence's macros; no html macro, no script.
    let cf_dir = out.path().join("cf");
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "confluence", "--out", cf_dir.to_str().unwrap()], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let mut text = String::new();
    for (path, bytes) in tree(&cf_dir).into_iter().filter(|(p, _)| p.ends_with(".xml")) {
        let xml = format!(
            "<root xmlns:ac=\"http://atlassian.com/content\" xmlns:ri=\"http://atlassian.com/resource/identifier\">{}</root>",
            String::from_utf8(bytes).unwrap()
        );
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{path}: not well-formed: {e}"));
        for n in doc.descendants().filter(|n| n.is_element()) {
            let name = n.tag_name().name();
            assert!(!matches!(name, "script" | "iframe" | "object" | "embed" | "style"), "{path}: <{name}>");
            assert!(n.attribute(("http://atlassian.com/content", "name")).is_none_or(|m| m != "html" && m != "html-include"), "{path}: html macro");
            for a in n.attributes() {
                let v = a.value().to_ascii_lowercase();
                assert!(
                    !a.name().starts_with("on") && !v.trim_start().starts_with("javascript:") && !v.trim_start().starts_with("data:"),
                    "{path}: {}={:?}",
                    a.name(),
                    a.value()
                );
            }
            if let Some(t) = n.text() {
                text.push_str(t);
            }
        }
    }
    assert!(text.contains(TEXT[0]) && text.contains(TEXT[6]), "Confluence pages show the payloads as text");
}

/// Waits until `script` returns true, or fails naming `what`.
fn wait_for(s: &crate::webdriver::Session, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.js(script) != serde_json::Value::Bool(true) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// No dialog open and nothing in the console: a payload that ran would have called
/// `alert`, and one that became markup would have fetched `x` or broken the policy.
fn assert_nothing_ran(s: &crate::webdriver::Session, page: &str) {
    if let Some(text) = s.dialog() {
        panic!("{page}: a dialog opened: {text:?}");
    }
    let errors: Vec<_> =
        s.console().into_iter().filter(|m| m["level"] == "SEVERE" || m["message"].as_str().is_some_and(|t| t.contains("Content Security Policy"))).collect();
    assert!(errors.is_empty(), "{page}: {errors:?}");
}

#[test]
fn browser_no_payload_runs_anywhere() {
    let Some(b) = crate::webdriver::browser("browser_no_payload_runs_anywhere") else { return };
    let s = crate::webdriver::Session::start(&b);
    s.window(1280, 900);

    // Without any policy, so escaping alone is what keeps every page inert: every page over
    // http, and on record pages a payload typed into the search box, results shown.
    let kb = hostile_kb(Some(""));
    let (out, files) = build(kb.path(), &[]);
    let origin = crate::webdriver::serve(&out.path().join("site"));
    let pages: Vec<String> = html_files(&files).into_keys().collect();
    for page in &pages {
        let url = format!("{origin}/{}", page.trim_end_matches("index.html"));
        s.goto(&url);
        assert_nothing_ran(&s, page);
        if page.starts_with("evil/r") || page.starts_with("plain/r") || page.contains("/0x") {
            s.js("document.getElementById('fixbook-q').focus()");
            s.keys(TEXT[1]);
            wait_for(&s, "return !!document.querySelector('#fixbook-option-0')", "search results for a payload");
            assert_nothing_ran(&s, &format!("{page} with results"));
        }
    }
    s.goto(&format!("{origin}/search/?q={}", "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"));
    wait_for(&s, "return document.querySelectorAll('[data-fixbook-results] a').length > 0", "the search page's results");
    assert_nothing_ran(&s, "search page");

    // With the default policy: every page from disk, and every route of the single file.
    let kb = hostile_kb(None);
    let (out, files) = build(kb.path(), &["--relative-links"]);
    for page in html_files(&files).into_keys() {
        s.goto(&format!("file://{}", out.path().join("site").join(&page).display()));
        assert_nothing_ran(&s, &format!("file:// {page}"));
    }
    let single = out.path().join("single.html");
    let (code, _, stderr) = fixbook(&["bundle", kb.path().to_str().unwrap(), "--single-file", "--out", single.to_str().unwrap()], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let base = format!("file://{}", single.display());
    s.goto(&base);
    wait_for(&s, "return !!document.querySelector('.product-card')", "the single file's home");
    let routes: Vec<String> = pages.iter().map(|p| p.trim_end_matches("index.html").to_string()).filter(|p| !p.ends_with(".html")).collect();
    for route in &routes {
        s.js(&format!("location.hash = {}", serde_json::to_string(&format!("#/{route}")).unwrap()));
        wait_for(
            &s,
            &format!("return location.hash === {} && !!document.querySelector('main h1')", serde_json::to_string(&format!("#/{route}")).unwrap()),
            route,
        );
        assert_nothing_ran(&s, &format!("single file #/{route}"));
    }
}
