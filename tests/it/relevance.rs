//! Judged relevance (tests/search/judged.toml): success@1 and @5 of both engines, tantivy on
//! the command line and the browser index in Chromium, on the sample and on the sample mixed
//! into a generated 1,000-record corpus.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::support::{build_with, repo_root, sample_kb};
use crate::webdriver::{browser, Session};

#[derive(serde::Deserialize)]
struct Judged {
    query: Vec<JudgedQuery>,
}

#[derive(serde::Deserialize)]
struct JudgedQuery {
    kind: String,
    q: String,
    expect: String,
}

fn judged() -> Vec<JudgedQuery> {
    let judged: Judged = toml::from_str(&std::fs::read_to_string(repo_root().join("tests/search/judged.toml")).unwrap()).unwrap();
    assert!(judged.query.len() >= 60, "{} judged queries", judged.query.len());
    judged.query
}

/// One hit as both engines can report it: the page path and the code.
pub struct Hit {
    path: String,
    code: String,
}

/// Per kind: (queries, strict @1, @1 up to ties among records with the same code, @5).
type Scores = BTreeMap<String, (usize, usize, usize, usize)>;

/// Runs every judged query through `engine` (top 5 hits). Expected ids are record ids of the
/// knowledge base at `root`, prefixed with `prefix`. A code shared by several products gives
/// tied records; the expected one counts as first "up to ties" when every hit above it has
/// the same code.
fn score(root: &Path, prefix: &str, label: &str, engine: &mut dyn FnMut(&[String]) -> Vec<Vec<Hit>>) -> (Scores, String) {
    let site = fixbook::load_site(root).unwrap();
    let queries = judged();
    let results = engine(&queries.iter().map(|j| j.q.clone()).collect::<Vec<_>>());
    let mut by_kind = Scores::new();
    let mut misses = String::new();
    for (j, hits) in queries.iter().zip(results) {
        let id = fixbook::record::RecordId(format!("{prefix}{}", j.expect));
        let expect = site.get(&id).unwrap_or_else(|| panic!("judged record {id:?} is not in the knowledge base")).1;
        let rank = hits.iter().position(|h| h.path == expect);
        let tied_first = rank.is_some_and(|r| hits[..r].iter().all(|h| h.code.eq_ignore_ascii_case(&hits[r].code)));
        let e = by_kind.entry(j.kind.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(rank == Some(0));
        e.2 += usize::from(tied_first);
        e.3 += usize::from(rank.is_some());
        if rank != Some(0) {
            let got: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
            misses.push_str(&format!("  not first{}: {} {:?}: expected {expect}, got {got:?}\n", if tied_first { " (tied code)" } else { "" }, j.kind, j.q));
        }
    }
    let pct = |a: usize, n: usize| 100.0 * a as f64 / n as f64;
    let mut report = format!("judged queries, {label}: kind, n, success@1, @1 up to same-code ties, success@5\n");
    let (mut n, mut at1, mut tied, mut at5) = (0, 0, 0, 0);
    for (kind, &(kn, k1, kt, k5)) in &by_kind {
        report.push_str(&format!("  {kind:<7} {kn:>3} {:>6.1}% {:>6.1}% {:>6.1}%\n", pct(k1, kn), pct(kt, kn), pct(k5, kn)));
        (n, at1, tied, at5) = (n + kn, at1 + k1, tied + kt, at5 + k5);
    }
    report.push_str(&format!("  {:<7} {n:>3} {:>6.1}% {:>6.1}% {:>6.1}%\n{misses}", "all", pct(at1, n), pct(tied, n), pct(at5, n)));
    let _ = writeln!(std::io::stderr(), "{report}");
    (by_kind, report)
}

fn tantivy(root: &Path) -> impl FnMut(&[String]) -> Vec<Vec<Hit>> + '_ {
    move |queries| {
        let index = fixbook::search::engine::open_or_build(root, || fixbook::load_site(root)).unwrap();
        let base = fixbook::load_site(root).unwrap().config.base_url();
        queries
            .iter()
            .map(|q| {
                let hits = fixbook::search::engine::search(&index, q, 5).unwrap();
                hits.into_iter().map(|h| Hit { path: h.url.strip_prefix(&base).unwrap().to_string(), code: h.code }).collect()
            })
            .collect()
    }
}

/// The browser engine in Chromium: the site built with relative links and opened from file://,
/// every query run by the page's own FixbookSearch.
fn in_chromium(session: Session, site: &Path) -> impl FnMut(&[String]) -> Vec<Vec<Hit>> {
    let url = format!("file://{}", site.join("search/index.html").display());
    move |queries| {
        session.goto(&url);
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const engine = FixbookSearch.open('./');
             (async () => {{
               const out = [];
               for (const q of {}) {{
                 const hits = (await engine.search(q)).slice(0, 5);
                 out.push((await engine.meta(hits.map(h => h.doc))).map(m => [m.path, m.code]));
               }}
               return out;
             }})().then(done, e => done(String(e)));",
            serde_json::to_string(queries).unwrap()
        );
        let result = session.js_async(&script);
        let lists = result.as_array().unwrap_or_else(|| panic!("search failed in the page: {result}"));
        lists
            .iter()
            .map(|hits| {
                hits.as_array().unwrap().iter().map(|h| Hit { path: h[0].as_str().unwrap().to_string(), code: h[1].as_str().unwrap().to_string() }).collect()
            })
            .collect()
    }
}

fn check(by_kind: &Scores, report: &str, ties_allowed: bool) {
    for (kind, &(n, at1, tied, at5)) in by_kind {
        assert_eq!(at5, n, "{kind}: every judged query must be in the top 5\n{report}");
        if matches!(kind.as_str(), "code" | "symbol") {
            let first = if ties_allowed { tied } else { at1 };
            assert_eq!(first, n, "{kind}: every code query must be first\n{report}");
        }
    }
}

/// The sample mixed into a generated 1,000-record corpus (../shared/bench/gen_corpus.py),
/// under products of its own so codes stay unique; `None` when the generator is missing.
fn mixed_corpus() -> Option<TempDir> {
    let generator = repo_root().join("../shared/bench/gen_corpus.py");
    if !generator.exists() {
        let _ = writeln!(std::io::stderr(), "generated-corpus relevance skipped: {} not found", generator.display());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--records", "1000", "--format", "kb", "--seed", "1", "--force", "--out"])
        .arg(root)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the corpus generator");
    assert!(status.success());

    let site: toml::Table = toml::from_str(&std::fs::read_to_string(repo_root().join("site.toml")).unwrap()).unwrap();
    let products = site["products"].as_table().unwrap();
    let mut extra = String::new();
    for (key, p) in products {
        extra.push_str(&format!("\n[products.sample-{key}]\nname = {}\n", p["name"]));
    }
    let site_file = root.join("site.toml");
    std::fs::write(&site_file, std::fs::read_to_string(&site_file).unwrap() + &extra).unwrap();
    for entry in walkdir::WalkDir::new(repo_root().join("content")).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
        let rel = entry.path().strip_prefix(repo_root().join("content")).unwrap();
        let mut text = std::fs::read_to_string(entry.path()).unwrap();
        for key in products.keys() {
            text = text
                .replace(&format!("product = \"{key}\""), &format!("product = \"sample-{key}\""))
                .replace(&format!("\"{key}/"), &format!("\"sample/{key}/"))
                .replace(&format!("@/{key}/"), &format!("@/sample/{key}/"));
        }
        let dest = root.join("content/sample").join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, text).unwrap();
    }
    Some(dir)
}

/// On the sample, code and symbol queries must all be first, every query in the top 5.
#[test]
fn judged_queries_tantivy_sample() {
    let dir = sample_kb();
    let (by_kind, report) = score(dir.path(), "", "tantivy, sample (33 records)", &mut tantivy(dir.path()));
    check(&by_kind, &report, false);
}

#[test]
fn judged_queries_tantivy_generated_corpus() {
    let Some(dir) = mixed_corpus() else { return };
    let (by_kind, report) = score(dir.path(), "sample/", "tantivy, sample mixed into 1,000 generated records", &mut tantivy(dir.path()));
    check(&by_kind, &report, true);
}

#[test]
fn judged_queries_browser_sample() {
    let Some(b) = browser("judged_queries_browser_sample") else { return };
    let built = build_with(&repo_root(), fixbook::LinkStyle::Relative);
    let mut engine = in_chromium(Session::start(&b), &built.out);
    let (by_kind, report) = score(&repo_root(), "", "browser engine in Chromium, sample (33 records)", &mut engine);
    check(&by_kind, &report, false);
}

#[test]
fn judged_queries_browser_generated_corpus() {
    let Some(b) = browser("judged_queries_browser_generated_corpus") else { return };
    let Some(dir) = mixed_corpus() else { return };
    let built = build_with(dir.path(), fixbook::LinkStyle::Relative);
    let mut engine = in_chromium(Session::start(&b), &built.out);
    let (by_kind, report) = score(dir.path(), "sample/", "browser engine in Chromium, sample mixed into 1,000 generated records", &mut engine);
    check(&by_kind, &report, true);
}
