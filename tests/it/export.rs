//! `fixbook export`: pages for other wikis, read back the way those wikis would read them.

use std::collections::{BTreeMap, HashSet};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::support::{fixbook, repo_root};

fn export(args: &[&str]) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    let mut all = vec!["export", root.to_str().unwrap()];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = fixbook(&all, dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Exported 33 records as markdown into"), "{stdout}");
    let out = dir.path().join(args.iter().position(|a| *a == "--out").map_or("export-markdown", |i| args[i + 1]));
    let pages = crate::support::tree(&out).into_iter().filter(|(p, _)| p.ends_with(".md")).map(|(p, b)| (p, String::from_utf8(b).unwrap())).collect();
    (dir, pages)
}

/// Link destinations and heading anchors (GitHub's rule) of a Markdown page.
fn links_and_anchors(md: &str) -> (Vec<String>, HashSet<String>) {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut links = Vec::new();
    let mut anchors = HashSet::new();
    let mut heading: Option<String> = None;
    for e in Parser::new_ext(md, opts) {
        match e {
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = &mut heading {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                anchors.insert(fixbook::export::markdown::anchor(&heading.take().unwrap()));
            }
            _ => {}
        }
    }
    (links, anchors)
}

fn check_links(pages: &BTreeMap<String, String>, to_file: impl Fn(&str) -> String) {
    let anchors: BTreeMap<&str, HashSet<String>> = pages.iter().map(|(p, md)| (p.as_str(), links_and_anchors(md).1)).collect();
    let mut checked = 0;
    for (page, md) in pages {
        for dest in links_and_anchors(md).0 {
            if dest.starts_with("http://") || dest.starts_with("https://") || dest.starts_with("mailto:") {
                continue;
            }
            let (target, fragment) = dest.split_once('#').map_or((dest.as_str(), None), |(t, f)| (t, Some(f)));
            let file = if target.is_empty() { page.clone() } else { to_file(target) };
            let Some(heads) = anchors.get(file.as_str()) else { panic!("{page}: link to {dest} has no page {file}") };
            if let Some(f) = fragment {
                assert!(heads.contains(f), "{page}: {file} has no heading for #{f}");
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} internal links checked");
}

#[test]
fn markdown_export_links_every_page_as_folders_read_them() {
    let (_dir, pages) = export(&["--format", "markdown"]);
    assert_eq!(pages.len(), 33 + 5 + 2, "records, products, Home and _Sidebar: {:?}", pages.keys().collect::<Vec<_>>());
    for name in ["Home.md", "_Sidebar.md", "Remote-Desktop.md", "Remote-Desktop-0xc07.md", "Web-Browser-net-err_cert_date_invalid.md"] {
        assert!(pages.contains_key(name), "{name}");
    }
    assert!(pages.keys().all(|p| !p.contains('/') && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))), "flat, safe names");
    check_links(&pages, |t| t.to_string());

    let page = &pages["Remote-Desktop-0xc07.md"];
    let front: Vec<&str> = page.strip_prefix("---\n").unwrap().split("\n---\n").next().unwrap().lines().collect();
    let meta: BTreeMap<&str, serde_json::Value> = front
        .iter()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k, serde_json::from_str(v).unwrap_or_else(|e| panic!("front matter {l}: {e}")))
        })
        .collect();
    assert_eq!(meta["code"], "0xc07");
    assert_eq!(meta["severity"], "high");
    assert_eq!(meta["aliases"], serde_json::json!(["0x00000C07", "3079"]));
    assert!(page.contains("> [!WARNING]\n> Do not turn off Network Level Authentication"), "callouts are GitHub alerts");
    assert!(page.contains("- [ ] **Confirm the network path is open**"), "steps are a task list");
    assert!(page.contains("[0x204](Remote-Desktop-0x204.md)"), "record links point at the exported page");
    assert!(page.contains("Fixed by: [Resynchronise the clocks](#resynchronise-the-clocks)"));
    let causes: Vec<&str> = page.lines().filter(|l| l.starts_with("### ") && l.ends_with("likelihood)")).collect();
    assert!(causes[0].ends_with("(high likelihood)") && causes.last().unwrap().ends_with("(low likelihood)"), "{causes:?}");
}

#[test]
fn markdown_export_for_github_and_gitlab_wikis_links_by_page_name() {
    let (_dir, pages) = export(&["--format", "markdown", "--links", "pages", "--out", "wiki"]);
    assert!(pages["_Sidebar.md"].contains("- [Remote Desktop](Remote-Desktop)\n"), "{}", pages["_Sidebar.md"]);
    assert!(!pages.values().any(|md| md.contains(".md)")), "no link names a file");
    check_links(&pages, |t| format!("{t}.md"));
}

#[test]
fn confluence_export_is_storage_format_with_a_page_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = fixbook(&["export", repo_root().to_str().unwrap(), "--format", "confluence"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Exported 33 records as confluence into export-confluence"), "{stdout}");
    let out = dir.path().join("export-confluence");
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let pages = manifest["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1 + 5 + 33, "home, products, records");

    // Titles are unique in the space; every parent comes before its children.
    let mut titles = HashSet::new();
    for p in pages {
        let title = p["title"].as_str().unwrap();
        assert!(titles.insert(title.to_lowercase()), "duplicate title {title}");
        if let Some(parent) = p["parent"].as_str() {
            assert!(titles.contains(&parent.to_lowercase()), "{title}: parent {parent} is not uploaded before it");
        }
    }
    assert!(pages[0]["parent"].is_null());

    let shipped: HashSet<&str> = ["info", "note", "warning", "tip", "expand", "code"].into();
    let mut macros_seen = HashSet::new();
    let mut links = 0;
    for p in pages {
        let xml = std::fs::read_to_string(out.join(p["file"].as_str().unwrap())).unwrap();
        let wrapped = format!("<root xmlns:ac=\"http://atlassian.com/content\" xmlns:ri=\"http://atlassian.com/resource/identifier\">{xml}</root>");
        let doc = roxmltree::Document::parse(&wrapped).unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", p["file"]));
        for node in doc.descendants().filter(|n| n.is_element()) {
            let tag = node.tag_name();
            if tag.namespace() == Some("http://atlassian.com/content") && tag.name() == "structured-macro" {
                let name = node.attribute(("http://atlassian.com/content", "name")).unwrap();
                assert!(shipped.contains(name), "{}: macro {name} is not one Confluence ships", p["file"]);
                macros_seen.insert(name.to_string());
            }
            if tag.namespace() == Some("http://atlassian.com/resource/identifier") && tag.name() == "page" {
                let target = node.attribute(("http://atlassian.com/resource/identifier", "content-title")).unwrap();
                assert!(titles.contains(&target.to_lowercase()), "{}: link to a page not in the export: {target}", p["file"]);
                links += 1;
            }
            assert!(!matches!(tag.name(), "script" | "iframe" | "object"), "{}: {}", p["file"], tag.name());
        }
    }
    for m in ["warning", "tip", "info", "expand", "code"] {
        assert!(macros_seen.contains(m), "the sample uses the {m} macro");
    }
    assert!(links > 100, "{links} page links");
    let page = std::fs::read_to_string(out.join("pages/Remote-Desktop-0xc07.xml")).unwrap();
    assert!(page.contains("<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status>"), "steps are a task list");
    assert!(page.contains("<ri:page ri:content-title=\"Remote Desktop error 0x204: the remote computer could not be reached\" />"));

    let script = out.join("upload-confluence.sh");
    let syntax = std::process::Command::new("bash").arg("-n").arg(&script).status().unwrap();
    assert!(syntax.success(), "the upload script parses");
}

/// The upload script against a stand-in for Confluence's REST API v2 (tests/confluence/).
#[test]
fn confluence_upload_script_builds_the_page_tree() {
    let missing = ["jq", "curl", "python3"].into_iter().find(|t| std::process::Command::new(t).arg("--version").output().is_err());
    if let Some(tool) = missing {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{tool} is required in CI");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("upload script test skipped: {tool} not found\n").as_bytes());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A title with escape sequences a terminal would obey (the script prints each title).
    let kb = crate::support::sample_kb();
    crate::support::edit(
        &kb.path().join("content/remote-desktop/0xc07.toml"),
        "title = \"Remote Desktop",
        "title = \"\\u001b]0;pwned\\u0007\\u001b[2JRemote Desktop",
    );
    let (code, _, stderr) = fixbook(&["export", kb.path().to_str().unwrap(), "--format", "confluence", "-q"], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/confluence/mock_upload.py"))
        .arg(dir.path().join("export-confluence"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.trim_end().ends_with("ok"), "{text}{}", String::from_utf8_lossy(&out.stderr));
}
