//! Inputs at and past the limits: huge, deeply nested, many-itemed, oddly encoded records get
//! a clear error or a correct page, never a crash.

use std::path::Path;

use crate::support::{fixbook, fixture, kb};

const HEAD: &str = "code = \"0x1\"\nproduct = \"rd\"\ntitle = \"Limits\"\nsummary = \"s\"\n";

fn with_record(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = kb(&fixture("base"), &[]);
    std::fs::write(dir.path().join("content/rd").join(name), bytes).unwrap();
    dir
}

fn build(dir: &Path) -> (i32, String, String) {
    let out = dir.join("public");
    fixbook(&["build", dir.to_str().unwrap(), "--out", out.to_str().unwrap()], dir)
}

#[test]
fn a_record_over_the_size_limit_is_refused_before_it_is_read() {
    let mut big = HEAD.as_bytes().to_vec();
    big.extend(format!("[[sections]]\nheading = \"log\"\nbody = \"\"\"\n{}\"\"\"\n", "a pasted log line\n".repeat(500_000)).as_bytes());
    assert!(big.len() as u64 > fixbook::record::MAX_RECORD_BYTES);
    let dir = with_record("big.toml", &big);
    let (code, _, stderr) = build(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the record is 8.6 MiB; records are limited to 8 MiB\n --> content/rd/big.toml:1:1"), "{stderr}");
    assert!(stderr.contains("hint: a record this large is usually a pasted log"), "{stderr}");
    assert!(!dir.path().join("public").exists(), "nothing is written");
}

#[test]
fn nesting_too_deep_for_toml_is_a_located_error() {
    let deep = format!("{HEAD}symptoms = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let dir = with_record("deep.toml", deep.as_bytes());
    let (code, _, stderr) = build(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("content/rd/deep.toml:5:"), "{stderr}");
    assert!(stderr.contains("nested too deeply"), "{stderr}");
    assert!(stderr.lines().all(|l| l.chars().count() < 200), "long lines are shown as a window:\n{stderr:.2000}");
}

#[test]
fn deeply_nested_markdown_and_ten_thousand_faqs_build() {
    let n = 20_000;
    let markdown = format!(
        "{}x\n\n{}y\n\n{}z{}\n\n{}a{}\n\n{}",
        "> ".repeat(n),
        "- ".repeat(n),
        "*".repeat(n),
        "*".repeat(n),
        "[".repeat(n),
        "]".repeat(n),
        "<b>".repeat(n)
    );
    let mut record = format!("{HEAD}quick_answer = {}\n", toml::Value::String(markdown));
    for i in 0..10_000 {
        record.push_str(&format!("[[faq]]\nquestion = \"Question {i}?\"\nanswer = \"Answer {i}.\"\n"));
    }
    let dir = with_record("many.toml", record.as_bytes());
    let (code, _, stderr) = build(dir.path());
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(dir.path().join("public/rd/0x1/index.html")).unwrap();
    assert_eq!(page.matches("<details class=\"faq-item\"").count(), 10_000);
    assert!(page.contains("Question 9999?") && page.contains("&lt;b&gt;&lt;b&gt;"), "every FAQ, raw HTML as text");
}

#[test]
fn bom_crlf_and_bad_bytes() {
    let crlf = format!("\u{feff}{}", HEAD.replace('\n', "\r\n"));
    let dir = with_record("crlf.toml", crlf.as_bytes());
    let (code, _, stderr) = build(dir.path());
    assert_eq!(code, 0, "a BOM and CRLF line ends are fine: {stderr}");
    assert!(std::fs::read_to_string(dir.path().join("public/rd/0x1/index.html")).unwrap().contains("<h1"));

    let mut latin1 = HEAD.replace("Limits", "Caf").into_bytes();
    latin1.splice(latin1.len() - 15..latin1.len() - 15, [0xe9]);
    let dir = with_record("latin1.toml", &latin1);
    let (code, _, stderr) = build(dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("byte 0xE9 is not UTF-8 text\n --> content/rd/latin1.toml:3:14") && stderr.contains("save the file as UTF-8"), "{stderr}");
}
