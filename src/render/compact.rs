//! Template indentation and blank lines out of rendered pages: about a tenth of a record page,
//! written 100,000 times on a large site. Line breaks stay, so text reads and wraps the same;
//! the inside of `<pre>`, `<textarea>`, `<script>` and `<style>` is kept byte for byte.

/// Elements whose content must not change, as (opening tag name, closing tag).
const RAW: [(&str, &str); 4] = [("pre", "</pre"), ("textarea", "</textarea"), ("script", "</script"), ("style", "</style")];

/// `html` with each line's leading spaces and tabs removed and empty lines dropped, outside
/// the elements in [`RAW`].
pub fn compact(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut raw: Option<&str> = None;
    for line in html.split_inclusive('\n') {
        let kept = if raw.is_some() { line } else { line.trim_start_matches([' ', '\t']) };
        if raw.is_none() && kept.trim_end_matches(['\n', '\r']).is_empty() {
            continue;
        }
        out.push_str(kept);
        raw = raw_state_after(kept, raw);
    }
    out
}

/// Whether a raw element is still open at the end of `line`, given the state before it.
fn raw_state_after(line: &str, mut raw: Option<&'static str>) -> Option<&'static str> {
    if !line.contains('<') {
        return raw;
    }
    let lower = line.to_ascii_lowercase();
    let mut at = 0;
    loop {
        match raw {
            Some(close) => match lower[at..].find(close) {
                Some(i) => {
                    at += i + close.len();
                    raw = None;
                }
                None => return raw,
            },
            None => {
                let next = RAW
                    .iter()
                    .filter_map(|&(name, close)| find_open(&lower[at..], name).map(|i| (i, name, close)))
                    .min_by_key(|&(i, ..)| i);
                match next {
                    Some((i, name, close)) => {
                        at += i + 1 + name.len();
                        raw = Some(close);
                    }
                    None => return None,
                }
            }
        }
    }
}

/// Where `<name` starts an element in `text` (not `<preview` for `pre`).
fn find_open(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find('<') {
        let start = from + i;
        let rest = &text[start + 1..];
        if rest.starts_with(name) && rest[name.len()..].starts_with(|c: char| c == '>' || c == '/' || c.is_ascii_whitespace()) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn indentation_and_blank_lines_go() {
        assert_eq!(compact("<ul>\n  <li>a</li>\n\n   \n\t<li>b</li>\n</ul>\n"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
    }

    #[test]
    fn raw_elements_keep_every_byte() {
        let pre = "<div>\n  <pre tabindex=\"0\"><code>fn main() {\n\n    body();\n}\n</code></pre>\n  <p>x</p>\n</div>\n";
        assert_eq!(compact(pre), "<div>\n<pre tabindex=\"0\"><code>fn main() {\n\n    body();\n}\n</code></pre>\n<p>x</p>\n</div>\n");
        let mixed = "  <PRE>a\n   b</PRE><textarea>\n  c\n</textarea>\n    <script>\n  let x = `\n\n`;\n</script>\n  <style>\n a {}\n</style>\n  <p>\n";
        assert_eq!(compact(mixed), "<PRE>a\n   b</PRE><textarea>\n  c\n</textarea>\n<script>\n  let x = `\n\n`;\n</script>\n<style>\n a {}\n</style>\n<p>\n");
    }

    #[test]
    fn look_alike_tags_are_not_raw() {
        assert_eq!(compact("<preview>\n  a\n</preview>\n  <p>b</p>\n"), "<preview>\na\n</preview>\n<p>b</p>\n");
        assert_eq!(compact("<pre>one line</pre>\n  <p>b</p>\n"), "<pre>one line</pre>\n<p>b</p>\n");
    }
}
