//! `fixbook export`: the knowledge base as pages another wiki imports as they are. Every
//! format shares the page tree (home > product > record) and the page names decided here.

pub mod confluence;
pub mod markdown;

use std::collections::{BTreeMap, HashSet};

use crate::record::RecordId;
use crate::site::Site;
use crate::url;

/// How exported Markdown pages link to each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkForm {
    /// `[Title](Remote-Desktop-0xc07.md)`: plain folders (Obsidian, Wiki.js, BookStack, Outline).
    #[default]
    Files,
    /// `[Title](Remote-Desktop-0xc07)`: GitHub and GitLab wikis, which address pages by name.
    Pages,
}

/// Page names: one flat namespace, as GitHub wikis require (pages are addressed by file name
/// wherever they sit), made of ASCII letters, digits, `-` and `_` (no `:` or `/`, which wikis
/// reject), unique and stable.
pub struct PageNames {
    pub home: String,
    /// By product key.
    pub products: BTreeMap<String, String>,
    /// By record index, as in `site.records`.
    pub records: Vec<String>,
}

impl PageNames {
    pub fn new(site: &Site) -> PageNames {
        // `_Sidebar` is GitHub's; names compare without case, as on Windows and macOS disks.
        let mut taken: HashSet<String> = HashSet::from(["_sidebar".to_string()]);
        let mut claim = |wanted: String, fallback: String| {
            let name = if taken.contains(&wanted.to_ascii_lowercase()) { fallback } else { wanted };
            let mut unique = name.clone();
            let mut n = 2;
            while taken.contains(&unique.to_ascii_lowercase()) {
                unique = format!("{name}-{n}");
                n += 1;
            }
            taken.insert(unique.to_ascii_lowercase());
            unique
        };
        let home = claim("Home".to_string(), "Home".to_string());
        let product_name = |key: &str| site.config.product(key).map_or(key.to_string(), |p| p.name.clone());
        let products: BTreeMap<String, String> = site.by_product.keys().map(|k| (k.clone(), claim(page_name(&product_name(k)), page_name(k)))).collect();
        let records = site
            .records
            .iter()
            .map(|r| {
                let base = products.get(r.product()).cloned().unwrap_or_else(|| page_name(r.product()));
                claim(format!("{base}-{}", url::code_slug(r.code())), format!("{}-{}", page_name(r.product()), url::code_slug(r.code())))
            })
            .collect();
        PageNames { home, products, records }
    }

    /// The page of the record `id`.
    pub fn record(&self, site: &Site, id: &RecordId) -> Option<&str> {
        site.by_id.get(id).map(|&i| self.records[i].as_str())
    }
}

/// `Remote Desktop` -> `Remote-Desktop`, `Wi-Fi / VPN` -> `Wi-Fi-VPN`, `Crème` -> `Creme`.
pub fn page_name(text: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let mut out = String::new();
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "Page".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_names_are_safe_for_every_wiki() {
        assert_eq!(super::page_name("Remote Desktop"), "Remote-Desktop");
        assert_eq!(super::page_name("NET::ERR_CERT / x"), "NET-ERR_CERT-x");
        assert_eq!(super::page_name("Ünïcode only ☃"), "Unicode-only");
        assert_eq!(super::page_name("☃"), "Page");
    }
}
