//! Stage 3: every page of the site, rendered with Tera from `*View` structs, plus the data
//! files (sitemap, feed, robots.txt, records.json) and the theme's assets.

mod data;
mod json_ld;
mod layout_html;
mod listing_html;
mod record_html;
pub mod views;

use std::borrow::Cow;
use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::fs::FsError;
use crate::markdown::Renderer;
use crate::output::Sink;
use crate::record::RecordId;
use crate::site::{index_letter, Site};
use crate::theme::{error_chain, names, Theme};
use crate::url;
use views::{Crumb, Links, PageMeta, PaginationView, ProductView, RecordCard, RecordView, SiteView, TagView};

/// One template that failed on one page.
#[derive(Debug)]
pub struct TemplateFailure {
    pub template: &'static str,
    /// The record file or page the template was rendering.
    pub page: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}", format_failures(.0))]
    Templates(Vec<TemplateFailure>),
    #[error(transparent)]
    Fs(#[from] FsError),
}

fn format_failures(list: &[TemplateFailure]) -> String {
    let mut out = String::new();
    for f in list {
        out.push_str(&format!("error: template {} failed while rendering {}\n  {}\n", f.template, f.page, f.detail));
    }
    out.push_str(&format!("{} page{} could not be rendered; nothing was written", list.len(), if list.len() == 1 { "" } else { "s" }));
    out
}

/// What a render produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    /// HTML pages.
    pub pages: usize,
    /// Every file written, pages included.
    pub files: usize,
}

/// How pages link to each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkStyle {
    /// From the base path of `base_url`: `/help/remote-desktop/0xc07/`.
    #[default]
    Absolute,
    /// Relative to each page, naming `index.html`: for file shares, sub-paths and `file://`.
    Relative,
    /// Relative, and nothing that points at the published site: no canonical URLs, feed,
    /// sitemap, robots.txt, JSON-LD or records.json. For the offline bundle.
    Offline,
    /// Like `Offline`, with pages as routes of one HTML file (`#/remote-desktop/0xc07/`).
    SingleFile,
}

impl LinkStyle {
    fn is_relative(self) -> bool {
        self != LinkStyle::Absolute
    }

    /// Nothing that needs the published address.
    fn is_offline(self) -> bool {
        matches!(self, LinkStyle::Offline | LinkStyle::SingleFile)
    }
}

/// Which pages a render writes: everything, or what an incremental rebuild found affected.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageSet {
    pub all: bool,
    /// Records whose own pages are rendered.
    pub records: BTreeSet<usize>,
    /// Records whose cards changed: the page of each listing that shows the card (its
    /// product's, each of its tags', the A-Z index's) is rendered, with the home page.
    pub cards: BTreeSet<usize>,
}

impl PageSet {
    pub fn all() -> PageSet {
        PageSet { all: true, ..PageSet::default() }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.records.is_empty() && self.cards.is_empty()
    }

    /// The pages that show record `i` after an edit that kept its product, code and tags:
    /// its own, and when its card changed, the listing pages that show the card and the
    /// records that list it as related.
    pub fn add_record(&mut self, site: &Site, i: usize, card_changed: bool) {
        self.records.insert(i);
        if card_changed {
            self.cards.insert(i);
            self.records.extend(site.referrers(&site.records[i].id));
        }
    }

    /// Whether a listing page showing `list` is rendered.
    fn shows(&self, list: &[usize]) -> bool {
        self.all || list.iter().any(|i| self.cards.contains(i))
    }
}

/// Renders the pages in `set` into `sink`, with the data files and assets, which every build
/// writes (a file that comes out as before is left alone by a sink that reuses the previous
/// output). `on_record` is called once per record page written.
pub fn render(site: &Site, theme: &Theme, sink: &dyn Sink, style: LinkStyle, set: &PageSet, on_record: &(dyn Fn() + Sync)) -> Result<Rendered, RenderError> {
    // The data files (records.json is the whole knowledge base) are made alongside the pages.
    let edited = (!set.all).then_some(&set.records);
    let (pages, data) = rayon::join(|| render_pages(site, theme, sink, style, set, on_record), || data_files_after(site, style, edited));
    let pages = pages?;
    let assets: Vec<(&String, &Vec<u8>)> = theme.assets.iter().collect();
    Ok(Rendered { pages, files: pages + put_all(sink, &data)? + put_all(sink, &assets)? })
}

/// Puts every file into `sink`, side by side; returns how many.
pub fn put_all<P: AsRef<str> + Sync, B: AsRef<[u8]> + Sync>(sink: &dyn Sink, files: &[(P, B)]) -> Result<usize, RenderError> {
    files.par_iter().try_for_each(|(path, bytes)| sink.put(path.as_ref(), bytes.as_ref()))?;
    Ok(files.len())
}

/// The sitemap, feed, robots.txt and records data; none for an offline copy.
pub fn data_files(site: &Site, style: LinkStyle) -> Vec<(String, Vec<u8>)> {
    data_files_after(site, style, None)
}

/// [`data_files`], with `edited`: after an edit of these records in place, of the records
/// data only what they changed.
pub fn data_files_after(site: &Site, style: LinkStyle, edited: Option<&BTreeSet<usize>>) -> Vec<(String, Vec<u8>)> {
    if style.is_offline() {
        Vec::new()
    } else {
        data::files(site, edited)
    }
}

/// Records, the pages of every product, tag and the A-Z listing, plus the home page, the tag
/// index, 404 and search.
pub fn page_count(site: &Site) -> usize {
    let size = site.config.listing.page_size;
    let products: usize = site.by_product.values().map(|l| url::page_total(l.len(), size)).sum();
    let tags: usize = site.by_tag.values().map(|(_, l)| url::page_total(l.len(), size)).sum();
    site.records.len() + products + tags + url::page_total(site.records.len(), size) + 4
}

/// Renders the HTML pages in `set` into `sink` and returns how many were written.
pub fn render_pages(site: &Site, theme: &Theme, sink: &dyn Sink, style: LinkStyle, set: &PageSet, on_record: &(dyn Fn() + Sync)) -> Result<usize, RenderError> {
    let absolute = Links::absolute(site.config.base_path());
    let site_view = SiteView::new(site, &absolute);
    let site_value = serde_json::to_value(&site_view).expect("the site view serialises");
    let ctx = Shared { site, theme, sink, style, site_view, site_value, absolute };

    let records: Vec<usize> = if set.all { (0..site.records.len()).collect() } else { set.records.iter().copied().collect() };
    // Listings are few but large (the A-Z index lists every record): rendered alongside the
    // record pages rather than after them. Each job says how many pages it rendered.
    type Job<'j> = Box<dyn Fn() -> Result<usize, RenderError> + Sync + 'j>;
    let mut lists: Vec<Job> = vec![Box::new(|| ctx.products(set)), Box::new(|| ctx.tags(set)), Box::new(|| ctx.codes(set))];
    if set.all || !set.cards.is_empty() {
        lists.push(Box::new(|| ctx.home().map(|()| 1)));
    }
    if set.all {
        lists.push(Box::new(|| ctx.tag_index().map(|()| 1)));
        lists.push(Box::new(|| ctx.page(names::NOT_FOUND, "404.html", "404.html", ctx.meta("Page not found", "", "404.html", vec![])).map(|()| 1)));
        lists.push(Box::new(|| ctx.search_page().map(|()| 1)));
    }
    let (record_results, list_results) = rayon::join(
        || {
            records
                .par_iter()
                .map(|&i| {
                    let r = ctx.record_page(i).map(|()| 1);
                    on_record();
                    r
                })
                .collect::<Vec<_>>()
        },
        || lists.par_iter().map(|job| job()).collect::<Vec<_>>(),
    );
    merge(record_results.into_iter().chain(list_results).collect())
}

/// One page of a listing: (its number from 1, how many pages, its records).
type ListingPage<'l> = (usize, usize, &'l [usize]);

/// What every page's render shares.
struct Shared<'a> {
    site: &'a Site,
    theme: &'a Theme,
    sink: &'a dyn Sink,
    style: LinkStyle,
    absolute: Links,
    /// The site as every page sees it when links do not depend on the page.
    site_view: SiteView<'a>,
    /// The site as every page sees it, when links do not depend on the page: serialised once
    /// and copied into each page's context, which is cheaper than serialising it per page.
    site_value: serde_json::Value,
}

#[derive(Serialize)]
struct PageContext<T: Serialize> {
    page: PageMeta,
    #[serde(flatten)]
    content: T,
}

#[derive(Serialize)]
struct Nothing {}

impl<'a> Shared<'a> {
    fn meta(&self, title: &str, description: &str, path: &str, breadcrumbs: Vec<Crumb>) -> PageMeta {
        PageMeta {
            title: title.to_string(),
            description: description.to_string(),
            canonical: if self.style.is_offline() { String::new() } else { format!("{}{}", self.site.config.base_url(), path) },
            og_type: "website",
            json_ld: None,
            breadcrumbs,
            path: path.to_string(),
        }
    }

    /// The links written on the page at `page_path`.
    fn links(&self, page_path: &str) -> Links {
        match self.style {
            LinkStyle::Absolute => self.absolute.clone(),
            LinkStyle::Relative | LinkStyle::Offline => Links::relative(page_path),
            LinkStyle::SingleFile => Links::hash(),
        }
    }

    fn crumb(&self, links: &Links, name: &str, path: &str) -> Crumb {
        Crumb { name: name.to_string(), url: links.href(path) }
    }

    fn render<T: Serialize>(&self, template: &'static str, what: &str, meta: PageMeta, content: T) -> Result<String, RenderError> {
        let fail = |detail: String| RenderError::Templates(vec![TemplateFailure { template, page: what.to_string(), detail }]);
        let site = match self.site_view(&meta.path) {
            Cow::Owned(view) => serde_json::to_value(view).map_err(|e| fail(error_chain(&e)))?,
            Cow::Borrowed(_) => self.site_value.clone(),
        };
        let mut value = serde_json::to_value(PageContext { page: meta, content }).map_err(|e| fail(error_chain(&e)))?;
        if let Some(map) = value.as_object_mut() {
            map.insert("site".to_string(), site);
        }
        let context = Context::from_value(value).map_err(|e| fail(error_chain(&e)))?;
        render_template(&self.theme.tera, template, &context).map_err(fail)
    }

    /// The site as the page at `page_path` sees it.
    fn site_view(&self, page_path: &str) -> Cow<'_, SiteView<'a>> {
        if !self.style.is_relative() {
            return Cow::Borrowed(&self.site_view);
        }
        let mut view = SiteView::new(self.site, &self.links(page_path));
        if self.style.is_offline() {
            view.feed_url.clear();
            view.feedback_url = "";
        }
        Cow::Owned(view)
    }

    fn page(&self, template: &'static str, out_path: &str, what: &str, meta: PageMeta) -> Result<(), RenderError> {
        let html = self.render(template, what, meta, Nothing {})?;
        Ok(self.sink.put(out_path, html.as_bytes())?)
    }

    fn record_page(&self, i: usize) -> Result<(), RenderError> {
        let site = self.site;
        let r = &site.records[i];
        let path = &site.paths[i];
        let links = self.links(path);
        let resolve = |id: &RecordId| site.get(id).map(|(_, path)| links.href(path));
        let root = links.folder("");
        let md = Renderer { raw_html: site.config.markdown.raw_html, resolve: &resolve, root: &root, local_images_only: self.style.is_offline() };
        let record = RecordView::new(site, i, &links, &md);
        let product = site.config.product(r.product()).map_or(r.product(), |p| p.name.as_str());
        let mut meta =
            self.meta(&r.title, &r.summary, path, vec![self.crumb(&links, product, &url::product_path(r.product())), self.crumb(&links, r.code(), path)]);
        meta.og_type = "article";
        if !self.style.is_offline() {
            meta.json_ld = Some(json_ld::record_json_ld(site, i, &meta.canonical));
        }
        let html = if self.theme.compiled_record {
            record_html::record_page(&self.site_view(path), &meta, &record)
        } else {
            #[derive(Serialize)]
            struct C<'v> {
                record: RecordView<'v>,
            }
            self.render(names::RECORD, &r.file.display().to_string(), meta, C { record })?
        };
        Ok(self.sink.put(&format!("{path}index.html"), html.as_bytes())?)
    }

    fn cards(&self, list: &[usize], links: &Links) -> Vec<RecordCard<'a>> {
        list.iter().map(|&i| RecordCard::new(self.site, i, links)).collect()
    }

    fn home(&self) -> Result<(), RenderError> {
        #[derive(Serialize)]
        struct C<'v> {
            recent: Vec<RecordCard<'v>>,
        }
        let recent = self.cards(&self.site.recently_updated(self.site.config.recent), &self.links(url::HOME));
        let c = &self.site.config;
        let meta = self.meta(&c.title, c.description.as_deref().unwrap_or(""), url::HOME, vec![]);
        let html = self.render(names::HOME, "the home page", meta, C { recent })?;
        Ok(self.sink.put("index.html", html.as_bytes())?)
    }

    /// The pages of a listing of `list`.
    fn pages_of<'l>(&self, list: &'l [usize]) -> Vec<ListingPage<'l>> {
        let size = self.site.config.listing.page_size;
        let total = url::page_total(list.len(), size);
        if total == 1 {
            return vec![(1, 1, list)];
        }
        list.chunks(size).enumerate().map(|(i, chunk)| (i + 1, total, chunk)).collect()
    }

    /// "Remote Desktop" on page 1, "Remote Desktop, page 2 of 5" after it.
    fn paged_title(title: &str, n: usize, total: usize) -> String {
        if n == 1 {
            title.to_string()
        } else {
            format!("{title}, page {n} of {total}")
        }
    }

    fn products(&self, set: &PageSet) -> Result<usize, RenderError> {
        #[derive(Serialize)]
        struct C<'v> {
            product: ProductView<'v>,
            records: Vec<RecordCard<'v>>,
            pagination: PaginationView,
        }
        let lists = self.site.by_product.iter().map(|(key, list)| (key, list.as_slice()));
        self.listings(lists, set, |key, (n, total, list)| {
            let first = url::product_path(key);
            let path = url::paged(&first, n);
            let links = self.links(&path);
            let product = ProductView::new(self.site, key, &links);
            let description = product.description.unwrap_or("").to_string();
            let crumbs = vec![self.crumb(&links, product.name, &first)];
            let meta = self.meta(&Self::paged_title(product.name, n, total), &description, &path, crumbs);
            let pagination = PaginationView::new(&first, n, total, &links);
            let records = self.cards(list, &links);
            let html = if self.theme.compiled_listings {
                listing_html::product_page(&self.site_view(&path), &meta, &product, &records, &pagination)
            } else {
                self.render(names::PRODUCT, &path, meta, C { product, records, pagination })?
            };
            Ok((path, html))
        })
    }

    fn tags(&self, set: &PageSet) -> Result<usize, RenderError> {
        #[derive(Serialize)]
        struct One<'v> {
            tag: TagView,
            records: Vec<RecordCard<'v>>,
            pagination: PaginationView,
        }
        let lists = self.site.by_tag.values().map(|(name, list)| (name, list.as_slice()));
        self.listings(lists, set, |name, (n, total, list)| {
            let first = url::tag_path(name);
            let path = url::paged(&first, n);
            let links = self.links(&path);
            let count = self.site.by_tag.get(&url::tag_slug(name)).map_or(list.len(), |(_, all)| all.len());
            let tag = TagView { name: name.clone(), url: links.href(&first), count };
            let title = format!("Tagged “{name}”");
            let crumbs = vec![self.crumb(&links, "Tags", url::TAGS), self.crumb(&links, name, &first)];
            let meta = self.meta(&Self::paged_title(&title, n, total), &title, &path, crumbs);
            let pagination = PaginationView::new(&first, n, total, &links);
            let records = self.cards(list, &links);
            let html = if self.theme.compiled_listings {
                listing_html::tag_page(&self.site_view(&path), &meta, &tag, &records, &pagination)
            } else {
                self.render(names::TAG, &path, meta, One { tag, records, pagination })?
            };
            Ok((path, html))
        })
    }

    /// Every tag with its count.
    fn tag_index(&self) -> Result<(), RenderError> {
        #[derive(Serialize)]
        struct All {
            tags: Vec<TagView>,
        }
        let links = self.links(url::TAGS);
        let tags =
            self.site.by_tag.values().map(|(name, list)| TagView { name: name.clone(), url: links.href(&url::tag_path(name)), count: list.len() }).collect();
        let crumbs = vec![self.crumb(&links, "Tags", url::TAGS)];
        let meta = self.meta("All tags", "Every tag used in the knowledge base.", url::TAGS, crumbs);
        let html = self.render(names::TAGS, url::TAGS, meta, All { tags })?;
        Ok(self.sink.put(&format!("{}index.html", url::TAGS), html.as_bytes())?)
    }

    /// The A-Z index of every code, in pages; every page links to where each letter starts.
    fn codes(&self, set: &PageSet) -> Result<usize, RenderError> {
        #[derive(Serialize)]
        struct Letter<'v> {
            letter: char,
            anchor: String,
            records: Vec<RecordCard<'v>>,
        }
        #[derive(Serialize)]
        struct Jump {
            letter: char,
            url: String,
        }
        #[derive(Serialize)]
        struct C<'v> {
            letters: Vec<Letter<'v>>,
            jumps: Vec<Jump>,
            pagination: PaginationView,
        }
        let order = &self.site.by_code;
        let anchor = |letter: char| if letter == '#' { "num".to_string() } else { letter.to_ascii_lowercase().to_string() };
        let pages = self.pages_of(order);
        // (letter, the page it starts on)
        let mut starts: Vec<(char, usize)> = Vec::new();
        for &(n, _, list) in &pages {
            for &i in list {
                let letter = index_letter(self.site.records[i].code());
                if starts.last().is_none_or(|&(l, _)| l != letter) {
                    starts.push((letter, n));
                }
            }
        }
        self.listings(std::iter::once(((), order.as_slice())), set, |(), (n, total, list)| {
            let path = url::paged(url::CODES, n);
            let links = self.links(&path);
            let mut letters: Vec<Letter> = Vec::new();
            for &i in list {
                let letter = index_letter(self.site.records[i].code());
                if letters.last().is_none_or(|l| l.letter != letter) {
                    letters.push(Letter { letter, anchor: anchor(letter), records: Vec::new() });
                }
                letters.last_mut().expect("pushed above").records.push(RecordCard::new(self.site, i, &links));
            }
            let jumps = starts
                .iter()
                .map(|&(letter, page)| {
                    let target = if page == n { String::new() } else { links.href(&url::paged(url::CODES, page)) };
                    Jump { letter, url: format!("{target}#{}", anchor(letter)) }
                })
                .collect();
            let meta = self.meta(
                &Self::paged_title("All error codes, A-Z", n, total),
                "Every error code in the knowledge base, sorted.",
                &path,
                vec![self.crumb(&links, "Codes A-Z", url::CODES)],
            );
            let pagination = PaginationView::new(url::CODES, n, total, &links);
            let html = self.render(names::CODES, &path, meta, C { letters, jumps, pagination })?;
            Ok((path, html))
        })
    }

    /// Every page of each listing in `lists` that `set` shows, side by side: `page` makes one
    /// page's path and HTML from its listing's key and its place in the listing.
    fn listings<'l, K: Copy + Send + Sync>(
        &self,
        lists: impl Iterator<Item = (K, &'l [usize])>,
        set: &PageSet,
        page: impl Fn(K, ListingPage<'l>) -> Result<(String, String), RenderError> + Sync,
    ) -> Result<usize, RenderError> {
        let jobs: Vec<(K, ListingPage)> =
            lists.flat_map(|(key, list)| self.pages_of(list).into_iter().map(move |p| (key, p))).filter(|(_, p)| set.shows(p.2)).collect();
        let results: Vec<Result<usize, RenderError>> = jobs
            .par_iter()
            .map(|&(key, p)| {
                let (path, html) = page(key, p)?;
                self.sink.put(&format!("{path}index.html"), html.as_bytes())?;
                Ok(1)
            })
            .collect();
        merge(results)
    }
}

impl Shared<'_> {
    /// The search page: results for `?q=` are rendered in the browser from the index.
    fn search_page(&self) -> Result<(), RenderError> {
        let links = self.links(url::SEARCH);
        let meta = self.meta("Search", "Search every error code and article.", url::SEARCH, vec![self.crumb(&links, "Search", url::SEARCH)]);
        self.page(names::SEARCH, &format!("{}index.html", url::SEARCH), "the search page", meta)
    }
}

/// The pages rendered in all, or every template failure.
fn merge(results: Vec<Result<usize, RenderError>>) -> Result<usize, RenderError> {
    let mut failures = Vec::new();
    let mut pages = 0;
    for r in results {
        match r {
            Ok(n) => pages += n,
            Err(RenderError::Templates(f)) => failures.extend(f),
            Err(e) => return Err(e),
        }
    }
    if failures.is_empty() {
        Ok(pages)
    } else {
        Err(RenderError::Templates(failures))
    }
}

fn render_template(tera: &Tera, name: &str, context: &Context) -> Result<String, String> {
    tera.render(name, context).map_err(|e| error_chain(&e))
}
