//! Text that the site shows as text stays text in every export, and hostile text costs time
//! and memory in proportion to its size: exports read back with a real Markdown parser and
//! a real XML parser, builds of huge link lists and tables timed and measured.

use std::time::{Duration, Instant};

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::support::fixbook;

const SITE: &str = "title = \"Help\"\nbase_url = \"https://help.example.com/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";

/// A knowledge base with `site.toml` and the records `(id under content/p, text)`.
fn knowledge_base(records: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), SITE).unwrap();
    std::fs::create_dir_all(dir.path().join("content/p")).unwrap();
    for (id, text) in records {
        std::fs::write(dir.path().join(format!("content/p/{id}.toml")), text).unwrap();
    }
    dir
}

/// Raw HTML in Markdown fields, script links in every form Markdown has, and Markdown in the
/// fields the site shows as plain text (`tip`, `takeaways`, titles, summary).
const HOSTILE: &str = r#"code = "E1"
product = "p"
title = "![t](https://tracker.example/title.png) <b>title</b>"
summary = "[out](https://evil.example/summary) <img src=x>"
quick_answer = "<div>\n[div-link](javascript:alert(1))\n"
symptoms = ["[click][d]", "<javascript:alert(3)>", "<!-- c -->\n[after-comment](javascript:alert(2))"]
quick_fixes = ["<span>[in-span](vbscript:msgbox(1))</span>", "![x](data:text/html,<script>alert(5)</script>)"]
takeaways = ["![t](https://tracker.example/takeaway.png)", "<b>bold</b> [out](https://evil.example/takeaway)"]

[[sections]]
heading = "More"
body = """
<!-- a comment
[in-comment](javascript:alert(6))
-->
[after-block](javascript:alert(7))

<details><summary>x</summary>

[in-details](javascript:alert(8))

</details>

[e]: jAvAsCrIpT:alert(9)
[uses-e][e]
"""

[[steps]]
title = "Look"
tip = "![t](https://tracker.example/tip.png) [out](https://evil.example/tip) <i>i</i>"

[[faq]]
question = "Why?"
answer = "[d]: javascript:alert(4)"

[[callouts]]
kind = "warning"
text = "<img src=x onerror=alert(10)>"
"#;

const DANGEROUS: [&str; 3] = ["javascript:", "vbscript:", "data:"];

fn lower_scheme(url: &str) -> String {
    url.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_ascii_lowercase()
}

/// What a GFM renderer makes of an exported page: every raw HTML piece, every link and image.
fn read_markdown(md: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let (mut html, mut links, mut images) = (Vec::new(), Vec::new(), Vec::new());
    for e in Parser::new_ext(md, opts) {
        match e {
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Start(Tag::Image { dest_url, .. }) => images.push(dest_url.to_string()),
            _ => {}
        }
    }
    (html, links, images)
}

#[test]
fn markdown_export_is_as_inert_as_the_site() {
    let kb = knowledge_base(&[("e1", HOSTILE)]);
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "markdown", "--out", "x"], out.path());
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(out.path().join("x/P-e1.md")).unwrap();
    let (html, links, images) = read_markdown(&page);
    assert!(html.is_empty(), "raw HTML a GFM renderer passes through: {html:?}\n{page}");
    for l in &links {
        let l = lower_scheme(l);
        assert!(!DANGEROUS.iter().any(|d| l.starts_with(d)), "a live script link `{l}`:\n{page}");
        assert!(!l.contains("evil.example"), "a link from a plain-text field `{l}`:\n{page}");
    }
    assert!(images.is_empty(), "images the site does not show: {images:?}\n{page}");
    // Rendered as HTML too, as a wiki would.
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, Parser::new_ext(&page, Options::ENABLE_GFM | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS));
    let lower = rendered.to_ascii_lowercase();
    for bad in ["<a href=\"javascript:", "<a href=\"vbscript:", "<a href=\"data:", "<img", "<div", "<b>", "<span", "<details", "<!--"] {
        assert!(!lower.contains(bad), "`{bad}` in the rendered export:\n{rendered}");
    }
    // The words are still there, as text.
    for words in ["div-link", "after-comment", "in-span", "bold", "title", "in-details"] {
        assert!(rendered.contains(words), "`{words}` is lost:\n{rendered}");
    }
}

#[test]
fn confluence_export_is_as_inert_as_the_site() {
    let kb = knowledge_base(&[("e1", HOSTILE)]);
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "confluence", "--out", "x"], out.path());
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(out.path().join("x/pages/P-e1.xml")).unwrap();
    let wrapped = format!("<root xmlns:ac=\"urn:ac\" xmlns:ri=\"urn:ri\">{page}</root>");
    let doc = roxmltree::Document::parse(&wrapped).unwrap_or_else(|e| panic!("{e}:\n{page}"));
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(!["div", "span", "b", "i", "details", "script", "image"].contains(&name), "element <{name}> in:\n{page}");
        for attr in node.attributes() {
            let v = lower_scheme(attr.value());
            assert!(!DANGEROUS.iter().any(|d| v.starts_with(d)), "{}=\"{v}\" in:\n{page}", attr.name());
            assert!(!v.contains("evil.example") && !v.contains("tracker.example"), "{}=\"{v}\" from a plain-text field in:\n{page}", attr.name());
        }
    }
    let text: String = doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap()).collect();
    for words in ["<b>bold</b>", "[out](https://evil.example/tip)", "![t](https://tracker.example/takeaway.png)"] {
        assert!(text.contains(words), "`{words}` is not shown as text:\n{page}");
    }
}

/// One line of `n` links to `target`: a list of symptoms of 1,000 links each, as each
/// Markdown field has a size limit and a file does not.
fn links_record(n: usize, target: &str) -> String {
    let symptoms: Vec<String> =
        (0..n).collect::<Vec<_>>().chunks(1000).map(|c| format!("\"{}\"", c.iter().map(|i| format!("[l{i}](@/{target}) ")).collect::<String>())).collect();
    format!("code = \"L\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\nsymptoms = [{}]\n", symptoms.join(", "))
}

#[test]
fn twenty_thousand_bad_links_on_one_line_give_a_short_report_quickly() {
    let kb = knowledge_base(&[("l", &links_record(20_000, "p/nope"))]);
    let started = Instant::now();
    let (code, _, stderr) = fixbook(&["build", kb.path().to_str().unwrap(), "--out", "out"], kb.path());
    let took = started.elapsed();
    assert_eq!(code, 1, "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.len() < 32 * 1024, "{} KB of errors for one file", stderr.len() / 1024);
    assert!(stderr.contains("content/p/l.toml:5:"), "{}", &stderr[..stderr.len().min(2000)]);
    assert!(stderr.contains("and 19980 more"), "the rest are counted: {}", &stderr[stderr.len().saturating_sub(2000)..]);
    for line in stderr.lines() {
        assert!(line.chars().count() < 200, "a quoted line is {} characters long", line.chars().count());
    }
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_hundred_thousand_good_links_on_one_line_build_quickly() {
    let target = "code = \"T\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n";
    let kb = knowledge_base(&[("l", &links_record(100_000, "p/t")), ("t", target)]);
    let started = Instant::now();
    let (code, _, stderr) = fixbook(&["build", kb.path().to_str().unwrap(), "--out", "out", "--quiet"], kb.path());
    assert_eq!(code, 0, "{}", &stderr[..stderr.len().min(2000)]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "{took:?}");
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "markdown", "--out", "md", "--quiet"], kb.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    let page = std::fs::read_to_string(kb.path().join("md/P-l.md")).unwrap();
    assert_eq!(read_markdown(&page).1.iter().filter(|l| l.as_str() == "P-t.md").count(), 100_000);
}

/// The peak resident memory `fixbook build --timings` reports, in MiB.
fn peak_mib(stderr: &str) -> f64 {
    stderr.lines().filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok()).fold(0.0, f64::max)
}

/// Tables with cells of one character: the most parser events per byte Markdown can have.
fn table(bytes: usize) -> String {
    let row = "|a|b|c|d|e|f|g|h|\n";
    let mut body = String::from("|A|B|C|D|E|F|G|H|\n|-|-|-|-|-|-|-|-|\n");
    while body.len() + row.len() <= bytes {
        body.push_str(row);
    }
    body
}

#[test]
fn an_eight_mib_markdown_field_is_a_located_error_not_a_gigabyte() {
    let body = table(8_300_000);
    let record = format!("code = \"T\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n[[sections]]\nheading = \"Codes\"\nbody = \"\"\"\n{body}\"\"\"\n");
    let kb = knowledge_base(&[("t", &record)]);
    let (code, _, stderr) = fixbook(&["build", kb.path().to_str().unwrap(), "--out", "out", "--quiet", "--timings"], kb.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("t.toml:8:1") && stderr.contains("a Markdown field is limited to 256 KiB"), "located at the field:\n{stderr}");
}

#[test]
fn an_eight_mib_record_of_tables_builds_in_bounded_memory() {
    // The whole record at the size limit, in fields just under theirs.
    let body = table(250_000);
    let mut record = String::from("code = \"T\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n");
    while record.len() + body.len() < 8_300_000 {
        record.push_str(&format!("[[sections]]\nheading = \"Codes\"\nbody = \"\"\"\n{body}\"\"\"\n"));
    }
    let kb = knowledge_base(&[("t", &record)]);
    let (code, _, stderr) = fixbook(&["build", kb.path().to_str().unwrap(), "--out", "out", "--quiet", "--timings", "--clean"], kb.path());
    assert_eq!(code, 0, "{stderr}");
    let peak = peak_mib(&stderr);
    assert!(peak > 0.0, "{stderr}");
    // One 8 MB field of these tables took 1,960 MiB; in fields of at most 256 KiB, what is
    // left is the record itself and its page, a few times the page's size.
    assert!(peak < PEAK_LIMIT_MIB, "peak {peak} MiB for an 8 MB record:\n{stderr}");
}

/// Measured: 213 MiB (the page alone is 41 MB of table markup, five times the record).
const PEAK_LIMIT_MIB: f64 = 400.0;
