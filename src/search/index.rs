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

use super::corpus::{Corpus, Touched, SCALE};
use super::doc::*;
use super::terms::Terms;
pub use super::terms::WHOLE_PREFIX;
use super::encode::{content_hash, fnv1a, script, shared_prefix, utf16_len, vlq};
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
/// Term shards end where a term's hash says so (one term in `TERM_SHARD_CUT`) once they hold
/// `TERM_SHARD_MIN` characters, and at `TERM_SHARD_MAX` at the latest: about 12,000 on average.
const TERM_SHARD_MIN: usize = 6_000;
const TERM_SHARD_MAX: usize = 30_000;
const TERM_SHARD_CUT: u32 = 128;
/// Approximate size of one typo shard, in characters.
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

/// Files of the index: (path under the site root, contents).
type IndexFiles = Vec<(String, Vec<u8>)>;

const SEVERITIES: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];


/// Every file of the index, as (path under the site root, contents).
pub fn build(site: &Site) -> Vec<(String, Vec<u8>)> {
    Index::new(site, Terms::analyse(site)).files(site)
}

/// The index of a site, kept so that edits to a few records update it (`serve`,
/// `build --watch`) instead of building it again; [`Index::files`] are the same either way.
pub struct Index {
    corpus: Corpus,
    /// By term number: the typo-table entry of a word in use that typos can reach.
    typo: Vec<Option<TypoEntry>>,
    /// What results show, `META_CHUNK` records per chunk, as written.
    meta: Vec<Vec<u8>>,
}

/// One word's entry in the typo table, and the FNV-1a of each of its keys.
struct TypoEntry {
    text: String,
    keys: Vec<u32>,
}

impl Index {
    /// The index of `site`, whose records' terms are `terms`.
    pub fn new(site: &Site, terms: Terms) -> Index {
        debug_assert_eq!(terms.docs.len(), site.records.len());
        let corpus = Corpus::new(terms);
        let typo = (0..corpus.terms().numbered() as u32).into_par_iter().map(|t| typo_entry(&corpus, t)).collect();
        let meta = (0..site.records.len().div_ceil(META_CHUNK)).into_par_iter().map(|c| meta_chunk(site, c)).collect();
        Index { corpus, typo, meta }
    }

    /// Brings the index up to date after the records at `changed` were edited in place:
    /// same records in the same order, with the same products and tags.
    pub fn update(&mut self, site: &Site, changed: &[usize]) {
        match self.corpus.update(site, changed) {
            Touched::All => {
                let corpus = &self.corpus;
                self.typo = (0..corpus.terms().numbered() as u32).into_par_iter().map(|t| typo_entry(corpus, t)).collect();
            }
            Touched::Some(terms) => {
                self.typo.resize_with(self.corpus.terms().numbered(), || None);
                for t in terms {
                    self.typo[t as usize] = typo_entry(&self.corpus, t);
                }
            }
        }
        let mut chunks: Vec<usize> = changed.iter().map(|i| i / META_CHUNK).collect();
        chunks.dedup();
        for c in chunks {
            self.meta[c] = meta_chunk(site, c);
        }
    }

    /// The terms of every record, to keep for the next build.
    pub fn terms(&self) -> &Terms {
        self.corpus.terms()
    }

    /// Every file of the index of `site`, as (path under the site root, contents).
    pub fn files(&self, site: &Site) -> Vec<(String, Vec<u8>)> {
        let n = site.records.len();
        let mut files = Vec::new();
        let ((shards, terms_files), (typo, typo_files)) = rayon::join(|| term_shards(&self.corpus), || typo_shards(&self.corpus, &self.typo));
        files.extend(terms_files);
        files.extend(typo_files);
        let meta_hashes = meta_files(&self.meta, &mut files);
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
            "terms": { "first": shards.0, "hashes": shards.1 },
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
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn encode_postings(out: &mut String, list: &[(u32, u32)]) {
    let mut prev = 0;
    for (i, &(doc, impact)) in list.iter().enumerate() {
        vlq(out, if i == 0 { doc } else { doc - prev });
        vlq(out, impact);
        prev = doc;
    }
}

/// Cuts the sorted terms into shards; returns each shard's first-term boundary and hash, and
/// the files. A shard ends after a term whose hash says so once it holds `TERM_SHARD_MIN`
/// characters, or at `TERM_SHARD_MAX`: where shards end depends on the terms around the
/// cut, not on everything before it, so an edit that changes a few postings changes the
/// shards those terms are in and leaves the others byte for byte as they were.
fn term_shards(corpus: &Corpus) -> ((Vec<String>, Vec<String>), IndexFiles) {
    let mut firsts = Vec::new();
    let mut shards: Vec<(String, String)> = Vec::new();
    let (mut dict, mut post) = (String::new(), String::new());
    let mut prev: Vec<u16> = Vec::new();
    for (t, term) in corpus.sorted() {
        let list = corpus.postings(t);
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
        let size = dict.len() + post.len();
        if size >= TERM_SHARD_MAX || size >= TERM_SHARD_MIN && (fnv1a(term) >> 16).is_multiple_of(TERM_SHARD_CUT) {
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
    let mut files = Vec::with_capacity(shards.len());
    for (n, (dict, post)) in shards.into_iter().enumerate() {
        let bytes = script(&format!("t{n}"), &json!([dict, post]));
        let hash = content_hash(&bytes);
        files.push((format!("{DIR}t{n}.{hash}.js"), bytes));
        hashes.push(hash);
    }
    ((firsts, hashes), files)
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

/// The typo-table entry of term `t`, if it is a word in use that typos can reach: the word,
/// its document frequency and its best records.
fn typo_entry(corpus: &Corpus, t: u32) -> Option<TypoEntry> {
    let list = corpus.postings(t);
    let term = corpus.terms().text(t);
    if list.is_empty() || !typo_eligible(term) {
        return None;
    }
    let mut top: Vec<(u32, u32)> = list.clone();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(TYPO_TOP);
    top.sort();
    let mut text = String::new();
    vlq(&mut text, utf16_len(term) as u32);
    text.push_str(term);
    vlq(&mut text, list.len() as u32);
    vlq(&mut text, top.len() as u32);
    encode_postings(&mut text, &top);
    Some(TypoEntry { text, keys: typo_keys(term).iter().map(|k| fnv1a(k)).collect() })
}

/// The typo table: every word, with its best records, in the shard of each of its keys.
fn typo_shards(corpus: &Corpus, typo: &[Option<TypoEntry>]) -> ((u32, Vec<String>), IndexFiles) {
    let entries: Vec<&TypoEntry> = corpus.sorted().filter_map(|(t, _)| typo[t as usize].as_ref()).collect();
    if entries.is_empty() {
        return ((0, Vec::new()), Vec::new());
    }
    let total: usize = entries.iter().map(|e| e.text.len() * e.keys.len()).sum();
    let count = total.div_ceil(TYPO_SHARD_CHARS).max(1) as u32;
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); count as usize];
    for (i, e) in entries.iter().enumerate() {
        for key in &e.keys {
            let s = &mut shards[(key % count) as usize];
            if s.last() != Some(&i) {
                s.push(i);
            }
        }
    }
    let made: Vec<(String, (String, Vec<u8>))> = shards
        .par_iter()
        .enumerate()
        .map(|(n, list)| {
            let data: String = list.iter().map(|&i| entries[i].text.as_str()).collect();
            let bytes = script(&format!("y{n}"), &json!(data));
            let hash = content_hash(&bytes);
            (hash.clone(), (format!("{DIR}y{n}.{hash}.js"), bytes))
        })
        .collect();
    let (hashes, files) = made.into_iter().unzip();
    ((count, hashes), files)
}

/// What a result shows of records `c * META_CHUNK..`, as written.
fn meta_chunk(site: &Site, c: usize) -> Vec<u8> {
    let product = |key: &str| site.by_product.keys().position(|k| k == key).unwrap_or(0);
    let docs: Vec<Value> = (c * META_CHUNK..((c + 1) * META_CHUNK).min(site.records.len()))
        .map(|i| {
            let r = &site.records[i];
            json!([r.code(), r.title, product(r.product()), severity_index(r.severity), r.summary, site.paths[i]])
        })
        .collect();
    script(&format!("m{c}"), &json!(docs))
}

/// The metadata chunk files. A hash names `META_GROUP` chunks at a time: one per chunk would
/// make the manifest grow by a hash per 16 records (37 KB at 100,000), and record numbers
/// shift when a record is added, so few would survive that change anyway; one for all would
/// rename every chunk when one record is edited.
fn meta_files(chunks: &[Vec<u8>], files: &mut Vec<(String, Vec<u8>)>) -> Vec<String> {
    let hashes: Vec<String> = chunks.par_chunks(META_GROUP).map(|group| content_hash(&group.concat())).collect();
    for (c, bytes) in chunks.iter().enumerate() {
        files.push((format!("{DIR}m{c}.{}.js", hashes[c / META_GROUP]), bytes.clone()));
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
    use crate::load::load_from_memory;
    use crate::validate::validate;

    fn site(records: &[(String, String)]) -> Site {
        let site_toml = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        let refs: Vec<(&str, &str)> = records.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        validate(load_from_memory(site_toml, &refs)).unwrap()
    }

    fn record(i: usize, summary: &str) -> (String, String) {
        let words = ["printer", "spooler", "gateway", "certificate", "timeout", "driver", "queue"];
        let body: Vec<&str> = (0..12).map(|k| words[(i * 7 + k * 3) % words.len()]).collect();
        (format!("p/{i:02}"), format!("code = \"0x{i:x}\"\nproduct = \"p\"\ntitle = \"{} {}\"\nsummary = \"{summary}\"\nquick_answer = \"{}\"\n", words[i % 7], words[(i + 2) % 7], body.join(" ")))
    }

    #[test]
    fn an_updated_index_is_the_index_built_afresh() {
        let mut records: Vec<(String, String)> = (0..40).map(|i| record(i, "The printer spooler stopped")).collect();
        let mut index = Index::new(&site(&records), Terms::analyse(&site(&records)));
        let edits = [
            // Same lengths: the averages hold and only the touched terms are computed again.
            (3, "The gateway spooler stopped"),
            (3, "The gateway spooler stalled"),
            (17, "The zebra quokka stopped"),
            // Longer: the summary's average length moves, and every impact is computed again.
            (20, "The printer spooler stopped after a long and winding certificate timeout"),
            (3, "The printer spooler stopped"),
            (17, "The printer spooler stopped"),
        ];
        for (i, summary) in edits {
            records[i] = record(i, summary);
            let now = site(&records);
            index.update(&now, &[i]);
            let fresh = build(&now);
            let got = index.files(&now);
            assert_eq!(got.iter().map(|f| &f.0).collect::<Vec<_>>(), fresh.iter().map(|f| &f.0).collect::<Vec<_>>(), "after editing {i} to {summary:?}");
            for ((path, a), (_, b)) in got.iter().zip(&fresh) {
                assert!(a == b, "{path} differs after editing {i} to {summary:?}");
            }
        }
        assert!(!index.files(&site(&records)).iter().any(|(_, b)| String::from_utf8_lossy(b).contains("zebra")), "a word no record uses any more is gone");
    }

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
