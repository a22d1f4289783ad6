//! The output folder: swapped in only on success, never removed unless Fixbook made it.

use crate::support::{fixbook, fixture, kb, tree};

#[test]
fn summary_line_names_records_pages_and_time() {
    let dir = kb(&fixture("base"), &[]);
    let (code, stdout, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Built 3 records into public: "), "{stdout}");
    assert!(stdout.trim_end().ends_with(" s"), "{stdout}");
    assert!(dir.path().join("public/rd/0xc07/index.html").exists());
    // The same command again, with nothing changed, does nothing.
    let (code, stdout, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Nothing changed since the last build: public is up to date"), "{stdout}");
}

#[test]
fn a_failed_build_leaves_the_previous_site_untouched() {
    let dir = kb(&fixture("base"), &[]);
    assert_eq!(fixbook(&["build", "--out", "site"], dir.path()).0, 0);
    let before = tree(&dir.path().join("site"));
    std::fs::write(dir.path().join("content/rd/0x204.toml"), "code = \"0x204\"\nproduct = \"nope\"\ntitle = \"t\"\nsummary = \"s\"\n").unwrap();
    let (code, _, stderr) = fixbook(&["build", "--out", "site"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown product `nope`"), "{stderr}");
    assert_eq!(tree(&dir.path().join("site")), before);
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.contains(".fixbook-staging") || n.contains(".fixbook-old")), "staging folders left behind: {names:?}");
}

#[test]
fn a_rebuild_replaces_the_whole_site() {
    let dir = kb(&fixture("base"), &[]);
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    std::fs::remove_file(dir.path().join("content/wu/0x80070005.toml")).unwrap();
    let c07 = dir.path().join("content/rd/0xc07.toml");
    std::fs::write(&c07, std::fs::read_to_string(&c07).unwrap().replace(", \"wu/0x80070005\"", "")).unwrap();
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    assert!(!dir.path().join("public/wu/0x80070005/index.html").exists(), "pages of deleted records go away");
}

#[test]
fn refuses_to_replace_a_folder_it_did_not_create() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/notes.txt"), "mine").unwrap();
    let (code, _, stderr) = fixbook(&["build", "--out", "docs"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("docs already exists and was not created by Fixbook"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join("docs/notes.txt")).unwrap(), "mine");
    // Nor the knowledge base itself.
    let (code, _, _) = fixbook(&["build", "--out", "."], dir.path());
    assert_eq!(code, 1);
    assert!(dir.path().join("content/rd/0xc07.toml").exists());
}

#[test]
fn an_empty_folder_may_be_used_as_output() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::create_dir(dir.path().join("public")).unwrap();
    assert_eq!(fixbook(&["build"], dir.path()).0, 0);
    assert!(dir.path().join("public/.fixbook").exists());
}

#[test]
fn missing_site_file_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fixbook(&["build"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("site.toml:1:1"), "{stderr}");
    assert!(stderr.contains("cannot read the site file"), "{stderr}");
    assert!(stderr.contains("there is no content/ folder"), "{stderr}");
}
