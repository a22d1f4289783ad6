//! One record = one error code = one page. `Record::parse` turns TOML text into the typed
//! model and checks every rule that needs only the record itself; rules that need other
//! records or `site.toml` live in `validate`.

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::spanned::Spanned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::fs::{InputError, Inputs};
use crate::markdown;
use crate::schema;

/// A record's id: its path under `content/` without `.toml`, `/`-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(pub String);

impl RecordId {
    /// The id of the record stored at `rel` (a path relative to `content/`).
    pub fn from_relative_path(rel: &Path) -> RecordId {
        let without_ext = rel.with_extension("");
        let parts: Vec<String> = without_ext.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        RecordId(parts.join("/"))
    }

    /// The id a reference in `related` or an `@/` link names. Writing the file's name
    /// (`remote-desktop/0x204.toml`) is allowed.
    pub fn from_reference(reference: &str) -> RecordId {
        RecordId(Self::referenced(reference).to_string())
    }

    /// The id a `related` entry or link names, borrowed from it.
    pub fn referenced(reference: &str) -> &str {
        let path = reference.trim_end_matches('/');
        path.strip_suffix(".toml").unwrap_or(path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Likelihood {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CalloutKind {
    Tip,
    Warning,
    Note,
}

macro_rules! enum_names {
    ($t:ty { $($v:ident => $s:literal),* }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
        }
    };
}
enum_names!(Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" });
enum_names!(Likelihood { High => "high", Medium => "medium", Low => "low" });
enum_names!(Difficulty { Easy => "easy", Medium => "medium", Hard => "hard" });
enum_names!(CalloutKind { Tip => "tip", Warning => "warning", Note => "note" });

/// A calendar date (TOML local date, no time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    const MONTHS: [&'static str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// "20 November 2026"
    pub fn long(&self) -> String {
        format!("{} {} {}", self.day, Self::MONTHS[usize::from(self.month - 1)], self.year)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            (self.year, self.month, self.day).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        if !d.is_human_readable() {
            let (year, month, day) = <(u16, u8, u8)>::deserialize(d)?;
            return Ok(Date { year, month, day });
        }
        let dt = toml::value::Datetime::deserialize(d)?;
        match (dt.date, dt.time) {
            (Some(date), None) => Ok(Date { year: date.year, month: date.month, day: date.day }),
            _ => Err(serde::de::Error::custom(format!("expected a date such as 2026-11-20, found `{dt}` (a time or offset is not allowed)"))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    pub body: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub id: Spanned<String>,
    pub title: String,
    pub likelihood: Likelihood,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub title: String,
    pub difficulty: Difficulty,
    #[serde(default)]
    pub causes: Vec<Spanned<String>>,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub tip: Option<String>,
    /// How long the step takes, for the checklist's time left.
    #[serde(default)]
    pub minutes: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Callout {
    pub kind: CalloutKind,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub short: Option<String>,
}

/// A link to another record written in Markdown as `@/product/code`, found at parse time so
/// that an unknown id can be reported with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLink {
    pub target: RecordId,
    /// The `#anchor` after the id, if any.
    pub fragment: Option<String>,
    /// Where the link's destination is in the file, for an error about it. Only the few
    /// links reported are located to a line and column, and only when reported.
    pub span: std::ops::Range<usize>,
}

impl RecordLink {
    /// "link to `@/x`: ..." at the link, in `source`, the file's text.
    pub fn diagnostic(&self, file: &Path, source: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(file, source, self.span.clone(), message)
    }

    /// The error to report if `target` does not exist.
    pub fn unresolved(&self, file: &Path, source: &str) -> Diagnostic {
        let dest = source.get(self.span.clone()).filter(|d| !d.is_empty()).map_or_else(|| format!("@/{}", self.target), str::to_string);
        self.diagnostic(file, source, format!("link to `{dest}`: there is no record with id `{}`", self.target))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Written to records.json by its entry, before the fields.
    #[serde(skip)]
    pub id: RecordId,
    /// The file as shown in messages (relative to the knowledge-base root).
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub links: Vec<RecordLink>,

    pub code: Spanned<String>,
    pub product: Spanned<String>,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub updated: Option<Date>,
    #[serde(default)]
    pub reviewed: Option<Date>,
    #[serde(default)]
    pub estimated_time: Option<String>,
    #[serde(default)]
    pub quick_answer: Option<String>,
    #[serde(default)]
    pub symptoms: Vec<String>,
    #[serde(default)]
    pub quick_fixes: Vec<String>,
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub causes: Vec<Cause>,
    #[serde(default)]
    pub fixes: Vec<Fix>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub callouts: Vec<Callout>,
    #[serde(default)]
    pub faq: Vec<Faq>,
    #[serde(default)]
    pub takeaways: Vec<String>,
    #[serde(default)]
    pub related: Vec<Spanned<String>>,
}

/// A page folder name stays well under file systems' 255-byte limit.
const MAX_SLUG: usize = 120;

/// A troubleshooting record is a few kilobytes; the largest in real knowledge bases are tens.
pub const MAX_RECORD_BYTES: u64 = 8 << 20;

/// The largest Markdown field. The Markdown parser holds a field's whole tree, many times its
/// text (some 45 bytes per table cell), and the page and the search index parse fields on
/// several threads at once: 8 MiB of table in one field took over a gigabyte. Bounding each
/// field bounds what any record can take, whatever its size; 256 KiB is some 40,000 words,
/// far more than any section of a troubleshooting page.
pub const MAX_MARKDOWN_BYTES: usize = 256 << 10;

impl Record {
    /// Reads and parses the record at `path`, a file of the knowledge base `inputs`; `id` and
    /// `shown_as` come from the walk.
    pub fn from_file(inputs: &Inputs, path: &Path, shown_as: &Path, id: RecordId) -> Result<Record, Vec<Diagnostic>> {
        let cannot_read = |e: &dyn std::fmt::Display| vec![Diagnostic::whole_file(shown_as, format!("cannot read the record: {e}"))];
        let (file, meta) = inputs.open(path).map_err(|e| match e {
            InputError::Fs(e) => cannot_read(&e.source),
            refused => vec![Diagnostic::whole_file(shown_as, refused.reason()).with_hint_opt(refused.hint().map(str::to_string))],
        })?;
        let too_large = |size: u64| {
            vec![Diagnostic::whole_file(
                shown_as,
                format!("the record is {:.1} MiB; records are limited to {} MiB", size as f64 / 1048576.0, MAX_RECORD_BYTES >> 20),
            )
            .with_hint("a record this large is usually a pasted log or dump: keep the findings in the record and link to the file")]
        };
        // Checked before reading, so a huge file costs no memory; and the read stops at the
        // limit, should the file grow meanwhile.
        if meta.len() > MAX_RECORD_BYTES {
            return Err(too_large(meta.len()));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_RECORD_BYTES + 1), &mut bytes).map_err(|e| cannot_read(&e))?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        let source = String::from_utf8(bytes).map_err(|e| {
            // Located at the first bad byte, with the valid text before it for the line.
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = std::str::from_utf8(good).expect("valid up to here");
            let bad = e.as_bytes()[good.len()];
            vec![Diagnostic::at(shown_as, text, text.len()..text.len(), format!("byte 0x{bad:02X} is not UTF-8 text"))
                .with_hint("save the file as UTF-8 (it may be in Latin-1 or Windows-1252)")]
        })?;
        Record::parse(shown_as, id, &source)
    }

    /// Parses one record and checks the rules that need only this record.
    pub fn parse(file: &Path, id: RecordId, source: &str) -> Result<Record, Vec<Diagnostic>> {
        let mut record: Record =
            schema::from_str(file, source).map_err(|errors| errors.into_iter().map(|d| explain_misplaced_key(d, source)).collect::<Vec<_>>())?;
        record.id = id;
        record.file = file.to_path_buf();
        let mut errors = Vec::new();
        record.check_required_text(file, source, &mut errors);
        record.check_causes(file, source, &mut errors);
        record.check_markdown_sizes(file, source, &mut errors);
        record.links = record.collect_links(file, source, &mut errors);
        if errors.is_empty() {
            Ok(record)
        } else {
            Err(errors)
        }
    }

    fn check_required_text(&self, file: &Path, source: &str, errors: &mut Vec<Diagnostic>) {
        let slug = crate::url::code_slug(self.code.get_ref());
        if slug.len() > MAX_SLUG {
            errors.push(
                Diagnostic::at(
                    file,
                    source,
                    self.code.span(),
                    format!("`code` is too long for a page address ({} characters in the URL; at most {MAX_SLUG})", slug.len()),
                )
                .with_hint("keep the code itself here and put the long form in `aliases` or the title"),
            );
        }
        for (name, value) in [("code", &self.code), ("product", &self.product)] {
            if value.get_ref().trim().is_empty() {
                errors.push(Diagnostic::at(file, source, value.span(), format!("`{name}` must not be empty")));
            }
        }
        for (name, value) in [("title", &self.title), ("summary", &self.summary)] {
            if value.trim().is_empty() {
                let span = key_span(source, name);
                errors.push(Diagnostic::at(file, source, span, format!("`{name}` must not be empty")));
            }
        }
    }

    /// No Markdown field is larger than [`MAX_MARKDOWN_BYTES`]. Located at the field's first
    /// line where it is written as it reads (a field with escapes there is located at the top).
    fn check_markdown_sizes(&self, file: &Path, source: &str, errors: &mut Vec<Diagnostic>) {
        let too_large: Vec<&str> = self.markdown_fields().filter(|text| text.len() > MAX_MARKDOWN_BYTES).collect();
        errors.extend(crate::diagnostic::capped(too_large.into_iter(), |text| {
            let end = text.find('\n').unwrap_or(text.len()).min(80);
            let at = memchr::memmem::find(source.as_bytes(), &text.as_bytes()[..end]).unwrap_or(0);
            Diagnostic::at(
                file,
                source,
                at..at,
                format!("this Markdown field is {:.1} MiB; a Markdown field is limited to {} KiB", text.len() as f64 / 1048576.0, MAX_MARKDOWN_BYTES >> 10),
            )
            .with_hint("split it into several sections, or keep the findings here and link to the full table or log")
        }));
    }

    /// Cause ids are unique in the record, and every fix names causes that exist.
    fn check_causes(&self, file: &Path, source: &str, errors: &mut Vec<Diagnostic>) {
        let mut seen: Vec<&str> = Vec::new();
        for cause in &self.causes {
            let id = cause.id.get_ref().as_str();
            if seen.contains(&id) {
                errors.push(
                    Diagnostic::at(file, source, cause.id.span(), format!("cause id `{id}` is used twice in this record"))
                        .with_hint("give each [[causes]] entry its own id"),
                );
            }
            seen.push(id);
        }
        for fix in &self.fixes {
            for cause in &fix.causes {
                let name = cause.get_ref().as_str();
                if !seen.contains(&name) {
                    let hint = did_you_mean(name, seen.iter().copied()).unwrap_or_else(|| {
                        if seen.is_empty() {
                            "this record has no [[causes]]; add one with this id or remove it from the fix".into()
                        } else {
                            format!("causes in this record: {}", seen.join(", "))
                        }
                    });
                    errors.push(
                        Diagnostic::at(file, source, cause.span(), format!("fix \"{}\" names cause `{name}`, which this record does not have", fix.title))
                            .with_hint(hint),
                    );
                }
            }
        }
    }

    /// Finds `@/id` links in every Markdown field. Linear in the size of the record: each link
    /// is looked for after the previous one, and no error is located until it is reported.
    fn collect_links(&self, file: &Path, source: &str, errors: &mut Vec<Diagnostic>) -> Vec<RecordLink> {
        let mut links = Vec::new();
        let mut bad: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let mut searched_from = 0;
        for text in self.markdown_fields() {
            for dest in markdown::record_link_targets(text) {
                // Point at the link in the file; repeats of one link point at the next occurrence.
                // Fields are visited in page order, not file order: a field earlier in the file
                // is found from its start again (once per field, then in order).
                let at = source[searched_from..].find(&dest).map(|i| i + searched_from).or_else(|| source.find(&dest));
                // A destination written with escapes (`\u0040/`) is not in the file as it reads.
                let span = at.map_or(searched_from..searched_from, |at| at..at + dest.len());
                searched_from = span.end;
                match markdown::parse_record_link(&dest) {
                    Some((target, fragment)) => links.push(RecordLink { target, fragment, span }),
                    None => bad.push((span, dest)),
                }
            }
        }
        errors.extend(crate::diagnostic::capped(bad.into_iter(), |(span, dest)| {
            Diagnostic::at(file, source, span, format!("`{dest}` is not a record link"))
                .with_hint("write links to records as @/<id>, for example [see 0x204](@/remote-desktop/0x204)")
        }));
        links
    }

    /// Every field that holds Markdown, in page order.
    pub fn markdown_fields(&self) -> impl Iterator<Item = &str> {
        fn one(o: &Option<String>) -> std::option::IntoIter<&str> {
            o.as_deref().into_iter()
        }
        one(&self.quick_answer)
            .chain(self.symptoms.iter().map(String::as_str))
            .chain(self.quick_fixes.iter().map(String::as_str))
            .chain(self.sections.iter().map(|s| s.body.as_str()))
            .chain(self.causes.iter().flat_map(|c| one(&c.detail)))
            .chain(self.fixes.iter().flat_map(|f| one(&f.detail)))
            .chain(self.steps.iter().flat_map(|s| one(&s.body)))
            .chain(self.callouts.iter().map(|c| c.text.as_str()))
            .chain(self.faq.iter().map(|f| f.answer.as_str()))
    }

    pub fn code(&self) -> &str {
        self.code.get_ref()
    }

    pub fn product(&self) -> &str {
        self.product.get_ref()
    }
}

/// The record's own top-level keys, for recognising one written inside a table by mistake.
const RECORD_KEYS: &[&str] = &[
    "code",
    "product",
    "title",
    "summary",
    "aliases",
    "severity",
    "tags",
    "platforms",
    "updated",
    "reviewed",
    "estimated_time",
    "quick_answer",
    "symptoms",
    "quick_fixes",
    "takeaways",
    "related",
];

/// In TOML every key after `[[faq]]` belongs to that table, so `related = [...]` written at
/// the end of a file is read as part of the last FAQ. Say so rather than "unknown field".
fn explain_misplaced_key(d: Diagnostic, source: &str) -> Diagnostic {
    let Some(key) = d.message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()).map(str::to_string) else {
        return d;
    };
    let key = key.as_str();
    if !RECORD_KEYS.contains(&key) {
        return d;
    }
    let line_start: usize = source.split_inclusive('\n').take(d.line - 1).map(str::len).sum();
    let before = &source[..line_start.min(source.len())];
    let table = before.lines().rev().map(str::trim).find(|l| l.starts_with('[')).unwrap_or("[[...]]").to_string();
    d.with_hint(format!(
        "`{key}` is a record field, but TOML reads every key after `{table}` as part of that table: move `{key} = ...` above the first [[...]] table"
    ))
}

/// Where `key = ` is written, for errors about a key's value when no span was kept.
fn key_span(source: &str, key: &str) -> std::ops::Range<usize> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let t = line.trim_start();
        if t.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('=')) {
            let start = offset + (line.len() - t.len());
            return start..start + key.len();
        }
        offset += line.len();
    }
    0..0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"code = "0xc07"
product = "remote-desktop"
title = "Remote Desktop error 0xc07"
summary = "TLS negotiation failed."
"#;

    fn parse(src: &str) -> Result<Record, Vec<Diagnostic>> {
        Record::parse(Path::new("content/rd/0xc07.toml"), RecordId("rd/0xc07".into()), src)
    }

    #[test]
    fn id_from_path_uses_slashes() {
        let id = RecordId::from_relative_path(Path::new("remote-desktop/tls/0xc07.toml"));
        assert_eq!(id.as_str(), "remote-desktop/tls/0xc07");
    }

    #[test]
    fn minimal_record_parses() {
        let r = parse(MINIMAL).unwrap();
        assert_eq!(r.code(), "0xc07");
        assert_eq!(r.product(), "remote-desktop");
        assert!(r.causes.is_empty());
    }

    #[test]
    fn unknown_key_gets_a_suggestion() {
        let src = format!("{MINIMAL}[[causes]]\nid = \"a\"\ntitle = \"t\"\nlikelyhood = \"high\"\n");
        let errs = parse(&src).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column), (8, 1));
        assert!(errs[0].message.starts_with("unknown field `likelyhood`"), "{}", errs[0].message);
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `likelihood`?"));
    }

    #[test]
    fn bad_enum_value_is_located() {
        let src = format!("{MINIMAL}severity = \"urgent\"\n");
        let errs = parse(&src).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (5, 12));
        assert!(errs[0].message.contains("unknown variant `urgent`"), "{}", errs[0].message);
    }

    #[test]
    fn fix_with_unknown_cause_names_the_known_ones() {
        let src = format!(
            "{MINIMAL}[[causes]]\nid = \"cert\"\ntitle = \"t\"\nlikelihood = \"high\"\n\n[[fixes]]\ntitle = \"Renew\"\ndifficulty = \"easy\"\ncauses = [\"cret\"]\n"
        );
        let errs = parse(&src).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (13, 11));
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `cert`?"));
    }

    #[test]
    fn record_key_after_a_table_is_explained() {
        let src = format!("{MINIMAL}[[faq]]\nquestion = \"q\"\nanswer = \"a\"\nrelated = [\"rd/0x204\"]\n");
        let errs = parse(&src).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (8, 1));
        let hint = errs[0].hint.as_deref().unwrap();
        assert!(hint.contains("every key after `[[faq]]` as part of that table"), "{hint}");
    }

    #[test]
    fn date_with_time_is_rejected() {
        let errs = parse(&format!("{MINIMAL}updated = 2026-11-20T10:00:00\n")).unwrap_err();
        assert!(errs[0].message.contains("expected a date such as 2026-11-20"), "{errs:?}");
    }

    #[test]
    fn record_links_are_collected_with_position() {
        let src = format!("{MINIMAL}quick_answer = \"See [0x204](@/rd/0x204).\"\n");
        let r = parse(&src).unwrap();
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.links[0].target.as_str(), "rd/0x204");
        let d = r.links[0].unresolved(Path::new("f"), &src);
        assert_eq!((d.line, d.column), (5, 29));
    }

    #[test]
    fn empty_title_is_an_error() {
        let errs = parse(&MINIMAL.replace("Remote Desktop error 0xc07", " ")).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (3, 1));
    }
}
