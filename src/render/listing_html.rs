//! The default theme's product and tag listings (`product.html`, `tag.html` and the
//! `record_list` and `pagination` macros, in `base.html`), written straight from the views
//! instead of through Tera.
//!
//! After record pages went without Tera, listings were most of what was left of it: every
//! card's fields looked up in a JSON context, and the whole list copied into each macro call.
//! Used only while the site overrides none of those templates
//! ([`crate::theme::Theme::compiled_listings`]); the output is byte-identical to Tera's,
//! which `tests/it/theme.rs` checks page by page, so a change to one of the templates must be
//! made here too.

use super::layout_html::{self, capitalize, Html};
use super::views::{PageMeta, PaginationView, ProductView, RecordCard, SiteView, TagView};

/// A page of a product's records, as Tera renders `product.html`.
pub fn product_page(site: &SiteView, page: &PageMeta, product: &ProductView, cards: &[RecordCard], pagination: &PaginationView) -> String {
    layout_html::page(site, page, 4096 + cards.len() * 600, |h| {
        h.raw("\n<header class=\"page-header\">\n<p class=\"eyebrow\">Product</p>\n<h1>").text(product.name).raw("</h1>\n");
        if let Some(description) = product.description.filter(|d| !d.is_empty()) {
            h.raw("<p class=\"lead\">").text(description).raw("</p>");
        }
        h.raw("\n<p class=\"muted\">").num(product.count).raw(" error code").raw(plural(product.count)).raw("</p>\n</header>\n");
        if cards.is_empty() {
            h.raw("<p>No records for this product yet.</p>");
        } else {
            record_list(h, cards, false);
            pages(h, pagination);
        }
        h.raw("\n");
    })
}

/// A page of the records with one tag, as Tera renders `tag.html`.
pub fn tag_page(site: &SiteView, page: &PageMeta, tag: &TagView, cards: &[RecordCard], pagination: &PaginationView) -> String {
    layout_html::page(site, page, 4096 + cards.len() * 600, |h| {
        h.raw("\n<header class=\"page-header\">\n<p class=\"eyebrow\">Tag</p>\n<h1>").text(&tag.name).raw("</h1>\n");
        h.raw("<p class=\"muted\">").num(tag.count).raw(" error code").raw(plural(tag.count)).raw("</p>\n</header>\n");
        record_list(h, cards, true);
        h.raw("\n");
        pages(h, pagination);
        h.raw("\n");
    })
}

/// Tera's `pluralize`.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The `record_list` macro.
fn record_list(h: &mut Html, cards: &[RecordCard], show_product: bool) {
    h.raw("\n<ul class=\"record-list\">\n");
    for r in cards {
        h.raw("\n<li class=\"record-card\">\n<a class=\"record-link\" href=\"").text(&r.url).raw("\"><code class=\"code\">").text(r.code);
        h.raw("</code> <span class=\"record-title\">").text(r.title).raw("</span></a>\n<p class=\"record-summary\">").text(r.summary);
        h.raw("</p>\n<p class=\"record-meta\">");
        if show_product {
            h.raw("<span>").text(r.product).raw("</span>");
        }
        if let Some(severity) = r.severity.filter(|s| !s.is_empty()) {
            h.raw("<span class=\"badge severity severity-").text(severity).raw("\">").text(&capitalize(severity)).raw("</span>");
        }
        if let Some(updated) = &r.updated {
            h.raw("<span>Updated <time datetime=\"").text(&updated.iso).raw("\">").text(&updated.long).raw("</time></span>");
        }
        h.raw("</p>\n</li>\n");
    }
    h.raw("\n</ul>\n");
}

/// The `pagination` macro.
fn pages(h: &mut Html, p: &PaginationView) {
    if p.total <= 1 {
        return;
    }
    h.raw("\n<nav class=\"pagination\" aria-label=\"Pages\">\n<ul>\n");
    if let Some(prev) = p.prev_url.as_deref().filter(|u| !u.is_empty()) {
        h.raw("<li><a href=\"").text(prev).raw("\" rel=\"prev\">← Previous</a></li>");
    }
    h.raw("\n");
    for link in &p.pages {
        match link {
            Some(link) => {
                h.raw("<li><a href=\"").text(&link.url).raw(if link.current { "\" aria-current=\"page\">" } else { "\">" });
                h.num(link.number).raw("</a></li>");
            }
            None => {
                h.raw("<li class=\"gap\" aria-hidden=\"true\">…</li>");
            }
        }
    }
    h.raw("\n");
    if let Some(next) = p.next_url.as_deref().filter(|u| !u.is_empty()) {
        h.raw("<li><a href=\"").text(next).raw("\" rel=\"next\">Next →</a></li>");
    }
    h.raw("\n</ul>\n</nav>\n");
}
