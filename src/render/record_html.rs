//! The default theme's record page (`base.html` + `record.html` + the `severity` macro, as
//! loaded without indentation), written straight from the views instead of through Tera.
//!
//! Record pages are nearly all of a site, and for them Tera's variable lookups and the JSON
//! context each page needs were about 70% of render. This writer is used only while the site
//! overrides none of those templates ([`crate::theme::Theme::compiled_record`]); any override
//! sends every record page through Tera as before. Its output is byte-identical to Tera's:
//! `tests/it/theme.rs` renders the fixtures both ways and compares every page, so a change
//! to one of the three templates must be made here too.
//!
//! Tera's semantics kept: `{% if x %}` is false for an empty string, list or `None` and for
//! zero; every `{{ }}` is escaped with [`crate::escape::escape`] unless the template says
//! `| safe` (Markdown HTML, JSON-LD) or it is a macro's output.

use super::layout_html::{self, capitalize, Html};
use super::views::{PageMeta, RecordView, SiteView};

/// The record page for `record`, as Tera renders `record.html` of the default theme.
pub fn record_page(site: &SiteView, page: &PageMeta, record: &RecordView) -> String {
    layout_html::page(site, page, 24 * 1024, |h| content(h, site, record))
}

/// Items joined with `sep` between them, as a template's `{% if not loop.last %}` does.
fn each<T>(h: &mut Html, items: &[T], sep: &str, mut item: impl FnMut(&mut Html, &T)) {
    for (n, x) in items.iter().enumerate() {
        item(h, x);
        if n + 1 < items.len() {
            h.raw(sep);
        }
    }
}

fn content(h: &mut Html, site: &SiteView, r: &RecordView) {
    h.raw("\n<div class=\"record-layout\">\n<article class=\"record\" aria-labelledby=\"record-title\">\n");
    h.raw("\n<header class=\"record-header\">\n<p class=\"record-badges\">\n<code class=\"code code-lg\" title=\"Error code\">").text(r.code);
    h.raw("</code>\n<a class=\"badge product\" href=\"").text(&r.product.url).raw("\">").text(r.product.name).raw("</a>\n");
    if let Some(level) = r.severity.filter(|s| !s.is_empty()) {
        h.raw("<span class=\"badge severity severity-").text(level).raw("\">").text(&capitalize(level));
        h.raw("<span class=\"visually-hidden\"> severity</span></span>");
    }
    h.raw("\n</p>\n<h1 id=\"record-title\">").text(r.title).raw("</h1>\n<p class=\"lead\">").text(r.summary).raw("</p>\n");
    if !r.aliases.is_empty() {
        h.raw("<p class=\"aliases\"><span class=\"label\">Also seen as</span> ");
        each(h, r.aliases, " ", |h, a| {
            h.raw("<code class=\"code\">").text(a).raw("</code>");
        });
        h.raw("</p>");
    }
    h.raw("\n</header>\n\n\n");

    if let Some(answer) = r.quick_answer.as_deref().filter(|s| !s.is_empty()) {
        h.raw(
            "\n<section class=\"quick-answer\" id=\"quick-answer\" aria-labelledby=\"quick-answer-title\">\n<h2 id=\"quick-answer-title\">Quick answer</h2>\n",
        );
        h.raw(answer).raw("\n</section>\n");
    }
    h.raw("\n\n");

    for s in &r.sections {
        h.raw("\n<section aria-labelledby=\"").text(&s.anchor).raw("\">\n<h2 id=\"").text(&s.anchor).raw("\">").text(s.heading);
        h.raw("</h2>\n<div class=\"prose\">").raw(&s.body).raw("</div>\n</section>\n");
    }
    h.raw("\n\n");

    if !r.symptoms.is_empty() {
        h.raw("\n<section aria-labelledby=\"symptoms\">\n<h2 id=\"symptoms\">Symptoms</h2>\n<ul class=\"symptom-list\">");
        for s in &r.symptoms {
            h.raw("<li>").raw(s).raw("</li>");
        }
        h.raw("</ul>\n</section>\n");
    }
    h.raw("\n\n");

    if !r.quick_fixes.is_empty() {
        h.raw("\n<section aria-labelledby=\"quick-fixes\">\n<h2 id=\"quick-fixes\">Quick fixes</h2>\n<p class=\"muted\">Try these first; each takes a minute or two.</p>\n<ul class=\"quick-fix-list\">");
        for f in &r.quick_fixes {
            h.raw("<li>").raw(f).raw("</li>");
        }
        h.raw("</ul>\n</section>\n");
    }
    h.raw("\n\n");

    guide(h, site, r);
    h.raw("\n\n");
    diagnosis(h, r);
    h.raw("\n\n");
    steps(h, r);
    h.raw("\n\n");
    notes(h, r);
    h.raw("\n\n");
    tail(h, site, r);
}

fn guide(h: &mut Html, site: &SiteView, r: &RecordView) {
    if r.guide.is_empty() {
        return;
    }
    h.raw("\n<section class=\"guide\" id=\"guided-fix\" aria-labelledby=\"guided-fix-title\" data-fixbook-guide data-record=\"").text(r.id);
    h.raw("\" data-code=\"").text(r.code).raw("\" data-product=\"").text(r.product.name).raw("\" data-title=\"").text(r.title).raw("\"");
    if !site.support_url.is_empty() {
        h.raw(" data-support=\"").text(site.support_url).raw("\"");
    }
    if !site.feedback_url.is_empty() {
        h.raw(" data-feedback=\"").text(site.feedback_url).raw("\"");
    }
    h.raw(">\n<h2 id=\"guided-fix-title\">Guided fix</h2>\n<p class=\"muted guide-intro\">Try the fixes in this order: the most likely cause first, and for each cause its easiest fix first.</p>\n<ol class=\"guide-order\">\n");
    for a in &r.guide {
        h.raw("<li data-fix=\"").text(&a.fix_anchor).raw("\" data-difficulty=\"").text(a.difficulty).raw("\"");
        if !a.cause_anchor.is_empty() {
            h.raw(" data-cause=\"").text(&a.cause_anchor).raw("\" data-likelihood=\"").text(a.likelihood).raw("\"");
        }
        h.raw("><a href=\"#").text(&a.fix_anchor).raw("\">").text(a.fix_title).raw("</a>");
        if !a.cause_title.is_empty() {
            h.raw(" <span class=\"muted\">for: ").text(a.cause_title).raw("</span>");
        }
        h.raw("</li>\n");
    }
    h.raw("\n</ol>\n</section>\n");
}

fn diagnosis(h: &mut Html, r: &RecordView) {
    if !r.causes.is_empty() {
        h.raw("\n<section class=\"diagnosis\" aria-labelledby=\"causes\">\n<h2 id=\"causes\">Causes</h2>\n<p class=\"muted\">Most likely first. Each cause links to the fixes that address it.</p>\n<ol class=\"cause-list\">\n");
        for c in &r.causes {
            h.raw("\n<li class=\"cause\" id=\"").text(&c.anchor).raw("\">\n<div class=\"item-head\"><h3>").text(c.title);
            h.raw("</h3><span class=\"badge likelihood likelihood-")
                .text(c.likelihood)
                .raw("\">")
                .text(&capitalize(c.likelihood))
                .raw(" likelihood</span></div>\n");
            if let Some(detail) = c.detail.as_deref().filter(|s| !s.is_empty()) {
                h.raw("<div class=\"prose\">").raw(detail).raw("</div>");
            }
            h.raw("\n");
            if !c.fixed_by.is_empty() {
                h.raw("<p class=\"crosslinks\"><span class=\"label\">Fixed by</span> ");
                each(h, &c.fixed_by, ", ", |h, f| {
                    h.raw("<a href=\"#").text(&f.anchor).raw("\">").text(&f.title).raw("</a>");
                });
                h.raw("</p>");
            }
            h.raw("\n</li>\n");
        }
        h.raw("\n</ol>\n</section>\n");
    }
    h.raw("\n");
    if !r.fixes.is_empty() {
        h.raw("\n<section class=\"diagnosis\" aria-labelledby=\"fixes\">\n<h2 id=\"fixes\">Fixes</h2>\n<ol class=\"fix-list\">\n");
        for f in &r.fixes {
            h.raw("\n<li class=\"fix\" id=\"").text(&f.anchor).raw("\">\n<div class=\"item-head\"><h3>").text(f.title);
            h.raw("</h3><span class=\"badge difficulty difficulty-").text(f.difficulty).raw("\">").text(&capitalize(f.difficulty)).raw("</span></div>\n");
            if let Some(detail) = f.detail.as_deref().filter(|s| !s.is_empty()) {
                h.raw("<div class=\"prose\">").raw(detail).raw("</div>");
            }
            h.raw("\n");
            if !f.addresses.is_empty() {
                h.raw("<p class=\"crosslinks\"><span class=\"label\">Addresses</span> ");
                each(h, &f.addresses, ", ", |h, c| {
                    h.raw("<a href=\"#").text(&c.anchor).raw("\">").text(&c.title).raw("</a>");
                });
                h.raw("</p>");
            }
            h.raw("\n</li>\n");
        }
        h.raw("\n</ol>\n</section>\n");
    }
}

fn steps(h: &mut Html, r: &RecordView) {
    if r.steps.is_empty() {
        return;
    }
    h.raw("\n<section class=\"procedure\" aria-labelledby=\"steps\" data-fixbook-procedure=\"").text(r.id).raw(":").text(&r.procedure_key);
    h.raw("\">\n<div class=\"section-head\"><h2 id=\"steps\">Step by step</h2>");
    if let Some(time) = r.estimated_time.filter(|s| !s.is_empty()) {
        h.raw("<p class=\"estimate\"><span class=\"label\">Estimated time</span> ").text(time).raw("</p>");
    }
    h.raw("</div>\n<ol class=\"step-list\">\n");
    for s in &r.steps {
        h.raw("\n<li class=\"step\" id=\"").text(&s.anchor).raw("\"");
        if let Some(minutes) = s.minutes.filter(|&m| m != 0) {
            h.raw(" data-minutes=\"").num(minutes).raw("\"");
        }
        h.raw(">\n<h3><span class=\"step-number\" aria-hidden=\"true\">").num(s.number).raw("</span>").text(s.title).raw("</h3>\n");
        if let Some(body) = s.body.as_deref().filter(|s| !s.is_empty()) {
            h.raw("<div class=\"prose\">").raw(body).raw("</div>");
        }
        h.raw("\n");
        if let Some(tip) = s.tip.filter(|s| !s.is_empty()) {
            h.raw("<p class=\"step-tip\"><span class=\"label\">Tip</span> ").text(tip).raw("</p>");
        }
        h.raw("\n</li>\n");
    }
    h.raw("\n</ol>\n</section>\n");
}

/// Callouts, the FAQ and the takeaways.
fn notes(h: &mut Html, r: &RecordView) {
    if !r.callouts.is_empty() {
        h.raw("\n<section aria-labelledby=\"notes\">\n<h2 id=\"notes\">Important notes</h2>\n");
        for c in &r.callouts {
            let kind = capitalize(c.kind);
            h.raw("\n<aside class=\"callout callout-").text(c.kind).raw("\" aria-label=\"").text(&kind).raw("\">\n<p class=\"callout-title\">").text(&kind);
            h.raw("</p>\n<div class=\"prose\">").raw(&c.text).raw("</div>\n</aside>\n");
        }
        h.raw("\n</section>\n");
    }
    h.raw("\n\n");
    if !r.faq.is_empty() {
        h.raw("\n<section class=\"faq\" aria-labelledby=\"faq\">\n<h2 id=\"faq\">Frequently asked questions</h2>\n");
        for f in &r.faq {
            h.raw("\n<details class=\"faq-item\" id=\"")
                .text(&f.anchor)
                .raw("\">\n<summary><h3>")
                .text(f.question)
                .raw("</h3></summary>\n<div class=\"faq-answer prose\">\n");
            if let Some(short) = f.short.filter(|s| !s.is_empty()) {
                h.raw("<p class=\"faq-short\"><strong>").text(short).raw("</strong></p>");
            }
            h.raw("\n").raw(&f.answer).raw("\n</div>\n</details>\n");
        }
        h.raw("\n</section>\n");
    }
    h.raw("\n\n");
    if !r.takeaways.is_empty() {
        h.raw("\n<section class=\"takeaways\" aria-labelledby=\"takeaways\">\n<h2 id=\"takeaways\">Key takeaways</h2>\n<ul>");
        for t in r.takeaways {
            h.raw("<li>").text(t).raw("</li>");
        }
        h.raw("</ul>\n</section>\n");
    }
}

/// Related errors, page feedback, the record's facts and the table of contents.
fn tail(h: &mut Html, site: &SiteView, r: &RecordView) {
    if !r.related.is_empty() {
        h.raw("\n<section aria-labelledby=\"related\">\n<h2 id=\"related\">Related errors</h2>\n<ul class=\"related-list\">\n");
        for c in &r.related {
            h.raw("<li><a href=\"").text(&c.url).raw("\"><code class=\"code\">").text(c.code).raw("</code> ").text(c.title).raw("</a>");
            if c.product != r.product.name {
                h.raw(" <span class=\"muted\">(").text(c.product).raw(")</span>");
            }
            h.raw("</li>\n");
        }
        h.raw("\n</ul>\n</section>\n");
    }
    h.raw("\n\n");
    if !site.feedback_url.is_empty() {
        h.raw("\n<section class=\"page-feedback\" aria-labelledby=\"page-feedback-title\" data-fixbook-page-feedback=\"").text(site.feedback_url);
        h.raw("\" data-record=\"").text(r.id).raw("\" data-code=\"").text(r.code).raw("\" hidden>\n");
        h.raw("<h2 id=\"page-feedback-title\" class=\"feedback-question\">Was this page helpful?</h2>\n");
        h.raw("<p><button type=\"button\" class=\"button secondary\" data-helpful=\"yes\">Yes</button> <button type=\"button\" class=\"button secondary\" data-helpful=\"no\">No</button></p>\n</section>\n");
    }
    h.raw("\n\n");
    h.raw("\n<footer class=\"record-footer\">\n<dl class=\"facts\">\n");
    if let Some(d) = &r.updated {
        h.raw("<div><dt>Updated</dt><dd><time datetime=\"").text(&d.iso).raw("\">").text(&d.long).raw("</time></dd></div>");
    }
    h.raw("\n");
    if let Some(d) = &r.reviewed {
        h.raw("<div><dt>Reviewed</dt><dd><time datetime=\"").text(&d.iso).raw("\">").text(&d.long).raw("</time></dd></div>");
    }
    h.raw("\n");
    if !r.platforms.is_empty() {
        h.raw("<div><dt>Applies to</dt><dd>").text(&r.platforms.join(", ")).raw("</dd></div>");
    }
    h.raw("\n");
    if !r.tags.is_empty() {
        h.raw("<div><dt>Tags</dt><dd><ul class=\"tag-cloud inline\">");
        for t in &r.tags {
            h.raw("<li><a class=\"tag\" href=\"").text(&t.url).raw("\">").text(&t.name).raw("</a></li>");
        }
        h.raw("</ul></dd></div>");
    }
    h.raw("\n</dl>\n</footer>\n");
    h.raw("\n</article>\n");
    if r.toc.len() > 2 {
        h.raw("\n<nav class=\"toc\" aria-label=\"On this page\">\n<p class=\"toc-title\">On this page</p>\n<ol>");
        for t in &r.toc {
            h.raw("<li><a href=\"").text(&t.url).raw("\">").text(&t.name).raw("</a></li>");
        }
        h.raw("</ol>\n</nav>\n");
    }
    h.raw("\n</div>\n");
}
