//! Markdown to HTML. This module alone decides which CommonMark extensions are on, how raw
//! HTML is treated and how `@/id` links to other records become URLs.

use std::collections::HashMap;

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::record::RecordId;

/// Tables, strikethrough, task lists, `{#id}` heading attributes and footnotes.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_FOOTNOTES
}

/// How a Markdown field becomes HTML on one page.
pub struct Renderer<'a> {
    /// Pass raw HTML through (site.toml `[markdown] raw_html = true`); otherwise show it as text.
    pub raw_html: bool,
    /// Record id -> URL as written on this page. Validation guarantees every link is here.
    pub resolve: &'a dyn Fn(&RecordId) -> Option<String>,
    /// The site root as written on this page ("/", "/help/", "../../"): a link or image
    /// written from the root (`/img/diagram.png`, a file of `static/`) starts with it.
    pub root: &'a str,
    /// Show images from other hosts as links instead (offline copies request nothing).
    pub local_images_only: bool,
}

const RECORD_LINK_PREFIX: &str = "@/";

impl Renderer<'_> {
    /// Block HTML (paragraphs, lists, tables...). Headings are demoted by two levels so
    /// that a `#` in a field sits below the page's own `h1` and section `h2`s.
    pub fn block(&self, text: &str) -> String {
        if plain_line(text) {
            return format!("<p>{text}</p>\n");
        }
        self.parsed_block(text)
    }

    fn parsed_block(&self, text: &str) -> String {
        let mut heading_ids: HashMap<String, usize> = HashMap::new();
        // Events go to the HTML writer as they are parsed: only a heading's are held back,
        // until its text gives it an id. (Collecting a field's events first cost some 60
        // bytes per table cell: 1.3 GB for an 8 MB table.)
        let mut held: Vec<Event> = Vec::new();
        let mut ready: std::collections::VecDeque<Event> = std::collections::VecDeque::new();
        let mut remote_images: Vec<bool> = Vec::new();
        let mut parser = Parser::new_ext(text, options());
        let events = std::iter::from_fn(|| loop {
            if let Some(e) = ready.pop_front() {
                return Some(e);
            }
            let event = match parser.next()? {
                Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                    held.push(Event::Start(Tag::Heading { level: demote(level), id, classes, attrs }));
                    continue;
                }
                Event::End(TagEnd::Heading(level)) if !held.is_empty() => {
                    self.give_heading_an_id(&mut held, 0, &mut heading_ids);
                    ready.extend(held.drain(..));
                    Event::End(TagEnd::Heading(demote(level)))
                }
                Event::Start(Tag::Image { link_type, dest_url, title, id }) if self.local_images_only && is_remote(&dest_url) => {
                    remote_images.push(true);
                    Event::Start(Tag::Link { link_type, dest_url: self.url(dest_url), title, id })
                }
                Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                    remote_images.push(false);
                    self.filter(Event::Start(Tag::Image { link_type, dest_url, title, id }))
                }
                Event::End(TagEnd::Image) if remote_images.pop() == Some(true) => Event::End(TagEnd::Link),
                other => self.filter(other),
            };
            if held.is_empty() {
                ready.push_back(event);
            } else {
                held.push(event);
            }
        });
        let mut out = String::with_capacity(text.len() * 3 / 2);
        html::push_html(&mut out, events);
        // Code blocks scroll sideways on narrow screens; keyboard users must be able to reach them.
        if out.contains("<pre>") {
            out = out.replace("<pre>", "<pre tabindex=\"0\">");
        }
        // C0 controls (TOML lets `\u0001` in) are parse errors in HTML and forbidden in the
        // XML of feeds and Confluence pages, as in `escape`.
        if out.contains(is_stray_control) {
            out.retain(|c| !is_stray_control(c));
        }
        out
    }

    /// Inline HTML for one-line items (symptoms, quick fixes): a lone paragraph is unwrapped.
    pub fn inline(&self, text: &str) -> String {
        if plain_line(text) {
            return text.to_string();
        }
        let html = self.parsed_block(text);
        let trimmed = html.trim_end();
        match trimmed.strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>")) {
            Some(inner) if !inner.contains("<p>") => inner.to_string(),
            _ => html,
        }
    }

    fn filter<'e>(&self, event: Event<'e>) -> Event<'e> {
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) if !self.raw_html => Event::Text(raw),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link { link_type, dest_url: self.url(dest_url), title, id }),
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image { link_type, dest_url: self.url(dest_url), title, id }),
            other => other,
        }
    }

    fn url<'e>(&self, dest: CowStr<'e>) -> CowStr<'e> {
        if let Some((target, fragment)) = parse_record_link(&dest) {
            let mut url = (self.resolve)(&target).unwrap_or_default();
            if let Some(f) = fragment {
                url.push('#');
                url.push_str(&f);
            }
            return url.into();
        }
        if !self.raw_html && is_script_url(&dest) {
            return CowStr::Borrowed("#");
        }
        if let Some(rest) = dest.strip_prefix('/').filter(|r| !r.starts_with('/')) {
            return format!("{}{rest}", self.root).into();
        }
        dest
    }

    fn give_heading_an_id<'e>(&self, events: &mut [Event<'e>], start: usize, seen: &mut HashMap<String, usize>) {
        let text: String = events[start + 1..]
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        if let Event::Start(Tag::Heading { id, .. }) = &mut events[start] {
            if id.is_none() {
                let base = slugify(&text);
                let n = seen.entry(base.clone()).or_insert(0);
                *n += 1;
                let unique = if *n == 1 { base } else { format!("{base}-{n}") };
                *id = Some(unique.into());
            }
        }
    }
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Text that Markdown leaves as it is, one paragraph of it: one line, nothing that could
/// start a block at its beginning, no character that marks up inline text or that HTML
/// escapes, no control character, no space at either end. Most fields of most records are
/// such a line, and parsing them was most of what Markdown cost; `plain_lines_render_as_parsed`
/// compares this shortcut with the parser.
fn plain_line(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    !matches!(first, b'-' | b'+' | b'#' | b'>' | b'=' | b'0'..=b'9' | b':' | b'^')
        && !last.is_ascii_whitespace()
        && !first.is_ascii_whitespace()
        && bytes
            .iter()
            .all(|&b| b >= b' ' && !matches!(b, b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'&' | b'~' | b'|' | b'{' | b'}' | b'$' | 0x7f))
}

fn is_stray_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// A URL on another host: `https://...`, `//cdn...`.
fn is_remote(dest: &str) -> bool {
    let d = dest.trim_start().to_ascii_lowercase();
    d.starts_with("//") || d.starts_with("http:") || d.starts_with("https:")
}

/// `javascript:`, `vbscript:` and `data:` URLs run code when clicked.
fn is_script_url(dest: &str) -> bool {
    let scheme: String = dest.chars().filter(|c| !c.is_whitespace() && !c.is_control()).take_while(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    dest.contains(':') && matches!(scheme.as_str(), "javascript" | "vbscript" | "data")
}

/// The words a reader sees in a Markdown text, for the search index: text, inline code and
/// image alt text, without markup, URLs or raw HTML tags. Blocks are separated by a newline.
pub fn plain_text(text: &str) -> String {
    if plain_line(text) {
        return format!("{text}\n");
    }
    let mut out = String::with_capacity(text.len());
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// The Markdown source with its raw HTML shown as text (`<b>` -> `&lt;b>`), for exports of
/// sites that do not allow raw HTML; everything else is left as written.
pub fn escape_raw_html(text: &str) -> String {
    let mut ranges: Vec<std::ops::Range<usize>> =
        Parser::new_ext(text, options()).into_offset_iter().filter(|(e, _)| matches!(e, Event::Html(_) | Event::InlineHtml(_))).map(|(_, r)| r).collect();
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for r in ranges {
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&text[r.clone()].replace('<', "&lt;"));
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Markdown that shows `text` as it is, as the site shows a plain-text field: every ASCII
/// punctuation character that could start markup is escaped with a backslash (so no HTML,
/// link, image, entity or block starts; a split `https\://` or `www\.` is not autolinked
/// either). Line breaks are kept.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if c.is_ascii_punctuation() && !matches!(c, ',' | '\'' | '"' | '/' | ';' | '?' | '%' | '@') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a Markdown renderer would make live in `text` that the site, with raw HTML off, does
/// not: raw HTML (blocks, inline tags, comments), a link or image to a script URL, or a link
/// reference definition (on an exported page it would reach links in other fields). `metadata`:
/// a page starting with YAML front matter.
pub fn has_live_markup(text: &str, metadata: bool) -> bool {
    let opts = if metadata { options() | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS } else { options() };
    let parser = Parser::new_ext(text, opts);
    if parser.reference_definitions().iter().next().is_some() {
        return true;
    }
    parser.into_iter().any(|e| match e {
        Event::Html(_) | Event::InlineHtml(_) => true,
        Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => is_script_url(&dest_url),
        _ => false,
    })
}

/// A Markdown field as an export writes it for a site that does not allow raw HTML: raw HTML
/// shown as text, links and images to script URLs replaced by their text, link reference
/// definitions shown as text (each field is rendered on its own on the site, so a definition
/// links nothing in another field there). Taking out one can make another (`<div>` shown as
/// text turns the lines after it from HTML into Markdown), so it is done again until nothing
/// is left, a few times at most; text that still has some is written as text, all of it.
pub fn inert(text: &str) -> String {
    const PASSES: usize = 6;
    let mut out = text.to_string();
    for _ in 0..PASSES {
        if !has_live_markup(&out, false) {
            return out;
        }
        out = escape_reference_definitions(&drop_script_links_once(&escape_raw_html(&out)));
    }
    if has_live_markup(&out, false) {
        escape_text(text)
    } else {
        out
    }
}

/// `[d]: https://...` -> `\[d]: https://...`: the definition shown as text.
fn escape_reference_definitions(text: &str) -> String {
    let parser = Parser::new_ext(text, options());
    let mut starts: Vec<usize> =
        parser.reference_definitions().iter().filter_map(|(_, def)| text[def.span.clone()].find('[').map(|i| def.span.start + i)).collect();
    if starts.is_empty() {
        return text.to_string();
    }
    starts.sort_unstable();
    let mut out = String::with_capacity(text.len() + starts.len());
    let mut at = 0;
    for s in starts {
        out.push_str(&text[at..s]);
        out.push('\\');
        at = s;
    }
    out.push_str(&text[at..]);
    out
}

/// The Markdown source with each link or image to a `javascript:`, `vbscript:` or `data:`
/// URL replaced by its text, for exports: the wiki that renders them may not check URLs.
/// Dropping one can make a link of the text around it (`[[a](javascript:1)](javascript:2)`),
/// so it repeats until none is left; each pass makes the text shorter.
pub fn drop_script_links(text: &str) -> String {
    let mut out = drop_script_links_once(text);
    loop {
        if script_links(&out).is_empty() {
            return out;
        }
        let next = drop_script_links_once(&out);
        if next.len() == out.len() {
            return next;
        }
        out = next;
    }
}

fn drop_script_links_once(text: &str) -> String {
    let mut cuts: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new(); // (whole link, its text)
    let mut open: Option<(std::ops::Range<usize>, Option<std::ops::Range<usize>>, usize)> = None;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match (&event, &mut open) {
            (Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }), None) if is_script_url(dest_url) => open = Some((range, None, 0)),
            (Event::Start(Tag::Link { .. } | Tag::Image { .. }), Some((_, _, depth))) => *depth += 1,
            (Event::End(TagEnd::Link | TagEnd::Image), Some((_, _, depth))) if *depth > 0 => *depth -= 1,
            (Event::End(TagEnd::Link | TagEnd::Image), Some(_)) => {
                let (whole, inner, _) = open.take().expect("open");
                cuts.push((whole.clone(), inner.unwrap_or(whole.start..whole.start)));
            }
            (_, Some((_, inner, _))) => {
                let r = inner.get_or_insert(range.clone());
                r.start = r.start.min(range.start);
                r.end = r.end.max(range.end);
            }
            _ => {}
        }
    }
    if cuts.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (whole, inner) in cuts {
        if whole.start < at {
            continue;
        }
        out.push_str(&text[at..whole.start]);
        out.push_str(&text[inner]);
        at = whole.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The link and image destinations of a Markdown text that are script URLs.
pub fn script_links(text: &str) -> Vec<String> {
    Parser::new_ext(text, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) if is_script_url(&dest_url) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

/// Every `@/...` link or image destination in a Markdown text, in order.
pub fn record_link_targets(text: &str) -> Vec<String> {
    if !text.contains(RECORD_LINK_PREFIX) {
        return Vec::new();
    }
    Parser::new_ext(text, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) if dest_url.starts_with(RECORD_LINK_PREFIX) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

/// Every `@/...` link or image destination written inline (`[text](@/id)`), with where the
/// destination is in the text, in order. A link's source range ends with its destination
/// (and title): the destination is the last `](@/...` in it.
pub fn record_links_at(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    if !text.contains(RECORD_LINK_PREFIX) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
            if !dest_url.starts_with(RECORD_LINK_PREFIX) {
                continue;
            }
            let written = &text[range.clone()];
            let needle = format!("]({dest_url}");
            if let Some(i) = written.rfind(&needle) {
                let after = written[i + needle.len()..].chars().next();
                if matches!(after, Some(')' | ' ' | '\t' | '\n')) {
                    let start = range.start + i + 2;
                    found.push((dest_url.into_string(), start..start + needle.len() - 2));
                }
            }
        }
    }
    // An image inside a link starts after the link but is met first.
    found.sort_by_key(|(_, span)| span.start);
    found
}

/// `@/remote-desktop/0x204#causes` -> (`remote-desktop/0x204`, `causes`). A trailing
/// `.toml` is allowed, so the link can be the file's path.
pub fn parse_record_link(dest: &str) -> Option<(RecordId, Option<String>)> {
    let rest = dest.strip_prefix(RECORD_LINK_PREFIX)?;
    let (path, fragment) = match rest.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (rest, None),
    };
    let id = RecordId::from_reference(path);
    let valid = !id.as_str().is_empty() && id.as_str().split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    valid.then_some((id, fragment))
}

/// Lowercase words joined by `-`, for heading anchors.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "section".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, raw_html: bool) -> String {
        let resolve = |id: &RecordId| Some(format!("/{}/", id.as_str()));
        Renderer { raw_html, resolve: &resolve, root: "/", local_images_only: false }.block(text)
    }

    #[test]
    fn plain_lines_render_as_parsed() {
        let resolve = |id: &RecordId| Some(format!("/{}/", id.as_str()));
        let md = Renderer { raw_html: false, resolve: &resolve, root: "/", local_images_only: false };
        let pieces = [
            "a",
            "Word",
            " ",
            "  ",
            "'",
            "\"",
            "!",
            "#",
            "-",
            "+",
            "=",
            "1",
            "2.",
            "3)",
            ".",
            ":",
            "/",
            "(",
            ")",
            "é",
            "\u{a0}",
            "\t",
            "\n",
            "*",
            "_",
            "`",
            "[",
            "]",
            "<",
            ">",
            "&",
            "~",
            "|",
            "\\",
            "{",
            "}",
            "$",
            "%",
            "^",
            "@",
            ";",
            ",",
            "?",
            "www.example.com",
            "https://example.com/a_b",
            "0x80070005",
            "--",
            "...",
            "&amp;",
            "\u{1}",
            "\u{7f}",
            "\r",
        ];
        let mut plain = 0;
        for text in crate::generated_text::texts(&pieces, 9, 0x9e37_79b9_7f4a_7c15).take(100_000) {
            if plain_line(&text) {
                plain += 1;
                assert_eq!(md.block(&text), md.parsed_block(&text), "{text:?}");
                let parsed = md.parsed_block(&text);
                let unwrapped = parsed.trim_end().strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>")).unwrap();
                assert_eq!(md.inline(&text), unwrapped, "{text:?}");
                let mut parsed_text = String::new();
                for event in Parser::new_ext(&text, options()) {
                    match event {
                        Event::Text(t) => parsed_text.push_str(&t),
                        Event::Start(Tag::Paragraph) => {}
                        Event::End(TagEnd::Paragraph) => parsed_text.push('\n'),
                        other => panic!("{text:?}: {other:?}"),
                    }
                }
                assert_eq!(plain_text(&text), parsed_text, "{text:?}");
            }
        }
        assert!(plain > 5_000, "only {plain} plain lines were tried");
    }

    #[test]
    fn extensions_are_on() {
        let html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n", false);
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
    }

    #[test]
    fn raw_html_is_escaped_unless_allowed() {
        let text = "Hello <script>alert(1)</script>\n\n<div class=\"x\">block</div>\n";
        let safe = render(text, false);
        assert!(!safe.contains("<script>"), "{safe}");
        assert!(safe.contains("&lt;script&gt;"), "{safe}");
        assert!(safe.contains("&lt;div class=\"x\"&gt;"), "{safe}");
        let raw = render(text, true);
        assert!(raw.contains("<div class=\"x\">block</div>"), "{raw}");
    }

    #[test]
    fn script_urls_are_neutralised() {
        let html = render("[x](javascript:alert(1)) [y]( JavaScript:alert(1))", false);
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
    }

    #[test]
    fn exports_lose_script_links_but_keep_their_text() {
        let md = "See [the *fix*](javascript:alert(1)), ![alt](data:image/svg+xml,x), <vbscript:x> and [ok](https://e.com).";
        assert_eq!(super::drop_script_links(md), "See the *fix*, alt, vbscript:x and [ok](https://e.com).");
        assert_eq!(super::drop_script_links("[r][d]\n\n[d]: javascript:alert(1)\n"), "r\n\n[d]: javascript:alert(1)\n");
    }

    #[test]
    fn exported_fields_are_inert_whatever_uncovers_what() {
        for text in [
            "<div>\n[x](javascript:alert(1))\n",
            "<!-- c -->\n[x](javascript:1)",
            "[[[x](javascript:1)](javascript:2)](javascript:3)",
            "[x][d]\n\n[d]: javascript:1\n",
        ] {
            let out = inert(text);
            assert!(!has_live_markup(&out, false) && out.contains('x'), "{text:?} -> {out:?}");
        }
        let text = escape_text("![t](https://e.com/p.png) <b>&amp;</b>\n# h\n1. x");
        assert!(!has_live_markup(&text, false), "{text}");
        assert_eq!(plain_text(&text), "![t](https://e.com/p.png) <b>&amp;</b> # h 1. x\n", "the words, as text");
    }

    #[test]
    fn record_links_resolve_with_fragment() {
        let html = render("[see](@/rd/0x204#causes)", false);
        assert!(html.contains("href=\"/rd/0x204/#causes\""), "{html}");
    }

    #[test]
    fn headings_are_demoted_and_get_unique_ids() {
        let html = render("# Check it\n\n## Check it\n\n### Own {#mine}\n", false);
        assert!(html.contains("<h3 id=\"check-it\">Check it</h3>"), "{html}");
        assert!(html.contains("<h4 id=\"check-it-2\">Check it</h4>"), "{html}");
        assert!(html.contains("<h5 id=\"mine\">Own</h5>"), "{html}");
    }

    #[test]
    fn code_blocks_are_keyboard_focusable() {
        assert!(render("```\nsfc /scannow\n```\n", false).starts_with("<pre tabindex=\"0\"><code>"));
    }

    #[test]
    fn inline_unwraps_a_single_paragraph() {
        let resolve = |_: &RecordId| None;
        let r = Renderer { raw_html: false, resolve: &resolve, root: "/", local_images_only: false };
        assert_eq!(r.inline("Run `sfc /scannow`"), "Run <code>sfc /scannow</code>");
    }

    #[test]
    fn record_link_syntax() {
        assert_eq!(parse_record_link("@/a/b.toml").unwrap().0.as_str(), "a/b");
        assert!(parse_record_link("@/../etc/passwd").is_none());
        assert!(parse_record_link("@/").is_none());
        assert_eq!(record_link_targets("[a](@/x/y) [b](https://e.com) ![c](@/p/q)"), vec!["@/x/y", "@/p/q"]);
    }

    #[test]
    fn plain_text_keeps_words_not_markup() {
        let text = plain_text("Run **`gpupdate /force`** then see [the guide](https://example.com/x).\n\n<b>raw</b> ![a diagram](d.png)");
        assert_eq!(text, "Run gpupdate /force then see the guide.\nraw a diagram\n");
    }

    #[test]
    fn raw_html_in_exports_becomes_text() {
        assert_eq!(escape_raw_html("a <b>bold</b> `<code>`\n\n<div onclick=x>y</div>\n"), "a &lt;b>bold&lt;/b> `<code>`\n\n&lt;div onclick=x>y&lt;/div>\n");
        assert_eq!(escape_raw_html("plain"), "plain");
    }

    #[test]
    fn links_from_the_site_root_follow_the_page() {
        let resolve = |_: &RecordId| None;
        let r = Renderer { raw_html: false, resolve: &resolve, root: "../../", local_images_only: true };
        let html = r.block("![d](/img/d.svg) [pdf](/files/a.pdf) [ext](//cdn.example.com/x) [abs](https://e.com/y)");
        assert!(html.contains("src=\"../../img/d.svg\"") && html.contains("href=\"../../files/a.pdf\""), "{html}");
        assert!(html.contains("href=\"//cdn.example.com/x\"") && html.contains("href=\"https://e.com/y\""), "{html}");
        let offline = r.block("![A chart](https://cdn.example.com/c.png) ![local](/img/d.svg)");
        assert!(offline.contains("<a href=\"https://cdn.example.com/c.png\">A chart</a>"), "a remote image becomes a link offline: {offline}");
        assert!(offline.contains("<img src=\"../../img/d.svg\""), "{offline}");
    }
}
