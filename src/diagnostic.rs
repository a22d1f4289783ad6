//! Errors about the user's input: each one names a file, a line and a column, quotes the
//! line with a caret under the problem and, where it can, says what to do.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in one input file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The file as the user knows it (relative to the knowledge-base root when possible).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    pub message: String,
    /// The source line the problem is on, without its line break.
    pub snippet: String,
    /// How many characters the caret underlines (at least one).
    pub width: usize,
    pub hint: Option<String>,
}

/// Characters shown either side of the reported column on a long line.
const SNIPPET_CONTEXT: usize = 60;

impl Diagnostic {
    /// A problem at byte range `span` of `source`. An out-of-range span points at the end.
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = clamp_to_char(source, span.start.min(source.len()));
        let end = clamp_to_char(source, span.end.clamp(start, source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        // Shown in a terminal: a bidi control there would reorder the line it is reported on.
        let snippet: String = source[line_start..line_end].trim_end_matches('\r').chars().map(|c| if crate::schema::is_bidi_control(c) { '\u{FFFD}' } else { c }).collect();
        let width = source[start..end.min(line_end)].chars().count().max(1);
        Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            snippet,
            width,
            hint: None,
        }
    }

    /// A problem that concerns a whole file rather than a place in it.
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: message.into(),
            snippet: String::new(),
            width: 1,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// `file:line:col`, the form editors and terminals turn into a link.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

fn clamp_to_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "error")
    }
}

impl Diagnostic {
    /// The diagnostic under another label than "error": `warning[orphan]`.
    pub fn labelled(&self, label: &str) -> String {
        struct L<'a>(&'a Diagnostic, &'a str);
        impl fmt::Display for L<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, self.1)
            }
        }
        L(self, label).to_string()
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        writeln!(f, "{label}: {}", self.message)?;
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        write!(f, "{pad}--> {}", self.location())?;
        if !self.snippet.is_empty() {
            // A long line (minified, generated) is shown as a window around the column.
            let chars: Vec<char> = self.snippet.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
            let first = (self.column - 1).saturating_sub(SNIPPET_CONTEXT).min(chars.len());
            let last = (self.column - 1 + self.width.min(SNIPPET_CONTEXT) + SNIPPET_CONTEXT).min(chars.len());
            let (open, close) = (if first > 0 { "…" } else { "" }, if last < chars.len() { "…" } else { "" });
            let shown: String = chars[first..last].iter().collect();
            let before = " ".repeat(self.column - 1 - first + open.chars().count());
            writeln!(f, "\n{pad} |")?;
            writeln!(f, "{} | {open}{shown}{close}", self.line)?;
            write!(f, "{pad} | {before}{}", "^".repeat(self.width.min(last.saturating_sub(self.column - 1)).max(1)))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem a build found, sorted by file and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn sorted(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
        });
        list.dedup();
        Diagnostics(list)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    fn file_count(&self) -> usize {
        let mut files: Vec<&PathBuf> = self.0.iter().map(|d| &d.file).collect();
        files.dedup();
        files.len()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}\n")?;
        }
        let n = self.len();
        let files = self.file_count();
        write!(
            f,
            "{n} error{} in {files} file{}; nothing was written",
            if n == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

/// "did you mean `x`?" for the closest candidate, when one is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_one_based_and_counts_characters() {
        let src = "a = 1\nété = \"x\"\nkey = 2\n";
        let at = src.find("\"x\"").unwrap();
        let d = Diagnostic::at(Path::new("f.toml"), src, at..at + 3, "bad");
        assert_eq!((d.line, d.column, d.width), (2, 7, 3));
        assert_eq!(d.snippet, "été = \"x\"");
        assert_eq!(d.location(), "f.toml:2:7");
    }

    #[test]
    fn a_long_line_is_shown_around_the_column() {
        let src = format!("x = [{}1, \"a\"{}]\n", "0, ".repeat(500), ", 2".repeat(500));
        let at = src.find("\"a\"").unwrap();
        let d = Diagnostic::at(Path::new("f.toml"), &src, at..at + 3, "mixed types");
        let shown = d.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[3].len() < 140 && lines[3].starts_with("1 | …") && lines[3].ends_with('…'), "{shown}");
        let caret = lines[4].find('^').unwrap();
        assert_eq!(lines[3].chars().skip(caret).take(3).collect::<String>(), "\"a\"", "{shown}");
    }

    #[test]
    fn renders_snippet_with_caret_and_hint() {
        let src = "likelyhood = \"high\"\n";
        let d = Diagnostic::at(Path::new("r.toml"), src, 0..10, "unknown field `likelyhood`")
            .with_hint("did you mean `likelihood`?");
        let text = d.to_string();
        assert!(text.contains("--> r.toml:1:1"), "{text}");
        assert!(text.contains("1 | likelyhood = \"high\""), "{text}");
        assert!(text.contains("  | ^^^^^^^^^^\n"), "{text}");
        assert!(text.ends_with("= hint: did you mean `likelihood`?"), "{text}");
    }

    #[test]
    fn span_past_the_end_points_at_the_end() {
        let d = Diagnostic::at(Path::new("f"), "ab", 10..20, "eof");
        assert_eq!((d.line, d.column), (1, 3));
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let fields = ["likelihood", "title", "detail", "id"];
        assert_eq!(closest("likelyhood", fields), Some("likelihood"));
        assert_eq!(closest("titel", fields), Some("title"));
        assert_eq!(closest("colour", fields), None);
    }
}
