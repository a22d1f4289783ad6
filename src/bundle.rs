//! `fixbook bundle`: the site for reading without a network, as a zip that works unzipped
//! anywhere and opened by double-click. Pages link relatively to `index.html` files, search
//! loads its index as scripts (no `fetch`), and nothing points at the published site.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::output::{self, OutputError};
use crate::search::encode::js_json;
use crate::url;

/// The router of a single-file site (pages as `#/` routes).
const ROUTER: &str = include_str!("../themes/default/static/assets/fixbook-single.js");
/// The part of each page that changes between routes lies between these (in `base.html`).
pub const PAGE_START: &str = "<!-- fixbook:page -->";
pub const PAGE_END: &str = "<!-- /fixbook:page -->";
/// A single file holds every page as a string in a script, ~17 KB a record. Chromium opened
/// 10,000 records (165 MB) in 2.0-2.5 s on a 2-core machine; beyond that it grows past a few
/// seconds, so Fixbook refuses and suggests the zip.
pub const SINGLE_FILE_LIMIT: usize = 10_000;
/// Pages per `FixbookPages.add` script, so that no one statement is huge.
const PAGES_PER_SCRIPT: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum SingleFileError {
    #[error("the knowledge base has {records} records; a single HTML file opens quickly only up to {SINGLE_FILE_LIMIT}")]
    TooLarge { records: usize },
    #[error("template {template} has no `{PAGE_START}` ... `{PAGE_END}` markers around the page's own content, which a single-file site needs")]
    NoMarkers { template: String },
}

impl SingleFileError {
    pub fn hint(&self) -> &'static str {
        match self {
            SingleFileError::TooLarge { .. } => "use `fixbook bundle` without --single-file: the zip has no size limit and also works offline",
            SingleFileError::NoMarkers { .. } => "keep both comments in your base.html, around the breadcrumbs and <main>",
        }
    }
}

/// One HTML file holding the whole site rendered with `LinkStyle::SingleFile`: the home
/// page's frame, every page's content as a route, CSS, scripts and the search index inline.
pub fn single_file(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<String, SingleFileError> {
    let text = |path: &str| files.get(path).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let home = text("index.html");
    let (head, rest) = home.split_once(PAGE_START).ok_or(SingleFileError::NoMarkers { template: "base.html".into() })?;
    let (_, tail) = rest.split_once(PAGE_END).ok_or(SingleFileError::NoMarkers { template: "base.html".into() })?;

    let mut pages: Vec<(String, String, String)> = Vec::new();
    for (path, bytes) in files {
        let route = if path == "index.html" || path.ends_with("/index.html") {
            path.trim_end_matches("index.html").to_string()
        } else if path == "404.html" {
            path.clone()
        } else {
            continue;
        };
        let html = String::from_utf8_lossy(bytes);
        let content = html
            .split_once(PAGE_START)
            .and_then(|(_, r)| r.split_once(PAGE_END))
            .map(|(c, _)| c.to_string())
            .ok_or_else(|| SingleFileError::NoMarkers { template: path.clone() })?;
        let title = html.split_once("<title>").and_then(|(_, r)| r.split_once("</title>")).map_or("", |(t, _)| t);
        pages.push((route, unescape(title), inline_images(&content, files)));
    }

    let asset = |name: &str| text(&format!("assets/{name}"));
    // The body first: the head's content security policy lists the hash of every script.
    let mut body = String::with_capacity(files.values().map(Vec::len).sum::<usize>() + 1024);
    let mut script_hashes = Vec::new();
    body.push_str("<div id=\"fixbook-page\"></div>");
    let (body_end, scripts) = split_scripts(tail);
    body.push_str(body_end);
    let mut script = |js: &str| {
        let js = js.replace("</script", "<\\/script");
        script_hashes.push(csp_hash(&js));
        body.push_str("<script>");
        body.push_str(&js);
        body.push_str("</script>\n");
    };
    script(ROUTER);
    script(&asset("fixbook-analyze.js"));
    script(&asset("fixbook-search.js"));
    for (path, bytes) in files.iter().filter(|(p, _)| p.starts_with(crate::search::index::DIR) && p.ends_with(".js")) {
        debug_assert!(!path.contains(".."));
        script(&String::from_utf8_lossy(bytes));
    }
    for chunk in pages.chunks(PAGES_PER_SCRIPT) {
        let map: serde_json::Map<String, serde_json::Value> =
            chunk.iter().map(|(route, title, html)| (route.clone(), serde_json::json!([title, html]))).collect();
        script(&format!("FixbookPages.add({});", js_json(&serde_json::Value::Object(map))));
    }
    script("FixbookPages.start();");
    for name in scripts {
        script(&asset(&name));
    }
    body.push_str("</body>\n</html>\n");
    let css = asset("fixbook.css").replace("</style", "<\\/style");
    let mut out = inline_head(head, &css, &asset("favicon.svg"), &script_hashes);
    out.push_str(&body);
    Ok(out)
}

/// A CSP source matching one inline script or style: `'sha256-<base64>'`.
fn csp_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes())))
}

/// The site's policy with `script-src` and `style-src` narrowed to the single file's own
/// inline scripts and stylesheet (by hash), since it has no files to allow by origin.
fn single_file_policy(policy: &str, script_hashes: &[String], style_hash: &str) -> String {
    let mut directives: Vec<String> =
        policy.split(';').map(str::trim).filter(|d| !d.is_empty() && !d.starts_with("script-src") && !d.starts_with("style-src")).map(str::to_string).collect();
    directives.push(format!("script-src {}", script_hashes.join(" ")));
    directives.push(format!("style-src {style_hash}"));
    directives.join("; ")
}

/// The home page's head and header, with the stylesheet and icon inlined and the content
/// security policy (if the site declares one) fitted to the inline scripts.
fn inline_head(head: &str, css: &str, favicon: &str, script_hashes: &[String]) -> String {
    use base64::Engine;
    let icon = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(favicon));
    let mut out = String::with_capacity(head.len() + css.len());
    const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
    for line in head.split_inclusive('\n') {
        if line.contains("rel=\"stylesheet\"") {
            out.push_str("<style>");
            out.push_str(css);
            out.push_str("</style>\n");
        } else if let Some(policy) = line.strip_prefix(CSP).and_then(|rest| rest.split_once('"')).map(|(p, _)| unescape(p)) {
            out.push_str(CSP);
            out.push_str(&crate::escape::escape(&single_file_policy(&policy, script_hashes, &csp_hash(css))));
            out.push_str("\">\n");
        } else {
            out.push_str(&line.replace("\"favicon.svg\"", &format!("\"{icon}\"")));
        }
    }
    out
}

/// Splits the end of the home page into its markup and the names of the theme scripts it
/// loads (`<script src="fixbook.js" defer>`), which the single file inlines after the data.
fn split_scripts(tail: &str) -> (&str, Vec<String>) {
    let end = tail.find("<script src=").unwrap_or_else(|| tail.find("</body>").unwrap_or(tail.len()));
    let names = tail[end..]
        .split("<script src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
        .filter(|n| n != "fixbook-analyze.js" && n != "fixbook-search.js")
        .collect();
    (&tail[..end], names)
}

/// `<img src="img/d.svg">` of a file in the site -> a data URI, so the page needs nothing else.
fn inline_images(html: &str, files: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
    use base64::Engine;
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<img src=\"") {
        let start = at + "<img src=\"".len();
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('"').unwrap_or(after.len());
        let src = &after[..end];
        let mime = match src.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            _ => "",
        };
        match files.get(src.trim_start_matches("./")) {
            Some(bytes) if !mime.is_empty() => {
                out.push_str(&format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)));
            }
            _ => out.push_str(src),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Undoes the escaping of `escape::html` for a page title.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The comment of every zip Fixbook writes; an existing file is replaced only if it has it.
const ZIP_COMMENT: &str = "Offline copy of a help center, written by Fixbook. Unzip it and open index.html.";

/// The folder inside the zip, named after the site: `northwind-it-help-center`.
pub fn folder_name(title: &str) -> String {
    url::code_slug(title)
}

/// Writes `files` (site-relative paths) under `folder/` into the zip at `out`, atomically.
/// Entries are sorted and dated 1980-01-01, so the same site gives the same bytes.
pub fn write_zip(out: &Path, folder: &str, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<u64, OutputError> {
    output::publish_file(out, is_our_zip, |file| {
        let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
        let options =
            SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(DateTime::default()).unix_permissions(0o644);
        for (path, bytes) in files {
            zip.start_file(format!("{folder}/{path}"), options).map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        zip.set_comment(ZIP_COMMENT).map_err(std::io::Error::other)?;
        zip.finish().map_err(std::io::Error::other)?.flush()
    })?;
    Ok(std::fs::metadata(out).map(|m| m.len()).unwrap_or(0))
}

/// The start of every single-file site, by which an existing file may be replaced.
const HTML_START: &str = "<!doctype html>\n<!-- Offline copy of a help center, written by Fixbook. -->\n";

/// Writes a single-file site at `out`, atomically; an existing file is replaced only if it is one.
pub fn write_single_file(out: &Path, html: &str) -> Result<u64, OutputError> {
    let ours = |path: &Path| {
        let mut start = [0u8; HTML_START.len()];
        std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut start)).is_ok() && start == HTML_START.as_bytes()
    };
    output::publish_file(out, ours, |file| {
        file.write_all(HTML_START.as_bytes())?;
        let body = html.split_once('\n').map_or(html, |(first, rest)| if first.eq_ignore_ascii_case("<!doctype html>") { rest } else { html });
        file.write_all(body.as_bytes())
    })?;
    Ok(std::fs::metadata(out).map(|m| m.len()).unwrap_or(0))
}

fn is_our_zip(path: &Path) -> bool {
    std::fs::File::open(path).ok().and_then(|f| ZipArchive::new(f).ok()).is_some_and(|z| z.comment() == ZIP_COMMENT.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_deterministic_and_only_replace_their_own_kind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kb.zip");
        let files: std::collections::BTreeMap<String, Vec<u8>> =
            [("index.html".to_string(), b"<p>home</p>".to_vec()), ("a/b.css".to_string(), b"p{}".to_vec())].into();
        write_zip(&out, "kb", &files).unwrap();
        let first = std::fs::read(&out).unwrap();
        write_zip(&out, "kb", &files).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), first, "same input, same bytes; and our own zip may be replaced");
        let names: Vec<String> = ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap().file_names().map(|n| n.unwrap().to_string()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"kb/index.html".to_string()) && names.contains(&"kb/a/b.css".to_string()), "{names:?}");

        let theirs = dir.path().join("report.zip");
        std::fs::write(&theirs, b"not ours").unwrap();
        assert!(matches!(write_zip(&theirs, "kb", &files), Err(OutputError::NotOurFile(_))));
        assert_eq!(std::fs::read(&theirs).unwrap(), b"not ours");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "no partial file left behind: {leftovers:?}");
    }
}
