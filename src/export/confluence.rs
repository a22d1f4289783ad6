//! Confluence storage format: one XHTML page per record and product plus a home page, with
//! Confluence's own macros (info/note/warning/tip, expand, code, task lists) and `ac:link`s
//! between pages by title, and `manifest.json`: the page tree in upload order.

use std::collections::HashSet;
use std::fmt::Write;

use serde_json::json;

use super::PageNames;
use crate::escape::escape;
use crate::markdown::Renderer;
use crate::record::{CalloutKind, Record, RecordId};
use crate::site::Site;

/// Record links in Markdown become this URL first, then `ac:link`s.
const PAGE_LINK: &str = "fixbook-page:";

/// The upload script written beside the pages (see the README for what it needs).
const UPLOAD_SCRIPT: &str = include_str!("upload-confluence.sh");

/// Every file as (path, contents): `pages/<Name>.xml`, `manifest.json`, `upload-confluence.sh`.
pub fn files(site: &Site) -> Vec<(String, String)> {
    let names = PageNames::new(site);
    let titles = Titles::new(site);
    let mut pages: Vec<(String, String, Option<String>, String)> = Vec::new(); // (name, title, parent, body)
    pages.push((names.home.clone(), titles.home.clone(), None, home(site, &titles)));
    for (key, list) in &site.by_product {
        pages.push((names.products[key].clone(), titles.products[key].clone(), Some(titles.home.clone()), product(site, list, &titles)));
    }
    for (i, r) in site.records.iter().enumerate() {
        let parent = titles.products[r.product()].clone();
        pages.push((names.records[i].clone(), titles.records[i].clone(), Some(parent), record(site, r, &titles)));
    }
    let manifest: Vec<serde_json::Value> =
        pages.iter().map(|(name, title, parent, _)| json!({ "file": format!("pages/{name}.xml"), "title": title, "parent": parent })).collect();
    let mut out: Vec<(String, String)> = pages.into_iter().map(|(name, _, _, body)| (format!("pages/{name}.xml"), body)).collect();
    let manifest = json!({ "format": "confluence-storage", "site": site.config.title, "pages": manifest });
    out.push(("manifest.json".into(), serde_json::to_string_pretty(&manifest).expect("JSON") + "\n"));
    out.push(("upload-confluence.sh".into(), UPLOAD_SCRIPT.to_string()));
    out
}

/// Page titles, unique within the space as Confluence requires.
struct Titles {
    home: String,
    products: std::collections::BTreeMap<String, String>,
    records: Vec<String>,
}

impl Titles {
    fn new(site: &Site) -> Titles {
        let mut taken: HashSet<String> = HashSet::new();
        let mut claim = |wanted: String, fallback: String| {
            let mut title = if taken.contains(&wanted.to_lowercase()) { fallback } else { wanted };
            let base = title.clone();
            let mut n = 2;
            while taken.contains(&title.to_lowercase()) {
                title = format!("{base} ({n})");
                n += 1;
            }
            taken.insert(title.to_lowercase());
            title
        };
        let home = claim(site.config.title.clone(), site.config.title.clone());
        let product_name = |k: &str| site.config.product(k).map_or(k.to_string(), |p| p.name.clone());
        let products = site.by_product.keys().map(|k| (k.clone(), claim(product_name(k), format!("{} ({k})", product_name(k))))).collect();
        let records = site.records.iter().map(|r| claim(r.title.clone(), format!("{} ({}, {})", r.title, r.code(), product_name(r.product())))).collect();
        Titles { home, products, records }
    }
}

fn page_link(title: &str, anchor: Option<&str>, body: &str) -> String {
    let anchor = anchor.map(|a| format!(" ac:anchor=\"{}\"", escape(a))).unwrap_or_default();
    format!("<ac:link{anchor}><ri:page ri:content-title=\"{}\" /><ac:link-body>{body}</ac:link-body></ac:link>", escape(title))
}

fn macro_body(name: &str, title: Option<&str>, body: &str) -> String {
    let title = title.map(|t| format!("<ac:parameter ac:name=\"title\">{}</ac:parameter>", escape(t))).unwrap_or_default();
    format!("<ac:structured-macro ac:name=\"{name}\">{title}<ac:rich-text-body>{body}</ac:rich-text-body></ac:structured-macro>")
}

/// Markdown as storage-format XHTML: raw HTML always as text (pages must be well-formed
/// XML), record links as `ac:link`s, code blocks as the code macro.
fn xhtml(site: &Site, titles: &Titles, text: &str) -> String {
    let resolve = |id: &RecordId| site.by_id.get(id).map(|&i| format!("{PAGE_LINK}{}", urlencode(&titles.records[i])));
    let html = Renderer { raw_html: false, resolve: &resolve, root: &site.config.base_url(), local_images_only: false }.block(text);
    code_macros(&page_links(&html))
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn urldecode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `<a href="fixbook-page:Title#anchor">text</a>` -> `<ac:link>`.
fn page_links(html: &str) -> String {
    let open = format!("<a href=\"{PAGE_LINK}");
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        let (Some(q), Some(close)) = (after.find('"'), after.find("</a>")) else { break };
        let target = &after[..q];
        let body_start = after[q..].find('>').map_or(q, |g| q + g + 1);
        let body = &after[body_start..close];
        let (title, anchor) = target.split_once('#').map_or((target, None), |(t, a)| (t, Some(a)));
        out.push_str(&page_link(&urldecode(title), anchor, body));
        rest = &after[close + "</a>".len()..];
    }
    out.push_str(rest);
    out
}

/// `<pre tabindex="0"><code class="language-x">...</code></pre>` -> the code macro.
fn code_macros(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<pre") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let (Some(code_start), Some(end)) = (after.find("<code"), after.find("</code></pre>")) else {
            out.push_str(after);
            return out;
        };
        let tag_end = after[code_start..].find('>').map_or(code_start, |g| code_start + g + 1);
        let language = after[code_start..tag_end].split("language-").nth(1).and_then(|l| l.split('"').next()).unwrap_or("");
        let code = unescape(&after[tag_end..end]);
        out.push_str("<ac:structured-macro ac:name=\"code\">");
        if !language.is_empty() {
            let _ = write!(out, "<ac:parameter ac:name=\"language\">{}</ac:parameter>", escape(language));
        }
        let _ = write!(out, "<ac:plain-text-body><![CDATA[{}]]></ac:plain-text-body></ac:structured-macro>", code.replace("]]>", "]]]]><![CDATA[>"));
        rest = &after[end + "</code></pre>".len()..];
    }
    out.push_str(rest);
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn home(site: &Site, titles: &Titles) -> String {
    let mut x = String::new();
    if let Some(d) = &site.config.description {
        let _ = write!(x, "<p>{}</p>", escape(d));
    }
    let _ = write!(x, "<p>{} error codes in {} products.</p><h2>Products</h2><ul>", site.records.len(), site.by_product.len());
    for (key, list) in &site.by_product {
        let _ = write!(x, "<li>{} ({} codes)</li>", page_link(&titles.products[key], None, &escape(&titles.products[key])), list.len());
    }
    x.push_str("</ul>");
    x
}

fn product(site: &Site, list: &[usize], titles: &Titles) -> String {
    let mut x = String::from("<table><tbody><tr><th>Code</th><th>Problem</th></tr>");
    for &i in list {
        let r = &site.records[i];
        let _ = write!(x, "<tr><td><code>{}</code></td><td>{}</td></tr>", escape(r.code()), page_link(&titles.records[i], None, &escape(&r.title)));
    }
    x.push_str("</tbody></table>");
    x
}

fn record(site: &Site, r: &Record, titles: &Titles) -> String {
    let md = |text: &str| xhtml(site, titles, text);
    let product = site.config.product(r.product()).map_or(r.product(), |p| p.name.as_str());
    let mut x = String::new();
    let mut facts = format!("<strong>Code</strong> <code>{}</code> · <strong>Product</strong> {}", escape(r.code()), escape(product));
    if let Some(s) = r.severity {
        let _ = write!(facts, " · <strong>Severity</strong> {}", s.as_str());
    }
    if let Some(t) = &r.estimated_time {
        let _ = write!(facts, " · <strong>Time to fix</strong> {}", escape(t));
    }
    let _ = write!(x, "<p>{facts}</p><p>{}</p>", escape(&r.summary));
    if !r.aliases.is_empty() {
        let aliases: Vec<String> = r.aliases.iter().map(|a| format!("<code>{}</code>", escape(a))).collect();
        let _ = write!(x, "<p>Also seen as: {}</p>", aliases.join(", "));
    }
    if let Some(q) = &r.quick_answer {
        let _ = write!(x, "<h2>Quick answer</h2>{}", md(q));
    }
    let list = |x: &mut String, heading: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = write!(x, "<h2>{heading}</h2><ul>");
            for i in items {
                let _ = write!(x, "<li>{}</li>", md(i));
            }
            x.push_str("</ul>");
        }
    };
    list(&mut x, "Symptoms", &r.symptoms);
    list(&mut x, "Quick fixes", &r.quick_fixes);
    for s in &r.sections {
        let _ = write!(x, "<h2>{}</h2>{}", escape(&s.heading), md(&s.body));
    }
    let order = crate::guide::order(r);
    if !order.is_empty() {
        x.push_str("<h2>Guided fix</h2><p>Try the fixes in this order; stop when one works.</p><ol>");
        for a in &order {
            let cause = a.cause.map(|c| format!(" (for: {})", escape(&r.causes[c].title))).unwrap_or_default();
            let _ = write!(x, "<li>{}{cause}</li>", escape(&r.fixes[a.fix].title));
        }
        x.push_str("</ol>");
    }
    if !r.causes.is_empty() {
        x.push_str("<h2>Causes</h2>");
        let mut causes: Vec<_> = r.causes.iter().collect();
        causes.sort_by_key(|c| c.likelihood);
        for c in causes {
            let _ = write!(x, "<h3>{} ({} likelihood)</h3>", escape(&c.title), c.likelihood.as_str());
            if let Some(d) = &c.detail {
                x.push_str(&md(d));
            }
            let fixed: Vec<String> = r.fixes.iter().filter(|f| f.causes.iter().any(|id| id.get_ref() == c.id.get_ref())).map(|f| escape(&f.title)).collect();
            if !fixed.is_empty() {
                let _ = write!(x, "<p>Fixed by: {}</p>", fixed.join(", "));
            }
        }
    }
    if !r.fixes.is_empty() {
        x.push_str("<h2>Fixes</h2>");
        for f in &r.fixes {
            let _ = write!(x, "<h3>{}</h3><p><em>Difficulty: {}</em></p>", escape(&f.title), f.difficulty.as_str());
            if let Some(d) = &f.detail {
                x.push_str(&md(d));
            }
        }
    }
    if !r.steps.is_empty() {
        x.push_str("<h2>Steps</h2><ac:task-list>");
        for (n, s) in r.steps.iter().enumerate() {
            let mut body = format!("<strong>{}</strong>", escape(&s.title));
            if let Some(b) = &s.body {
                body.push_str(&md(b));
            }
            if let Some(tip) = &s.tip {
                // Plain text on the site.
                let _ = write!(body, "<p><em>Tip:</em> {}</p>", escape(tip));
            }
            let _ = write!(
                x,
                "<ac:task><ac:task-id>{}</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>{body}</ac:task-body></ac:task>",
                n + 1
            );
        }
        x.push_str("</ac:task-list>");
    }
    for c in &r.callouts {
        let name = match c.kind {
            CalloutKind::Tip => "tip",
            CalloutKind::Warning => "warning",
            CalloutKind::Note => "info",
        };
        x.push_str(&macro_body(name, None, &md(&c.text)));
    }
    if !r.faq.is_empty() {
        x.push_str("<h2>FAQ</h2>");
        for q in &r.faq {
            x.push_str(&macro_body("expand", Some(&q.question), &md(&q.answer)));
        }
    }
    // Plain text on the site.
    if !r.takeaways.is_empty() {
        let items: Vec<String> = r.takeaways.iter().map(|t| format!("<li>{}</li>", escape(t))).collect();
        let _ = write!(x, "<h2>Takeaways</h2><ul>{}</ul>", items.concat());
    }
    let related: Vec<String> = r
        .related
        .iter()
        .filter_map(|id| {
            let i = *site.by_id.get(&RecordId::from_reference(id.get_ref()))?;
            Some(format!("<li>{}</li>", page_link(&titles.records[i], None, &escape(&site.records[i].title))))
        })
        .collect();
    if !related.is_empty() {
        let _ = write!(x, "<h2>Related</h2><ul>{}</ul>", related.concat());
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_code_become_confluence_elements() {
        let html = "<p>See <a href=\"fixbook-page:A%20%26%20B#causes\">the <em>other</em> one</a>.</p>";
        assert_eq!(
            page_links(html),
            "<p>See <ac:link ac:anchor=\"causes\"><ri:page ri:content-title=\"A &amp; B\" /><ac:link-body>the <em>other</em> one</ac:link-body></ac:link>.</p>"
        );
        let code = code_macros("<pre tabindex=\"0\"><code class=\"language-sh\">a &lt; b ]]&gt;\n</code></pre>");
        assert_eq!(code, "<ac:structured-macro ac:name=\"code\"><ac:parameter ac:name=\"language\">sh</ac:parameter><ac:plain-text-body><![CDATA[a < b ]]]]><![CDATA[>\n]]></ac:plain-text-body></ac:structured-macro>");
    }
}
