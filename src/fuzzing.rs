//! Entry points for the fuzz targets in `fuzz/` (`cargo +nightly fuzz run TARGET`), also run
//! by the tests over every input kept in `fuzz/regressions/`: each takes any input and must
//! return without panicking. They assert what must hold for any input, beyond not crashing.

use std::path::Path;

use crate::markdown::Renderer;
use crate::output::MemorySink;
use crate::record::RecordId;
use crate::search::analyze::{analyze as analyse, code_values, fold, tokens, whole, Mode};
use crate::theme::Theme;
use crate::{load, search, validate, LinkStyle};

const SITE: &str = "title = \"Fuzz\"\nbase_url = \"https://example.com/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";

/// A record file: parsed, validated, and when valid rendered, indexed and ordered for the guide.
pub fn record(text: &str) {
    let loaded = load::load_from_memory(SITE, &[("p/x", text)]);
    let Ok(site) = validate::validate(loaded) else { return };
    // A folder that does not exist: the default theme alone.
    let theme = Theme::load(Path::new("/nonexistent/fixbook-fuzz")).expect("the default theme loads");
    let sink = MemorySink::default();
    // The pages and the search index, as `build` writes them.
    let _ = crate::write_site(&site, &theme, &sink, LinkStyle::Absolute, &|| {});
    for (path, _) in sink.into_files() {
        assert!(!path.starts_with('/') && !path.split('/').any(|p| p == ".."), "{path}");
    }
    for r in &site.records {
        let order = crate::guide::order(r);
        assert!(order.len() == r.fixes.len(), "every fix is tried once");
        let _ = crate::guide::step_minutes(r);
    }
}

/// A Markdown field with raw HTML off and on. Off, nothing in it can become a script.
pub fn markdown(text: &str) {
    let resolve = |id: &RecordId| Some(format!("/{}/", id.as_str()));
    for raw_html in [false, true] {
        let md = Renderer { raw_html, resolve: &resolve, root: "/", local_images_only: !raw_html };
        let block = md.block(text);
        let inline = md.inline(text);
        if !raw_html {
            for html in [&block, &inline] {
                let lower = html.to_ascii_lowercase();
                // Tags only: `href="javascript:` as escaped text is harmless (a case fuzzing found).
                let live = ["<script", "<iframe", "<a href=\"javascript:", "<a href=\"vbscript:", "<img src=\"javascript:"];
                assert!(!live.iter().any(|t| lower.contains(t)), "{html}");
            }
        }
    }
    // What the Markdown export writes, read again: no link or image left to a script URL.
    let exported = crate::markdown::drop_script_links(text);
    assert!(crate::markdown::script_links(&exported).is_empty(), "{exported:?}");
}

/// A record file that links to another record, exported as Markdown (both link forms) and
/// Confluence pages: `@/` links resolve, errors stay short, and no export has live markup the
/// site would not have (raw HTML, script links, images or links out of plain text).
pub fn export(text: &str) {
    const TARGET: &str = "code = \"Y\"\nproduct = \"p\"\ntitle = \"Target\"\nsummary = \"s\"\n[[sections]]\nheading = \"Part\"\nbody = \"b\"\n";
    let loaded = load::load_from_memory(SITE, &[("p/x", text), ("p/y", TARGET)]);
    let site = match validate::validate(loaded) {
        Ok(site) => site,
        Err(errors) => {
            // Every error quotes a window of its line, however long the line, and a file
            // reports a bounded number of them.
            for d in errors.iter() {
                assert!(d.snippet.chars().count() <= 200, "{:?}", d.snippet);
            }
            assert!(errors.len() <= 2 * crate::diagnostic::MAX_ERRORS_PER_FILE + 2, "{} errors", errors.len());
            return;
        }
    };
    for form in [crate::export::LinkForm::Files, crate::export::LinkForm::Pages] {
        for (name, page) in crate::export::markdown::pages(&site, form) {
            assert!(!crate::markdown::has_live_markup(&page, true), "{name}:\n{page}");
        }
    }
    for (name, page) in crate::export::confluence::files(&site) {
        if name.ends_with(".xml") {
            if let Err(e) = storage_format_is_inert(&page) {
                panic!("{name}: {e}\n{page}");
            }
        }
    }
}

/// The elements a Confluence page may have (Markdown's HTML and Confluence's own), and no
/// attribute with a script URL.
fn storage_format_is_inert(page: &str) -> Result<(), String> {
    const ALLOWED: &[&str] = &[
        "p",
        "a",
        "em",
        "strong",
        "code",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "blockquote",
        "del",
        "hr",
        "br",
        "img",
        "input",
        "sup",
        "div",
        "span",
        "section",
    ];
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if rest.starts_with("![CDATA[") {
            rest = &rest[rest.find("]]>").ok_or("an unclosed CDATA section")?..];
            continue;
        }
        let tag_end = rest.find('>').ok_or("an unclosed tag")?;
        let tag = &rest[..tag_end];
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-').collect();
        if !name.starts_with("ac:") && !name.starts_with("ri:") && !ALLOWED.contains(&name.as_str()) {
            return Err(format!("element <{name}>"));
        }
        let lower = tag.to_ascii_lowercase();
        for attr in ["href=\"", "src=\""] {
            for (i, _) in lower.match_indices(attr) {
                let value = &lower[i + attr.len()..];
                if ["javascript:", "vbscript:", "data:"].iter().any(|s| value.trim_start().starts_with(s)) {
                    return Err(format!("a script URL in <{tag}>"));
                }
            }
        }
        if tag.contains(" on") && lower.split_whitespace().any(|w| w.starts_with("on") && w.contains('=')) {
            return Err(format!("an event handler in <{tag}>"));
        }
    }
    Ok(())
}

/// The search analyzer in every mode, and the code normaliser on every token.
pub fn analyze(text: &str) {
    let folded = fold(text);
    let _ = whole(text);
    for mode in [Mode::Text, Mode::Code, Mode::Query] {
        for term in analyse(text, mode) {
            assert!(!term.text.is_empty());
        }
        for token in tokens(&folded) {
            let _ = code_values(token, mode);
        }
    }
}

/// Numbers through the index's VLQ encoding and back; then the bytes as a record, indexed.
pub fn index(data: &[u8]) {
    let numbers: Vec<u32> = data.chunks(4).map(|c| c.iter().fold(0u32, |n, &b| n << 8 | u32::from(b))).collect();
    let mut text = String::new();
    for &n in &numbers {
        search::encode::vlq(&mut text, n);
    }
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut at = 0;
    for &n in &numbers {
        assert_eq!(search::encode::read_vlq(&units, &mut at), Some(n));
    }
    assert_eq!(at, units.len());
    if let Ok(text) = std::str::from_utf8(data) {
        record(text);
    }
}
