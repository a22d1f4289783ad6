//! Text analysis for search, as specified in docs/search-analysis.md. Every rule here has a
//! twin in `themes/default/static/assets/fixbook-analyze.js`; `tests/search/analysis-vectors.json` holds the
//! expected output of both.

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Where the text comes from: it decides how an all-digit number is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Prose: `3389` is the decimal number 3389.
    Text,
    /// A record's `code` and `aliases`: `80070005` may be decimal or hexadecimal.
    Code,
    /// What a person typed: read like `Code`, and filler words next to a code are dropped.
    Query,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A word of letters only, stemmed; the only kind that may match with typos.
    Word,
    /// Anything else that is not a number: `err_cert_date_invalid`, `5.7.1`, `aadsts50126`.
    Ident,
    /// A number in canonical form, `0x` + lowercase hexadecimal without leading zeros.
    Code,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub text: String,
    pub kind: Kind,
    /// Index of the token the term came from; terms of one token share it.
    pub pos: u32,
}

/// Words that say "this is an error code" and get in the way when a query has a code.
pub const CODE_FILLERS: &[&str] = &["error", "code", "stop", "status", "hresult", "exception", "number", "err"];

/// Lowercase, compatibility-decompose and drop combining marks: `Crème` -> `creme`, `ﬁ` -> `fi`.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        // ASCII has nothing to decompose and no combining marks: most text, at a fraction of the cost.
        return text.to_ascii_lowercase();
    }
    let decomposed: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    decomposed.to_lowercase()
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A code or alias as one comparable unit: `Permission denied (publickey).` ->
/// `permission denied publickey`.
pub fn whole(text: &str) -> String {
    tokens(&fold(text)).collect::<Vec<_>>().join(" ")
}

/// Splits folded text into raw tokens: runs of letters, digits and `_`; a `.` between two
/// digits stays inside (`5.7.1`); a `-` right before a digit and not after a token char
/// starts a negative number (`-2147024891`).
pub fn tokens(folded: &str) -> impl Iterator<Item = &str> {
    // Most text is ASCII, and reading it a byte at a time was a sixth of the index's cost.
    let ascii = folded.is_ascii();
    let (fast, general) = (ascii.then(|| ascii_tokens(folded)), (!ascii).then(|| char_tokens(folded)));
    fast.into_iter().flatten().chain(general.into_iter().flatten())
}

/// [`tokens`] of ASCII text, by bytes.
fn ascii_tokens(folded: &str) -> impl Iterator<Item = &str> {
    let b = folded.as_bytes();
    let token_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !(token_byte(b[i]) || (b[i] == b'-' && digit_at(i + 1) && !(i > 0 && token_byte(b[i - 1])))) {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
        let start = i;
        i += 1;
        while i < b.len() && (token_byte(b[i]) || (b[i] == b'.' && digit_at(i - 1) && digit_at(i + 1))) {
            i += 1;
        }
        Some(&folded[start..i])
    })
}

/// [`tokens`] of any text, by characters.
fn char_tokens(folded: &str) -> impl Iterator<Item = &str> {
    let mut chars = folded.char_indices().peekable();
    let mut prev: Option<char> = None;
    let mut start: Option<usize> = None;
    std::iter::from_fn(move || {
        while let Some((at, c)) = chars.next() {
            let digit_next = chars.peek().is_some_and(|&(_, n)| n.is_ascii_digit());
            let inside = is_token_char(c)
                || (c == '.' && start.is_some() && prev.is_some_and(|p| p.is_ascii_digit()) && digit_next)
                || (c == '-' && start.is_none() && digit_next && !prev.is_some_and(is_token_char));
            prev = Some(c);
            match (inside, start) {
                (true, None) => start = Some(at),
                (false, Some(s)) => {
                    start = None;
                    return Some(&folded[s..at]);
                }
                _ => {}
            }
        }
        start.take().map(|s| &folded[s..])
    })
}

/// Every number `token` can stand for, most likely first.
pub fn code_values(token: &str, mode: Mode) -> Vec<u64> {
    let is_hex = |s: &str| !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(hex) = token.strip_prefix("0x") {
        return if is_hex(hex) { u64::from_str_radix(hex, 16).ok().into_iter().collect() } else { Vec::new() };
    }
    if let Some(digits) = token.strip_prefix('-') {
        // Signed 32-bit decimal, as printed for HRESULTs: -2147024891 = 0x80070005.
        if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Vec::new();
        }
        return match digits.parse::<u64>() {
            Ok(n) if (1..=1 << 31).contains(&n) => vec![(1u64 << 32) - n],
            _ => Vec::new(),
        };
    }
    if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
        let mut values: Vec<u64> = token.parse::<u64>().ok().into_iter().collect();
        // err.exe reads an ambiguous number both ways: 80070005 is also 0x80070005.
        if mode != Mode::Text && is_hex(token) {
            if let Ok(h) = u64::from_str_radix(token, 16) {
                if !values.contains(&h) {
                    values.push(h);
                }
            }
        }
        return values;
    }
    let has_digit = token.bytes().any(|b| b.is_ascii_digit());
    let has_letter = token.bytes().any(|b| b.is_ascii_alphabetic());
    if token.len() >= 3 && has_digit && has_letter && is_hex(token) {
        return u64::from_str_radix(token, 16).ok().into_iter().collect();
    }
    Vec::new()
}

/// The S-stemmer (Harman, 1991): plural endings only, so it is easy to mirror exactly.
pub fn stem(word: &str) -> Cow<'_, str> {
    let n = word.chars().count();
    if n < 4 || !word.chars().all(char::is_alphabetic) {
        return Cow::Borrowed(word);
    }
    if word.ends_with("ies") && !word.ends_with("eies") && !word.ends_with("aies") {
        return Cow::Owned(format!("{}y", &word[..word.len() - 3]));
    }
    if word.ends_with("es") && !word.ends_with("aes") && !word.ends_with("ees") && !word.ends_with("oes") {
        return Cow::Borrowed(&word[..word.len() - 1]);
    }
    if word.ends_with('s') && !word.ends_with("us") && !word.ends_with("ss") {
        return Cow::Borrowed(&word[..word.len() - 1]);
    }
    Cow::Borrowed(word)
}

/// A word-like part of a token as its term: stemmed when it is letters only.
fn each_word(part: &str, pos: u32, f: &mut impl FnMut(&str, Kind, u32)) {
    if part.chars().all(char::is_alphabetic) {
        f(&stem(part), Kind::Word, pos);
    } else {
        f(part, Kind::Ident, pos);
    }
}

/// The terms of `text`, in order.
pub fn analyze(text: &str, mode: Mode) -> Vec<Term> {
    let mut terms = Vec::new();
    each_term(text, mode, |text, kind, pos| terms.push(Term { text: text.to_string(), kind, pos }));
    if mode == Mode::Query && terms.iter().any(|t| t.kind == Kind::Code) {
        terms.retain(|t| !(t.kind == Kind::Word && CODE_FILLERS.contains(&t.text.as_str())));
    }
    terms
}

/// The terms of `text` one by one, as [`analyze`] lists them (but for a query's fillers),
/// borrowed where they can be: the index analyses every record, and a string per term was
/// most of the cost.
pub fn each_term(text: &str, mode: Mode, mut f: impl FnMut(&str, Kind, u32)) {
    let folded = fold(text);
    let mut code = String::new();
    for (i, token) in tokens(&folded).enumerate() {
        let pos = i as u32;
        let values = code_values(token, mode);
        if !values.is_empty() {
            for v in values {
                code.clear();
                let _ = write!(code, "0x{v:x}");
                f(&code, Kind::Code, pos);
            }
        } else if token.contains('_') {
            let whole = token.trim_matches('_');
            if !whole.is_empty() {
                f(whole, Kind::Ident, pos);
            }
            let parts = || whole.split('_').filter(|p| !p.is_empty());
            if parts().nth(1).is_some() {
                parts().for_each(|p| each_word(p, pos, &mut f));
            }
        } else if token.strip_prefix('-').is_none() {
            each_word(token, pos, &mut f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_splits_as_any_text_does() {
        let pieces = ["a", "Z9", "_", "-", ".", "5", "0x1f", " ", "\n", ",", "-7", "5.7.1", "a.b", "x-1", "--2", "1.", ".5", "é"];
        // Without the last piece, the only one that is not ASCII.
        for text in crate::generated_text::texts(&pieces[..pieces.len() - 1], 10, 0x2545_f491_4f6c_dd1d).take(50_000) {
            assert_eq!(ascii_tokens(&text).collect::<Vec<_>>(), char_tokens(&text).collect::<Vec<_>>(), "{text:?}");
        }
        assert_eq!(tokens("crème -5 5.7.1").collect::<Vec<_>>(), ["crème", "-5", "5.7.1"]);
    }

    fn texts(text: &str, mode: Mode) -> Vec<String> {
        analyze(text, mode).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn spellings_of_one_code_meet() {
        for q in ["0xC07", "c07", "0x00000c07", "3079", "error 0xc07", "Error code: 0XC07"] {
            assert!(texts(q, Mode::Query).contains(&"0xc07".to_string()), "{q}");
        }
        for q in ["0x80070005", "80070005", "2147942405", "-2147024891", "0X80070005"] {
            assert!(texts(q, Mode::Query).contains(&"0x80070005".to_string()), "{q}");
        }
        assert_eq!(texts("18456", Mode::Query), ["0x4818", "0x18456"]);
        assert_eq!(texts("18456", Mode::Text), ["0x4818"]);
    }

    #[test]
    fn fillers_go_only_next_to_a_code() {
        assert_eq!(texts("stop code 0x50", Mode::Query), ["0x50"]);
        assert_eq!(texts("error opening file", Mode::Query), ["error", "opening", "file"]);
        assert_eq!(texts("error 0x50", Mode::Text), ["error", "0x50"]);
    }

    #[test]
    fn identifiers_keep_their_whole_and_their_parts() {
        assert_eq!(texts("NET::ERR_CERT_DATE_INVALID", Mode::Text), ["net", "err_cert_date_invalid", "err", "cert", "date", "invalid"]);
        assert_eq!(texts("E_ACCESSDENIED", Mode::Code), ["e_accessdenied", "e", "accessdenied"]);
        assert_eq!(texts(r"C:\Windows\SoftwareDistribution", Mode::Text), ["c", "window", "softwaredistribution"]);
        assert_eq!(texts("NDR 5.7.1, ORA-12154", Mode::Text), ["ndr", "5.7.1", "ora", "0x2f7a"]);
    }

    #[test]
    fn folding_and_stemming() {
        assert_eq!(texts("Crème Brûlée ﬁles", Mode::Text), ["creme", "brulee", "file"]);
        assert_eq!(texts("policies certificates access status", Mode::Text), ["policy", "certificate", "access", "status"]);
    }

    #[test]
    fn words_that_look_like_hex_stay_words() {
        assert_eq!(texts("cafe dead beef", Mode::Query), ["cafe", "dead", "beef"]);
        assert_eq!(texts("0xZZ -x", Mode::Query), ["0xzz", "x"]);
    }
}
