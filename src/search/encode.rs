//! The small encodings of the browser index (docs/search-index.md): VLQ numbers in a base64
//! alphabet, front-coded terms, the hash that places typo keys, and the script wrapper every
//! index file is.

/// 64 characters that need no escaping in a JavaScript string or a URL.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CONTINUE: u32 = 32;

/// Appends `n` as base64 VLQ: five bits per character, low bits first, bit 6 set on every
/// character but the last. 0-31 take one character, up to 1023 two.
pub fn vlq(out: &mut String, mut n: u32) {
    loop {
        let digit = n & 31;
        n >>= 5;
        if n == 0 {
            out.push(ALPHABET[digit as usize] as char);
            return;
        }
        out.push(ALPHABET[(digit | CONTINUE) as usize] as char);
    }
}

/// Reads one VLQ number at `*at` (in UTF-16 units, as the browser does), or `None` when the
/// text is not valid VLQ there.
pub fn read_vlq(text: &[u16], at: &mut usize) -> Option<u32> {
    let mut value: u64 = 0;
    let mut shift = 0;
    loop {
        let c = *text.get(*at)?;
        *at += 1;
        let digit = ALPHABET.iter().position(|&a| u16::from(a) == c)? as u64;
        value |= (digit & 31) << shift;
        if digit & u64::from(CONTINUE) == 0 {
            return u32::try_from(value).ok();
        }
        shift += 5;
        if shift > 35 {
            return None;
        }
    }
}

/// Length in UTF-16 code units: what `String.length` says in the browser.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Terms are sorted by UTF-16 code units, the order JavaScript's `<` uses on strings.
pub fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Shared UTF-16 prefix of two strings, in code units.
pub fn shared_prefix(a: &[u16], b: &[u16]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// FNV-1a over UTF-16 code units, 32 bits: cheap to compute the same way in JavaScript.
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for unit in s.encode_utf16() {
        h ^= u32::from(unit);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a, 64 bits, over bytes: stable across runs and platforms.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A short content hash for file names: the first 6 hex digits of FNV-1a 64 over the bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:06x}", fnv1a_64(bytes) >> 40)
}

/// A JSON value as JavaScript source that is also safe inside an inline `<script>`:
/// `<` is escaped, and so are U+2028/U+2029, which older engines reject in string literals.
pub fn js_json(value: &serde_json::Value) -> String {
    let json = serde_json::to_string(value).expect("a JSON value always serialises");
    json.replace('<', "\\u003c").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

/// An index file: one call that hands its data to the runtime under `key`.
pub fn script(key: &str, data: &serde_json::Value) -> Vec<u8> {
    format!("FixbookSearch.loaded({},{});\n", js_json(&serde_json::Value::from(key)), js_json(data)).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlq_round_trips() {
        let values = [0u32, 1, 31, 32, 1023, 1024, 65_535, 1 << 20, u32::MAX];
        let mut s = String::new();
        for &v in &values {
            vlq(&mut s, v);
        }
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut at = 0;
        for &v in &values {
            assert_eq!(read_vlq(&units, &mut at), Some(v));
        }
        assert_eq!(at, units.len());
        let mut one = String::new();
        vlq(&mut one, 31);
        assert_eq!(one.len(), 1);
        vlq(&mut one, 1023);
        assert_eq!(one.len(), 3);
    }

    #[test]
    fn bad_vlq_is_none_not_a_panic() {
        let mut at = 0;
        assert_eq!(read_vlq(&"!".encode_utf16().collect::<Vec<_>>(), &mut at), None);
        let mut at = 0;
        assert_eq!(read_vlq(&"gggggggggg".encode_utf16().collect::<Vec<_>>(), &mut at), None);
        let mut at = 0;
        assert_eq!(read_vlq(&[], &mut at), None);
    }

    #[test]
    fn script_is_inert_inside_html() {
        let data = serde_json::json!(["</script><script>alert(1)</script>", "\u{2028}"]);
        let js = String::from_utf8(script("m0", &data)).unwrap();
        assert!(!js.contains("</script>"), "{js}");
        assert!(!js.contains('\u{2028}'));
        assert!(js.starts_with("FixbookSearch.loaded(\"m0\","));
    }

    #[test]
    fn fnv_matches_the_published_vectors() {
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
    }
}
