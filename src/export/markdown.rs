//! GitHub-flavoured Markdown: a page per record, a page per product, `Home.md` and
//! `_Sidebar.md`. Callouts are GitHub alerts (`> [!WARNING]`), which Obsidian reads as
//! callouts; steps are task lists; each record page starts with YAML front matter.

use std::fmt::Write;

use serde_json::json;

use super::{LinkForm, PageNames};
use crate::markdown::{drop_script_links, escape_text, has_live_markup, inert, parse_record_link, record_links_at};
use crate::record::{CalloutKind, Record};
use crate::site::Site;
use crate::url;

/// Every page as (file name, Markdown).
pub fn pages(site: &Site, links: LinkForm) -> Vec<(String, String)> {
    let names = PageNames::new(site);
    let link = |page: &str| match links {
        LinkForm::Files => format!("{page}.md"),
        LinkForm::Pages => page.to_string(),
    };
    let mut out = Vec::new();
    out.push((format!("{}.md", names.home), home(site, &names, &link)));
    out.push(("_Sidebar.md".to_string(), sidebar(site, &names, &link)));
    for (key, list) in &site.by_product {
        out.push((format!("{}.md", names.products[key]), product(site, key, list, &names, &link)));
    }
    for (i, r) in site.records.iter().enumerate() {
        let mut page = record(site, r, &names, &link, false);
        // Fields are made inert one by one; the page as a whole is read again, and if markup
        // came alive between fields, every Markdown field is written as text instead.
        if !site.config.markdown.raw_html && has_live_markup(&page, true) {
            page = record(site, r, &names, &link, true);
        }
        out.push((format!("{}.md", names.records[i]), page));
    }
    out
}

fn product_name<'a>(site: &'a Site, key: &'a str) -> &'a str {
    site.config.product(key).map_or(key, |p| p.name.as_str())
}

/// Plain text on one line (titles, names, the summary: what the site shows as text), for a
/// paragraph, a heading, a table cell or a link's brackets.
fn inline(text: &str) -> String {
    escape_text(&text.replace(['\n', '\r'], " "))
}

fn home(site: &Site, names: &PageNames, link: &dyn Fn(&str) -> String) -> String {
    let mut md = format!("# {}\n\n", inline(&site.config.title));
    if let Some(d) = &site.config.description {
        let _ = writeln!(md, "{}\n", inline(d));
    }
    let _ = writeln!(md, "{} error codes in {} products.\n\n## Products\n", site.records.len(), site.by_product.len());
    for (key, list) in &site.by_product {
        let _ = writeln!(md, "- [{}]({}) ({} codes)", inline(product_name(site, key)), link(&names.products[key]), list.len());
    }
    md
}

fn sidebar(site: &Site, names: &PageNames, link: &dyn Fn(&str) -> String) -> String {
    let mut md = format!("**[{}]({})**\n\n", inline(&site.config.title), link(&names.home));
    for key in site.by_product.keys() {
        let _ = writeln!(md, "- [{}]({})", inline(product_name(site, key)), link(&names.products[key]));
    }
    md
}

fn product(site: &Site, key: &str, list: &[usize], names: &PageNames, link: &dyn Fn(&str) -> String) -> String {
    let mut md = format!("# {}\n\n", inline(product_name(site, key)));
    if let Some(d) = site.config.product(key).and_then(|p| p.description.as_deref()) {
        let _ = writeln!(md, "{}\n", inline(d));
    }
    let _ = writeln!(md, "[{}]({}) › {}\n\n| Code | Problem |\n|---|---|", inline(&site.config.title), link(&names.home), inline(product_name(site, key)));
    for &i in list {
        let r = &site.records[i];
        let _ = writeln!(md, "| [`{}`]({}) | {} |", r.code().replace('`', "'"), link(&names.records[i]), inline(&r.title));
    }
    md
}

/// A record's page. Markdown fields are as inert as on the site (see [`inert`]); `all_text`
/// writes them as plain text.
fn record(site: &Site, r: &Record, names: &PageNames, link: &dyn Fn(&str) -> String, all_text: bool) -> String {
    let raw_html = site.config.markdown.raw_html;
    let resolve = |text: &str| {
        if all_text {
            return escape_text(text);
        }
        let text = rewrite_links(text, site, names, link);
        if raw_html {
            drop_script_links(&text)
        } else {
            inert(&text)
        }
    };
    let product = product_name(site, r.product());
    let mut md = front_matter(site, r, product);
    let _ = writeln!(md, "# {}\n", inline(&r.title));
    let _ = writeln!(
        md,
        "[{}]({}) › [{}]({}) › `{}`\n",
        inline(&site.config.title),
        link(&names.home),
        inline(product),
        link(&names.products[r.product()]),
        r.code().replace('`', "'")
    );
    let mut facts = format!("**Code** `{}` · **Product** {}", r.code().replace('`', "'"), inline(product));
    if let Some(s) = r.severity {
        let _ = write!(facts, " · **Severity** {}", s.as_str());
    }
    if let Some(t) = &r.estimated_time {
        let _ = write!(facts, " · **Time to fix** {}", inline(t));
    }
    let _ = writeln!(md, "{facts}\n\n{}\n", inline(&r.summary));
    if !r.aliases.is_empty() {
        let aliases: Vec<String> = r.aliases.iter().map(|a| format!("`{}`", a.replace('`', "'"))).collect();
        let _ = writeln!(md, "Also seen as: {}\n", aliases.join(", "));
    }
    if let Some(q) = &r.quick_answer {
        let _ = writeln!(md, "## Quick answer\n\n{}\n", resolve(q));
    }
    list(&mut md, "Symptoms", &r.symptoms, &resolve);
    list(&mut md, "Quick fixes", &r.quick_fixes, &resolve);
    for s in &r.sections {
        let _ = writeln!(md, "## {}\n\n{}\n", inline(&s.heading), demote(&resolve(&s.body)));
    }
    let order = crate::guide::order(r);
    if !order.is_empty() {
        md.push_str("## Guided fix\n\nTry the fixes in this order; stop when one works.\n\n");
        for (n, a) in order.iter().enumerate() {
            let fix = &r.fixes[a.fix];
            let cause = a.cause.map(|c| format!(" (for: {})", inline(&r.causes[c].title))).unwrap_or_default();
            let _ = writeln!(md, "{}. [{}](#{}){cause}", n + 1, inline(&fix.title), anchor(&fix.title));
        }
        md.push('\n');
    }
    if !r.causes.is_empty() {
        md.push_str("## Causes\n\n");
        let mut causes: Vec<_> = r.causes.iter().collect();
        causes.sort_by_key(|c| c.likelihood);
        for c in causes {
            let _ = writeln!(md, "### {} ({} likelihood)\n", inline(&c.title), c.likelihood.as_str());
            if let Some(d) = &c.detail {
                let _ = writeln!(md, "{}\n", demote(&resolve(d)));
            }
            let fixed: Vec<String> = r
                .fixes
                .iter()
                .filter(|f| f.causes.iter().any(|id| id.get_ref() == c.id.get_ref()))
                .map(|f| format!("[{}](#{})", inline(&f.title), anchor(&f.title)))
                .collect();
            if !fixed.is_empty() {
                let _ = writeln!(md, "Fixed by: {}\n", fixed.join(", "));
            }
        }
    }
    if !r.fixes.is_empty() {
        md.push_str("## Fixes\n\n");
        for f in &r.fixes {
            let _ = writeln!(md, "### {}\n\n*Difficulty: {}*\n", inline(&f.title), f.difficulty.as_str());
            if let Some(d) = &f.detail {
                let _ = writeln!(md, "{}\n", demote(&resolve(d)));
            }
        }
    }
    if !r.steps.is_empty() {
        md.push_str("## Steps\n\n");
        for s in &r.steps {
            let _ = writeln!(md, "- [ ] **{}**", inline(&s.title));
            for text in s.body.iter() {
                let _ = writeln!(md, "\n{}", indent(&resolve(text)));
            }
            if let Some(tip) = &s.tip {
                // Plain text on the site.
                let _ = writeln!(md, "\n{}", indent(&format!("*Tip:* {}", escape_text(tip))));
            }
            md.push('\n');
        }
    }
    for c in &r.callouts {
        let kind = match c.kind {
            CalloutKind::Tip => "TIP",
            CalloutKind::Warning => "WARNING",
            CalloutKind::Note => "NOTE",
        };
        let _ = writeln!(md, "> [!{kind}]\n{}\n", quote(&resolve(&c.text)));
    }
    if !r.faq.is_empty() {
        md.push_str("## FAQ\n\n");
        for q in &r.faq {
            let _ = writeln!(md, "### {}\n\n{}\n", inline(&q.question), demote(&resolve(&q.answer)));
        }
    }
    // Plain text on the site.
    list(&mut md, "Takeaways", &r.takeaways, &|t: &str| escape_text(t));
    let related: Vec<String> = r
        .related
        .iter()
        .filter_map(|id| {
            let target = crate::record::RecordId::from_reference(id.get_ref());
            let (other, _) = site.get(&target)?;
            Some(format!("- [{}]({})", inline(&other.title), link(names.record(site, &target)?)))
        })
        .collect();
    if !related.is_empty() {
        let _ = writeln!(md, "## Related\n\n{}\n", related.join("\n"));
    }
    md.trim_end().to_string() + "\n"
}

/// YAML front matter; values are JSON strings and lists, which YAML reads as they are.
fn front_matter(site: &Site, r: &Record, product: &str) -> String {
    let mut fm = String::from("---\n");
    let mut put = |k: &str, v: serde_json::Value| {
        let _ = writeln!(fm, "{k}: {}", markup_free_json(&v));
    };
    put("title", json!(r.title));
    put("code", json!(r.code()));
    put("product", json!(product));
    put("product_key", json!(r.product()));
    put("summary", json!(r.summary));
    if !r.aliases.is_empty() {
        put("aliases", json!(r.aliases));
    }
    if let Some(s) = r.severity {
        put("severity", json!(s.as_str()));
    }
    if !r.tags.is_empty() {
        put("tags", json!(r.tags));
    }
    if !r.platforms.is_empty() {
        put("platforms", json!(r.platforms));
    }
    if let Some(d) = r.updated {
        put("updated", json!(d.to_string()));
    }
    if let Some(d) = r.reviewed {
        put("reviewed", json!(d.to_string()));
    }
    put("source", json!(format!("{}{}", site.config.base_url(), url::record_path(r.product(), r.code()))));
    fm.push_str("---\n\n");
    fm
}

/// JSON (a YAML value) with the characters that start Markdown markup written as `\u` escapes
/// inside strings: a renderer that does not know front matter reads it as a paragraph or a
/// heading, and must find text there, no tag, link or image.
fn markup_free_json(v: &serde_json::Value) -> String {
    let json = v.to_string();
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string && !escaped && matches!(c, '<' | '>' | '&' | '[' | ']' | '(' | ')' | '!' | '*' | '_' | '`' | '~' | ':') {
            let _ = write!(out, "\\u{:04x}", c as u32);
            continue;
        }
        if in_string && !escaped && c == '"' {
            in_string = false;
        } else if !in_string && c == '"' {
            in_string = true;
        }
        escaped = in_string && !escaped && c == '\\';
        out.push(c);
    }
    out
}

fn list(md: &mut String, heading: &str, items: &[String], resolve: &dyn Fn(&str) -> String) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(md, "## {heading}\n");
    for item in items {
        let _ = writeln!(md, "- {}", resolve(item).trim().replace('\n', "\n  "));
    }
    md.push('\n');
}

/// `@/remote-desktop/0x204#causes` links become links to the exported page. One pass over
/// the text, however many links it has.
fn rewrite_links(text: &str, site: &Site, names: &PageNames, link: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (dest, span) in record_links_at(text) {
        if span.start < at {
            continue;
        }
        let Some((id, fragment)) = parse_record_link(&dest) else { continue };
        let Some(page) = names.record(site, &id) else { continue };
        out.push_str(&text[at..span.start]);
        out.push_str(&link(page));
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(&f);
        }
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Headings inside a field sit below the page's own (`#` becomes `####`).
fn demote(text: &str) -> String {
    let mut in_code = false;
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~") {
                in_code = !in_code;
            }
            if !in_code && l.starts_with('#') {
                format!("###{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("  {l}") }).collect::<Vec<_>>().join("\n")
}

fn quote(text: &str) -> String {
    text.trim().lines().map(|l| if l.is_empty() { ">".to_string() } else { format!("> {l}") }).collect::<Vec<_>>().join("\n")
}

/// The anchor GitHub gives a heading: lowercase, spaces to `-`, punctuation dropped.
pub fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().collect::<String>())
            } else if c == ' ' {
                Some("-".to_string())
            } else {
                None
            }
        })
        .collect()
}
