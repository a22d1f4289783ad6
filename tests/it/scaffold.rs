//! `fixbook init` and `fixbook new`: what they write builds at once, and they never overwrite.

use crate::support::fixbook;

#[test]
fn init_makes_a_knowledge_base_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fixbook(&["init", "kb"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("wrote kb/site.toml") && stdout.contains("Build it with: fixbook build kb"), "{stdout}");
    let (code, stdout, stderr) = fixbook(&["build", "kb", "--out", "site"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Built 1 records"), "{stdout}");
    assert!(dir.path().join("site/example-app/e1001/index.html").exists());

    let (code, _, stderr) = fixbook(&["init", "kb"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("kb already exists and is not empty, so nothing was written"), "{stderr}");
}

#[test]
fn new_writes_every_key_explained_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(fixbook(&["init", "kb"], dir.path()).0, 0);
    let (code, stdout, stderr) = fixbook(&["new", "example-app", "NET::ERR_X {title}", "--dir", "kb"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let path = dir.path().join("kb/content/example-app/net-err_x-title.toml");
    assert!(stdout.contains("net-err_x-title.toml"), "{stdout}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("code = \"NET::ERR_X {title}\""), "the code is written as given: {text}");
    for key in [
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
        "[[sections]]",
        "[[causes]]",
        "likelihood",
        "[[fixes]]",
        "difficulty",
        "[[steps]]",
        "tip",
        "[[callouts]]",
        "kind",
        "[[faq]]",
        "short",
    ] {
        assert!(text.contains(&format!("# {key}")) || text.contains(&format!("# {key} ")), "{key} is in the skeleton, commented");
    }
    // Uncommenting everything still gives a valid record.
    let mut in_string = false;
    let full: String = text
        .lines()
        .map(|l| {
            let Some(rest) = l.strip_prefix("# ") else { return l.to_string() };
            let is_key = rest.starts_with("[[") || rest.split_once(" = ").is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            if in_string || is_key {
                if rest.trim_end().ends_with("\"\"\"") {
                    in_string = !in_string || rest.trim() != "\"\"\"";
                    if rest.trim() == "\"\"\"" {
                        in_string = false;
                    }
                }
                rest.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(full.contains("\n[[faq]]\n") && full.contains("\nseverity = ") && full.contains("\nMarkdown (md).\n"), "{full}");
    let (code, _, stderr) = fixbook(&["build", "kb", "--out", "site"], dir.path());
    assert_eq!(code, 0, "the skeleton builds as written: {stderr}");
    std::fs::write(&path, full.replace("[0x204](@/remote-desktop/0x204)", "x")).unwrap();
    let (code, _, stderr) = fixbook(&["build", "kb", "--out", "site"], dir.path());
    assert_eq!(code, 0, "the skeleton with every key uncommented builds: {stderr}");

    let (code, _, stderr) = fixbook(&["new", "example-app", "NET::ERR_X {title}", "--dir", "kb"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists, so it was left as it is"), "{stderr}");
    let (code, _, stderr) = fixbook(&["new", "exampel-app", "E1", "--dir", "kb"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown product `exampel-app`; did you mean `example-app`?"), "{stderr}");
    assert!(stderr.contains("hint: products in site.toml: example-app"), "{stderr}");
    let (code, _, stderr) = fixbook(&["new", "example-app", "E1"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("has no site.toml"), "{stderr}");
}
