//! TOML text to a typed value, reporting every error in the file rather than the first.
//!
//! serde stops at the first problem. To find the others, the offending entry (a top-level
//! key, or one `[[table]]` element) is taken out of the parsed document and the document is
//! deserialised again, until it succeeds or nothing more can be removed.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic};

/// More than this many errors in one file is noise; the first ones are what to fix.
const MAX_ERRORS_PER_FILE: usize = 20;

pub fn from_str<T: DeserializeOwned>(file: &Path, source: &str) -> Result<T, Vec<Diagnostic>> {
    let bidi = bidi_controls(file, source);
    match typed(file, source) {
        Ok(value) if bidi.is_empty() => Ok(value),
        Ok(_) => Err(bidi),
        Err(mut errors) => {
            if !bidi.is_empty() {
                errors.extend(bidi);
                errors.sort_by_key(|d| (d.line, d.column));
            }
            Err(errors)
        }
    }
}

/// Characters that make text display in an order other than the one it is stored in
/// (embeddings, overrides and isolates: "Trojan Source", CVE-2021-42574). A reviewer of the
/// TOML and a reader of the page would see different things, so they are refused, written
/// as they are or as TOML escapes (`\u202E`). The marks U+200E, U+200F and U+061C, which
/// right-to-left text does need, are allowed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn bidi_controls(file: &Path, source: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    // Every bidirectional control is encoded with a leading byte 0xE2 and every escape starts
    // with `\`: only those bytes need a look (reading every character was a tenth of loading).
    let candidates = memchr::memchr2_iter(0xE2, b'\\', source.as_bytes());
    for (at, c) in candidates.filter_map(|at| Some((at, source[at..].chars().next()?))) {
        if is_bidi_control(c) {
            found.push((at..at + c.len_utf8(), c));
        } else if c == '\\' {
            // `\u202E` or `\U0000202E`; an escaped backslash (`\\u202E`) is text.
            let rest = &source[at + 1..];
            let digits = match rest.as_bytes().first() {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => continue,
            };
            let escaped_backslash = source[..at].chars().rev().take_while(|&b| b == '\\').count() % 2 == 1;
            let hex = rest.get(1..1 + digits).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
            if let Some(c) = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32).filter(|&c| !escaped_backslash && is_bidi_control(c)) {
                found.push((at..at + 2 + digits, c));
            }
        }
    }
    found
        .into_iter()
        .take(MAX_ERRORS_PER_FILE)
        .map(|(span, c)| {
            Diagnostic::at(file, source, span, format!("bidirectional control character U+{:04X} in the text", c as u32)).with_hint(
                "it makes text display in a different order than it is written, so a reviewer and a reader would see different things; delete it (U+200E/U+200F marks are allowed)",
            )
        })
        .collect()
}

fn typed<T: DeserializeOwned>(file: &Path, source: &str) -> Result<T, Vec<Diagnostic>> {
    let (doc, syntax) = DeTable::parse_recoverable(source);
    if !syntax.is_empty() {
        return Err(syntax.iter().map(|e| toml_error(file, source, e)).collect());
    }
    // Most files are valid, so the document goes to the deserializer as it is; only a file
    // with errors is parsed again, to take out each bad entry in turn and find the next one.
    // (A copy kept for that case cost a sixth of loading.)
    if let Ok(value) = T::deserialize(toml::de::Deserializer::from(doc)) {
        return Ok(value);
    }
    let (mut doc, _) = DeTable::parse_recoverable(source);
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    loop {
        let e = match T::deserialize(toml::de::Deserializer::from(doc.clone())) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(errors),
            Err(e) => e,
        };
        // A required key we took out ourselves is not the user's mistake.
        let missing_removed = e.message().strip_prefix("missing field `").and_then(|m| m.split('`').next());
        if missing_removed.is_some_and(|k| removed.iter().any(|r| r == k)) {
            return Err(errors);
        }
        let at = e.span().map_or(0, |s| s.start);
        errors.push(toml_error(file, source, &e));
        if errors.len() >= MAX_ERRORS_PER_FILE {
            return Err(errors);
        }
        match remove_entry_at(doc.get_mut(), at) {
            Some(key) => removed.push(key),
            None => return Err(errors),
        }
    }
}

/// Removes the entry the byte offset `at` falls in: one element of an array of tables, or a
/// top-level key with its value. Returns the top-level key it was under.
fn remove_entry_at(doc: &mut DeTable<'_>, at: usize) -> Option<String> {
    // (start, key, element index) of every region; the last one starting at or before `at` wins.
    let mut best: Option<(usize, String, Option<usize>)> = None;
    for (key, value) in doc.iter() {
        let regions: Vec<(usize, Option<usize>)> = match value.get_ref() {
            DeValue::Array(items) if !items.is_empty() && items.iter().all(|i| matches!(i.get_ref(), DeValue::Table(_))) => {
                items.iter().enumerate().map(|(n, item)| (item.span().start, Some(n))).collect()
            }
            _ => vec![(key.span().start.min(value.span().start), None)],
        };
        for (start, element) in regions {
            if start <= at && best.as_ref().is_none_or(|(b, _, _)| start >= *b) {
                best = Some((start, key.get_ref().to_string(), element));
            }
        }
    }
    let (_, key, element) = best?;
    match element {
        None => {
            doc.remove(key.as_str());
        }
        Some(n) => {
            let entry = doc.get_mut(key.as_str())?;
            if let DeValue::Array(items) = entry.get_mut() {
                let mut kept = DeArray::new();
                for (i, item) in items.iter().enumerate() {
                    if i != n {
                        kept.push(item.clone());
                    }
                }
                let span: Range<usize> = entry.span();
                *entry = Spanned::new(span, DeValue::Array(kept));
            }
        }
    }
    Some(key)
}

/// A TOML or schema error as a diagnostic, with a hint for near-miss keys and values.
pub fn toml_error(file: &Path, source: &str, e: &toml::de::Error) -> Diagnostic {
    let first_line = e.message().trim().lines().next().unwrap_or_default();
    let (message, hint) = explain(first_line);
    Diagnostic::at(file, source, e.span().unwrap_or(0..0), message).with_hint_opt(hint)
}

/// serde says "unknown field `x`, expected one of `a`, `b`": keep "unknown field `x`" as the
/// message and turn the list into a suggestion. Other messages get a hint where one helps.
fn explain(message: &str) -> (String, Option<String>) {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let unknown_field = message.starts_with("unknown field");
    if unknown_field || message.starts_with("unknown variant") {
        if let Some((word, expected)) = quoted.split_first() {
            let short = message.split(", expected").next().unwrap_or(message).to_string();
            let what = if unknown_field { "allowed keys" } else { "allowed values" };
            let hint = did_you_mean(word, expected.iter().copied()).unwrap_or_else(|| format!("{what}: {}", expected.join(", ")));
            return (short, Some(hint));
        }
    }
    let hint = if message.starts_with("missing field") {
        quoted.first().map(|f| format!("add `{f} = ...`; see docs/record-format.md"))
    } else if message.contains("expected a sequence") {
        Some("this key takes a list: write it in brackets, for example [\"one\", \"two\"]".into())
    } else if message.starts_with("invalid type") {
        Some("check the value's type in docs/record-format.md (text needs quotes, lists need [ ])".into())
    } else if message.contains("recurse further") {
        Some("lists or tables are nested too deeply; no record field nests more than two levels".into())
    } else if message.contains("basic string") || message.contains("literal string") {
        Some("close the string on the same line, or use \"\"\" ... \"\"\" for text over several lines".into())
    } else {
        None
    };
    (message.to_string(), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        #[serde(default)]
        size: Option<u32>,
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
    }

    fn errors(src: &str) -> Vec<(usize, usize, String)> {
        from_str::<Doc>(Path::new("f.toml"), src).unwrap_err().into_iter().map(|d| (d.line, d.column, d.message)).collect()
    }

    #[test]
    fn bidi_controls_are_refused_written_or_escaped_and_located() {
        let src = "name = \"admin\u{202E} \u{2066}x\"\n[[item]]\nid = \"a\\u202e\\U00002069 \\\\u202E \\u200F\"\n";
        let errs = errors(src);
        let at: Vec<(usize, usize)> = errs.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(at, [(1, 14), (1, 16), (3, 8), (3, 14)], "{errs:?}");
        assert!(errs[0].2.contains("U+202E"), "{errs:?}");
        let d = &from_str::<Doc>(Path::new("f.toml"), src).unwrap_err()[0];
        assert!(!d.snippet.contains(is_bidi_control), "the report itself shows no control: {:?}", d.snippet);
        // Schema errors and bidi controls are reported together, in file order.
        assert_eq!(errors("size = \"x\"\nname = \"\u{202E}\"\n").len(), 2);
        assert!(from_str::<Doc>(Path::new("f.toml"), "name = \"\u{200F}\u{061C}\"\n").is_ok(), "marks are allowed");
    }

    #[test]
    fn every_schema_error_of_a_file_is_reported() {
        let src = "name = \"n\"\nsize = \"big\"\ncolour = 1\n\n[[item]]\nid = \"a\"\nidd = \"x\"\n\n[[item]]\nid = \"b\"\n\n[[item]]\nid = 3\n";
        let errs = errors(src);
        assert_eq!(errs.len(), 4, "{errs:?}");
        let at: Vec<(usize, usize)> = errs.iter().map(|e| (e.0, e.1)).collect();
        assert!(at.contains(&(2, 8)) && at.contains(&(3, 1)) && at.contains(&(7, 1)) && at.contains(&(13, 6)), "{errs:?}");
    }

    #[test]
    fn a_removed_required_key_is_not_reported_as_missing() {
        let errs = errors("name = 5\ncolour = 1\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().all(|e| !e.2.starts_with("missing field")), "{errs:?}");
    }

    #[test]
    fn every_syntax_error_is_reported() {
        let errs = errors("name = \"n\nsize = = 3\n");
        assert!(errs.len() >= 2, "{errs:?}");
    }

    #[test]
    fn valid_documents_parse() {
        let doc: Doc = from_str(Path::new("f.toml"), "name = \"n\"\n[[item]]\nid = \"a\"\n").unwrap();
        assert_eq!(doc.item.len(), 1);
    }
}
