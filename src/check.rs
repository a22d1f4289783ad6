//! `fixbook check`: everything `build` validates, without writing, plus content rules with a
//! name each, whose level (`off`, `warn`, `error`) `site.toml` sets under `[lint]`.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::load::Sources;
use crate::markdown::{options, slugify};
use crate::record::{Date, Record};
use crate::site::Site;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warn,
    Error,
}

/// `[lint]` in site.toml: each rule's level (default `warn`) and the review age limit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    /// Days after which `reviewed` is stale.
    #[serde(default = "default_review_days")]
    pub review_max_age_days: u32,
    #[serde(default)]
    pub stale_review: Option<Level>,
    #[serde(default)]
    pub no_causes: Option<Level>,
    #[serde(default)]
    pub no_fixes: Option<Level>,
    #[serde(default)]
    pub unaddressed_cause: Option<Level>,
    #[serde(default)]
    pub fix_without_cause: Option<Level>,
    #[serde(default)]
    pub orphan: Option<Level>,
    #[serde(default)]
    pub duplicate_title: Option<Level>,
    #[serde(default)]
    pub missing_anchor: Option<Level>,
    #[serde(default)]
    pub image_alt: Option<Level>,
    #[serde(default)]
    pub empty_section: Option<Level>,
}

fn default_review_days() -> u32 {
    365
}

impl Default for LintConfig {
    fn default() -> Self {
        toml::from_str("").expect("every lint setting has a default")
    }
}

/// Every rule, by name, with what it says.
pub const RULES: &[(&str, &str)] = &[
    ("stale-review", "`reviewed` is older than review-max-age-days (default 365)"),
    ("no-causes", "the record lists no causes"),
    ("no-fixes", "the record lists no fixes"),
    ("unaddressed-cause", "no fix addresses this cause"),
    ("fix-without-cause", "this fix addresses none of the record's causes"),
    ("orphan", "no other record links to this one (related or @/ link)"),
    ("duplicate-title", "another record has the same title"),
    ("missing-anchor", "an @/ link names an anchor the target page does not have"),
    ("image-alt", "an image has no alt text"),
    ("empty-section", "a section, FAQ answer, step or list item is empty"),
];

impl LintConfig {
    pub fn level(&self, rule: &str) -> Level {
        let set = match rule {
            "stale-review" => self.stale_review,
            "no-causes" => self.no_causes,
            "no-fixes" => self.no_fixes,
            "unaddressed-cause" => self.unaddressed_cause,
            "fix-without-cause" => self.fix_without_cause,
            "orphan" => self.orphan,
            "duplicate-title" => self.duplicate_title,
            "missing-anchor" => self.missing_anchor,
            "image-alt" => self.image_alt,
            "empty-section" => self.empty_section,
            _ => None,
        };
        set.unwrap_or(Level::Warn)
    }
}

/// One content finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub level: Level,
    pub diagnostic: Diagnostic,
}

/// Runs every rule that is not off over the site; findings sorted by file and position.
pub fn lint(site: &Site, sources: &Sources, today: Date) -> Vec<Finding> {
    let cfg = &site.config.lint;
    let mut out = Vec::new();
    let mut push = |rule: &'static str, d: Diagnostic| {
        let level = cfg.level(rule);
        if level != Level::Off {
            out.push(Finding { rule, level, diagnostic: d });
        }
    };
    let linked: HashSet<usize> = site
        .records
        .iter()
        .flat_map(|r| {
            let from = site.by_id.get(&r.id).copied();
            r.related
                .iter()
                .map(|id| crate::record::RecordId::from_reference(id.get_ref()))
                .chain(r.links.iter().map(|l| l.target.clone()))
                .filter_map(|id| site.by_id.get(&id).copied())
                .filter(move |&i| Some(i) != from)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut titles: HashMap<String, usize> = HashMap::new();
    for (i, r) in site.records.iter().enumerate() {
        let source = sources.read(&r.file);
        let at = |needle: &str| Diagnostic::at(&r.file, &source, locate(&source, needle), "");
        let with = |d: Diagnostic, message: String| Diagnostic { message, ..d };
        if let Some(reviewed) = r.reviewed {
            let age = days(today) - days(reviewed);
            if age > i64::from(cfg.review_max_age_days) {
                let limit = cfg.review_max_age_days;
                push(
                    "stale-review",
                    with(at("reviewed"), format!("last reviewed on {reviewed}, more than {limit} days ago"))
                        .with_hint("check the record is still right, then set `reviewed` to today's date"),
                );
            }
        }
        if r.causes.is_empty() {
            push("no-causes", with(at("title"), "the record lists no causes".into()).with_hint("add [[causes]] tables: why does this error happen?"));
        }
        if r.fixes.is_empty() {
            push("no-fixes", with(at("title"), "the record lists no fixes".into()).with_hint("add [[fixes]] tables: what makes the error go away?"));
        }
        for c in &r.causes {
            if !r.fixes.iter().any(|f| f.causes.iter().any(|id| id.get_ref() == c.id.get_ref())) {
                let d = Diagnostic::at(&r.file, &source, c.id.span(), format!("no fix addresses cause `{}`", c.id.get_ref()));
                push("unaddressed-cause", d.with_hint("name it in the `causes` list of the fix that helps"));
            }
        }
        if !r.causes.is_empty() {
            for f in r.fixes.iter().filter(|f| f.causes.is_empty()) {
                push(
                    "fix-without-cause",
                    with(at(&f.title), format!("fix \"{}\" addresses none of the record's causes", f.title))
                        .with_hint("add `causes = [\"...\"]` with the ids of the causes it fixes"),
                );
            }
        }
        if !linked.contains(&i) && site.records.len() > 1 {
            push(
                "orphan",
                with(at("code"), "no other record links to this one".into())
                    .with_hint("list it in the `related` of a record about a neighbouring code, or link to it with [text](@/id)"),
            );
        }
        if let Some(&first) = titles.get(&r.title.to_lowercase()) {
            let other = &site.records[first];
            push(
                "duplicate-title",
                with(at("title"), format!("the title is the same as that of {}", other.file.display()))
                    .with_hint("readers tell records apart by their titles: name what differs (the product, the situation)"),
            );
        } else {
            titles.insert(r.title.to_lowercase(), i);
        }
        // One diagnostic per missing anchor, up to the cap (each locates its link in the file).
        // A page's anchors are worked out once, however many links point at it.
        let mut anchors_of: HashMap<usize, HashSet<String>> = HashMap::new();
        let missing: Vec<_> = r
            .links
            .iter()
            .filter_map(|link| {
                let fragment = link.fragment.as_ref()?;
                let &target = site.by_id.get(&link.target)?;
                let anchors = anchors_of.entry(target).or_insert_with(|| anchors(&site.records[target]));
                (!anchors.contains(fragment)).then_some((link, fragment, target))
            })
            .collect();
        for d in crate::diagnostic::capped(missing.into_iter(), |(link, fragment, target)| {
            let anchors = &anchors_of[&target];
            let mut known: Vec<&str> = anchors.iter().map(String::as_str).collect();
            known.sort_unstable();
            let hint =
                crate::diagnostic::did_you_mean(fragment, known.iter().copied()).unwrap_or_else(|| format!("anchors on that page: {}", known.join(", ")));
            link.diagnostic(&r.file, &source, format!("`{}` has no anchor `#{fragment}`", link.target)).with_hint(hint)
        }) {
            push("missing-anchor", d);
        }
        for text in r.markdown_fields() {
            for alt_missing in images_without_alt(text) {
                push(
                    "image-alt",
                    with(at(&alt_missing), format!("image `{alt_missing}` has no alt text"))
                        .with_hint("describe the picture in the brackets: ![Event Viewer showing event 36874](...)"),
                );
            }
        }
        let blank = |s: &str| s.trim().is_empty();
        for s in r.sections.iter().filter(|s| blank(&s.body)) {
            push("empty-section", with(at(&s.heading), format!("section \"{}\" is empty", s.heading)).with_hint("write its body or remove the section"));
        }
        for q in r.faq.iter().filter(|q| blank(&q.answer)) {
            push("empty-section", with(at(&q.question), format!("FAQ \"{}\" has no answer", q.question)).with_hint("answer it or remove it"));
        }
        for (key, items) in [("symptoms", &r.symptoms), ("quick_fixes", &r.quick_fixes), ("takeaways", &r.takeaways)] {
            if items.iter().any(|s| blank(s)) {
                push("empty-section", with(at(key), format!("`{key}` has an empty item")).with_hint("remove the empty string from the list"));
            }
        }
    }
    out.sort_by(|a, b| {
        let (x, y) = (&a.diagnostic, &b.diagnostic);
        (&x.file, x.line, x.column, a.rule).cmp(&(&y.file, y.line, y.column, b.rule))
    });
    out
}

/// The anchors a record page has (see docs/record-format.md).
fn anchors(r: &Record) -> HashSet<String> {
    let mut a: HashSet<String> = ["related"].iter().map(|s| s.to_string()).collect();
    let mut add = |present: bool, name: &str| {
        if present {
            a.insert(name.to_string());
        }
    };
    add(r.quick_answer.is_some(), "quick-answer");
    add(!r.symptoms.is_empty(), "symptoms");
    add(!r.quick_fixes.is_empty(), "quick-fixes");
    add(!r.causes.is_empty(), "causes");
    add(!r.fixes.is_empty(), "fixes");
    add(!r.steps.is_empty(), "steps");
    add(!r.callouts.is_empty(), "notes");
    add(!r.faq.is_empty(), "faq");
    add(!r.takeaways.is_empty(), "takeaways");
    for c in &r.causes {
        a.insert(format!("cause-{}", c.id.get_ref()));
    }
    for n in 1..=r.fixes.len() {
        a.insert(format!("fix-{n}"));
    }
    for n in 1..=r.steps.len() {
        a.insert(format!("step-{n}"));
    }
    for n in 1..=r.faq.len() {
        a.insert(format!("faq-{n}"));
    }
    for s in &r.sections {
        a.insert(slugify(&s.heading));
    }
    for text in r.markdown_fields() {
        let mut in_heading = false;
        let mut heading = String::new();
        for e in pulldown_cmark::Parser::new_ext(text, options()) {
            match e {
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::Heading { id, .. }) => {
                    if let Some(id) = id {
                        a.insert(id.to_string());
                    }
                    in_heading = true;
                    heading.clear();
                }
                pulldown_cmark::Event::Text(t) | pulldown_cmark::Event::Code(t) if in_heading => heading.push_str(&t),
                pulldown_cmark::Event::End(pulldown_cmark::TagEnd::Heading(_)) => {
                    in_heading = false;
                    a.insert(slugify(&heading));
                }
                _ => {}
            }
        }
    }
    a
}

/// Destinations of images whose alt text is empty.
fn images_without_alt(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for e in pulldown_cmark::Parser::new_ext(text, options()) {
        match e {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::Image { dest_url, .. }) => open = Some((dest_url.to_string(), String::new())),
            pulldown_cmark::Event::Text(t) | pulldown_cmark::Event::Code(t) => {
                if let Some((_, alt)) = &mut open {
                    alt.push_str(&t);
                }
            }
            pulldown_cmark::Event::End(pulldown_cmark::TagEnd::Image) => {
                if let Some((dest, alt)) = open.take() {
                    if alt.trim().is_empty() {
                        out.push(dest);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Where `needle` first appears in `source` (a key or a value), or the start of the file.
fn locate(source: &str, needle: &str) -> Range<usize> {
    let key = format!("{needle} =");
    source.find(&key).map(|i| i..i + needle.len()).or_else(|| source.find(needle).map(|i| i..i + needle.len())).unwrap_or(0..0)
}

/// Days since 1970-01-01 (proleptic Gregorian), for date differences.
pub fn days(d: Date) -> i64 {
    let (y, m, day) = (i64::from(d.year), i64::from(d.month), i64::from(d.day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Today's date from the system clock (UTC).
pub fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    Date { year, month, day }
}

/// The file of a finding, for JSON output.
pub fn json(findings: &[Finding], errors: &[Diagnostic]) -> serde_json::Value {
    let one = |rule: &str, level: &str, d: &Diagnostic| {
        serde_json::json!({
            "rule": rule, "level": level, "file": d.file.display().to_string(), "line": d.line, "column": d.column,
            "message": d.message, "hint": d.hint,
        })
    };
    let mut all: Vec<serde_json::Value> = errors.iter().map(|d| one("invalid", "error", d)).collect();
    all.extend(findings.iter().map(|f| one(f.rule, if f.level == Level::Error { "error" } else { "warning" }, &f.diagnostic)));
    serde_json::Value::Array(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_both_ways() {
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(days(d(1970, 1, 1)), 0);
        assert_eq!(days(d(2000, 3, 1)) - days(d(2000, 2, 28)), 2, "2000 is a leap year");
        assert_eq!(days(d(2026, 11, 25)) - days(d(2025, 11, 25)), 365);
        let t = today();
        assert!(t.year >= 2024 && (1..=12).contains(&t.month) && (1..=31).contains(&t.day));
        assert_eq!(days(t), (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400) as i64);
    }

    #[test]
    fn images_need_alt_text() {
        assert_eq!(images_without_alt("![](a.png) ![ok](b.png) ![ ](c.png)"), vec!["a.png", "c.png"]);
    }
}
