//! Text for a terminal. Record text, file names and the source lines quoted in errors can
//! hold characters a terminal obeys instead of showing: escape sequences that colour, move
//! the cursor, clear the screen, set the window title or make a hidden link (OSC 8), a
//! carriage return that writes over what was printed, and bidirectional controls that show a
//! line in another order than it is written. Everything the binary prints goes through
//! [`inert`], which shows each such character as a visible stand-in, as rustc does in its
//! diagnostics: the reader sees that the character is there and the terminal obeys nothing.

use std::borrow::Cow;

/// `text` with every control character but newline and tab made visible: C0 controls and
/// DEL as their Unicode control pictures (`ESC` as `␛`), C1 controls and bidirectional
/// controls as `<U+009B>`.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_standin) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\u{7f}' => out.push('\u{2421}'),
            c if (c as u32) < 0x20 && needs_standin(c) => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            c if needs_standin(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_standin(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidirectional embeddings, overrides and isolates, and the marks (Trojan Source).
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn plain_text_is_borrowed_as_it_is() {
        assert!(matches!(inert("E1001  Example App\n\tcafé ✓"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_overwriting_are_shown_not_obeyed() {
        assert_eq!(inert("a\u{1b}[31mred\u{1b}]0;title\u{7}\r!\u{7f}"), "a␛[31mred␛]0;title␇␍!␡");
        assert_eq!(inert("csi\u{9b}2J and \u{202e}evil\u{2066}"), "csi<U+009B>2J and <U+202E>evil<U+2066>");
    }
}
