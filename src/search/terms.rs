//! Every record's search terms, analysed once and kept: after an edit only the records that
//! changed are analysed again (`serve` keeps the terms in memory, `build` in
//! `.fixbook-cache/`). Analysis is most of the index's cost; what follows it (corpus
//! statistics, impacts, shards) is recomputed from these counts on every build, so the index
//! is the same whether its terms were kept or not.
//!
//! Terms are numbered in one table for the whole corpus, so that statistics and impacts are
//! counted in arrays indexed by number rather than hashed again per record. Numbers follow
//! first sight, not sort order: the index sorts the terms it writes.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::analyze::{each_term, whole, Kind, Mode};
use super::doc::SearchDoc;
use crate::site::Site;

/// The fields of one record as the index weighs them: code and aliases, title, summary,
/// keywords, body, and each multi-word code or alias whole.
pub const FIELDS: usize = 6;
pub const CODE_FIELD: usize = 0;
pub const WHOLE_FIELD: usize = 5;
/// Multi-word codes and aliases are whole terms with this prefix ("=bad gateway").
pub const WHOLE_PREFIX: char = '=';

/// How often one term occurs in each field of one record, and what kind of term it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Saturates at 65,535, where BM25's curve has long been flat: every record keeps one of
    /// these per term, and at 100,000 records u32s made the index 300 MB bigger.
    pub tf: [u16; FIELDS],
    pub kind: Kind,
}

/// One record's terms (by number, ascending) with their counts, and each field's length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocTerms {
    pub terms: Vec<(u32, Counts)>,
    pub lengths: [u32; FIELDS],
}

/// The terms of a corpus: the table of term texts and every record's [`DocTerms`], in the
/// order of the site's records.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    texts: Vec<String>,
    numbers: HashMap<String, u32>,
    pub docs: Vec<DocTerms>,
}

/// A record's terms before they are numbered.
struct Counted {
    terms: HashMap<String, Counts>,
    lengths: [u32; FIELDS],
}

impl Counted {
    fn new(d: &SearchDoc) -> Counted {
        let mut t = Counted { terms: HashMap::default(), lengths: [0; FIELDS] };
        for code in std::iter::once(d.code).chain(d.aliases.iter().map(String::as_str)) {
            t.add(CODE_FIELD, code, Mode::Code);
            let w = whole(code);
            if w.contains(' ') {
                let counts = t.terms.entry(format!("{WHOLE_PREFIX}{w}")).or_insert(Counts { tf: [0; FIELDS], kind: Kind::Ident });
                counts.tf[WHOLE_FIELD] = 1;
                t.lengths[WHOLE_FIELD] += 1;
            }
        }
        t.add(1, d.title, Mode::Text);
        t.add(2, d.summary, Mode::Text);
        for k in &d.keywords {
            t.add(3, k, Mode::Text);
        }
        t.add(4, &d.body, Mode::Text);
        t
    }

    fn add(&mut self, field: usize, text: &str, mode: Mode) {
        each_term(text, mode, |term, kind, _| {
            self.lengths[field] += 1;
            let counts = match self.terms.get_mut(term) {
                Some(counts) => counts,
                None => self.terms.entry(term.to_string()).or_insert(Counts { tf: [0; FIELDS], kind }),
            };
            counts.tf[field] = counts.tf[field].saturating_add(1);
        });
    }
}

impl Terms {
    /// Every record of `site` analysed.
    pub fn analyse(site: &Site) -> Terms {
        Terms::default().update(site, &|_| None)
    }

    /// The terms of `site`, taking record `i`'s from `self.docs[j]` where `kept(i)` is
    /// `Some(j)` (the record is unchanged since `self` was made; no two records name the same
    /// `j`) and analysing the others.
    pub fn update(mut self, site: &Site, kept: &(dyn Fn(usize) -> Option<usize> + Sync)) -> Terms {
        let before = self.docs.len();
        let kept = |i| kept(i).filter(|&j| j < before);
        let fresh: Vec<Option<Counted>> =
            (0..site.records.len()).into_par_iter().map(|i| kept(i).is_none().then(|| Counted::new(&SearchDoc::new(site, i)))).collect();
        let mut old: Vec<Option<DocTerms>> = std::mem::take(&mut self.docs).into_iter().map(Some).collect();
        let mut docs = Vec::with_capacity(fresh.len());
        for (i, counted) in fresh.into_iter().enumerate() {
            let doc = match counted {
                Some(c) => self.number(c),
                None => kept(i).and_then(|j| old[j].take()).expect("no two records keep the same terms"),
            };
            docs.push(doc);
        }
        self.docs = docs;
        self
    }

    /// Analyses record `i` of `site` again, in place; returns the terms it had.
    pub fn replace(&mut self, site: &Site, i: usize) -> DocTerms {
        let fresh = self.number(Counted::new(&SearchDoc::new(site, i)));
        std::mem::replace(&mut self.docs[i], fresh)
    }

    fn number(&mut self, c: Counted) -> DocTerms {
        let mut terms: Vec<(u32, Counts)> = c
            .terms
            .into_iter()
            .map(|(text, counts)| {
                let n = match self.numbers.get(text.as_str()) {
                    Some(&n) => n,
                    None => {
                        let n = self.texts.len() as u32;
                        self.texts.push(text.clone());
                        self.numbers.insert(text, n);
                        n
                    }
                };
                (n, counts)
            })
            .collect();
        terms.sort_unstable_by_key(|t| t.0);
        DocTerms { terms, lengths: c.lengths }
    }

    /// The text of term number `n`.
    pub fn text(&self, n: u32) -> &str {
        &self.texts[n as usize]
    }

    /// How many term numbers there are (some may no longer be used by any record).
    pub fn numbered(&self) -> usize {
        self.texts.len()
    }

    /// The terms as bytes, each record's under `keys[i]` (what says it is unchanged), with
    /// only the terms some record still uses. Read back with [`Terms::decode`].
    pub fn encode(&self, keys: &[Vec<u8>]) -> Vec<u8> {
        debug_assert_eq!(keys.len(), self.docs.len());
        let mut used = vec![u32::MAX; self.texts.len()];
        for d in &self.docs {
            for (n, _) in &d.terms {
                used[*n as usize] = 0;
            }
        }
        let mut out = Vec::with_capacity(self.docs.len() * 512);
        out.extend_from_slice(MAGIC);
        let mut live = 0u32;
        for u in used.iter_mut().filter(|u| **u == 0) {
            *u = live;
            live += 1;
        }
        varint(&mut out, u64::from(live));
        for (n, text) in self.texts.iter().enumerate() {
            if used[n] != u32::MAX {
                bytes(&mut out, text.as_bytes());
            }
        }
        varint(&mut out, self.docs.len() as u64);
        for (d, key) in self.docs.iter().zip(keys) {
            bytes(&mut out, key);
            for len in d.lengths {
                varint(&mut out, u64::from(len));
            }
            varint(&mut out, d.terms.len() as u64);
            let mut prev = 0;
            for (n, counts) in &d.terms {
                // Renumbering keeps the order, so the deltas stay positive.
                let m = used[*n as usize];
                varint(&mut out, u64::from(m - prev));
                prev = m;
                let mask = counts.tf.iter().enumerate().fold(0u8, |m, (f, &tf)| if tf > 0 { m | 1 << f } else { m });
                out.push(mask | kind_bits(counts.kind) << FIELDS);
                for &tf in counts.tf.iter().filter(|&&tf| tf > 0) {
                    varint(&mut out, u64::from(tf));
                }
            }
        }
        out
    }

    /// Terms written by [`Terms::encode`], with each record's key; `None` when the bytes are
    /// not such a file (another version wrote it, or it was cut short).
    pub fn decode(data: &[u8]) -> Option<(Terms, Vec<&[u8]>)> {
        let mut r = Reader { data: data.strip_prefix(MAGIC)?, at: 0 };
        let count = r.varint()? as usize;
        let mut texts = Vec::with_capacity(count.min(data.len()));
        for _ in 0..count {
            texts.push(std::str::from_utf8(r.bytes()?).ok()?.to_string());
        }
        let docs_count = r.varint()? as usize;
        let mut docs = Vec::with_capacity(docs_count.min(data.len()));
        let mut keys = Vec::with_capacity(docs_count.min(data.len()));
        for _ in 0..docs_count {
            keys.push(r.bytes()?);
            let mut lengths = [0; FIELDS];
            for len in &mut lengths {
                *len = u32::try_from(r.varint()?).ok()?;
            }
            let n = r.varint()? as usize;
            let mut terms = Vec::with_capacity(n.min(data.len()));
            let mut number = 0u64;
            for _ in 0..n {
                number += r.varint()?;
                let head = r.byte()?;
                let mut tf = [0; FIELDS];
                for (f, t) in tf.iter_mut().enumerate() {
                    if head & 1 << f != 0 {
                        *t = u16::try_from(r.varint()?).ok()?;
                    }
                }
                let number = u32::try_from(number).ok().filter(|&n| (n as usize) < texts.len())?;
                terms.push((number, Counts { tf, kind: kind_of(head >> FIELDS)? }));
            }
            docs.push(DocTerms { terms, lengths });
        }
        if r.at != r.data.len() {
            return None;
        }
        let numbers = texts.iter().enumerate().map(|(n, t)| (t.clone(), n as u32)).collect();
        Some((Terms { texts, numbers, docs }, keys))
    }
}

/// Terms read back from an earlier build, with the key each record's terms were made under.
pub struct Kept {
    terms: Terms,
    by_key: HashMap<Vec<u8>, usize>,
}

impl Kept {
    pub fn decode(data: &[u8]) -> Option<Kept> {
        let (terms, keys) = Terms::decode(data)?;
        let by_key = keys.into_iter().enumerate().map(|(j, k)| (k.to_vec(), j)).collect();
        Some(Kept { terms, by_key })
    }

    /// The terms of `site`, where `keys[i]` says what record `i` is now: a record whose key
    /// is the one its kept terms were made under is not analysed again; with nothing kept,
    /// every record is.
    pub fn update(kept: Option<Kept>, site: &Site, keys: &[Vec<u8>]) -> Terms {
        match kept {
            Some(Kept { terms, by_key }) => terms.update(site, &|i| keys.get(i).and_then(|k| by_key.get(k).copied())),
            None => Terms::analyse(site),
        }
    }
}

/// The first bytes of an encoded [`Terms`]: the version of the encoding, and Fixbook's,
/// whose analysis may differ from another version's.
const MAGIC: &[u8] = concat!("fixbook-terms 1 ", env!("CARGO_PKG_VERSION"), "\n").as_bytes();

fn kind_bits(k: Kind) -> u8 {
    match k {
        Kind::Word => 0,
        Kind::Ident => 1,
        Kind::Code => 2,
    }
}

fn kind_of(bits: u8) -> Option<Kind> {
    [Kind::Word, Kind::Ident, Kind::Code].get(usize::from(bits)).copied()
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let b = self.data.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_from_memory;
    use crate::validate::validate;

    fn site(records: &[(&str, &str)]) -> Site {
        let site_toml = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.p]\nname = \"P\"\n";
        validate(load_from_memory(site_toml, records)).unwrap()
    }

    fn record(code: &str, title: &str) -> String {
        format!("code = \"{code}\"\nproduct = \"p\"\ntitle = \"{title}\"\nsummary = \"Naïve résumé of {code}\"\naliases = [\"Bad Gateway\"]\n")
    }

    /// The terms of every record as texts, to compare corpora numbered differently.
    fn texts(t: &Terms) -> Vec<Vec<(String, Counts)>> {
        let doc = |d: &DocTerms| {
            let mut terms: Vec<(String, Counts)> = d.terms.iter().map(|(n, c)| (t.text(*n).to_string(), *c)).collect();
            terms.sort_by(|a, b| a.0.cmp(&b.0));
            terms
        };
        t.docs.iter().map(doc).collect()
    }

    #[test]
    fn kept_terms_are_those_analysis_gives() {
        let (a, b, c) = (record("0x1", "Printer offline"), record("0x2", "Spooler stopped"), record("0x3", "Queue stuck"));
        let before = Terms::analyse(&site(&[("p/1", &a), ("p/2", &b)]));
        let b2 = record("0x2", "Spooler crashed");
        let now = site(&[("p/1", &a), ("p/2", &b2), ("p/3", &c)]);
        let updated = before.update(&now, &|i| (i == 0).then_some(0));
        assert_eq!(texts(&updated), texts(&Terms::analyse(&now)));
        assert!(updated.docs[2].terms.iter().any(|(n, _)| updated.text(*n) == "queue"));
    }

    #[test]
    fn encoding_round_trips_and_drops_unused_terms() {
        let (a, b) = (record("0x1", "Printer offline"), record("0x2", "Spooler stopped"));
        let before = Terms::analyse(&site(&[("p/1", &a), ("p/2", &b)]));
        let now = site(&[("p/1", &a)]);
        let t = before.update(&now, &|i| Some(i));
        assert!(t.numbered() > t.docs[0].terms.len(), "the removed record's terms are still numbered");
        let bytes = t.encode(&[b"key 1".to_vec()]);
        let (back, keys) = Terms::decode(&bytes).unwrap();
        assert_eq!(keys, [b"key 1".as_slice()]);
        assert_eq!(texts(&back), texts(&t));
        assert_eq!(back.numbered(), t.docs[0].terms.len());
        assert!(Terms::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(Terms::decode(b"fixbook-terms 0 0.1.0\n").is_none());
    }
}
