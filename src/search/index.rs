//! The browser's search index, written by `build` into `search/` (format: docs/search-index.md).
//!
//! Scores are BM25 per field, weighted and summed at build time into one integer "impact" per
//! (term, record); the browser multiplies it by the term's IDF. Terms are sorted and cut into
//! shards by size, so a query loads only the shards its terms fall in; a typo table keyed by
//! one-deletion variants (SymSpell) finds misspelt words wherever they sort; record metadata
//! and facets are separate files loaded only for what is shown.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;
use serde_json::{json, Value};

use super::analyze::Kind;
use super::doc::*;
use super::terms::{DocTerms, Terms, CODE_FIELD, FIELDS, WHOLE_FIELD};
pub use super::terms::WHOLE_PREFIX;
use super::encode::{content_hash, fnv1a, script, shared_prefix, utf16_cmp, utf16_len, vlq};
use crate::record::Severity;
use crate::site::Site;

/// Bumped on any change a runtime of another version could misread.
pub const FORMAT: u32 = 2;
/// Where the index lives in the output.
pub const DIR: &str = "search/";
/// Whether a site file is part of the index (the search page is not).
pub fn is_index_file(path: &str) -> bool {
    path.starts_with(DIR) && path.ends_with(".js")
}
/// Impacts are stored as integers: `round(impact * SCALE)`.
const SCALE: f32 = 2.0;
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Approximate size of one term shard and one typo shard, in characters.
const TERM_SHARD_CHARS: usize = 12_000;
const TYPO_SHARD_CHARS: usize = 3_000;
/// Typo keys are built from a word's first `TYPO_PREFIX` characters.
pub const TYPO_PREFIX: usize = 6;
/// Words shorter than this never match with a typo.
pub const TYPO_MIN_CHARS: usize = 4;
/// A typo match brings a word's best `TYPO_TOP` records.
const TYPO_TOP: usize = 20;
/// The word being typed is completed only from this many characters on.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Records per metadata chunk.
const META_CHUNK: usize = 16;
/// Metadata chunks named by one hash: an edit renames this many files, not all of them.
const META_GROUP: usize = 64;

const SEVERITIES: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

type Postings = Vec<(u32, u32)>;

/// Every file of the index, as (path under the site root, contents).
pub fn build(site: &Site) -> Vec<(String, Vec<u8>)> {
    build_from(site, &Terms::analyse(site))
}

/// Every file of the index of `site`, whose records' terms are `terms`.
pub fn build_from(site: &Site, terms: &Terms) -> Vec<(String, Vec<u8>)> {
    let n = site.records.len();
    debug_assert_eq!(terms.docs.len(), n);
    let stats = FieldStats::new(terms);
    // Postings are filled by a term's place in sorted order, looked up by its number.
    let impacts: Vec<Vec<(u32, u32)>> = terms.docs.par_iter().map(|d| impacts(d, &stats)).collect();
    let mut postings: Vec<Postings> = vec![Vec::new(); stats.sorted.len()];
    for (doc, list) in impacts.into_iter().enumerate() {
        for (id, impact) in list {
            postings[id as usize].push((doc as u32, impact));
        }
    }
    let terms: Vec<(&str, Postings)> = stats.sorted.iter().map(|&t| terms.text(t)).zip(postings).collect();

    let mut files = Vec::new();
    let term_shards = term_shards(&terms, &mut files);
    let typo = typo_shards(&terms, &mut files);
    drop(terms);
    drop(stats);
    let meta_hashes = meta_chunks(site, &mut files);
    let facets = facets(site, &mut files);
    let paths = paths(site, &mut files);
    let products: Vec<Value> = site
        .by_product
        .keys()
        .map(|k| json!([k, site.config.product(k).map_or(k.as_str(), |p| p.name.as_str())]))
        .collect();
    let manifest = json!({
        "format": FORMAT,
        "docs": n,
        "scale": SCALE,
        "factors": { "prefix": round3(PREFIX_FACTOR), "fuzzy": round3(FUZZY_FACTOR) },
        "terms": { "first": term_shards.0, "hashes": term_shards.1 },
        "prefix": MIN_PREFIX_CHARS,
        "typo": { "shards": typo.0, "prefix": TYPO_PREFIX, "min": TYPO_MIN_CHARS, "hashes": typo.1 },
        "meta": { "chunk": META_CHUNK, "chunks": n.div_ceil(META_CHUNK), "group": META_GROUP, "hashes": meta_hashes },
        "facets": facets,
        "paths": paths,
        "products": products,
        "severities": SEVERITIES.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    });
    files.push((format!("{DIR}manifest.js"), script("manifest", &manifest)));
    files
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

/// BM25F-style: the sum over fields of weight x IDF in that field x saturated term
/// frequency, scaled to an integer >= 1, per term (by its place in sorted order). IDF is per
/// field, as in tantivy: a word that is everywhere in body text can still be telling in a title.
fn impacts(d: &DocTerms, stats: &FieldStats) -> Vec<(u32, u32)> {
    let norm: [f32; FIELDS] = std::array::from_fn(|f| K1 * (1.0 - B + B * d.lengths[f] as f32 / stats.avg_len[f]));
    d.terms
        .iter()
        .map(|(term, counts)| {
            let df = &stats.df[*term as usize];
            let mut sum = 0f32;
            for (f, &tf) in counts.tf.iter().enumerate() {
                if tf == 0 {
                    continue;
                }
                let weight = match f {
                    // A plain word inside a code ("Bad Gateway") counts like a title word.
                    CODE_FIELD if counts.kind == Kind::Word => TITLE_BOOST,
                    CODE_FIELD | WHOLE_FIELD => CODE_BOOST,
                    1 => TITLE_BOOST,
                    2 => SUMMARY_BOOST,
                    3 => KEYWORDS_BOOST,
                    _ => BODY_BOOST,
                };
                let tf = tf as f32;
                sum += weight * stats.idf(df[f]) * tf * (K1 + 1.0) / (tf + norm[f]);
            }
            (stats.place[*term as usize], ((sum * SCALE).round() as u32).max(1))
        })
        .collect()
}

/// What the whole corpus says about its terms: per field, the average length; per term
/// number, in how many records each field holds it and its place in sorted order; and the
/// terms in use, sorted.
struct FieldStats {
    docs: f32,
    avg_len: [f32; FIELDS],
    df: Vec<[u32; FIELDS]>,
    place: Vec<u32>,
    sorted: Vec<u32>,
}

impl FieldStats {
    fn new(terms: &Terms) -> FieldStats {
        let docs = &terms.docs;
        let n = docs.len().max(1) as f32;
        let mut avg_len = [0f32; FIELDS];
        for d in docs {
            for (f, len) in d.lengths.iter().enumerate() {
                avg_len[f] += *len as f32;
            }
        }
        for a in &mut avg_len {
            *a = (*a / n).max(1.0);
        }
        let numbered = terms.numbered();
        let df = docs
            .par_iter()
            .fold(
                || vec![[0u32; FIELDS]; numbered],
                |mut df, d| {
                    for (t, counts) in &d.terms {
                        for (f, &tf) in counts.tf.iter().enumerate() {
                            df[*t as usize][f] += u32::from(tf > 0);
                        }
                    }
                    df
                },
            )
            .reduce_with(|mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for f in 0..FIELDS {
                        x[f] += y[f];
                    }
                }
                a
            })
            .unwrap_or_else(|| vec![[0; FIELDS]; numbered]);
        // A number no record uses any more (its record was edited) is left out.
        let mut sorted: Vec<u32> = (0..numbered as u32).filter(|&t| df[t as usize].iter().any(|&c| c > 0)).collect();
        sorted.par_sort_unstable_by(|&a, &b| utf16_cmp(terms.text(a), terms.text(b)));
        let mut place = vec![u32::MAX; numbered];
        for (i, &t) in sorted.iter().enumerate() {
            place[t as usize] = i as u32;
        }
        FieldStats { docs: n, avg_len, df, place, sorted }
    }

    fn idf(&self, df: u32) -> f32 {
        let df = df as f32;
        (1.0 + (self.docs - df + 0.5) / (df + 0.5)).ln()
    }
}

fn encode_postings(out: &mut String, list: &[(u32, u32)]) {
    let mut prev = 0;
    for (i, &(doc, impact)) in list.iter().enumerate() {
        vlq(out, if i == 0 { doc } else { doc - prev });
        vlq(out, impact);
        prev = doc;
    }
}

/// Cuts the sorted terms into shards; returns each shard's first-term boundary and hash.
fn term_shards(terms: &[(&str, Postings)], files: &mut Vec<(String, Vec<u8>)>) -> (Vec<String>, Vec<String>) {
    let mut firsts = Vec::new();
    let mut shards: Vec<(String, String)> = Vec::new();
    let (mut dict, mut post) = (String::new(), String::new());
    let mut prev: Vec<u16> = Vec::new();
    for (term, list) in terms {
        let units: Vec<u16> = term.encode_utf16().collect();
        if dict.is_empty() {
            firsts.push(if shards.is_empty() {
                String::new()
            } else {
                // The shortest prefix of this term that still sorts after the previous shard.
                let keep = (shared_prefix(&prev, &units) + 1).min(units.len());
                String::from_utf16_lossy(&units[..keep])
            });
            prev.clear();
        }
        let shared = shared_prefix(&prev, &units);
        let suffix = String::from_utf16_lossy(&units[shared..]);
        let start = post.len();
        encode_postings(&mut post, list);
        vlq(&mut dict, shared as u32);
        vlq(&mut dict, utf16_len(&suffix) as u32);
        dict.push_str(&suffix);
        vlq(&mut dict, list.len() as u32);
        vlq(&mut dict, (post.len() - start) as u32);
        prev = units;
        if dict.len() + post.len() >= TERM_SHARD_CHARS {
            shards.push((std::mem::take(&mut dict), std::mem::take(&mut post)));
        }
    }
    if !dict.is_empty() || shards.is_empty() {
        if firsts.is_empty() {
            firsts.push(String::new());
        }
        shards.push((dict, post));
    }
    let mut hashes = Vec::with_capacity(shards.len());
    for (n, (dict, post)) in shards.into_iter().enumerate() {
        let bytes = script(&format!("t{n}"), &json!([dict, post]));
        let hash = content_hash(&bytes);
        files.push((format!("{DIR}t{n}.{hash}.js"), bytes));
        hashes.push(hash);
    }
    (firsts, hashes)
}

/// SymSpell keys of a word: its first `TYPO_PREFIX` characters, and that prefix with each
/// one character deleted. Two words within one edit share a key.
pub fn typo_keys(word: &str) -> Vec<String> {
    let prefix: Vec<char> = word.chars().take(TYPO_PREFIX).collect();
    let mut keys = vec![prefix.iter().collect::<String>()];
    for skip in 0..prefix.len() {
        let key: String = prefix.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c).collect();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

fn typo_eligible(term: &str) -> bool {
    term.chars().count() >= TYPO_MIN_CHARS && term.chars().all(char::is_alphabetic)
}

/// The typo table: every word, with its best records, in the shard of each of its keys.
fn typo_shards(terms: &[(&str, Postings)], files: &mut Vec<(String, Vec<u8>)>) -> (u32, Vec<String>) {
    let entries: Vec<(&str, String)> = terms
        .par_iter()
        .filter(|(t, _)| typo_eligible(t))
        .map(|(term, list)| {
            let mut top: Vec<(u32, u32)> = list.clone();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(TYPO_TOP);
            top.sort();
            let mut e = String::new();
            vlq(&mut e, utf16_len(term) as u32);
            e.push_str(term);
            vlq(&mut e, list.len() as u32);
            vlq(&mut e, top.len() as u32);
            encode_postings(&mut e, &top);
            (*term, e)
        })
        .collect();
    if entries.is_empty() {
        return (0, Vec::new());
    }
    let keyed: Vec<Vec<String>> = entries.iter().map(|(w, _)| typo_keys(w)).collect();
    let total: usize = entries.iter().zip(&keyed).map(|((_, e), k)| e.len() * k.len()).sum();
    let count = total.div_ceil(TYPO_SHARD_CHARS).max(1) as u32;
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); count as usize];
    for (i, keys) in keyed.iter().enumerate() {
        for key in keys {
            let s = &mut shards[(fnv1a(key) % count) as usize];
            if s.last() != Some(&i) {
                s.push(i);
            }
        }
    }
    let mut hashes = Vec::with_capacity(shards.len());
    for (n, list) in shards.iter().enumerate() {
        let data: String = list.iter().map(|&i| entries[i].1.as_str()).collect();
        let bytes = script(&format!("y{n}"), &json!(data));
        let hash = content_hash(&bytes);
        files.push((format!("{DIR}y{n}.{hash}.js"), bytes));
        hashes.push(hash);
    }
    (count, hashes)
}

/// What a result shows, `META_CHUNK` records per file. A hash names `META_GROUP` chunks at a
/// time: one per chunk would make the manifest grow by a hash per 16 records (37 KB at
/// 100,000), and record numbers shift when a record is added, so few would survive that
/// change anyway; one for all would rename every chunk when one record is edited.
fn meta_chunks(site: &Site, files: &mut Vec<(String, Vec<u8>)>) -> Vec<String> {
    let product_index: HashMap<&str, usize> = site.by_product.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let chunks: Vec<Vec<u8>> = (0..site.records.len().div_ceil(META_CHUNK))
        .into_par_iter()
        .map(|c| {
            let docs: Vec<Value> = (c * META_CHUNK..((c + 1) * META_CHUNK).min(site.records.len()))
                .map(|i| {
                    let r = &site.records[i];
                    json!([r.code(), r.title, product_index[r.product()], severity_index(r.severity), r.summary, site.paths[i]])
                })
                .collect();
            script(&format!("m{c}"), &json!(docs))
        })
        .collect();
    let hashes: Vec<String> = chunks.chunks(META_GROUP).map(|group| content_hash(&group.concat())).collect();
    for (c, bytes) in chunks.into_iter().enumerate() {
        files.push((format!("{DIR}m{c}.{}.js", hashes[c / META_GROUP]), bytes));
    }
    hashes
}

/// Every record's page path by record number, for the not-found page's nearest codes; loaded
/// by nothing else. Returns the file's name.
fn paths(site: &Site, files: &mut Vec<(String, Vec<u8>)>) -> String {
    let bytes = script("paths", &json!(site.paths));
    let name = format!("paths.{}.js", content_hash(&bytes));
    files.push((format!("{DIR}{name}"), bytes));
    name
}

fn severity_index(s: Option<Severity>) -> usize {
    s.and_then(|s| SEVERITIES.iter().position(|&x| x == s)).map_or(0, |i| i + 1)
}

/// Facet values of every record: products as runs, severities as one character per record,
/// tags as lists of record numbers. Returns the file's name.
fn facets(site: &Site, files: &mut Vec<(String, Vec<u8>)>) -> String {
    let product_index: HashMap<&str, u32> =
        site.by_product.keys().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect();
    let mut runs = String::new();
    let mut current: Option<(u32, u32)> = None;
    for r in &site.records {
        let p = product_index[r.product()];
        match &mut current {
            Some((q, len)) if *q == p => *len += 1,
            _ => {
                if let Some((q, len)) = current {
                    vlq(&mut runs, len);
                    vlq(&mut runs, q);
                }
                current = Some((p, 1));
            }
        }
    }
    if let Some((q, len)) = current {
        vlq(&mut runs, len);
        vlq(&mut runs, q);
    }
    let severity: String = site.records.iter().map(|r| char::from(b'0' + severity_index(r.severity) as u8)).collect();
    let mut tags: Vec<(&str, Vec<usize>)> = site.by_tag.values().map(|(name, list)| (name.as_str(), list.clone())).collect();
    tags.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let names: Vec<&str> = tags.iter().map(|t| t.0).collect();
    let docs: Vec<String> = tags
        .iter_mut()
        .map(|(_, list)| {
            list.sort_unstable();
            let mut s = String::new();
            let mut prev = 0;
            for (i, &d) in list.iter().enumerate() {
                vlq(&mut s, if i == 0 { d as u32 } else { (d - prev) as u32 });
                prev = d;
            }
            s
        })
        .collect();
    let bytes = script("facets", &json!({ "products": runs, "severity": severity, "tags": names, "tagDocs": docs }));
    let name = format!("facets.{}.js", content_hash(&bytes));
    files.push((format!("{DIR}{name}"), bytes));
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_keys_share_one_for_one_edit() {
        let share = |a: &str, b: &str| typo_keys(a).iter().any(|k| typo_keys(b).contains(k));
        assert!(share("certificate", "certifcate"), "deletion after the prefix");
        assert!(share("certificate", "crtificate"), "deletion inside the prefix");
        assert!(share("certificate", "cetrificate"), "swap");
        assert!(share("gateway", "gatewya"));
        assert!(share("remediation", "xemediation"), "substitution of the first letter");
        assert!(!share("gateway", "printer"));
        assert_eq!(typo_keys("abcd"), vec!["abcd", "bcd", "acd", "abd", "abc"]);
    }
}
