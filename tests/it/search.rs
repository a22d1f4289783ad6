//! The search analyzer's golden vectors: written by the Rust implementation into
//! tests/search/analysis-vectors.json (FIXBOOK_BLESS=1 rewrites it) and checked against the
//! JavaScript one with `node --test tests/js`.

use std::process::Command;

use fixbook::search::analyze::{analyze, Mode};
use serde_json::json;

use crate::support::repo_root;

const CURATED: &[&str] = &[
    "0xC07", "c07", "0x00000c07", "3079", "0XC07", "error 0xc07", "Error code: 0xc07", "stop code 0x0000007B",
    "0x80070005", "80070005", "2147942405", "-2147024891", "0x8007000E", "8007000e", "-1", "-2147483648", "-2147483649",
    "18456", "0x4818", "4818", "0", "00000", "0x", "0x0", "0xFFFFFFFFFFFFFFFF", "0x10000000000000000", "18446744073709551615",
    "18446744073709551616", "99999999999999999999", "E_ACCESSDENIED", "ERROR_ACCESS_DENIED", "__init__", "_a_b_", "a__b",
    "NET::ERR_CERT_DATE_INVALID", "ERR_SSL_PROTOCOL_ERROR", "net-err_cert_revoked", "HTTP 503", "HTTP/1.1 502 Bad Gateway",
    "SQLSTATE 08001", "ORA-12154", "AADSTS50126", "5.7.1", "NDR 5.7.1.", "v1.2.3-beta", "10.0.0.5:22", "1.5", "3.", ".5",
    r"C:\Windows\SoftwareDistribution", "/etc/ssl/certs", "~/.ssh/id_ed25519.pub", "HKLM\\SYSTEM\\CurrentControlSet",
    "Permission denied (publickey).", "Host key verification failed.", "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!",
    "policies certificates processes access status buses glasses goes toes trees", "ties dies flies",
    "Crème Brûlée", "ﬁle ﬂow", "İstanbul", "ΣΊΣΥΦΟΣ", "Straße", "naïve café", "日本語のエラー", "Ошибка сертификата",
    "x-509", "wi-fi", "e-mail", "-x", "--5", "a-5", "(-5)", "2fa", "mp3", "abc", "cafe", "dead beef", "b2b", "1e10",
    "cert expired yesterday", "certifcate expird", "tls handshake failed before the session started", "",
    "   ", "!!!", "emoji 🚀 rocket", "tab\tand\nnewline", "CamelCaseWord", "HRESULT 0x80004005 E_FAIL",
];

fn vectors() -> serde_json::Value {
    let mut inputs: Vec<(String, Mode)> = Vec::new();
    for text in CURATED {
        for mode in [Mode::Text, Mode::Code, Mode::Query] {
            inputs.push((text.to_string(), mode));
        }
    }
    let mut files: Vec<_> = walkdir::WalkDir::new(repo_root().join("content"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for file in files {
        let record: toml::Table = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let text = |k: &str| record.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let list = |k: &str| record.get(k).and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<String>>()).unwrap_or_default();
        for code in text("code").into_iter().chain(list("aliases")) {
            inputs.push((code.clone(), Mode::Code));
            inputs.push((code, Mode::Query));
        }
        for t in text("title").into_iter().chain(text("summary")).chain(list("symptoms")) {
            inputs.push((t, Mode::Text));
        }
    }
    let cases: Vec<_> = inputs
        .into_iter()
        .map(|(input, mode)| json!({ "input": input, "mode": mode, "terms": analyze(&input, mode) }))
        .collect();
    json!({ "version": 1, "spec": "docs/search-analysis.md", "cases": cases })
}

#[test]
fn analysis_vectors_are_current() {
    let path = repo_root().join("tests/search/analysis-vectors.json");
    let mut text = serde_json::to_string_pretty(&vectors()).unwrap();
    text.push('\n');
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == text, "tests/search/analysis-vectors.json is out of date: run FIXBOOK_BLESS=1 cargo test --test it search, then check the JavaScript side");
}

#[test]
fn javascript_analyzer_matches_the_vectors() {
    let node = Command::new("node").arg("--version").output();
    if node.is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("node is required in CI to check the JavaScript analyzer");
        }
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "JavaScript analyzer check skipped: node not found");
        return;
    }
    let out = Command::new("node").args(["--test", "tests/js/"]).current_dir(repo_root()).output().unwrap();
    assert!(
        out.status.success(),
        "node --test failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
