//! One escaper for HTML pages (Tera's autoescape) and XML files (sitemap, feed).

/// Escapes `& < > " '` and drops C0 control characters other than tab, line feed and carriage
/// return, which XML forbids and HTML treats as parse errors. Unlike Tera's default it keeps
/// `/` as it is, so URLs stay short and readable.
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || (c < ' ' && !matches!(c, '\t' | '\n' | '\r'));
    if !s.contains(special) {
        out.push_str(s);
        return;
    }
    out.reserve(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if special(c) => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_controls() {
        assert_eq!(super::escape("a/b"), "a/b");
        assert_eq!(super::escape("<a href=\"x\">'&'</a>\u{1}\t"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\t");
    }
}
