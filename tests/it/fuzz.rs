//! Every input kept in fuzz/regressions/ (seeds and anything fuzzing ever found) through
//! the fuzz targets' entry points: none may panic.

use crate::support::repo_root;

fn each(target: &str, run: impl Fn(&[u8])) {
    let dir = repo_root().join("fuzz/regressions").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&bytes))).unwrap_or_else(|_| panic!("{name} panics"));
        n += 1;
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}

fn text(run: fn(&str)) -> impl Fn(&[u8]) {
    move |b| {
        if let Ok(t) = std::str::from_utf8(b) {
            run(t)
        }
    }
}

#[test]
fn fuzz_regressions_record() {
    each("record", text(fixbook::fuzzing::record));
}

#[test]
fn fuzz_regressions_markdown() {
    each("markdown", text(fixbook::fuzzing::markdown));
}

#[test]
fn fuzz_regressions_analyze() {
    each("analyze", text(fixbook::fuzzing::analyze));
}

#[test]
fn fuzz_regressions_index() {
    each("index", fixbook::fuzzing::index);
}

#[test]
fn fuzz_regressions_export() {
    each("export", text(fixbook::fuzzing::export));
}
