//! The browser's search index, written by `build` into `search/` (format: docs/search-index.md).
//!
//! Scores are BM25 per field, weighted and summed at build time into one integer "impact" per
//! (term, record); the browser multiplies it by the term's IDF. Terms are sorted and cut into
//! shards by size, so a query loads only the shards its terms fall in; a typo table keyed by
//! one-deletion variants (SymSpell) finds misspelt words wherever they sort; record metadata
//! and facets are separate files loaded only for what is shown.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet};

use rayon::prelude::*;
use serde_json::{json, Value};

use super::corpus::{Corpus, Touched, SCALE};
use super::doc::*;
use super::encode::{content_hash, fnv1a, script, shared_prefix, utf16_len, vlq};
use super::terms::Terms;
pub use super::terms::WHOLE_PREFIX;
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
/// Term shards end after a term whose hash says so once they hold `TERM_SHARD_MIN`
/// characters: a term of `c` characters (dictionary entry and postings) ends one with
/// probability `c / TERM_SHARD_SPREAD`, so that shards hold about `TERM_SHARD_MIN +
/// TERM_SHARD_SPREAD` characters however long postings are; at `TERM_SHARD_MAX` at the latest.
const TERM_SHARD_MIN: usize = 6_000;
const TERM_SHARD_SPREAD: u32 = 6_000;
const TERM_SHARD_MAX: usize = 30_000;
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

/// A file of the index: its path under the site root and its contents, shared with the
/// [`Index`] that keeps it, so that a file an update left alone is the same allocation.
pub type IndexFile = (String, Arc<[u8]>);

const SEVERITIES: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

/// Every file of the index, as (path under the site root, contents).
pub fn build(site: &Site) -> Vec<IndexFile> {
    Index::new(site, Terms::analyse(site)).files(site)
}

/// The index of a site, kept so that edits to a few records update it (`serve`,
/// `build --watch`) instead of building it again; [`Index::files`] are the same either way.
/// Besides the corpus it keeps what it wrote last, so that only the shards holding terms an
/// edit touched are made again.
pub struct Index {
    corpus: Corpus,
    /// By term number: the typo-table entry of a word in use that typos can reach.
    typo: Vec<Option<TypoEntry>>,
    /// What results show, `META_CHUNK` records per chunk, as written, and the hash of each
    /// group of `META_GROUP` chunks.
    meta: Vec<Arc<[u8]>>,
    meta_hashes: Vec<String>,
    paths: IndexFile,
    /// Terms touched since the shards below were made; `None`: everything must be made again.
    touched: Option<FxHashSet<u32>>,
    terms_made: Vec<TermShard>,
    typo_made: Vec<IndexFile>,
}

/// One word's entry in the typo table, and the FNV-1a of each of its keys.
struct TypoEntry {
    text: String,
    keys: Vec<u32>,
}

/// A term shard as made: the numbers of its terms in order, whether it ended by the cut rule
/// (rather than at the last term), its boundary in the manifest, and the file.
struct TermShard {
    terms: Vec<u32>,
    cut: bool,
    first: String,
    hash: String,
    file: IndexFile,
}

impl Index {
    /// The index of `site`, whose records' terms are `terms`.
    pub fn new(site: &Site, terms: Terms) -> Index {
        debug_assert_eq!(terms.docs.len(), site.records.len());
        let corpus = Corpus::new(terms);
        let typo = (0..corpus.terms().numbered() as u32).into_par_iter().map(|t| typo_entry(&corpus, t)).collect();
        let meta: Vec<Arc<[u8]>> = (0..site.records.len().div_ceil(META_CHUNK)).into_par_iter().map(|c| meta_chunk(site, c).into()).collect();
        let meta_hashes = meta.par_chunks(META_GROUP).map(|group| content_hash(&group.concat())).collect();
        let paths = paths(site);
        Index { corpus, typo, meta, meta_hashes, paths, touched: None, terms_made: Vec::new(), typo_made: Vec::new() }
    }

    /// Brings the index up to date after the records at `changed` were edited in place:
    /// same records in the same order, with the same products, codes and tags.
    pub fn update(&mut self, site: &Site, changed: &BTreeSet<usize>) {
        match self.corpus.update(site, changed) {
            Touched::All => {
                let corpus = &self.corpus;
                self.typo = (0..corpus.terms().numbered() as u32).into_par_iter().map(|t| typo_entry(corpus, t)).collect();
                self.touched = None;
            }
            Touched::Some(terms) => {
                self.typo.resize_with(self.corpus.terms().numbered(), || None);
                for &t in &terms {
                    self.typo[t as usize] = typo_entry(&self.corpus, t);
                }
                if let Some(touched) = self.touched.as_mut() {
                    touched.extend(terms);
                }
            }
        }
        let mut chunks: Vec<usize> = changed.iter().map(|i| i / META_CHUNK).collect();
        chunks.dedup();
        for &c in &chunks {
            self.meta[c] = meta_chunk(site, c).into();
        }
        let mut groups: Vec<usize> = chunks.iter().map(|c| c / META_GROUP).collect();
        groups.dedup();
        for g in groups {
            let end = ((g + 1) * META_GROUP).min(self.meta.len());
            self.meta_hashes[g] = content_hash(&self.meta[g * META_GROUP..end].concat());
        }
    }

    /// The terms of every record, to keep for the next build.
    pub fn terms(&self) -> &Terms {
        self.corpus.terms()
    }

    /// Every file of the index of `site`, as (path under the site root, contents).
    pub fn files(&mut self, site: &Site) -> Vec<IndexFile> {
        let n = site.records.len();
        let touched = self.touched.take();
        let (terms_made, typo_made) = rayon::join(
            || term_shards(&self.corpus, &self.terms_made, touched.as_ref()),
            || typo_shards(&self.corpus, &self.typo, &self.typo_made, touched.as_ref()),
        );
        self.terms_made = terms_made;
        self.typo_made = typo_made;
        self.touched = Some(FxHashSet::default());
        let mut files: Vec<IndexFile> = self.terms_made.iter().map(|s| s.file.clone()).chain(self.typo_made.iter().cloned()).collect();
        for (c, bytes) in self.meta.iter().enumerate() {
            files.push((format!("{DIR}m{c}.{}.js", self.meta_hashes[c / META_GROUP]), bytes.clone()));
        }
        let facets = facets(site, &mut files);
        files.push(self.paths.clone());
        let products: Vec<Value> = site.by_product.keys().map(|k| json!([k, site.config.product(k).map_or(k.as_str(), |p| p.name.as_str())])).collect();
        let hash = |file: &IndexFile| file.0.rsplit('.').nth(1).unwrap_or_default().to_string();
        let manifest = json!({
            "format": FORMAT,
            "docs": n,
            "scale": SCALE,
            "factors": { "prefix": round3(PREFIX_FACTOR), "fuzzy": round3(FUZZY_FACTOR) },
            "terms": { "first": self.terms_made.iter().map(|s| s.first.as_str()).collect::<Vec<_>>(), "hashes": self.terms_made.iter().map(|s| s.hash.as_str()).collect::<Vec<_>>() },
            "prefix": MIN_PREFIX_CHARS,
            "typo": { "shards": self.typo_made.len(), "prefix": TYPO_PREFIX, "min": TYPO_MIN_CHARS, "hashes": self.typo_made.iter().map(hash).collect::<Vec<_>>() },
            "meta": { "chunk": META_CHUNK, "chunks": n.div_ceil(META_CHUNK), "group": META_GROUP, "hashes": self.meta_hashes },
            "facets": facets,
            "paths": self.paths.0.strip_prefix(DIR).unwrap_or(&self.paths.0),
            "products": products,
            "severities": SEVERITIES.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        });
        files.push((format!("{DIR}manifest.js"), script("manifest", &manifest).into()));
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

/// Cuts the sorted terms into shards. A shard ends after a term whose hash and size say so
/// once it holds `TERM_SHARD_MIN` characters, or at `TERM_SHARD_MAX`: where shards end depends
/// on the terms around the cut, not on everything before it, so an edit that changes a few postings
/// changes the shards those terms are in and leaves the others byte for byte as they were.
/// A shard of `made` that starts where the next one does, with the same terms, none of them
/// `touched`, is taken as it is (with `touched` `None`, every shard is made).
fn term_shards(corpus: &Corpus, made: &[TermShard], touched: Option<&FxHashSet<u32>>) -> Vec<TermShard> {
    let sorted = corpus.sorted_numbers();
    let mut shards: Vec<TermShard> = Vec::with_capacity(made.len());
    let mut at = 0;
    while at < sorted.len() || shards.is_empty() {
        let n = shards.len();
        let first = match n {
            0 => String::new(),
            // The shortest prefix of this term that still sorts after the previous shard.
            _ => {
                let (prev, units): (Vec<u16>, Vec<u16>) =
                    (corpus.terms().text(sorted[at - 1]).encode_utf16().collect(), corpus.terms().text(sorted[at]).encode_utf16().collect());
                String::from_utf16_lossy(&units[..(shared_prefix(&prev, &units) + 1).min(units.len())])
            }
        };
        let kept = touched.and_then(|touched| {
            let old = made.get(n)?;
            let same = old.first == first
                && sorted[at..].starts_with(&old.terms)
                && (old.cut || at + old.terms.len() == sorted.len())
                && !old.terms.iter().any(|t| touched.contains(t));
            same.then(|| TermShard { terms: old.terms.clone(), cut: old.cut, first: old.first.clone(), hash: old.hash.clone(), file: old.file.clone() })
        });
        let shard = kept.unwrap_or_else(|| term_shard(corpus, &sorted[at..], n, first));
        at += shard.terms.len();
        shards.push(shard);
    }
    shards
}

/// Shard `n`, from the first of `terms` to where the cut rule ends it.
fn term_shard(corpus: &Corpus, terms: &[u32], n: usize, first: String) -> TermShard {
    let (mut dict, mut post) = (String::new(), String::new());
    let mut prev: Vec<u16> = Vec::new();
    let mut taken = Vec::new();
    let mut cut = false;
    for &t in terms {
        let term = corpus.terms().text(t);
        let list = corpus.postings(t);
        let before = dict.len() + post.len();
        let units: Vec<u16> = term.encode_utf16().collect();
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
        taken.push(t);
        let size = dict.len() + post.len();
        let entry = u32::try_from(size - before).unwrap_or(u32::MAX);
        if size >= TERM_SHARD_MAX || size >= TERM_SHARD_MIN && (fnv1a(term) >> 16) % TERM_SHARD_SPREAD < entry {
            cut = true;
            break;
        }
    }
    let bytes = script(&format!("t{n}"), &json!([dict, post]));
    let hash = content_hash(&bytes);
    TermShard { terms: taken, cut, first, file: (format!("{DIR}t{n}.{hash}.js"), bytes.into()), hash }
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

/// The typo table: every word, with its best records, in the shard of each of its keys. With
/// as many shards as `made` has, a shard that holds none of the words `touched` (or held) is
/// taken as it is.
fn typo_shards(corpus: &Corpus, typo: &[Option<TypoEntry>], made: &[IndexFile], touched: Option<&FxHashSet<u32>>) -> Vec<IndexFile> {
    let entries: Vec<&TypoEntry> = corpus.sorted().filter_map(|(t, _)| typo[t as usize].as_ref()).collect();
    if entries.is_empty() {
        return Vec::new();
    }
    let total: usize = entries.iter().map(|e| e.text.len() * e.keys.len()).sum();
    let count = total.div_ceil(TYPO_SHARD_CHARS).max(1) as u32;
    // The shards to make: all, or those a touched word is filed under (a word no longer in the
    // table was filed under the same keys).
    let remake: Vec<bool> = match touched.filter(|_| made.len() == count as usize) {
        Some(touched) => {
            let mut remake = vec![false; count as usize];
            for &t in touched {
                let word = corpus.terms().text(t);
                if typo_eligible(word) {
                    typo_keys(word).iter().for_each(|k| remake[(fnv1a(k) % count) as usize] = true);
                }
            }
            remake
        }
        None => vec![true; count as usize],
    };
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); count as usize];
    for (i, e) in entries.iter().enumerate() {
        for key in &e.keys {
            let n = (key % count) as usize;
            if remake[n] && shards[n].last() != Some(&i) {
                shards[n].push(i);
            }
        }
    }
    shards
        .par_iter()
        .enumerate()
        .map(|(n, list)| {
            if !remake[n] {
                return made[n].clone();
            }
            let data: String = list.iter().map(|&i| entries[i].text.as_str()).collect();
            let bytes = script(&format!("y{n}"), &json!(data));
            (format!("{DIR}y{n}.{}.js", content_hash(&bytes)), bytes.into())
        })
        .collect()
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

/// Every record's page path by record number, for the not-found page's nearest codes; loaded
/// by nothing else.
fn paths(site: &Site) -> IndexFile {
    let bytes = script("paths", &json!(site.paths));
    (format!("{DIR}paths.{}.js", content_hash(&bytes)), bytes.into())
}

fn severity_index(s: Option<Severity>) -> usize {
    s.and_then(|s| SEVERITIES.iter().position(|&x| x == s)).map_or(0, |i| i + 1)
}

/// Facet values of every record: products as runs, severities as one character per record,
/// tags as lists of record numbers. Returns the file's name.
fn facets(site: &Site, files: &mut Vec<IndexFile>) -> String {
    let product_index: HashMap<&str, u32> = site.by_product.keys().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect();
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
    files.push((format!("{DIR}{name}"), bytes.into()));
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

    /// A word of letters only, so that typos can reach it: "ba", "bb", ... for 0, 1, ...
    fn word(mut k: usize) -> String {
        let mut w = String::from("w");
        loop {
            w.push((b'a' + (k % 26) as u8) as char);
            k /= 26;
            if k == 0 {
                return w + "ord";
            }
        }
    }

    /// Record `i`: a title and 200 body words drawn from 5,000, enough for several shards.
    fn record(i: usize, summary: &str) -> (String, String) {
        let body: Vec<String> = (0..200).map(|k| word((i * 211 + k * 17) % 5_000)).collect();
        (
            format!("p/{i:02}"),
            format!(
                "code = \"0x{i:x}\"\nproduct = \"p\"\ntitle = \"{} {}\"\nsummary = \"{summary}\"\nquick_answer = \"{}\"\n",
                word(i),
                word(i + 7),
                body.join(" ")
            ),
        )
    }

    #[test]
    fn an_updated_index_is_the_index_built_afresh() {
        let mut records: Vec<(String, String)> = (0..60).map(|i| record(i, "The printer spooler stopped")).collect();
        let mut index = Index::new(&site(&records), Terms::analyse(&site(&records)));
        let mut before = index.files(&site(&records));
        assert!(before.iter().filter(|(p, _)| p.starts_with("search/t")).count() > 3, "enough terms for several shards");
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
        let mut reused = 0;
        for (i, summary) in edits {
            records[i] = record(i, summary);
            let now = site(&records);
            index.update(&now, &[i].into());
            let got = index.files(&now);
            let fresh = build(&now);
            assert_eq!(got.iter().map(|f| &f.0).collect::<Vec<_>>(), fresh.iter().map(|f| &f.0).collect::<Vec<_>>(), "after editing {i} to {summary:?}");
            for ((path, a), (_, b)) in got.iter().zip(&fresh) {
                assert!(a == b, "{path} differs after editing {i} to {summary:?}");
            }
            reused += got.iter().filter(|(p, a)| p.starts_with("search/t") && before.iter().any(|(q, b)| q == p && Arc::ptr_eq(a, b))).count();
            before = got;
        }
        assert!(reused > 0, "shards no edit touched are kept, not made again");
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
