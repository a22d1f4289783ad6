//! `fixbook search`: the knowledge base searched with tantivy, using the shared analyzer as
//! its tokenizer. The index lives in `<kb>/.fixbook-cache/search/` and is rebuilt only when a
//! record file, `site.toml` or Fixbook itself changes (by [`load::FileStamp`]).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use super::analyze::{analyze, whole, Kind, Mode};
use super::doc::*;
use super::index::MIN_PREFIX_CHARS;
use crate::config::SITE_FILE;
use crate::fs::{self, FsError, CACHE_DIR};
use crate::load;
use crate::site::Site;

/// Bumped whenever the schema or the analysis changes, so old caches are rebuilt.
const INDEX_FORMAT: u32 = 3;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub id: String,
    pub code: String,
    pub title: String,
    pub product: String,
    pub summary: String,
    pub url: String,
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index in {}: {source}", path.display())]
    Index { path: PathBuf, source: tantivy::TantivyError },
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// The shared analyzer as a tantivy tokenizer.
#[derive(Clone)]
struct Analyzer(Mode);

struct Terms {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Terms {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for Analyzer {
    type TokenStream<'a> = Terms;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Terms {
        let tokens = analyze(text, self.0)
            .into_iter()
            .map(|t| Token { offset_from: 0, offset_to: 0, position: t.pos as usize, text: t.text, position_length: 1 })
            .collect();
        Terms { tokens, next: 0 }
    }
}

const CODE_TOKENIZER: &str = "fixbook_code";
const TEXT_TOKENIZER: &str = "fixbook_text";

struct Fields {
    id: Field,
    code: Field,
    aliases: Field,
    /// Each code and alias as one term (its folded tokens joined by spaces), so that typing a
    /// whole alias such as "Bad Gateway" or "Permission denied (publickey)" is a code match.
    whole: Field,
    title: Field,
    summary: Field,
    keywords: Field,
    body: Field,
    product: Field,
    url: Field,
}

fn schema() -> (Schema, Fields) {
    let indexed = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqsAndPositions))
    };
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        code: b.add_text_field("code", indexed(CODE_TOKENIZER) | STORED),
        aliases: b.add_text_field("aliases", indexed(CODE_TOKENIZER)),
        whole: b.add_text_field("whole", STRING),
        title: b.add_text_field("title", indexed(TEXT_TOKENIZER) | STORED),
        summary: b.add_text_field("summary", indexed(TEXT_TOKENIZER) | STORED),
        keywords: b.add_text_field("keywords", indexed(TEXT_TOKENIZER)),
        body: b.add_text_field("body", indexed(TEXT_TOKENIZER)),
        product: b.add_text_field("product", STORED),
        url: b.add_text_field("url", STORED),
    };
    (b.build(), fields)
}

fn register(index: &Index) {
    index.tokenizers().register(CODE_TOKENIZER, Analyzer(Mode::Code));
    index.tokenizers().register(TEXT_TOKENIZER, Analyzer(Mode::Text));
}

/// Identifies the state of every input the index is built from, without parsing anything.
pub fn fingerprint(root: &Path) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (INDEX_FORMAT, env!("CARGO_PKG_VERSION")).hash(&mut h);
    let (found, _) = load::walk(root);
    let mut files: Vec<PathBuf> = found.into_iter().map(|f| f.path).collect();
    files.push(root.join(SITE_FILE));
    for f in files {
        f.hash(&mut h);
        // The stamp the build's caches trust: size and modification time alone miss an edit
        // with its old time put back.
        load::stamp(&f).map(|s| s.to_bytes()).hash(&mut h);
    }
    h.finish()
}

/// The cached index for the knowledge base at `root`, rebuilt from `load_site()` when stale.
pub fn open_or_build<E: From<SearchError>>(root: &Path, load_site: impl FnOnce() -> Result<Site, E>) -> Result<Index, E> {
    let cache = root.join(CACHE_DIR).join("search");
    let stamp = cache.join("fingerprint");
    let expected = fingerprint(root).to_string();
    // Only a cache this process could have written is opened: not one reached through a link.
    let ours = fs::make_cache_folder(&cache).is_ok();
    if ours && fs::read_cache_file(&stamp).is_some_and(|s| s == expected.as_bytes()) {
        if let Ok(index) = Index::open_in_dir(cache.join("index")) {
            register(&index);
            return Ok(index);
        }
    }
    let site = load_site()?;
    let index = build_index(&site, &cache)?;
    fs::write(&stamp, expected.as_bytes()).map_err(SearchError::from)?;
    Ok(index)
}

fn build_index(site: &Site, cache: &Path) -> Result<Index, SearchError> {
    let dir = cache.join("index");
    // Checked first: the folder emptied is Fixbook's own, not one a link leads to.
    fs::make_cache_folder(cache)?;
    fs::remove_dir_all(cache)?;
    fs::make_cache_folder(&dir)?;
    let fail = |source| SearchError::Index { path: dir.clone(), source };
    let (schema, f) = schema();
    let index = Index::create_in_dir(&dir, schema).map_err(fail)?;
    register(&index);
    let mut writer: IndexWriter = index.writer(50_000_000).map_err(fail)?;
    let base = site.config.base_url();
    for i in 0..site.records.len() {
        let d = SearchDoc::new(site, i);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, d.id);
        doc.add_text(f.code, d.code);
        doc.add_text(f.whole, whole(d.code));
        for a in d.aliases {
            doc.add_text(f.aliases, a);
            doc.add_text(f.whole, whole(a));
        }
        doc.add_text(f.title, d.title);
        doc.add_text(f.summary, d.summary);
        for k in &d.keywords {
            doc.add_text(f.keywords, k);
        }
        doc.add_text(f.body, &d.body);
        doc.add_text(f.product, d.product_name);
        doc.add_text(f.url, format!("{base}{}", d.path));
        writer.add_document(doc).map_err(fail)?;
    }
    writer.commit().map_err(fail)?;
    Ok(index)
}

/// The best `limit` records for `query`, best first.
pub fn search(index: &Index, query: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
    let fail = |source| SearchError::Index { path: PathBuf::from(CACHE_DIR), source };
    let (_, f) = schema();
    let reader = index.reader().map_err(fail)?;
    let searcher = reader.searcher();
    let terms = analyze(query, Mode::Query);
    let typing = !query.ends_with(char::is_whitespace);
    let last_pos = terms.last().map(|t| t.pos);
    let text_fields = [(f.title, TITLE_BOOST), (f.summary, SUMMARY_BOOST), (f.keywords, KEYWORDS_BOOST), (f.body, BODY_BOOST)];
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut add = |field: Field, text: &str, boost: f32, how: Match| {
        let term = Term::from_field_text(field, text);
        let query: Box<dyn Query> = match how {
            Match::Exact => Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            Match::Fuzzy(d) => Box::new(FuzzyTermQuery::new(term, d, true)),
            Match::Prefix => Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
        };
        clauses.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
    };
    // A word found nowhere is a typo: its near matches are all there is, so they count in
    // full. A word that exists keeps exact matches above near ones.
    let known = |text: &str| {
        [f.code, f.aliases, f.title, f.summary, f.keywords, f.body].iter().any(|&field| searcher.doc_freq(&Term::from_field_text(field, text)).unwrap_or(0) > 0)
    };
    for (i, t) in terms.iter().enumerate() {
        // The parts of an identifier (err, cert... of err_cert_revoked) match only exactly:
        // the identifier itself is completed and its words are no typos.
        let part = i > 0 && terms[i - 1].pos == t.pos && t.kind == Kind::Word && terms[i - 1].kind != Kind::Code;
        let fuzzy_factor = if t.kind == Kind::Word && !known(&t.text) { 1.0 } else { FUZZY_FACTOR };
        let is_last = typing && Some(t.pos) == last_pos && !part;
        // The code boost is for a code's identity; a plain word inside a code written as a
        // sentence ("REMOTE HOST IDENTIFICATION HAS CHANGED") counts like a title word.
        let code_boost = if t.kind == Kind::Word { TITLE_BOOST } else { CODE_BOOST };
        let code_fields: &[(Field, f32)] = &[(f.code, code_boost), (f.aliases, code_boost)];
        // Codes and identifiers also appear in prose; words can be in a code field (aliases such as "Bad Gateway").
        for &(field, boost) in code_fields.iter().chain(&text_fields) {
            add(field, &t.text, boost, Match::Exact);
            if is_last && t.kind != Kind::Code && t.text.chars().count() >= MIN_PREFIX_CHARS {
                add(field, &t.text, boost * PREFIX_FACTOR, Match::Prefix);
            }
            if t.kind == Kind::Word && !part {
                let n = t.text.chars().count();
                let edits = if n >= 8 {
                    2
                } else if n >= 4 {
                    1
                } else {
                    0
                };
                if edits > 0 {
                    add(field, &t.text, boost * fuzzy_factor, Match::Fuzzy(edits));
                }
            }
        }
    }
    let typed = whole(query);
    if !typed.is_empty() {
        add(f.whole, &typed, CODE_BOOST, Match::Exact);
    }
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.max(1)).order_by_score()).map_err(fail)?;
    let mut hits = Vec::with_capacity(top.len());
    for (score, address) in top {
        let doc: TantivyDocument = searcher.doc(address).map_err(fail)?;
        let get = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        hits.push(Hit { id: get(f.id), code: get(f.code), title: get(f.title), product: get(f.product), summary: get(f.summary), url: get(f.url), score });
    }
    Ok(hits)
}

#[derive(Clone, Copy)]
enum Match {
    Exact,
    Fuzzy(u8),
    Prefix,
}
