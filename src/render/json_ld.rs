//! A record page's JSON-LD: schema.org TechArticle, BreadcrumbList and FAQPage, safe to place
//! inside `<script>`.

use crate::site::Site;
use crate::url;

/// schema.org TechArticle (with its breadcrumb) and, when the record has questions, FAQPage.
pub fn record_json_ld(site: &Site, i: usize, canonical: &str) -> String {
    let r = &site.records[i];
    let c = &site.config;
    let base = c.base_url();
    let product = c.product(r.product()).map_or(r.product(), |p| p.name.as_str());
    let product_url = format!("{base}{}", url::product_path(r.product()));
    let article = ld::Node::Article(ld::Article {
        id: format!("{canonical}#article"),
        kind: "TechArticle",
        about: ld::Thing { kind: "Thing", alternate_name: &r.aliases, name: r.code() },
        date_modified: r.updated.map(|d| d.to_string()),
        description: &r.summary,
        headline: &r.title,
        in_language: &c.language,
        is_part_of: ld::WebSite { kind: "WebSite", name: &c.title, url: &base },
        keywords: r.tags.join(", "),
        last_reviewed: r.reviewed.map(|d| d.to_string()),
        proficiency_level: "Beginner",
        time_required: r.estimated_time.as_deref(),
        url: canonical,
    });
    let item = |position, name, item| ld::ListItem { kind: "ListItem", item, name, position };
    let breadcrumb = ld::Node::Breadcrumbs(ld::BreadcrumbList {
        kind: "BreadcrumbList",
        items: [item(1, &c.title, &base), item(2, product, &product_url), item(3, r.code(), canonical)],
    });
    let mut graph = vec![article, breadcrumb];
    if !r.faq.is_empty() {
        let questions = r
            .faq
            .iter()
            .map(|f| ld::Question {
                kind: "Question",
                accepted_answer: ld::Answer { kind: "Answer", text: f.short.as_deref().unwrap_or(&f.answer) },
                name: &f.question,
            })
            .collect();
        graph.push(ld::Node::Faq(ld::FaqPage { id: format!("{canonical}#faq"), kind: "FAQPage", main_entity: questions }));
    }
    let text = serde_json::to_string(&ld::Graph { context: "https://schema.org", graph }).expect("JSON-LD serialises");
    script_safe(&text)
}

/// Inside `<script>`, "</script>" or "<!--" in user text must not end or alter the element:
/// `<`, `>` and `&` become JSON escapes, which mean the same to a JSON parser.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let mut run = 0;
    for (i, b) in json.bytes().enumerate() {
        let escaped = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            _ => continue,
        };
        out.push_str(&json[run..i]);
        out.push_str(escaped);
        run = i + 1;
    }
    out.push_str(&json[run..]);
    out
}

/// The schema.org types, serialised straight from borrowed fields. Fields are declared in
/// sorted order, so the output reads like a sorted JSON object.
mod ld {
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct Graph<'a> {
        #[serde(rename = "@context")]
        pub context: &'static str,
        #[serde(rename = "@graph")]
        pub graph: Vec<Node<'a>>,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    pub enum Node<'a> {
        Article(Article<'a>),
        Breadcrumbs(BreadcrumbList<'a>),
        Faq(FaqPage<'a>),
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Article<'a> {
        #[serde(rename = "@id")]
        pub id: String,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub about: Thing<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub date_modified: Option<String>,
        pub description: &'a str,
        pub headline: &'a str,
        pub in_language: &'a str,
        pub is_part_of: WebSite<'a>,
        pub keywords: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub last_reviewed: Option<String>,
        pub proficiency_level: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub time_required: Option<&'a str>,
        pub url: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Thing<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub alternate_name: &'a [String],
        pub name: &'a str,
    }

    #[derive(Serialize)]
    pub struct WebSite<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub name: &'a str,
        pub url: &'a str,
    }

    #[derive(Serialize)]
    pub struct BreadcrumbList<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        #[serde(rename = "itemListElement")]
        pub items: [ListItem<'a>; 3],
    }

    #[derive(Serialize)]
    pub struct ListItem<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub item: &'a str,
        pub name: &'a str,
        pub position: u32,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct FaqPage<'a> {
        #[serde(rename = "@id")]
        pub id: String,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub main_entity: Vec<Question<'a>>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Question<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub accepted_answer: Answer<'a>,
        pub name: &'a str,
    }

    #[derive(Serialize)]
    pub struct Answer<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub text: &'a str,
    }
}
