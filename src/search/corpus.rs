//! What the whole corpus says about each term, and each term's postings with their impacts,
//! kept so that an edit to a few records updates them instead of computing them again.
//!
//! A posting's impact (BM25F, docs/search-index.md) depends on its record's counts and
//! lengths, on the term's document frequency per field (its IDF) and on each field's average
//! length. After an edit only the edited records' counts and the frequencies of their terms
//! change; average lengths are rounded to three significant digits, so an edit almost never
//! moves them, and when one does every impact is computed again. The result is the same
//! whether a corpus was made at once or edited into shape.

use std::collections::BTreeSet;

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet};

use super::analyze::Kind;
use super::doc::*;
use super::encode::utf16_cmp;
use super::terms::{Counts, Terms, CODE_FIELD, FIELDS, WHOLE_FIELD};
use crate::site::Site;

/// Impacts are stored as integers: `round(impact * SCALE)`.
pub const SCALE: f32 = 2.0;
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// A term's postings: (record number, impact), records ascending.
pub type Postings = Vec<(u32, u32)>;

pub struct Corpus {
    terms: Terms,
    /// By term number: in how many records each field holds the term.
    df: Vec<[u32; FIELDS]>,
    /// Per field, the sum of every record's length.
    len_sum: [u64; FIELDS],
    avg_len: [f32; FIELDS],
    /// By term number; empty for a number no record uses any more.
    postings: Vec<Postings>,
    /// The numbers of the terms in use, in UTF-16 order (the browser's).
    sorted: Vec<u32>,
}

/// The terms whose postings an update changed (a term that came into use or went out of it
/// among them).
pub enum Touched {
    All,
    /// Term numbers, ascending.
    Some(Vec<u32>),
}

impl Corpus {
    pub fn new(terms: Terms) -> Corpus {
        let numbered = terms.numbered();
        let df = terms
            .docs
            .par_iter()
            .fold(
                || vec![[0u32; FIELDS]; numbered],
                |mut df, d| {
                    for (t, counts) in &d.terms {
                        add(&mut df[*t as usize], counts, 1);
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
        let mut len_sum = [0u64; FIELDS];
        for d in &terms.docs {
            for (sum, len) in len_sum.iter_mut().zip(d.lengths) {
                *sum += u64::from(len);
            }
        }
        let avg_len = averages(&len_sum, terms.docs.len());
        let mut sorted: Vec<u32> = (0..numbered as u32).filter(|&t| in_use(&df[t as usize])).collect();
        sorted.par_sort_unstable_by(|&a, &b| utf16_cmp(terms.text(a), terms.text(b)));
        let mut corpus = Corpus { terms, df, len_sum, avg_len, postings: Vec::new(), sorted };
        corpus.postings = corpus.all_postings();
        corpus
    }

    pub fn terms(&self) -> &Terms {
        &self.terms
    }

    pub fn into_terms(self) -> Terms {
        self.terms
    }

    pub fn postings(&self, term: u32) -> &Postings {
        &self.postings[term as usize]
    }

    /// The terms in use, by number and text, in UTF-16 order.
    pub fn sorted(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        self.sorted.iter().map(|&t| (t, self.terms.text(t)))
    }

    /// The numbers of the terms in use, in UTF-16 order.
    pub fn sorted_numbers(&self) -> &[u32] {
        &self.sorted
    }

    /// Brings the corpus up to date after the records at `changed` were edited in place (the
    /// site has the same records in the same order): they are analysed again, and only the
    /// postings their terms affect are computed again.
    pub fn update(&mut self, site: &Site, edited: &BTreeSet<usize>) -> Touched {
        // The frequencies of every term touched, as they were before this update.
        let mut before: HashMap<u32, [u32; FIELDS]> = HashMap::default();
        let mut old_docs = Vec::with_capacity(edited.len());
        for &d in edited {
            let old = self.terms.replace(site, d);
            let numbered = self.terms.numbered();
            if self.df.len() < numbered {
                self.df.resize(numbered, [0; FIELDS]);
                self.postings.resize_with(numbered, Vec::new);
            }
            let new = &self.terms.docs[d];
            for (t, counts) in &old.terms {
                before.entry(*t).or_insert(self.df[*t as usize]);
                add(&mut self.df[*t as usize], counts, -1);
            }
            for (t, counts) in &new.terms {
                before.entry(*t).or_insert(self.df[*t as usize]);
                add(&mut self.df[*t as usize], counts, 1);
            }
            for f in 0..FIELDS {
                self.len_sum[f] = self.len_sum[f] + u64::from(new.lengths[f]) - u64::from(old.lengths[f]);
            }
            old_docs.push((d, old));
        }
        let mut touched: Vec<u32> = before.keys().copied().collect();
        touched.sort_unstable();
        for &t in &touched {
            let (was, now) = (in_use(&before[&t]), in_use(&self.df[t as usize]));
            if was != now {
                let text = self.terms.text(t);
                let at = self.sorted.binary_search_by(|&x| utf16_cmp(self.terms.text(x), text));
                match (now, at) {
                    (true, Err(i)) => self.sorted.insert(i, t),
                    (false, Ok(i)) => {
                        self.sorted.remove(i);
                    }
                    _ => unreachable!("a term is in the sorted list exactly while some record uses it"),
                }
            }
        }
        // Terms whose postings differ after the update: found while they are updated, since
        // most impacts of an edited record come out as they were (a few more words change a
        // field's length normalisation by too little to move a rounded impact).
        let mut changed: FxHashSet<u32> = FxHashSet::default();
        // An edited record leaves the postings of the terms it lost and joins those it gained.
        for (d, old) in &old_docs {
            let new = &self.terms.docs[*d];
            let has = |terms: &[(u32, Counts)], t: u32| terms.binary_search_by_key(&t, |x| x.0).is_ok();
            let doc = *d as u32;
            for (t, _) in old.terms.iter().filter(|(t, _)| !has(&new.terms, *t)) {
                let list = &mut self.postings[*t as usize];
                if let Ok(i) = list.binary_search_by_key(&doc, |p| p.0) {
                    list.remove(i);
                    changed.insert(*t);
                }
            }
            for (t, _) in new.terms.iter().filter(|(t, _)| !has(&old.terms, *t)) {
                let list = &mut self.postings[*t as usize];
                if let Err(i) = list.binary_search_by_key(&doc, |p| p.0) {
                    list.insert(i, (doc, 0));
                    changed.insert(*t);
                }
            }
        }
        let avg_len = averages(&self.len_sum, self.terms.docs.len());
        if avg_len != self.avg_len {
            self.avg_len = avg_len;
            self.postings = self.all_postings();
            return Touched::All;
        }
        // Every posting of a term whose frequency changed (its IDF did); of the others, only
        // the edited records' postings.
        for &t in &touched {
            let all = before[&t] != self.df[t as usize];
            let mut list = std::mem::take(&mut self.postings[t as usize]);
            for (doc, impact) in &mut list {
                if all || edited.contains(&(*doc as usize)) {
                    let new = self.impact_of(t, *doc);
                    if new != *impact {
                        *impact = new;
                        changed.insert(t);
                    }
                }
            }
            self.postings[t as usize] = list;
        }
        let mut changed: Vec<u32> = changed.into_iter().collect();
        changed.sort_unstable();
        Touched::Some(changed)
    }

    /// Every term's postings, computed from nothing.
    fn all_postings(&self) -> Vec<Postings> {
        let impacts: Vec<Vec<(u32, u32)>> = self
            .terms
            .docs
            .par_iter()
            .map(|d| {
                let norms = self.norms(&d.lengths);
                d.terms.iter().map(|(t, counts)| (*t, self.impact(&self.df[*t as usize], counts, &norms))).collect()
            })
            .collect();
        let mut postings: Vec<Postings> = vec![Vec::new(); self.terms.numbered()];
        for (doc, list) in impacts.into_iter().enumerate() {
            for (t, impact) in list {
                postings[t as usize].push((doc as u32, impact));
            }
        }
        postings
    }

    fn impact_of(&self, t: u32, doc: u32) -> u32 {
        let d = &self.terms.docs[doc as usize];
        let at = d.terms.binary_search_by_key(&t, |x| x.0).expect("a posting's record has its term");
        self.impact(&self.df[t as usize], &d.terms[at].1, &self.norms(&d.lengths))
    }

    /// BM25's length normalisation of a record with these field lengths.
    fn norms(&self, lengths: &[u32; FIELDS]) -> [f32; FIELDS] {
        std::array::from_fn(|f| K1 * (1.0 - B + B * lengths[f] as f32 / self.avg_len[f]))
    }

    /// BM25F-style: the sum over fields of weight x IDF in that field x saturated term
    /// frequency, scaled to an integer >= 1. IDF is per field, as in tantivy: a word that is
    /// everywhere in body text can still be telling in a title.
    fn impact(&self, df: &[u32; FIELDS], counts: &Counts, norms: &[f32; FIELDS]) -> u32 {
        let docs = self.terms.docs.len().max(1) as f32;
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
            let df = df[f] as f32;
            let idf = (1.0 + (docs - df + 0.5) / (df + 0.5)).ln();
            let tf = tf as f32;
            sum += weight * idf * tf * (K1 + 1.0) / (tf + norms[f]);
        }
        ((sum * SCALE).round() as u32).max(1)
    }
}

fn in_use(df: &[u32; FIELDS]) -> bool {
    df.iter().any(|&c| c > 0)
}

fn add(df: &mut [u32; FIELDS], counts: &Counts, by: i32) {
    for (d, &tf) in df.iter_mut().zip(&counts.tf) {
        if tf > 0 {
            *d = d.checked_add_signed(by).expect("a frequency never goes below zero");
        }
    }
}

/// Each field's average length, at least 1, rounded to three significant digits.
fn averages(sums: &[u64; FIELDS], docs: usize) -> [f32; FIELDS] {
    std::array::from_fn(|f| round3(sums[f] as f64 / docs.max(1) as f64) as f32)
}

fn round3(x: f64) -> f64 {
    let x = x.max(1.0);
    let step = 10f64.powi(x.log10().floor() as i32 - 2);
    (x / step).round() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_keep_three_significant_digits() {
        let r = |x: f64| round3(x) as f32;
        assert_eq!(r(0.2), 1.0);
        assert_eq!(r(12.3456), 12.3);
        assert_eq!(r(312.71), 313.0);
        assert_eq!(r(4567.0), 4570.0);
        // One record more or less in 10,000 does not move a rounded average.
        assert_eq!(round3(250_007.0 / 10_000.0), round3(250_012.0 / 10_000.0));
    }
}
