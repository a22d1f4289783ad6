//! Stage 2: the rules that need more than one record or `site.toml`: products exist,
//! related ids and `@/` links point at records, codes and URLs are unique in a product.

use std::collections::HashMap;

use crate::diagnostic::{capped, closest, did_you_mean, Diagnostic, Diagnostics};
use crate::load::{Loaded, Sources};
use crate::record::{Record, RecordId};
use crate::site::Site;
use crate::url;

/// Checks what `load` parsed and returns the site, or every error of both stages.
pub fn validate(loaded: Loaded) -> Result<Site, Diagnostics> {
    let Loaded { root, config, records, ids, mut errors, sources, .. } = loaded;
    let mut id_list: Vec<&str> = ids.iter().map(RecordId::as_str).collect();
    id_list.sort_unstable();
    let products: Option<Vec<&str>> = config.as_ref().map(|c| c.product_keys().collect());
    // Diagnostics are built lazily from the record source, read once, only when a rule fails;
    // at most MAX_ERRORS_PER_FILE of each kind (each costs a pass over the text before it).
    for r in &records {
        let text = std::cell::OnceCell::new();
        let source = || text.get_or_init(|| sources.read(&r.file)).as_str();
        if let Some(products) = products.as_ref().filter(|p| !p.contains(&r.product())) {
            let hint = did_you_mean(r.product(), products.iter().copied())
                .unwrap_or_else(|| format!("known products: {}; add it under [products] in site.toml", products.join(", ")));
            errors.push(Diagnostic::at(&r.file, source(), r.product.span(), format!("unknown product `{}`", r.product())).with_hint(hint));
        }
        let bad_related: Vec<_> = r
            .related
            .iter()
            .map(|related| (related, RecordId::from_reference(related.get_ref())))
            .filter(|(_, target)| *target == r.id || !ids.contains(target))
            .collect();
        errors.extend(capped(bad_related.into_iter(), |(related, target)| {
            let (message, hint) = if target == r.id {
                ("a record cannot be related to itself".to_string(), "remove it from `related`".to_string())
            } else {
                let hint = closest(target.as_str(), id_list.iter().copied().filter(|i| *i != r.id.as_str()))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| "a record's id is its path under content/ without .toml".into());
                (format!("related record `{}` does not exist", related.get_ref()), hint)
            };
            Diagnostic::at(&r.file, source(), related.span(), message).with_hint(hint)
        }));
        let unresolved: Vec<_> = r.links.iter().filter(|link| !ids.contains(&link.target)).collect();
        errors.extend(capped(unresolved.into_iter(), |link| {
            let hint =
                did_you_mean(link.target.as_str(), id_list.iter().copied()).unwrap_or_else(|| "a record's id is its path under content/ without .toml".into());
            link.unresolved(&r.file, source()).with_hint(hint)
        }));
    }
    errors.extend(duplicate_codes(&records, &sources));
    match config {
        Some(config) if errors.is_empty() => Ok(Site::new(root, config, records)),
        _ => Err(Diagnostics::sorted(errors)),
    }
}

/// Two records of one product with the same code (ignoring case), or whose codes give the
/// same URL, would overwrite each other's page.
fn duplicate_codes(records: &[Record], sources: &Sources) -> Vec<Diagnostic> {
    let mut first: HashMap<(&str, String), &Record> = HashMap::new();
    let mut errors = Vec::new();
    let mut order: Vec<&Record> = records.iter().collect();
    order.sort_by(|a, b| a.file.cmp(&b.file));
    for r in order {
        let key = (r.product(), url::code_slug(r.code()));
        match first.get(&key) {
            None => {
                first.insert(key, r);
            }
            Some(other) => {
                let source = sources.read(&r.file);
                let same = other.code().eq_ignore_ascii_case(r.code());
                let message = if same {
                    format!("code `{}` is already used in product `{}` by {}", r.code(), r.product(), other.file.display())
                } else {
                    format!(
                        "code `{}` gives the same page URL as `{}` in {} ({})",
                        r.code(),
                        other.code(),
                        other.file.display(),
                        url::record_path(r.product(), r.code())
                    )
                };
                errors.push(
                    Diagnostic::at(&r.file, &source, r.code.span(), message)
                        .with_hint("codes are unique within a product: merge the two records, or move one to another product"),
                );
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use crate::load::load_from_memory;

    const SITE: &str = "title = \"T\"\nbase_url = \"https://h.example/\"\nlanguage = \"en\"\n[products.rd]\nname = \"RD\"\n";

    fn record(code: &str, extra: &str) -> String {
        format!("code = \"{code}\"\nproduct = \"rd\"\ntitle = \"t\"\nsummary = \"s\"\n{extra}")
    }

    fn errors(records: &[(&str, &str)]) -> Vec<(String, usize, usize, String)> {
        let loaded = load_from_memory(SITE, records);
        match super::validate(loaded) {
            Ok(_) => vec![],
            Err(d) => d.iter().map(|d| (d.file.display().to_string(), d.line, d.column, d.message.clone())).collect(),
        }
    }

    #[test]
    fn unknown_product_related_and_link_are_all_reported() {
        let a = record("0x1", "related = [\"rd/0x3\"]\nquick_answer = \"[x](@/rd/nope)\"\n").replace("\"rd\"", "\"rdp\"");
        let b = record("0x2", "");
        let errs = errors(&[("rd/0x1", &a), ("rd/0x2", &b)]);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0], ("content/rd/0x1.toml".into(), 2, 11, "unknown product `rdp`".into()));
        assert_eq!((errs[1].1, errs[1].2), (5, 12));
        assert!(errs[1].3.contains("related record `rd/0x3` does not exist"));
        assert_eq!((errs[2].1, errs[2].2), (6, 21));
        assert!(errs[2].3.contains("no record with id `rd/nope`"));
    }

    #[test]
    fn same_code_in_one_product_is_an_error() {
        let errs = errors(&[("rd/a", &record("0xC07", "")), ("rd/b", &record("0xc07", ""))]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "content/rd/b.toml");
        assert!(errs[0].3.contains("already used in product `rd` by content/rd/a.toml"), "{errs:?}");
    }

    #[test]
    fn codes_with_the_same_url_collide() {
        let errs = errors(&[("rd/a", &record("HTTP 503", "")), ("rd/b", &record("http-503", ""))]);
        assert!(errs[0].3.contains("gives the same page URL"), "{errs:?}");
    }
}
