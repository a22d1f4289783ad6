//! The search analyzer's golden vectors: written by the Rust implementation into
//! tests/search/analysis-vectors.json (FIXBOOK_BLESS=1 rewrites it) and checked against the
//! JavaScript one with `node --test tests/js`.

use std::process::Command;

use fixbook::search::analyze::{analyze, Mode};
use serde_json::json;

use crate::support::repo_root;

const CURATED: &[&str] = &[
    "0xC07",
    "c07",
    "0x00000c07",
    "3079",
    "0XC07",
    "error 0xc07",
    "Error code: 0xc07",
    "stop code 0x0000007B",
    "0x80070005",
    "80070005",
    "2147942405",
    "-2147024891",
    "0x8007000E",
    "8007000e",
    "-1",
    "-2147483648",
    "-2147483649",
    "18456",
    "0x4818",
    "4818",
    "0",
    "00000",
    "0x",
    "0x0",
    "0xFFFFFFFFFFFFFFFF",
    "0x10000000000000000",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "E_ACCESSDENIED",
    "ERROR_ACCESS_DENIED",
    "__init__",
    "_a_b_",
    "a__b",
    "NET::ERR_CERT_DATE_INVALID",
    "ERR_SSL_PROTOCOL_ERROR",
    "net-err_cert_revoked",
    "HTTP 503",
    "HTTP/1.1 502 Bad Gateway",
    "SQLSTATE 08001",
    "ORA-12154",
    "AADSTS50126",
    "5.7.1",
    "NDR 5.7.1.",
    "v1.2.3-beta",
    "10.0.0.5:22",
    "1.5",
    "3.",
    ".5",
    r"C:\Windows\SoftwareDistribution",
    "/etc/ssl/certs",
    "~/.ssh/id_ed25519.pub",
    "HKLM\\SYSTEM\\CurrentControlSet",
    "Permission denied (publickey).",
    "Host key verification failed.",
    "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!",
    "policies certificates processes access status buses glasses goes toes trees",
    "ties dies flies",
    "Crème Brûlée",
    "ﬁle ﬂow",
    "İstanbul",
    "ΣΊΣΥΦΟΣ",
    "Straße",
    "naïve café",
    "日本語のエラー",
    "Ошибка сертификата",
    "x-509",
    "wi-fi",
    "e-mail",
    "-x",
    "--5",
    "a-5",
    "(-5)",
    "2fa",
    "mp3",
    "abc",
    "cafe",
    "dead beef",
    "b2b",
    "1e10",
    "cert expired yesterday",
    "certifcate expird",
    "tls handshake failed before the session started",
    "",
    "   ",
    "!!!",
    "emoji 🚀 rocket",
    "tab\tand\nnewline",
    "CamelCaseWord",
    "HRESULT 0x80004005 E_FAIL",
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
        let list = |k: &str| {
            record
                .get(k)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<String>>())
                .unwrap_or_default()
        };
        for code in text("code").into_iter().chain(list("aliases")) {
            inputs.push((code.clone(), Mode::Code));
            inputs.push((code, Mode::Query));
        }
        for t in text("title").into_iter().chain(text("summary")).chain(list("symptoms")) {
            inputs.push((t, Mode::Text));
        }
    }
    let cases: Vec<_> = inputs.into_iter().map(|(input, mode)| json!({ "input": input, "mode": mode, "terms": analyze(&input, mode) })).collect();
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
    assert!(
        committed == text,
        "tests/search/analysis-vectors.json is out of date: run FIXBOOK_BLESS=1 cargo test --test it search, then check the JavaScript side"
    );
}

/// What the browser runtime must compute exactly as the index writer does: typo keys, the
/// hash that places them, and VLQ numbers (docs/search-index.md).
fn index_vectors() -> serde_json::Value {
    use fixbook::search::{encode, index};
    let words = ["certificate", "certifcate", "gateway", "abcd", "crème", "ßtraße", "日本語のエラー", "naïve", "remediation", "expired"];
    let typo: Vec<_> = words
        .iter()
        .map(|w| {
            let keys = index::typo_keys(w);
            let hashes: Vec<u32> = keys.iter().map(|k| encode::fnv1a(k)).collect();
            json!({ "word": w, "keys": keys, "fnv": hashes })
        })
        .collect();
    let numbers = [0u32, 1, 31, 32, 1023, 1024, 65_535, 1 << 20, u32::MAX];
    let vlq: Vec<_> = numbers
        .iter()
        .map(|&n| {
            let mut s = String::new();
            encode::vlq(&mut s, n);
            json!([n, s])
        })
        .collect();
    json!({ "version": 1, "spec": "docs/search-index.md", "typo": typo, "vlq": vlq })
}

#[test]
fn index_vectors_are_current() {
    let path = repo_root().join("tests/search/index-vectors.json");
    let mut text = serde_json::to_string_pretty(&index_vectors()).unwrap();
    text.push('\n');
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == text, "tests/search/index-vectors.json is out of date: run FIXBOOK_BLESS=1 cargo test --test it search");
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
    assert!(out.status.success(), "node --test failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

// ---- `fixbook search` (tantivy) -------------------------------------------------------

use crate::support::{fixbook, fixture, kb, sample_kb};

fn top(root: &std::path::Path, query: &str) -> Vec<String> {
    fixbook::search(root, query, 5).unwrap_or_else(|e| panic!("{query}: {e}")).into_iter().map(|h| h.id).collect()
}

/// The spellings a person may type for `code`: case, `0x`, padding, decimal, signed decimal.
fn spellings(code: &str) -> Vec<String> {
    let mut out = vec![code.to_string(), code.to_uppercase(), code.to_lowercase(), format!("error {code}"), format!("{code} error code")];
    if let Some(value) = code.to_lowercase().strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()) {
        out.push(format!("0x{value:08X}"));
        out.push(format!("{value:x}"));
        out.push(value.to_string());
        if (1u64 << 31..1u64 << 32).contains(&value) {
            out.push(format!("-{}", (1u64 << 32) - value));
        }
    }
    out
}

#[test]
fn every_sample_code_in_every_spelling_ranks_its_record_first() {
    let dir = sample_kb();
    let index = fixbook::search::engine::open_or_build(dir.path(), || fixbook::load_site(dir.path())).unwrap();
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(dir.path().join("content")).into_iter().map(Result::unwrap) {
        if entry.path().extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let id = entry.path().strip_prefix(dir.path().join("content")).unwrap().with_extension("").display().to_string();
        let record: toml::Table = toml::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        let mut queries = spellings(record["code"].as_str().unwrap());
        for alias in record.get("aliases").and_then(|a| a.as_array()).into_iter().flatten() {
            queries.push(alias.as_str().unwrap().to_string());
        }
        for q in queries {
            let hits: Vec<String> = fixbook::search::engine::search(&index, &q, 5).unwrap().into_iter().map(|h| h.id).collect();
            assert_eq!(hits.first(), Some(&id), "query {q:?} should find {id} first, got {hits:?}");
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked} queries");
}

#[test]
fn words_typos_and_symptoms_find_the_record() {
    let dir = sample_kb();
    for (query, id) in [
        ("certifcate expird", "browser/net-err_cert_date_invalid"),
        ("your connection is not private clock", "browser/net-err_cert_date_invalid"),
        ("permision denied publickey", "ssh-git/permission-denied-publickey"),
        ("bad gatway", "reverse-proxy/http-502"),
        ("upload too large", "reverse-proxy/http-413"),
        ("wsus app pool stopped", "windows-update/0x80244022"),
        ("credssp oracle remediation", "remote-desktop/0x80090302"),
        ("someone doing something nasty", "ssh-git/remote-host-identification-changed"),
    ] {
        let hits = top(dir.path(), query);
        assert_eq!(hits.first().map(String::as_str), Some(id), "{query:?}: {hits:?}");
    }
}

#[test]
fn codes_never_typo_match_each_other() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::write(
        dir.path().join("content/wu/0x80070006.toml"),
        "code = \"0x80070006\"\nproduct = \"wu\"\ntitle = \"Windows Update error 0x80070006\"\nsummary = \"The handle is invalid.\"\n",
    )
    .unwrap();
    for q in ["0x80070005", "80070005", "-2147024891"] {
        let hits = top(dir.path(), q);
        assert_eq!(hits, ["wu/0x80070005"], "{q}");
    }
}

#[test]
fn search_on_the_command_line_and_as_json() {
    let dir = sample_kb();
    let (code, stdout, stderr) = fixbook(&["search", "0XC07"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with(" 1. 0xc07  Remote Desktop\n    Remote Desktop error 0xc07"), "{stdout}");
    let (code, stdout, _) = fixbook(&["search", ".", "-2147024891", "--json", "--limit", "2"], dir.path());
    assert_eq!(code, 0);
    let hits: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let first = &hits[0];
    assert_eq!(first["id"], "windows-update/0x80070005");
    assert_eq!(first["code"], "0x80070005");
    assert_eq!(first["url"], "https://help.example.com/windows-update/0x80070005/");
    assert!(first["score"].as_f64().unwrap() > 0.0 && first["title"].is_string());
    assert!(hits.as_array().unwrap().len() <= 2);
    let (_, stdout, _) = fixbook(&["search", "zzzqqq"], dir.path());
    assert_eq!(stdout, "No records match \"zzzqqq\".\n");
}

#[test]
fn the_index_is_cached_and_rebuilt_when_records_change() {
    let dir = kb(&fixture("base"), &[]);
    assert_eq!(top(dir.path(), "0xc07"), ["rd/0xc07"]);
    let stamp = dir.path().join(".fixbook-cache/search/fingerprint");
    let first = std::fs::metadata(&stamp).unwrap().modified().unwrap();
    assert!(std::fs::read_to_string(dir.path().join(".fixbook-cache/.gitignore")).unwrap().contains('*'));
    top(dir.path(), "0x204");
    assert_eq!(std::fs::metadata(&stamp).unwrap().modified().unwrap(), first, "an unchanged knowledge base reuses the index");

    let file = dir.path().join("content/rd/0x204.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace("port 3389.", "port 3389 (zebra).");
    std::fs::write(&file, text).unwrap();
    assert_eq!(top(dir.path(), "zebra"), ["rd/0x204"], "a changed record is searchable at once");

    std::fs::write(&file, "code = \"0x204\"\nproduct = \"nope\"\ntitle = \"t\"\nsummary = \"s\"\n").unwrap();
    let (code, _, stderr) = fixbook(&["search", "0x204"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown product `nope`"), "{stderr}");
}

#[test]
fn exact_words_rank_above_near_misses() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::write(
        dir.path().join("content/wu/0x1.toml"),
        "code = \"0x1\"\nproduct = \"wu\"\ntitle = \"Windows Update error 0x1\"\nsummary = \"A block list stopped the update.\"\n",
    )
    .unwrap();
    // "clock" exists (rd/0xc07: "Clocks differ"), so "block" (one edit away) ranks below it...
    let hits = top(dir.path(), "clock");
    let at = |id: &str| hits.iter().position(|h| h == id);
    assert_eq!(at("rd/0xc07"), Some(0), "{hits:?}");
    assert!(at("wu/0x1").is_some_and(|p| p > 0), "{hits:?}");
    // ...while a word found nowhere is a typo, and its near matches are what it finds.
    assert_eq!(top(dir.path(), "blok list").first().map(String::as_str), Some("wu/0x1"));
}

// ---- the browser index written by `build` -----------------------------------------------

/// The data of an index file: `FixbookSearch.loaded("key", DATA);`.
fn index_data(js: &str, key: &str) -> serde_json::Value {
    let prefix = format!("FixbookSearch.loaded(\"{key}\",");
    let body = js.strip_prefix(&prefix).and_then(|r| r.trim_end().strip_suffix(");")).unwrap_or_else(|| panic!("not an index file: {js:.80}"));
    serde_json::from_str(body).unwrap()
}

#[test]
fn the_build_writes_a_complete_sharded_index() {
    let site = crate::support::build(&repo_root());
    let manifest = index_data(&site.read("search/manifest.js"), "manifest");
    assert_eq!(manifest["format"], 2);
    assert_eq!(manifest["docs"], 33);
    let mut expected = vec![
        "search/manifest.js".to_string(),
        format!("search/{}", manifest["facets"].as_str().unwrap()),
        format!("search/{}", manifest["paths"].as_str().unwrap()),
    ];
    for (i, h) in manifest["terms"]["hashes"].as_array().unwrap().iter().enumerate() {
        expected.push(format!("search/t{i}.{}.js", h.as_str().unwrap()));
    }
    for (i, h) in manifest["typo"]["hashes"].as_array().unwrap().iter().enumerate() {
        expected.push(format!("search/y{i}.{}.js", h.as_str().unwrap()));
    }
    for i in 0..manifest["meta"]["chunks"].as_u64().unwrap() {
        expected.push(format!("search/m{i}.{}.js", manifest["meta"]["hashes"][(i / manifest["meta"]["group"].as_u64().unwrap()) as usize].as_str().unwrap()));
    }
    expected.sort();
    let mut written: Vec<String> =
        crate::support::tree(&site.out).into_iter().map(|(p, _)| p).filter(|p| p.starts_with("search/") && p != "search/index.html").collect();
    written.sort();
    assert_eq!(written, expected, "every index file the manifest names, and nothing else");

    // Content hashes name what is inside.
    for path in expected.iter().filter(|p| p.matches('.').count() == 2) {
        let bytes = std::fs::read(site.out.join(path)).unwrap();
        let hash = path.rsplit('.').nth(1).unwrap();
        if !path.starts_with("search/m") {
            assert_eq!(fixbook::search::encode::content_hash(&bytes), hash, "{path}");
        }
    }
    // Metadata: the first record in id order.
    let meta = index_data(&site.read(&format!("search/m0.{}.js", manifest["meta"]["hashes"][0].as_str().unwrap())), "m0");
    assert_eq!(meta[0][0], "ERR_SSL_PROTOCOL_ERROR");
    assert_eq!(meta[0][5], "browser/err_ssl_protocol_error/");
}
