//! One escaper for HTML pages (Tera's autoescape) and XML files (sitemap, feed).

/// Escapes `& < > " '` and drops C0 control characters other than tab, line feed and carriage
/// return, which XML forbids and HTML treats as parse errors. Unlike Tera's default it keeps
/// `/` as it is, so URLs stay short and readable.
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, s);
    out
}

/// The bytes [`escape_into`] replaces or drops, as a table: one load per byte.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = matches!(c, b'&' | b'<' | b'>' | b'"' | b'\'') || (c < b' ' && !matches!(c, b'\t' | b'\n' | b'\r'));
        b += 1;
    }
    table
};

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    // Every character to replace or drop is ASCII, so bytes are enough to find them, and the
    // text between them is copied a run at a time: pages are mostly text without any.
    let special = |b: u8| SPECIAL[usize::from(b)];
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| special(b)) else {
        out.push_str(s);
        return;
    };
    out.reserve(s.len() + s.len() / 8);
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        if !special(b) {
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + 1;
        match b {
            b'&' => out.push_str("&amp;"),
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            b'\'' => out.push_str("&#39;"),
            _ => {}
        }
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_controls() {
        assert_eq!(super::escape("a/b"), "a/b");
        assert_eq!(super::escape("<a href=\"x\">'&'</a>\u{1}\t"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\t");
        assert_eq!(super::escape("Crème & brûlée\u{7}é<"), "Crème &amp; brûléeé&lt;");
        assert_eq!(super::escape("plain ünïcödé"), "plain ünïcödé");
    }
}
