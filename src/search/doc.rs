//! What search sees of a record, in the fields both engines (the browser index and tantivy)
//! weigh the same way. Markdown arrives as the plain text a reader sees on the page.

use crate::markdown::plain_text;
use crate::record::Record;
use crate::site::Site;

/// How much a match in each field counts. A code or alias match outranks any text match.
pub const CODE_BOOST: f32 = 20.0;
pub const TITLE_BOOST: f32 = 3.0;
pub const SUMMARY_BOOST: f32 = 2.0;
pub const KEYWORDS_BOOST: f32 = 1.5;
pub const BODY_BOOST: f32 = 1.0;
/// Typo and prefix matches count for less than the exact word.
pub const FUZZY_FACTOR: f32 = 0.3;
pub const PREFIX_FACTOR: f32 = 0.5;

pub struct SearchDoc<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub aliases: &'a [String],
    pub title: &'a str,
    pub summary: &'a str,
    /// Tags, symptoms, cause and fix titles, FAQ questions: short texts that say what the
    /// record is about.
    pub keywords: Vec<String>,
    /// Every other text of the page, Markdown rendered to plain text.
    pub body: String,
    pub product: &'a str,
    /// The product's display name.
    pub product_name: &'a str,
    pub severity: Option<&'static str>,
    pub tags: &'a [String],
    /// The page, relative to the site root (`remote-desktop/0xc07/`).
    pub path: &'a str,
}

impl<'a> SearchDoc<'a> {
    pub fn new(site: &'a Site, i: usize) -> SearchDoc<'a> {
        let r = &site.records[i];
        SearchDoc {
            id: r.id.as_str(),
            code: r.code(),
            aliases: &r.aliases,
            title: &r.title,
            summary: &r.summary,
            keywords: keywords(r),
            body: body(r),
            product: r.product(),
            product_name: site.config.product(r.product()).map_or(r.product(), |p| p.name.as_str()),
            severity: r.severity.map(|s| s.as_str()),
            tags: &r.tags,
            path: &site.paths[i],
        }
    }
}

fn keywords(r: &Record) -> Vec<String> {
    r.tags
        .iter()
        .cloned()
        .chain(r.symptoms.iter().map(|s| plain_text(s)))
        .chain(r.causes.iter().map(|c| c.title.clone()))
        .chain(r.fixes.iter().map(|f| f.title.clone()))
        .chain(r.faq.iter().map(|q| q.question.clone()))
        .collect()
}

fn body(r: &Record) -> String {
    let mut out = String::new();
    let mut push = |text: &str, markdown: bool| {
        if markdown {
            out.push_str(&plain_text(text));
        } else {
            out.push_str(text);
        }
        out.push('\n');
    };
    // Symptoms are keywords already; everything else a reader sees is body text.
    r.quick_answer.iter().for_each(|t| push(t, true));
    r.quick_fixes.iter().for_each(|t| push(t, true));
    for s in &r.sections {
        push(&s.heading, false);
        push(&s.body, true);
    }
    r.causes.iter().filter_map(|c| c.detail.as_deref()).for_each(|t| push(t, true));
    r.fixes.iter().filter_map(|f| f.detail.as_deref()).for_each(|t| push(t, true));
    for s in &r.steps {
        push(&s.title, false);
        s.body.iter().chain(&s.tip).for_each(|t| push(t, true));
    }
    r.callouts.iter().for_each(|c| push(&c.text, true));
    r.faq.iter().for_each(|f| push(&f.answer, true));
    r.takeaways.iter().for_each(|t| push(t, true));
    out
}
