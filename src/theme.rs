//! The default theme is compiled into the binary. A site overrides any template by putting a
//! file of the same name in its `templates/` folder, and any asset by putting a file at the
//! same path in its `static/` folder. Every default template is also registered as
//! `default/<name>`, so an override can `{% extends "default/record.html" %}` and replace
//! only the blocks it cares about.

use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;
use walkdir::WalkDir;

use crate::fs::{FsError, InputError, Inputs};

/// Template names: the pages Fixbook renders.
pub mod names {
    pub const BASE: &str = "base.html";
    pub const MACROS: &str = "macros.html";
    pub const HOME: &str = "index.html";
    pub const RECORD: &str = "record.html";
    pub const PRODUCT: &str = "product.html";
    pub const TAG: &str = "tag.html";
    pub const TAGS: &str = "tags.html";
    pub const CODES: &str = "codes.html";
    pub const NOT_FOUND: &str = "404.html";
    pub const SEARCH: &str = "search.html";
}

macro_rules! theme_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../themes/default/templates/", $path)))
    };
}

const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    theme_file!("base.html"),
    theme_file!("macros.html"),
    theme_file!("index.html"),
    theme_file!("record.html"),
    theme_file!("product.html"),
    theme_file!("tag.html"),
    theme_file!("tags.html"),
    theme_file!("codes.html"),
    theme_file!("404.html"),
    theme_file!("search.html"),
];

macro_rules! asset {
    ($path:literal) => {
        ($path, include_bytes!(concat!("../themes/default/static/", $path)).as_slice())
    };
}

const DEFAULT_ASSETS: &[(&str, &[u8])] = &[
    asset!("assets/fixbook.css"),
    asset!("assets/fixbook.js"),
    asset!("assets/fixbook-guide.js"),
    asset!("assets/fixbook-analyze.js"),
    asset!("assets/fixbook-search.js"),
    asset!("assets/fixbook-search-ui.js"),
    asset!("assets/fixbook-suggest.js"),
    asset!("assets/favicon.svg"),
];

pub const TEMPLATES_DIR: &str = "templates";
pub const STATIC_DIR: &str = "static";

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A link out of the knowledge base, a pipe...
    #[error(transparent)]
    Refused(InputError),
    #[error("template {name} (from {origin}) is not valid: {detail}")]
    Template { name: String, origin: String, detail: String },
}

pub struct Theme {
    pub tera: Tera,
    /// Output path -> bytes: the default assets with the site's `static/` laid over them.
    pub assets: BTreeMap<String, Vec<u8>>,
    /// Record pages are written by `render::record_html` rather than by Tera: true while the
    /// site overrides none of the templates a record page is made of ([`RECORD_TEMPLATES`]).
    /// The output is the same either way; false forces Tera.
    pub compiled_record: bool,
    /// Product and tag listings are written by `render::listing_html`, on the same terms
    /// ([`LISTING_TEMPLATES`]).
    pub compiled_listings: bool,
}

/// The templates a record page is rendered from.
pub const RECORD_TEMPLATES: [&str; 3] = [names::BASE, names::MACROS, names::RECORD];

/// The templates product and tag listings are rendered from.
pub const LISTING_TEMPLATES: [&str; 4] = [names::BASE, names::MACROS, names::PRODUCT, names::TAG];

impl Theme {
    /// The default theme with the overrides found in `site_root` (if any).
    pub fn load(site_root: &Path) -> Result<Theme, ThemeError> {
        let files = Inputs::new(site_root);
        let read = |path: &Path| {
            // Names become template names and output paths: made into text, two could be one.
            let name_is_text = path.strip_prefix(site_root).is_ok_and(|rel| rel.to_str().is_some());
            let read = if name_is_text { files.read(path) } else { Err(InputError::NameNotText { path: path.to_path_buf() }) };
            read.map_err(|error| match error {
                InputError::Fs(e) => ThemeError::Fs(e),
                refused => ThemeError::Refused(refused),
            })
        };
        let mut templates: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (name, text) in DEFAULT_TEMPLATES {
            let text = unindent(text);
            templates.insert(format!("default/{name}"), (text.clone(), "the default theme".into()));
            templates.insert(name.to_string(), (text, "the default theme".into()));
        }
        // A folder linked out would bring in whatever it leads to.
        for dir in [TEMPLATES_DIR, STATIC_DIR].map(|d| site_root.join(d)) {
            if dir.exists() && !files.contains(&dir) {
                return Err(ThemeError::Refused(InputError::Outside { path: dir }));
            }
        }
        let (mut compiled_record, mut compiled_listings) = (true, true);
        for (name, path) in files_under(&site_root.join(TEMPLATES_DIR)) {
            let text = String::from_utf8(read(&path)?).map_err(|e| FsError {
                action: "read",
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            let overrides = |templates: &[&str]| templates.iter().any(|t| name == *t || name.strip_prefix("default/") == Some(*t));
            compiled_record &= !overrides(&RECORD_TEMPLATES);
            compiled_listings &= !overrides(&LISTING_TEMPLATES);
            templates.insert(name, (text, path.display().to_string()));
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(crate::escape::escape);
        let raw: Vec<(&str, &str)> = templates.iter().map(|(n, (t, _))| (n.as_str(), t.as_str())).collect();
        tera.add_raw_templates(raw).map_err(|e| {
            let name = tera_template_name(&e).unwrap_or_default();
            let origin = templates.get(&name).map(|(_, o)| o.clone()).unwrap_or_else(|| "a theme file".into());
            ThemeError::Template { name, origin, detail: error_chain(&e) }
        })?;

        let mut assets: BTreeMap<String, Vec<u8>> = DEFAULT_ASSETS.iter().map(|(p, b)| (p.to_string(), b.to_vec())).collect();
        for (rel, path) in files_under(&site_root.join(STATIC_DIR)) {
            assets.insert(rel, read(&path)?);
        }
        Ok(Theme { tera, assets, compiled_record, compiled_listings })
    }
}

/// Files under `dir` (hidden ones skipped) as (`a/b.ext`, full path), sorted: every entry
/// but folders, so that a link or a pipe among them is read (or refused) as a file of the
/// knowledge base rather than silently left out.
pub fn files_under(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.depth() > 0 && !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            Some((parts.join("/"), e.path().to_path_buf()))
        })
        .collect()
}

/// Tera reports "Failed to parse 'record.html'"; pull the name out for our message.
fn tera_template_name(e: &tera::Error) -> Option<String> {
    let text = e.to_string();
    let start = text.find('\'')? + 1;
    let end = start + text[start..].find('\'')?;
    Some(text[start..end].to_string())
}

/// Tera keeps the useful part of a message in the error's sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// Elements whose content [`unindent`] keeps as it is.
const RAW: [&str; 4] = ["pre", "textarea", "script", "style"];

/// A default template without its lines' leading spaces and tabs, so pages are not written
/// with the theme's indentation (about a tenth of a record page, on every page); lines stay
/// where they are, so errors keep their line numbers. The inside of [`RAW`] elements is kept.
fn unindent(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut raw: Option<&str> = None;
    for line in template.split_inclusive('\n') {
        let kept = if raw.is_some() { line } else { line.trim_start_matches([' ', '\t']) };
        out.push_str(kept);
        raw = raw_after(kept, raw);
    }
    out
}

/// The raw element still open at the end of `line`, given the one open before it.
fn raw_after(line: &str, mut raw: Option<&'static str>) -> Option<&'static str> {
    let mut from = 0;
    while let Some(i) = line[from..].find('<') {
        let rest = &line.as_bytes()[from + i + 1..];
        raw = match raw {
            Some(name) if rest.first() == Some(&b'/') && is_tag(&rest[1..], name) => None,
            Some(name) => Some(name),
            None => RAW.into_iter().find(|name| is_tag(rest, name)),
        };
        from += i + 1;
    }
    raw
}

/// Whether `rest` (what follows `<` or `</`) names the element `name`, in any case, and not a
/// longer name (`<preview>` is not `<pre>`).
fn is_tag(rest: &[u8], name: &str) -> bool {
    rest.len() > name.len()
        && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && matches!(rest[name.len()], b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::unindent;

    #[test]
    fn indentation_goes_and_lines_stay() {
        assert_eq!(
            unindent("<ul>\n  <li>a</li>\n\n\t{% if x %}<li>b</li>{% endif %}\n</ul>\n"),
            "<ul>\n<li>a</li>\n\n{% if x %}<li>b</li>{% endif %}\n</ul>\n"
        );
    }

    #[test]
    fn raw_elements_keep_every_byte() {
        let pre = "<div>\n  <pre tabindex=\"0\">a {\n\n    b;\n}\n</pre>\n  <p>x</p>\n</div>\n";
        assert_eq!(unindent(pre), "<div>\n<pre tabindex=\"0\">a {\n\n    b;\n}\n</pre>\n<p>x</p>\n</div>\n");
        let mixed = "  <PRE>a\n   b</PRE><textarea>\n  c\n</textarea>\n    <script>\n  let x = 1;\n</script>\n  <style>\n a {}\n</style>\n  <p>\n";
        assert_eq!(unindent(mixed), "<PRE>a\n   b</PRE><textarea>\n  c\n</textarea>\n<script>\n  let x = 1;\n</script>\n<style>\n a {}\n</style>\n<p>\n");
    }

    #[test]
    fn look_alike_tags_are_not_raw() {
        assert_eq!(unindent("<preview>\n  a\n</preview>\n  <p>b</p>\n"), "<preview>\na\n</preview>\n<p>b</p>\n");
        assert_eq!(unindent("<pre>one line</pre>\n  <p>b</p>\n"), "<pre>one line</pre>\n<p>b</p>\n");
    }
}
