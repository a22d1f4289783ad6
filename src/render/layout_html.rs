//! The frame every page of the default theme shares (`base.html`: head, site header,
//! breadcrumbs, footer and scripts), for the pages written without Tera
//! ([`super::record_html`], [`super::listing_html`]). Same rules as there: the output is
//! byte-identical to Tera's, which `tests/it/theme.rs` checks.

use super::views::{PageMeta, SiteView};
use crate::escape::escape_into;

/// One page being written: `raw` is template text or safe HTML, `text` is escaped.
pub(super) struct Html(pub(super) String);

impl Html {
    pub(super) fn raw(&mut self, s: &str) -> &mut Self {
        self.0.push_str(s);
        self
    }

    pub(super) fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.0, s);
        self
    }

    pub(super) fn num(&mut self, n: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        write!(self.0, "{n}").expect("writing to a String cannot fail");
        self
    }
}

/// Tera's `capitalize`: the first character upper case, the rest lower case.
pub(super) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => first.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase(),
    }
}

/// A whole page of `base.html` with `content` as its content block (which Tera starts
/// with the line break after `{% block content %}`).
pub(super) fn page(site: &SiteView, page: &PageMeta, capacity: usize, content: impl FnOnce(&mut Html)) -> String {
    let mut h = Html(String::with_capacity(capacity));
    head(&mut h, site, page);
    header(&mut h, site, page);
    h.raw("\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n");
    content(&mut h);
    h.raw("\n</main>\n<!-- /fixbook:page -->\n<footer class=\"site-footer\">\n<div class=\"wrap footer-inner\">\n");
    footer(&mut h, site);
    h.raw("\n</div>\n</footer>\n");
    let a = site.assets_url.as_str();
    for script in ["fixbook.js", "fixbook-guide.js"] {
        h.raw("<script src=\"").text(a).raw(script).raw("\" defer></script>\n");
    }
    h.raw("<script src=\"").text(a).raw("fixbook-analyze.js\" defer></script>\n");
    h.raw("<script src=\"").text(a).raw("fixbook-search.js\" defer></script>\n");
    h.raw("<script src=\"").text(a).raw("fixbook-search-ui.js\" defer></script>\n");
    h.raw("<script src=\"").text(a).raw("fixbook-suggest.js\" defer></script>");
    h.raw("\n</body>\n</html>\n");
    h.0
}

fn head(h: &mut Html, site: &SiteView, page: &PageMeta) {
    h.raw("<!doctype html>\n<html lang=\"").text(site.language).raw("\">\n<head>\n<meta charset=\"utf-8\">\n");
    if let Some(csp) = site.content_security_policy.as_deref().filter(|s| !s.is_empty()) {
        h.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"").text(csp).raw("\">\n");
    }
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    if page.title != site.title {
        h.text(&page.title).raw(" · ");
    }
    h.text(site.title).raw("</title>\n");
    let description = !page.description.is_empty();
    let canonical = !page.canonical.is_empty();
    if description {
        h.raw("<meta name=\"description\" content=\"").text(&page.description).raw("\">\n");
    }
    if canonical {
        h.raw("<link rel=\"canonical\" href=\"").text(&page.canonical).raw("\">\n");
    }
    h.raw("<meta name=\"color-scheme\" content=\"light dark\">\n<meta property=\"og:type\" content=\"").text(page.og_type);
    h.raw("\">\n<meta property=\"og:site_name\" content=\"").text(site.title);
    h.raw("\">\n<meta property=\"og:title\" content=\"").text(&page.title).raw("\">\n");
    if description {
        h.raw("<meta property=\"og:description\" content=\"").text(&page.description).raw("\">\n");
    }
    if canonical {
        h.raw("<meta property=\"og:url\" content=\"").text(&page.canonical).raw("\">\n");
    }
    h.raw("<meta property=\"og:locale\" content=\"").text(&site.language.replace('-', "_"));
    h.raw("\">\n<meta name=\"twitter:card\" content=\"summary\">\n<meta name=\"twitter:title\" content=\"").text(&page.title).raw("\">\n");
    if description {
        h.raw("<meta name=\"twitter:description\" content=\"").text(&page.description).raw("\">\n");
    }
    h.raw("<link rel=\"icon\" href=\"").text(&site.assets_url).raw("favicon.svg\" type=\"image/svg+xml\">\n");
    h.raw("<link rel=\"stylesheet\" href=\"").text(&site.assets_url).raw("fixbook.css\">\n");
    if !site.feed_url.is_empty() {
        h.raw("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"").text(site.title);
        h.raw(": recently updated\" href=\"").text(&site.feed_url).raw("\">\n");
    }
    if let Some(json_ld) = page.json_ld.as_deref().filter(|s| !s.is_empty()) {
        h.raw("<script type=\"application/ld+json\">").raw(json_ld).raw("</script>\n");
    }
    h.raw("\n</head>\n");
}

fn header(h: &mut Html, site: &SiteView, page: &PageMeta) {
    h.raw("<body>\n<a class=\"skip-link\" href=\"#main\">Skip to content</a>\n<header class=\"site-header\">\n<div class=\"wrap header-inner\">\n");
    h.raw("<a class=\"brand\" href=\"").text(&site.home_url).raw("\"><img src=\"").text(&site.assets_url);
    h.raw("favicon.svg\" alt=\"\" width=\"28\" height=\"28\"><span>").text(site.title).raw("</span></a>\n");
    h.raw("\n<form class=\"site-search\" role=\"search\" aria-label=\"Search the help center\" action=\"").text(&site.search_url);
    h.raw("\" method=\"get\" data-fixbook-search=\"").text(&site.search_index_url).raw("\">\n");
    h.raw("<label class=\"visually-hidden\" for=\"fixbook-q\">Search error codes and articles</label>\n");
    h.raw("<input id=\"fixbook-q\" class=\"search-input\" type=\"search\" name=\"q\" placeholder=\"Search codes, messages…\" autocomplete=\"off\" spellcheck=\"false\" aria-keyshortcuts=\"/\">\n");
    h.raw("<kbd class=\"search-key\" aria-hidden=\"true\">/</kbd>\n</form>\n");
    h.raw("\n<nav class=\"site-nav\" aria-label=\"Main\">\n<ul>\n<li><a href=\"").text(&site.home_url).raw("#products\">Products</a></li>\n");
    let current = |path: &str| if page.path == path { " aria-current=\"page\"" } else { "" };
    h.raw("<li><a href=\"").text(&site.codes_url).raw("\"").raw(current("codes/")).raw(">Codes A–Z</a></li>\n");
    h.raw("<li><a href=\"").text(&site.tags_url).raw("\"").raw(current("tags/")).raw(">Tags</a></li>\n");
    h.raw("</ul>\n</nav>\n</div>\n</header>\n<!-- fixbook:page -->\n");
    if !page.breadcrumbs.is_empty() {
        h.raw("\n<nav class=\"breadcrumbs wrap\" aria-label=\"Breadcrumb\">\n<ol>\n<li><a href=\"").text(&site.home_url).raw("\">Home</a></li>\n");
        let last = page.breadcrumbs.len() - 1;
        for (n, c) in page.breadcrumbs.iter().enumerate() {
            h.raw("<li><a href=\"").text(&c.url).raw(if n == last { "\" aria-current=\"page\">" } else { "\">" });
            h.text(&c.name).raw("</a></li>\n");
        }
        h.raw("\n</ol>\n</nav>\n");
    }
}

fn footer(h: &mut Html, site: &SiteView) {
    h.raw("\n<nav aria-label=\"Products\">\n<h2 class=\"footer-title\">Products</h2>\n<ul class=\"footer-links\">\n");
    for p in &site.footer_products {
        h.raw("<li><a href=\"").text(&p.url).raw("\">").text(p.name).raw("</a></li>\n");
    }
    if site.products.len() > site.footer_products.len() {
        h.raw("<li><a href=\"").text(&site.home_url).raw("#products\">All ").num(site.products.len()).raw(" products</a></li>\n");
    }
    h.raw("\n</ul>\n</nav>\n<p class=\"footer-meta\">").num(site.record_count).raw(" error codes · <a href=\"").text(&site.codes_url).raw("\">Codes A–Z</a>");
    if !site.feed_url.is_empty() {
        h.raw(" · <a href=\"").text(&site.feed_url).raw("\">Recently updated (Atom)</a>");
    }
    h.raw("</p>\n");
}
