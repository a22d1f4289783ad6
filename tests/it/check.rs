//! `fixbook check`: one fixture per content rule (tests/fixtures/lint/<rule>/, laid over
//! tests/fixtures/lint/base), compared with its `expected.txt` (FIXBOOK_BLESS=1 rewrites them).

use crate::support::{fixbook, fixture, kb, repo_root};

/// (exit status, findings as `level[rule] file:line:col: message` lines, hints indented).
fn run(case: Option<&str>) -> (i32, String) {
    let overlay = case.map(|c| fixture("lint").join(c));
    let overlays: Vec<&std::path::Path> = overlay.iter().map(|p| p.as_path()).collect();
    let dir = kb(&fixture("lint").join("base"), &overlays);
    let (code, stdout, stderr) = fixbook(&["check", dir.path().to_str().unwrap(), "--format", "json"], dir.path());
    assert!(stderr.is_empty(), "{stderr}");
    assert!(!dir.path().join("public").exists(), "check writes nothing");
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let mut text = String::new();
    for f in findings {
        text.push_str(&format!(
            "{}[{}] {}:{}:{}: {}\n",
            f["level"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["message"].as_str().unwrap()
        ));
        if let Some(h) = f["hint"].as_str() {
            text.push_str(&format!("  hint: {h}\n"));
        }
    }
    (code, text)
}

fn case(name: &str, status: i32) {
    let (code, actual) = run(Some(name));
    assert_eq!(code, status, "{name}: exit status\n{actual}");
    let path = fixture("lint").join(name).join("expected.txt");
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
    assert_eq!(actual, expected, "{name}: the findings changed");
    let rule = if name == "levels" { "no-causes" } else { name };
    assert!(actual.contains(&format!("[{rule}]")), "{name} shows its rule:\n{actual}");
}

#[test]
fn check_the_clean_base_and_the_sample_find_nothing() {
    assert_eq!(run(None), (0, String::new()));
    let (code, stdout, _) = fixbook(&["check"], &repo_root());
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "No problems in 33 records.");
}

#[test]
fn check_rules_each_have_a_fixture() {
    for (rule, _) in fixbook::check::RULES {
        case(rule, 0);
    }
}

#[test]
fn check_levels_come_from_site_toml() {
    case("levels", 1);
    let (_, text) = run(Some("levels"));
    assert!(!text.contains("[orphan]"), "orphan is off:\n{text}");
    assert!(text.contains("error[no-causes] content/rd/b.toml"), "{text}");
}

#[test]
fn check_reports_build_errors_as_text_and_json() {
    let dir = kb(&fixture("base"), &[&fixture("bad").join("unknown-product")]);
    let (code, stdout, _) = fixbook(&["check", dir.path().to_str().unwrap()], dir.path());
    assert_eq!(code, 1);
    assert!(stdout.contains("error: unknown product"), "{stdout}");
    assert!(stdout.trim_end().ends_with("1 error, 0 warnings"), "{stdout}");
    let (code, stdout, _) = fixbook(&["check", dir.path().to_str().unwrap(), "--format", "json"], dir.path());
    assert_eq!(code, 1);
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list[0]["rule"], "invalid");
    assert_eq!(list[0]["level"], "error");
    let (code, _, stderr) = fixbook(&["check", "--format", "yaml"], dir.path());
    assert_eq!(code, 2, "a wrong command line is status 2: {stderr}");
}
