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
