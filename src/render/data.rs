//! Files for machines rather than readers: sitemap, robots.txt, the Atom feed and the
//! records data, records.json and its parts (the JSON-LD placed in record pages is in
//! `json_ld`).

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::escape::escape;
use crate::record::Record;
use crate::site::Site;
use crate::url;

/// (site-relative path, bytes) of every data file; with `edited`, of the parts of the
/// records data only those that hold these records (the other parts are as they were).
pub fn files(site: &Site, edited: Option<&BTreeSet<usize>>) -> Vec<(String, Vec<u8>)> {
    let mut files = sitemaps(site, SITEMAP_LIMIT);
    files.push(("robots.txt".into(), robots(site).into_bytes()));
    files.push(("atom.xml".into(), atom(site).into_bytes()));
    files.push((RECORDS_JSON.into(), records_json(site)));
    let parts: Vec<usize> = match edited {
        Some(records) => {
            let mut parts: Vec<usize> = records.iter().map(|i| i / RECORDS_PER_PART).collect();
            parts.dedup();
            parts
        }
        None => (0..part_count(site)).collect(),
    };
    files.extend(parts.into_par_iter().map(|p| (part_path(p), records_part(site, p))).collect::<Vec<_>>());
    files
}

fn robots(site: &Site) -> String {
    format!("User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n", site.config.base_url())
}

/// The sitemap protocol allows 50,000 URLs per file.
const SITEMAP_LIMIT: usize = 50_000;

/// `sitemap.xml`; above `limit` URLs it is an index of `sitemap-1.xml`, `sitemap-2.xml`...
fn sitemaps(site: &Site, limit: usize) -> Vec<(String, Vec<u8>)> {
    let base = site.config.base_url();
    let size = site.config.listing.page_size;
    let pages = |path: String, len: usize| (1..=url::page_total(len, size)).map(move |n| (url::paged(&path, n), None));
    let mut urls: Vec<(String, Option<String>)> = vec![(url::HOME.into(), None)];
    urls.extend(pages(url::CODES.into(), site.records.len()));
    urls.extend(site.by_product.iter().flat_map(|(k, list)| pages(url::product_path(k), list.len())));
    urls.extend(site.records.iter().zip(&site.paths).map(|(r, p)| (p.clone(), r.updated.or(r.reviewed).map(|d| d.to_string()))));
    urls.push((url::TAGS.into(), None));
    urls.extend(site.by_tag.values().flat_map(|(name, list)| pages(url::tag_path(name), list.len())));

    let urlset = |chunk: &[(String, Option<String>)]| {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for (path, lastmod) in chunk {
            out.push_str(&format!("  <url><loc>{}</loc>", escape(&format!("{base}{path}"))));
            if let Some(d) = lastmod {
                out.push_str(&format!("<lastmod>{d}</lastmod>"));
            }
            out.push_str("</url>\n");
        }
        out.push_str("</urlset>\n");
        out.into_bytes()
    };
    if urls.len() <= limit {
        return vec![("sitemap.xml".into(), urlset(&urls))];
    }
    let mut files = Vec::new();
    let mut index = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (n, chunk) in urls.chunks(limit).enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        index.push_str(&format!("  <sitemap><loc>{}</loc></sitemap>\n", escape(&format!("{base}{name}"))));
        files.push((name, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("sitemap.xml".into(), index.into_bytes()));
    files
}

/// Records with an `updated` date, newest first. The feed's own date is the newest
/// record's, so two builds of the same input are identical.
fn atom(site: &Site) -> String {
    let c = &site.config;
    let base = c.base_url();
    let recent: Vec<usize> = site.recently_updated(c.recent).into_iter().filter(|&i| site.records[i].updated.is_some()).collect();
    let feed_updated = recent.first().and_then(|&i| site.records[i].updated).map_or_else(|| "1970-01-01".to_string(), |d| d.to_string());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n  <title>{}</title>\n  <subtitle>Recently updated error codes</subtitle>\n  <link href=\"{}\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}atom.xml\"/>\n  <id>{}</id>\n  <updated>{}T00:00:00Z</updated>\n  <generator>Fixbook</generator>\n",
        escape(&c.language),
        escape(&c.title),
        escape(&base),
        escape(&base),
        escape(&base),
        feed_updated
    ));
    for i in recent {
        let r = &site.records[i];
        let link = format!("{base}{}", site.paths[i]);
        let product = c.product(r.product()).map_or(r.product(), |p| p.name.as_str());
        out.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <link href=\"{}\"/>\n    <id>{}</id>\n    <updated>{}T00:00:00Z</updated>\n    <summary>{}</summary>\n    <category term=\"{}\" label=\"{}\"/>\n  </entry>\n",
            escape(&r.title),
            escape(&link),
            escape(&link),
            r.updated.expect("filtered above"),
            escape(&r.summary),
            escape(r.product()),
            escape(product)
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// The format version of records.json and its parts; bumped on any incompatible change.
pub const RECORDS_JSON_VERSION: u32 = 2;
pub const RECORDS_JSON: &str = "records.json";
/// Records per part of the records data. A part is some 3 MB: an edit rewrites one part, not
/// the whole knowledge base (335 MB at 100,000 records), and every part stays under the
/// per-file limits of static hosts (25 MiB on Cloudflare Pages).
pub const RECORDS_PER_PART: usize = 1_000;

fn part_count(site: &Site) -> usize {
    site.records.len().div_ceil(RECORDS_PER_PART)
}

/// `records/1.json`, numbered from 1.
fn part_path(p: usize) -> String {
    format!("records/{}.json", p + 1)
}

/// The index of the records data: what the site is and where its parts are.
fn records_json(site: &Site) -> Vec<u8> {
    let c = &site.config;
    let parts: Vec<String> = (0..part_count(site)).map(part_path).collect();
    let doc = Index { version: RECORDS_JSON_VERSION, title: &c.title, base_url: c.base_url(), records: site.records.len(), per_part: RECORDS_PER_PART, parts };
    let mut bytes = serde_json::to_vec(&doc).expect("the index serialises");
    bytes.push(b'\n');
    bytes
}

/// Part `p` of the records data: every record's fields as written (Markdown unrendered), with
/// the id, the page URL and the product's name added.
fn records_part(site: &Site, p: usize) -> Vec<u8> {
    let head = serde_json::to_vec(&Part { version: RECORDS_JSON_VERSION, part: p + 1, records: Vec::new() }).expect("the head serialises");
    // Records are serialised side by side and joined as serde_json would write the array.
    let range = p * RECORDS_PER_PART..((p + 1) * RECORDS_PER_PART).min(site.records.len());
    let entries: Vec<Vec<u8>> = range.into_par_iter().map(|i| serde_json::to_vec(&entry(site, i)).expect("records serialise")).collect();
    let mut bytes = Vec::with_capacity(head.len() + entries.iter().map(|e| e.len() + 1).sum::<usize>() + 1);
    bytes.extend_from_slice(&head[..head.len() - "[]}".len()]);
    bytes.push(b'[');
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(e);
    }
    bytes.extend_from_slice(b"]}\n");
    bytes
}

#[derive(Serialize)]
struct Index<'a> {
    version: u32,
    title: &'a str,
    base_url: String,
    /// How many records there are in all.
    records: usize,
    per_part: usize,
    parts: Vec<String>,
}

#[derive(Serialize)]
struct Part<'a> {
    version: u32,
    /// From 1.
    part: usize,
    /// Last, so that the records can be written after the rest.
    records: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    url: String,
    product_name: &'a str,
    id: &'a str,
    #[serde(flatten)]
    record: &'a Record,
}

fn entry(site: &Site, i: usize) -> Entry<'_> {
    let c = &site.config;
    let r = &site.records[i];
    Entry {
        url: format!("{}{}", c.base_url(), site.paths[i]),
        product_name: c.product(r.product()).map_or(r.product(), |p| p.name.as_str()),
        id: r.id.as_str(),
        record: r,
    }
}

#[cfg(test)]
mod tests {
    use crate::load::load_from_memory;
    use crate::validate::validate;

    #[test]
    fn a_records_part_is_the_document_serde_json_writes() {
        let site_toml = "title = \"T \\\"q\\\"\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        for n in [0, 1, 3] {
            let texts: Vec<(String, String)> =
                (0..n).map(|i| (format!("p/{i}"), format!("code = \"{i}\"\nproduct = \"p\"\ntitle = \"t <{i}>\"\nsummary = \"s\"\n"))).collect();
            let refs: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let site = validate(load_from_memory(site_toml, &refs)).unwrap();
            let doc = super::Part { version: super::RECORDS_JSON_VERSION, part: 1, records: (0..n).map(|i| super::entry(&site, i)).collect() };
            let mut whole = serde_json::to_vec(&doc).unwrap();
            whole.push(b'\n');
            assert_eq!(String::from_utf8(super::records_part(&site, 0)).unwrap(), String::from_utf8(whole).unwrap());
            let index: serde_json::Value = serde_json::from_slice(&super::records_json(&site)).unwrap();
            assert_eq!(index["records"], n);
            assert_eq!(index["parts"].as_array().unwrap().len(), usize::from(n > 0));
        }
    }

    #[test]
    fn only_the_parts_of_edited_records_are_made_again() {
        let site_toml = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        let texts: Vec<(String, String)> =
            (0..2_500).map(|i| (format!("p/{i:04}"), format!("code = \"{i}\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n"))).collect();
        let refs: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let site = validate(load_from_memory(site_toml, &refs)).unwrap();
        let names = |files: Vec<(String, Vec<u8>)>| files.into_iter().map(|(n, _)| n).filter(|n| n.starts_with("records")).collect::<Vec<_>>();
        assert_eq!(names(super::files(&site, None)), ["records.json", "records/1.json", "records/2.json", "records/3.json"]);
        assert_eq!(names(super::files(&site, Some(&[1_500, 1_999].into()))), ["records.json", "records/2.json"]);
        let all: usize = super::files(&site, None)
            .iter()
            .filter(|(n, _)| n.starts_with("records/"))
            .map(|(_, b)| serde_json::from_slice::<serde_json::Value>(b).unwrap()["records"].as_array().unwrap().len())
            .sum();
        assert_eq!(all, 2_500);
    }

    #[test]
    fn large_sitemaps_are_split_under_an_index() {
        let site_toml = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        let texts: Vec<(String, String)> =
            (0..5).map(|i| (format!("p/{i}"), format!("code = \"{i}\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n"))).collect();
        let refs: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let site = validate(load_from_memory(site_toml, &refs)).unwrap();
        // home, codes, product, 5 records, tags index = 9 URLs; 4 per file -> index + 3 files.
        let files = super::sitemaps(&site, 4);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]);
        let index = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(index.contains("<sitemapindex") && index.contains("<loc>https://h.example/sitemap-3.xml</loc>"), "{index}");
        let total: usize = files[1..].iter().map(|(_, b)| String::from_utf8_lossy(b).matches("<url>").count()).sum();
        assert_eq!(total, 9);
        assert_eq!(super::sitemaps(&site, 50_000).len(), 1);
    }
}
