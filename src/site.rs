//! The validated knowledge base: records in id order plus the lookups every later stage
//! needs (by id, by product, by tag). Built only by `validate`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::config::SiteConfig;
use crate::record::{Record, RecordId};
use crate::url;

#[derive(Debug, Clone)]
pub struct Site {
    /// The knowledge-base folder (holds `templates/` and `static/` overrides).
    pub root: PathBuf,
    pub config: SiteConfig,
    /// Sorted by id.
    pub records: Vec<Record>,
    /// Site-relative page path of each record, same order as `records`.
    pub paths: Vec<String>,
    pub by_id: HashMap<RecordId, usize>,
    /// Product key -> record indices sorted by code; every product of site.toml is present.
    pub by_product: BTreeMap<String, Vec<usize>>,
    /// Tag slug -> (tag as first written, record indices).
    pub by_tag: BTreeMap<String, (String, Vec<usize>)>,
    /// Record indices in the order of the A-Z index: codes filed under `#` first, then those
    /// under letters, each by [`code_sort_key`], then by product.
    pub by_code: Vec<usize>,
}

impl Site {
    pub fn new(root: PathBuf, config: SiteConfig, mut records: Vec<Record>) -> Site {
        records.sort_by(|a, b| a.id.cmp(&b.id));
        let paths: Vec<String> = records.iter().map(|r| url::record_path(r.product(), r.code())).collect();
        let by_id = records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        let mut by_product: BTreeMap<String, Vec<usize>> = config.product_keys().map(|k| (k.to_string(), Vec::new())).collect();
        let mut by_tag: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            by_product.entry(r.product().to_string()).or_default().push(i);
            for tag in &r.tags {
                let entry = by_tag.entry(url::tag_slug(tag)).or_insert_with(|| (tag.clone(), Vec::new()));
                if entry.1.last() != Some(&i) {
                    entry.1.push(i);
                }
            }
        }
        // Keys made once per record, not twice per comparison.
        let keys: Vec<(String, String)> = records.iter().map(|r| code_sort_key(r.code())).collect();
        for list in by_product.values_mut() {
            list.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        }
        for (_, list) in by_tag.values_mut() {
            list.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        }
        let mut by_code: Vec<usize> = (0..records.len()).collect();
        by_code.sort_by(|&a, &b| {
            let under_letter = |i: usize| letter_of(&keys[i].0) != '#';
            (under_letter(a), &keys[a], records[a].product()).cmp(&(under_letter(b), &keys[b], records[b].product()))
        });
        Site { root, config, records, paths, by_id, by_product, by_tag, by_code }
    }

    pub fn get(&self, id: &RecordId) -> Option<(&Record, &str)> {
        self.by_id.get(id).map(|&i| (&self.records[i], self.paths[i].as_str()))
    }

    /// Records whose `related` list shows record `id`.
    pub fn referrers(&self, id: &RecordId) -> Vec<usize> {
        (0..self.records.len()).filter(|&j| self.records[j].related.iter().any(|r| RecordId::referenced(r.get_ref()) == id.as_str())).collect()
    }

    /// Record indices, most recently updated first (records without a date last), then by id.
    pub fn recently_updated(&self, n: usize) -> Vec<usize> {
        let newest = |&a: &usize, &b: &usize| {
            let (ra, rb) = (&self.records[a], &self.records[b]);
            rb.updated.cmp(&ra.updated).then_with(|| ra.id.cmp(&rb.id))
        };
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        // The first n, without sorting the rest: this runs on every rebuild of the home page.
        if n < order.len() {
            order.select_nth_unstable_by(n, newest);
            order.truncate(n);
        }
        order.sort_by(newest);
        order
    }
}

/// Sorts codes as people read them: case-insensitive, `0x` ignored, numbers by value.
pub fn code_sort_key(code: &str) -> (String, String) {
    let lower = code.to_lowercase();
    let bare = lower.strip_prefix("0x").unwrap_or(&lower);
    (bare.to_string(), lower.clone())
}

/// The letter or `#` a code is filed under in the A-Z index.
pub fn index_letter(code: &str) -> char {
    letter_of(&code_sort_key(code).0)
}

/// The letter or `#` a code is filed under, from the first part of its [`code_sort_key`].
fn letter_of(key: &str) -> char {
    match key.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
        _ => '#',
    }
}
