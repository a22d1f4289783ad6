//! The guided fix: in which order a reader tries a record's fixes, derived from its causes and
//! fixes with no extra authoring, and what the procedure checklist needs (minutes per step, a
//! key that changes when the procedure does). Decided here, at build time, so the site, the
//! offline copies and the exports show the same order.
//!
//! The order: causes by likelihood (high, medium, low; file order among equals); for each
//! cause, the fixes that address it by difficulty (easy, medium, hard; file order among
//! equals), each fix only the first time it comes up; then the fixes that address no cause,
//! by difficulty and file order.

use crate::record::Record;

/// One thing to try: a fix (index into `fixes`), for a cause (index into `causes`) or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub cause: Option<usize>,
    pub fix: usize,
}

pub fn order(r: &Record) -> Vec<Attempt> {
    let mut causes: Vec<usize> = (0..r.causes.len()).collect();
    causes.sort_by_key(|&c| r.causes[c].likelihood);
    let by_difficulty = |mut fixes: Vec<usize>| {
        fixes.sort_by_key(|&f| r.fixes[f].difficulty);
        fixes
    };
    let mut tried = vec![false; r.fixes.len()];
    let mut out = Vec::new();
    for c in causes {
        let id = r.causes[c].id.get_ref();
        let fixes = (0..r.fixes.len()).filter(|&f| r.fixes[f].causes.iter().any(|fc| fc.get_ref() == id)).collect();
        for f in by_difficulty(fixes) {
            if !std::mem::replace(&mut tried[f], true) {
                out.push(Attempt { cause: Some(c), fix: f });
            }
        }
    }
    let rest = (0..r.fixes.len()).filter(|&f| !tried[f]).collect();
    out.extend(by_difficulty(rest).into_iter().map(|f| Attempt { cause: None, fix: f }));
    out
}

/// Minutes each step takes: its own `minutes`, or an equal share of what `estimated_time`
/// leaves (its larger number, read as minutes or hours); `None` when neither says.
pub fn step_minutes(r: &Record) -> Vec<Option<u32>> {
    let given: u32 = r.steps.iter().filter_map(|s| s.minutes).sum();
    let unset = r.steps.iter().filter(|s| s.minutes.is_none()).count() as u32;
    let share = r.estimated_time.as_deref().and_then(total_minutes).filter(|&t| unset > 0 && t > given).map(|t| ((t - given) / unset).max(1));
    r.steps.iter().map(|s| s.minutes.or(share)).collect()
}

/// "10-20 minutes" -> 20, "1 hour" -> 60, "about 2 h" -> 120.
fn total_minutes(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    let largest = lower.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u32>().ok()).max()?;
    let hours = lower.contains("hour") || lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == "h" || w == "hrs");
    Some(if hours { largest * 60 } else { largest })
}

/// Changes whenever a step's title or body does, so saved checklist progress is dropped
/// when the procedure it was made for changes.
pub fn procedure_key(r: &Record) -> String {
    let mut text = String::new();
    for s in &r.steps {
        text.push_str(&s.title);
        text.push('\u{0}');
        text.push_str(s.body.as_deref().unwrap_or(""));
        text.push('\u{1}');
    }
    crate::search::encode::content_hash(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordId;

    fn record(body: &str) -> Record {
        let text = format!("code = \"E1\"\nproduct = \"p\"\ntitle = \"t\"\nsummary = \"s\"\n{body}");
        Record::parse(std::path::Path::new("p/e1.toml"), RecordId("p/e1".into()), &text).unwrap()
    }

    #[test]
    fn likely_causes_first_then_easy_fixes_each_once_then_the_rest() {
        let r = record(
            r#"
[[causes]]
id = "rare"
title = "Rare"
likelihood = "low"
[[causes]]
id = "common"
title = "Common"
likelihood = "high"
[[causes]]
id = "sometimes"
title = "Sometimes"
likelihood = "medium"
[[fixes]]
title = "Hard, for common and rare"
difficulty = "hard"
causes = ["common", "rare"]
[[fixes]]
title = "Easy, for nothing named"
difficulty = "easy"
[[fixes]]
title = "Easy, for common"
difficulty = "easy"
causes = ["common"]
[[fixes]]
title = "Medium, for sometimes"
difficulty = "medium"
causes = ["sometimes"]
[[fixes]]
title = "Easy, for rare"
difficulty = "easy"
causes = ["rare"]
"#,
        );
        let got: Vec<(Option<&str>, &str)> =
            order(&r).iter().map(|a| (a.cause.map(|c| r.causes[c].id.get_ref().as_str()), r.fixes[a.fix].title.as_str())).collect();
        assert_eq!(
            got,
            [
                (Some("common"), "Easy, for common"),
                (Some("common"), "Hard, for common and rare"),
                (Some("sometimes"), "Medium, for sometimes"),
                (Some("rare"), "Easy, for rare"),
                (None, "Easy, for nothing named"),
            ]
        );
    }

    #[test]
    fn step_minutes_share_the_estimate() {
        let r = record("estimated_time = \"10-20 minutes\"\n[[steps]]\ntitle = \"a\"\nminutes = 5\n[[steps]]\ntitle = \"b\"\n[[steps]]\ntitle = \"c\"\n");
        assert_eq!(step_minutes(&r), [Some(5), Some(7), Some(7)]);
        let r = record("estimated_time = \"about 1 hour\"\n[[steps]]\ntitle = \"a\"\n[[steps]]\ntitle = \"b\"\n");
        assert_eq!(step_minutes(&r), [Some(30), Some(30)]);
        assert_eq!(step_minutes(&record("[[steps]]\ntitle = \"a\"\n")), [None]);
    }

    #[test]
    fn the_procedure_key_follows_the_steps() {
        let a = record("[[steps]]\ntitle = \"a\"\n");
        let b = record("[[steps]]\ntitle = \"a\"\ntip = \"only a tip\"\n");
        let c = record("[[steps]]\ntitle = \"a, reworded\"\n");
        assert_eq!(procedure_key(&a), procedure_key(&b));
        assert_ne!(procedure_key(&a), procedure_key(&c));
    }
}
