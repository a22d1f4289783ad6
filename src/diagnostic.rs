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
    /// The source line the problem is on, without its line break; on a long line (minified,
    /// generated) a window around the column, with `…` where it is cut.
    pub snippet: String,
    /// Characters of `snippet` before the caret.
    #[serde(default)]
    pub caret: usize,
    /// How many characters the caret underlines (at least one).
    pub width: usize,
    pub hint: Option<String>,
    /// Errors in the same file after this one that are counted, not reported one by one.
    #[serde(default)]
    pub more: usize,
}

/// Characters shown either side of the reported column on a long line.
const SNIPPET_CONTEXT: usize = 60;

/// Errors reported one by one per file; the rest are counted. Ten thousand copies of one
/// mistake say nothing the first ones do not, and each would quote its line.
pub const MAX_ERRORS_PER_FILE: usize = 20;

impl Diagnostic {
    /// A problem at byte range `span` of `source`. An out-of-range span points at the end.
    /// Costs time in proportion to the text before the span, and memory for a window of the
    /// line only, however long the line is.
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = clamp_to_char(source, span.start.min(source.len()));
        let end = clamp_to_char(source, span.end.clamp(start, source.len()));
        let line_start = memchr::memrchr(b'\n', &source.as_bytes()[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &source.as_bytes()[start..]).map_or(source.len(), |i| start + i);
        let line = memchr::memchr_iter(b'\n', &source.as_bytes()[..start]).count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let text = source[line_start..line_end].trim_end_matches('\r');
        let width = source[start..end.min(line_end)].chars().count().max(1);
        // The window: SNIPPET_CONTEXT characters before the column, the underlined part (up to
        // as many again) and SNIPPET_CONTEXT after it.
        let before: Vec<char> = text[..(start - line_start).min(text.len())].chars().rev().take(SNIPPET_CONTEXT + 1).collect();
        let cut_before = before.len() > SNIPPET_CONTEXT;
        let after_start = (start - line_start).min(text.len());
        let mut after = text[after_start..].chars();
        let shown_after: String = after.by_ref().take(width.min(SNIPPET_CONTEXT) + SNIPPET_CONTEXT).collect();
        let cut_after = after.next().is_some();
        let mut snippet = String::new();
        if cut_before {
            snippet.push('…');
        }
        snippet.extend(before.iter().take(SNIPPET_CONTEXT).rev());
        let caret = snippet.chars().count();
        snippet.push_str(&shown_after);
        if cut_after {
            snippet.push('…');
        }
        // Shown in a terminal: a bidi control there would reorder the line it is reported on;
        // a tab would move the caret.
        let snippet: String = snippet
            .chars()
            .map(|c| {
                if crate::schema::is_bidi_control(c) {
                    '\u{FFFD}'
                } else if c == '\t' {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        Diagnostic { file: file.to_path_buf(), line, column, message: message.into(), snippet, caret, width, hint: None, more: 0 }
    }

    /// A problem that concerns a whole file rather than a place in it.
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_path_buf(), line: 1, column: 1, message: message.into(), snippet: String::new(), caret: 0, width: 1, hint: None, more: 0 }
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
            let room = self.snippet.chars().count().saturating_sub(self.caret);
            writeln!(f, "\n{pad} |")?;
            writeln!(f, "{} | {}", self.line, self.snippet)?;
            write!(f, "{pad} | {}{}", " ".repeat(self.caret), "^".repeat(self.width.min(room).max(1)))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{pad} = hint: {hint}")?;
        }
        if self.more > 0 {
            write!(f, "\n{pad} = and {} more error{} in this file, not shown: fix these and run again", self.more, if self.more == 1 { "" } else { "s" })?;
        }
        Ok(())
    }
}

/// Every problem a build found, sorted by file and position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Sorted, without repeats, at most [`MAX_ERRORS_PER_FILE`] per file: the last one shown
    /// of a file counts the rest.
    pub fn sorted(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by(|a, b| (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message)));
        list.dedup();
        let mut kept: Vec<Diagnostic> = Vec::with_capacity(list.len().min(1024));
        let mut in_file = 0;
        for d in list {
            let same_file = kept.last().is_some_and(|k| k.file == d.file);
            in_file = if same_file { in_file + 1 } else { 1 };
            if in_file > MAX_ERRORS_PER_FILE {
                kept.last_mut().expect("same file").more += 1 + d.more;
            } else {
                kept.push(d);
            }
        }
        // The count goes under the last one shown of its file, whichever kind it counts.
        let mut at = 0;
        while at < kept.len() {
            let end = at + kept[at..].iter().take_while(|d| d.file == kept[at].file).count();
            let more: usize = kept[at..end].iter_mut().map(|d| std::mem::take(&mut d.more)).sum();
            kept[end - 1].more = more;
            at = end;
        }
        Diagnostics(kept)
    }

    /// Every error, those counted but not shown included.
    pub fn total(&self) -> usize {
        self.0.iter().map(|d| 1 + d.more).sum()
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
        let n = self.total();
        let files = self.file_count();
        write!(f, "{n} error{} in {files} file{}; nothing was written", if n == 1 { "" } else { "s" }, if files == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// The diagnostics of one file's problems of one kind, at most [`MAX_ERRORS_PER_FILE`]:
/// only those are made (each quotes its line), and the last one counts the rest.
pub fn capped<T>(problems: impl ExactSizeIterator<Item = T>, mut make: impl FnMut(T) -> Diagnostic) -> Vec<Diagnostic> {
    let n = problems.len();
    let mut out: Vec<Diagnostic> = problems.take(MAX_ERRORS_PER_FILE).map(&mut make).collect();
    if let Some(last) = out.last_mut() {
        last.more += n - MAX_ERRORS_PER_FILE.min(n);
    }
    out
}

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
        let d = Diagnostic::at(Path::new("r.toml"), src, 0..10, "unknown field `likelyhood`").with_hint("did you mean `likelihood`?");
        let text = d.to_string();
        assert!(text.contains("--> r.toml:1:1"), "{text}");
        assert!(text.contains("1 | likelyhood = \"high\""), "{text}");
        assert!(text.contains("  | ^^^^^^^^^^\n"), "{text}");
        assert!(text.ends_with("= hint: did you mean `likelihood`?"), "{text}");
    }

    #[test]
    fn errors_past_the_cap_are_counted_not_shown() {
        let src = "x\n".repeat(30);
        let list: Vec<Diagnostic> = (0..30).map(|i| Diagnostic::at(Path::new("f"), &src, i * 2..i * 2 + 1, format!("bad {i}"))).collect();
        let all = Diagnostics::sorted(list);
        assert_eq!((all.len(), all.total()), (MAX_ERRORS_PER_FILE, 30));
        let shown = all.to_string();
        assert!(shown.contains("and 10 more errors in this file") && shown.ends_with("30 errors in 1 file; nothing was written"), "{shown}");
        let capped = capped(0..1000, |i| Diagnostic::at(Path::new("f"), &src, i..i + 1, "x"));
        assert_eq!((capped.len(), capped.last().unwrap().more), (MAX_ERRORS_PER_FILE, 980));
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
