//! What templates see: borrowed, serialisable views of the site and its records. Markdown is
//! already HTML here; every other string is plain text that Tera escapes.

use serde::Serialize;

use crate::markdown::{slugify, Renderer};
use crate::record::{Date, Record, RecordId};
use crate::site::Site;
use crate::url;

/// Turns site-relative paths into the hrefs written on one page. The only place that decides
/// what a link looks like.
#[derive(Debug, Clone)]
pub struct Links {
    /// What every site link starts with: the base path of `base_url` ("/" or "/help/"), or
    /// for relative links as many "../" as the page is deep.
    root: String,
    /// Folder links name their `index.html`, so they work from a file share or `file://`.
    index_file: bool,
    /// Pages are routes inside one HTML file: `#/remote-desktop/0xc07/`.
    hash: bool,
}

impl Links {
    /// Links from the site's base path: `/help/remote-desktop/0xc07/`.
    pub fn absolute(base_path: String) -> Links {
        Links { root: base_path, index_file: false, hash: false }
    }

    /// Links relative to the page at `page_path`: `../../remote-desktop/0xc07/index.html`.
    pub fn relative(page_path: &str) -> Links {
        Links { root: "../".repeat(page_path.matches('/').count()), index_file: true, hash: false }
    }

    /// Links between the routes of a single-file site: `#/remote-desktop/0xc07/`.
    pub fn hash() -> Links {
        Links { root: "#/".to_string(), index_file: false, hash: true }
    }

    /// The href of a page or file.
    pub fn href(&self, path: &str) -> String {
        if self.index_file && (path.is_empty() || path.ends_with('/')) {
            format!("{}{path}index.html", self.root)
        } else {
            format!("{}{path}", self.root)
        }
    }

    /// The href of a folder that the caller appends file names to (`assets/`, `search/`).
    /// A single-file site has no folders: its files are inlined.
    pub fn folder(&self, path: &str) -> String {
        if self.hash {
            String::new()
        } else {
            format!("{}{path}", self.root)
        }
    }
}

#[derive(Serialize, Clone)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub language: &'a str,
    pub base_url: String,
    pub home_url: String,
    pub codes_url: String,
    pub tags_url: String,
    pub feed_url: String,
    pub assets_url: String,
    /// The search page; the header's search form submits to it.
    pub search_url: String,
    /// The folder holding the search index (its `manifest.js`).
    pub search_index_url: String,
    pub products: Vec<ProductView<'a>>,
    /// The products the footer of every page lists: the [`FOOTER_PRODUCTS`] with the most
    /// records (ties by key), in key order, so a page's size does not grow with the number
    /// of products.
    pub footer_products: Vec<ProductView<'a>>,
    pub record_count: usize,
    /// `[support] url` of site.toml, with its `{code}`-style placeholders left in.
    pub support_url: &'a str,
    /// `[support] feedback_url`; empty when no feedback is collected (and offline).
    pub feedback_url: &'a str,
    /// The `Content-Security-Policy` meta tag's policy; `None` when the site declares none.
    pub content_security_policy: Option<String>,
}

impl<'a> SiteView<'a> {
    pub fn new(site: &'a Site, links: &Links) -> Self {
        let c = &site.config;
        SiteView {
            title: &c.title,
            description: c.description.as_deref(),
            language: &c.language,
            base_url: c.base_url(),
            home_url: links.href(url::HOME),
            codes_url: links.href(url::CODES),
            tags_url: links.href(url::TAGS),
            feed_url: links.href("atom.xml"),
            assets_url: links.folder("assets/"),
            search_url: links.href(url::SEARCH),
            search_index_url: links.folder(crate::search::index::DIR),
            products: site.by_product.keys().map(|k| ProductView::new(site, k, links)).collect(),
            footer_products: footer_products(site, links),
            record_count: site.records.len(),
            support_url: c.support.url.as_ref().map_or("", |u| u.get_ref().as_str()),
            feedback_url: c.support.feedback_url.as_ref().map_or("", |u| u.get_ref().as_str()),
            content_security_policy: c.content_security_policy(),
        }
    }
}

/// How many products the footer of every page lists at most.
pub const FOOTER_PRODUCTS: usize = 12;

fn footer_products<'a>(site: &'a Site, links: &Links) -> Vec<ProductView<'a>> {
    let mut keys: Vec<(&String, usize)> = site.by_product.iter().map(|(k, list)| (k, list.len())).collect();
    if keys.len() > FOOTER_PRODUCTS {
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        keys.truncate(FOOTER_PRODUCTS);
        keys.sort();
    }
    keys.into_iter().map(|(k, _)| ProductView::new(site, k, links)).collect()
}

#[derive(Serialize, Clone)]
pub struct ProductView<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub url: String,
    pub count: usize,
}

impl<'a> ProductView<'a> {
    pub fn new(site: &'a Site, key: &'a str, links: &Links) -> Self {
        let product = site.config.product(key);
        ProductView {
            key,
            name: product.map_or(key, |p| p.name.as_str()),
            description: product.and_then(|p| p.description.as_deref()),
            url: links.href(&url::product_path(key)),
            count: site.by_product.get(key).map_or(0, Vec::len),
        }
    }
}

/// What every page's `<head>` and breadcrumb need.
#[derive(Serialize)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// Absolute URL of this page.
    pub canonical: String,
    pub og_type: &'static str,
    /// Pre-serialised JSON-LD, safe to place inside `<script>`.
    pub json_ld: Option<String>,
    pub breadcrumbs: Vec<Crumb>,
    /// The page's folder, site-relative ("remote-desktop/0xc07/").
    pub path: String,
}

#[derive(Serialize, Clone)]
pub struct Crumb {
    pub name: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct DateView {
    pub iso: String,
    pub long: String,
}

impl DateView {
    pub fn new(d: Option<Date>) -> Option<DateView> {
        d.map(|d| DateView { iso: d.to_string(), long: d.long() })
    }
}

/// Where a page sits in a listing split into pages, with the links between them.
#[derive(Serialize)]
pub struct PaginationView {
    pub current: usize,
    pub total: usize,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// The first and last pages and those near the current one; `None` marks a gap.
    pub pages: Vec<Option<PageLink>>,
}

#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

impl PaginationView {
    /// Page `current` of `total` of the listing at `path`.
    pub fn new(path: &str, current: usize, total: usize, links: &Links) -> Self {
        let href = |n: usize| links.href(&url::paged(path, n));
        let mut pages = Vec::new();
        for n in 1..=total {
            if n == 1 || n == total || n.abs_diff(current) <= 2 {
                pages.push(Some(PageLink { number: n, url: href(n), current: n == current }));
            } else if pages.last().is_some_and(Option::is_some) {
                pages.push(None);
            }
        }
        PaginationView { current, total, prev_url: (current > 1).then(|| href(current - 1)), next_url: (current < total).then(|| href(current + 1)), pages }
    }
}

/// A record in a list: home, product, tag and related lists, the A-Z index.
#[derive(Serialize)]
pub struct RecordCard<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub url: String,
    pub severity: Option<&'static str>,
    pub product: &'a str,
    pub product_url: String,
    pub updated: Option<DateView>,
}

impl<'a> RecordCard<'a> {
    pub fn new(site: &'a Site, i: usize, links: &Links) -> Self {
        let r = &site.records[i];
        RecordCard {
            id: r.id.as_str(),
            code: r.code(),
            title: &r.title,
            summary: &r.summary,
            url: links.href(&site.paths[i]),
            severity: r.severity.map(|s| s.as_str()),
            product: site.config.product(r.product()).map_or(r.product(), |p| p.name.as_str()),
            product_url: links.href(&url::product_path(r.product())),
            updated: DateView::new(r.updated),
        }
    }
}

#[derive(Serialize)]
pub struct TagView {
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct SectionView<'a> {
    pub heading: &'a str,
    pub anchor: String,
    pub body: String,
}

#[derive(Serialize)]
pub struct Ref {
    pub title: String,
    pub anchor: String,
}

#[derive(Serialize)]
pub struct CauseView<'a> {
    pub anchor: String,
    pub title: &'a str,
    pub likelihood: &'static str,
    pub detail: Option<String>,
    pub fixed_by: Vec<Ref>,
}

#[derive(Serialize)]
pub struct FixView<'a> {
    pub anchor: String,
    pub title: &'a str,
    pub difficulty: &'static str,
    pub detail: Option<String>,
    pub addresses: Vec<Ref>,
}

#[derive(Serialize)]
pub struct StepView<'a> {
    pub number: usize,
    pub anchor: String,
    pub title: &'a str,
    pub body: Option<String>,
    pub tip: Option<&'a str>,
    /// Its own `minutes`, or a share of the record's `estimated_time`.
    pub minutes: Option<u32>,
}

/// One fix to try in the guided fix, in the order [`crate::guide::order`] decides.
#[derive(Serialize)]
pub struct AttemptView<'a> {
    pub fix_anchor: String,
    pub fix_title: &'a str,
    pub difficulty: &'static str,
    /// Empty for a fix that addresses no cause.
    pub cause_anchor: String,
    pub cause_title: &'a str,
    pub likelihood: &'static str,
}

#[derive(Serialize)]
pub struct CalloutView {
    pub kind: &'static str,
    pub text: String,
}

#[derive(Serialize)]
pub struct FaqView<'a> {
    pub anchor: String,
    pub question: &'a str,
    pub answer: String,
    pub short: Option<&'a str>,
}

#[derive(Serialize)]
pub struct RecordView<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub url: String,
    pub product: ProductView<'a>,
    pub aliases: &'a [String],
    pub severity: Option<&'static str>,
    pub tags: Vec<TagView>,
    pub platforms: &'a [String],
    pub updated: Option<DateView>,
    pub reviewed: Option<DateView>,
    pub estimated_time: Option<&'a str>,
    pub quick_answer: Option<String>,
    pub symptoms: Vec<String>,
    pub quick_fixes: Vec<String>,
    pub sections: Vec<SectionView<'a>>,
    pub causes: Vec<CauseView<'a>>,
    pub fixes: Vec<FixView<'a>>,
    pub steps: Vec<StepView<'a>>,
    /// Changes when the steps do: the checklist's saved progress is kept under it.
    pub procedure_key: String,
    /// The guided fix: every fix once, in the order to try them.
    pub guide: Vec<AttemptView<'a>>,
    pub callouts: Vec<CalloutView>,
    pub faq: Vec<FaqView<'a>>,
    pub takeaways: &'a [String],
    pub related: Vec<RecordCard<'a>>,
    /// "On this page": the sections present, in order.
    pub toc: Vec<Crumb>,
}

/// Anchors the record template uses for its own sections; prose headings avoid them.
pub const FIXED_ANCHORS: &[(&str, &str)] = &[
    ("quick-answer", "Quick answer"),
    ("symptoms", "Symptoms"),
    ("quick-fixes", "Quick fixes"),
    ("guided-fix", "Guided fix"),
    ("causes", "Causes"),
    ("fixes", "Fixes"),
    ("steps", "Step by step"),
    ("notes", "Important notes"),
    ("faq", "FAQ"),
    ("takeaways", "Key takeaways"),
    ("related", "Related errors"),
];

impl<'a> RecordView<'a> {
    pub fn new(site: &'a Site, i: usize, links: &Links, md: &Renderer) -> Self {
        let r: &'a Record = &site.records[i];
        let block = |t: &str| md.block(t);
        let opt_block = |t: &Option<String>| t.as_deref().map(block);
        let cause_anchor = |id: &str| format!("cause-{}", slugify(id));
        // Fixes are numbered in file order: `fix-1` is the first `[[fixes]]`.
        let fix_anchor = |index: usize| format!("fix-{}", index + 1);

        let mut used: Vec<String> = FIXED_ANCHORS.iter().map(|(a, _)| a.to_string()).collect();
        let sections: Vec<SectionView> = r
            .sections
            .iter()
            .map(|s| {
                let anchor = unique_anchor(&slugify(&s.heading), &mut used);
                SectionView { heading: &s.heading, anchor, body: block(&s.body) }
            })
            .collect();

        let mut by_likelihood: Vec<&crate::record::Cause> = r.causes.iter().collect();
        by_likelihood.sort_by_key(|c| c.likelihood);
        let causes = by_likelihood
            .into_iter()
            .map(|c| CauseView {
                anchor: cause_anchor(c.id.get_ref()),
                title: &c.title,
                likelihood: c.likelihood.as_str(),
                detail: opt_block(&c.detail),
                fixed_by: r
                    .fixes
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.causes.iter().any(|fc| fc.get_ref() == c.id.get_ref()))
                    .map(|(n, f)| Ref { title: f.title.clone(), anchor: fix_anchor(n) })
                    .collect(),
            })
            .collect();
        let fixes = r
            .fixes
            .iter()
            .enumerate()
            .map(|(n, f)| FixView {
                anchor: fix_anchor(n),
                title: &f.title,
                difficulty: f.difficulty.as_str(),
                detail: opt_block(&f.detail),
                addresses: f
                    .causes
                    .iter()
                    .filter_map(|id| r.causes.iter().find(|c| c.id.get_ref() == id.get_ref()))
                    .map(|c| Ref { title: c.title.clone(), anchor: cause_anchor(c.id.get_ref()) })
                    .collect(),
            })
            .collect();

        let mut view = RecordView {
            id: r.id.as_str(),
            code: r.code(),
            title: &r.title,
            summary: &r.summary,
            url: links.href(&site.paths[i]),
            product: ProductView::new(site, r.product(), links),
            aliases: &r.aliases,
            severity: r.severity.map(|s| s.as_str()),
            tags: r
                .tags
                .iter()
                .map(|t| TagView { name: t.clone(), url: links.href(&url::tag_path(t)), count: site.by_tag.get(&url::tag_slug(t)).map_or(0, |(_, l)| l.len()) })
                .collect(),
            platforms: &r.platforms,
            updated: DateView::new(r.updated),
            reviewed: DateView::new(r.reviewed),
            estimated_time: r.estimated_time.as_deref(),
            quick_answer: opt_block(&r.quick_answer),
            symptoms: r.symptoms.iter().map(|s| md.inline(s)).collect(),
            quick_fixes: r.quick_fixes.iter().map(|s| md.inline(s)).collect(),
            sections,
            causes,
            fixes,
            steps: r
                .steps
                .iter()
                .zip(crate::guide::step_minutes(r))
                .enumerate()
                .map(|(n, (s, minutes))| StepView {
                    number: n + 1,
                    anchor: format!("step-{}", n + 1),
                    title: &s.title,
                    body: opt_block(&s.body),
                    tip: s.tip.as_deref(),
                    minutes,
                })
                .collect(),
            procedure_key: crate::guide::procedure_key(r),
            guide: crate::guide::order(r)
                .into_iter()
                .map(|a| {
                    let fix = &r.fixes[a.fix];
                    let cause = a.cause.map(|c| &r.causes[c]);
                    AttemptView {
                        fix_anchor: fix_anchor(a.fix),
                        fix_title: &fix.title,
                        difficulty: fix.difficulty.as_str(),
                        cause_anchor: cause.map_or(String::new(), |c| cause_anchor(c.id.get_ref())),
                        cause_title: cause.map_or("", |c| c.title.as_str()),
                        likelihood: cause.map_or("", |c| c.likelihood.as_str()),
                    }
                })
                .collect(),
            callouts: r.callouts.iter().map(|c| CalloutView { kind: c.kind.as_str(), text: block(&c.text) }).collect(),
            faq: r
                .faq
                .iter()
                .enumerate()
                .map(|(n, f)| FaqView { anchor: format!("faq-{}", n + 1), question: &f.question, answer: block(&f.answer), short: f.short.as_deref() })
                .collect(),
            takeaways: &r.takeaways,
            related: r
                .related
                .iter()
                .filter_map(|id| site.by_id.get(&RecordId::from_reference(id.get_ref())))
                .map(|&j| RecordCard::new(site, j, links))
                .collect(),
            toc: Vec::new(),
        };
        view.toc = view.table_of_contents();
        view
    }

    fn table_of_contents(&self) -> Vec<Crumb> {
        let present = |anchor: &str| match anchor {
            "quick-answer" => self.quick_answer.is_some(),
            "symptoms" => !self.symptoms.is_empty(),
            "quick-fixes" => !self.quick_fixes.is_empty(),
            "guided-fix" => !self.guide.is_empty(),
            "causes" => !self.causes.is_empty(),
            "fixes" => !self.fixes.is_empty(),
            "steps" => !self.steps.is_empty(),
            "notes" => !self.callouts.is_empty(),
            "faq" => !self.faq.is_empty(),
            "takeaways" => !self.takeaways.is_empty(),
            "related" => !self.related.is_empty(),
            _ => false,
        };
        let crumb = |name: &str, anchor: &str| Crumb { name: name.to_string(), url: format!("#{anchor}") };
        let mut toc: Vec<Crumb> = Vec::new();
        let fixed = |a: &str| FIXED_ANCHORS.iter().filter(|(x, _)| *x == a).map(|(x, n)| crumb(n, x)).next();
        toc.extend(fixed("quick-answer").filter(|_| present("quick-answer")));
        toc.extend(self.sections.iter().map(|s| crumb(s.heading, &s.anchor)));
        for (anchor, _) in &FIXED_ANCHORS[1..] {
            if present(anchor) {
                toc.extend(fixed(anchor));
            }
        }
        toc
    }
}

fn unique_anchor(base: &str, used: &mut Vec<String>) -> String {
    let mut candidate = base.to_string();
    let mut n = 1;
    while used.contains(&candidate) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    used.push(candidate.clone());
    candidate
}
