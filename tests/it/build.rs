//! What a build writes, on the bundled sample and on the base fixture.

use crate::support::{build, fixbook, fixture, kb, repo_root, tree};

#[test]
fn sample_knowledge_base_builds_a_page_per_record() {
    let site = build(&repo_root());
    let records: Vec<_> = walkdir::WalkDir::new(repo_root().join("content"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .collect();
    assert!(records.len() >= 30, "the sample has {} records", records.len());
    assert_eq!(site.summary.records, records.len());
    for e in &records {
        let code = toml::from_str::<toml::Table>(&std::fs::read_to_string(e.path()).unwrap()).unwrap()["code"].as_str().unwrap().to_string();
        let product = e.path().parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let page = format!("{product}/{}/index.html", fixbook::url::code_slug(&code));
        assert!(site.exists(&page), "no page {page} for {}", e.path().display());
    }
    for f in [
        "index.html",
        "404.html",
        "codes/index.html",
        "tags/index.html",
        "sitemap.xml",
        "robots.txt",
        "atom.xml",
        "records.json",
        "records/1.json",
        "assets/fixbook.css",
        "assets/fixbook.js",
        ".fixbook",
    ] {
        assert!(site.exists(f), "missing {f}");
    }
    let products = toml::from_str::<toml::Table>(&std::fs::read_to_string(repo_root().join("site.toml")).unwrap()).unwrap();
    assert!(products["products"].as_table().unwrap().len() >= 5);
}

#[test]
fn record_page_reads_in_troubleshooting_order() {
    let site = build(&fixture("base"));
    let html = site.read("rd/0xc07/index.html");
    let order = [
        "<h1 id=\"record-title\">Remote Desktop error 0xc07</h1>",
        "id=\"quick-answer\"",
        "id=\"what-the-code-means\"",
        "id=\"symptoms\"",
        "id=\"quick-fixes\"",
        "id=\"causes\"",
        "id=\"fixes\"",
        "id=\"steps\"",
        "id=\"notes\"",
        "id=\"faq\"",
        "id=\"takeaways\"",
        "id=\"related\"",
        "Updated</dt>",
    ];
    let mut last = 0;
    for needle in order {
        let at = html[last..].find(needle).unwrap_or_else(|| panic!("{needle} missing or out of order"));
        last += at;
    }
    // Causes are listed most likely first, whatever order the file has.
    assert!(html.find("The certificate expired").unwrap() < html.find("Clocks differ").unwrap());
    // Cross-links both ways between causes and fixes.
    assert!(html.contains("<li class=\"cause\" id=\"cause-cert\">"), "{html}");
    assert!(html.contains("<a href=\"#fix-1\">Renew the certificate</a>"));
    assert!(html.contains("<a href=\"#cause-cert\">The certificate expired</a>"));
    assert!(html.contains("<span class=\"label\">Estimated time</span> 30 minutes"));
    assert!(html.contains("class=\"callout callout-warning\""));
    assert!(html.contains("<details class=\"faq-item\" id=\"faq-1\">"));
    // Related records by title, Markdown record links resolved.
    assert!(html.contains("<a href=\"/rd/0x204/\"><code class=\"code\">0x204</code> Remote Desktop error 0x204</a>"));
    assert!(html.contains("See <a href=\"/rd/0x204/\">0x204</a>"));
    assert!(html.contains("<table>"), "Markdown tables render");
}

#[test]
fn user_text_is_escaped_and_raw_html_is_not_passed_through() {
    let site = build(&fixture("base"));
    let page = site.read("rd/0xc07/index.html");
    assert!(page.contains("Raw &lt;b&gt;html&lt;/b&gt; stays text."), "raw HTML must be shown as text");
    let wu = site.read("wu/0x80070005/index.html");
    assert!(wu.contains("Windows Update error 0x80070005 &lt;access denied&gt;"));
    assert!(wu.contains("Access was denied &amp; the update stopped."));
    assert!(!wu.contains("<access denied>"));
}

#[test]
fn raw_html_passes_when_the_site_opts_in() {
    let dir = kb(&fixture("base"), &[]);
    let site_toml = dir.path().join("site.toml");
    let text = std::fs::read_to_string(&site_toml).unwrap().replace("language = \"en\"", "language = \"en\"\n[markdown]\nraw_html = true");
    std::fs::write(&site_toml, text).unwrap();
    let site = build(dir.path());
    assert!(site.read("rd/0xc07/index.html").contains("Raw <b>html</b> stays text."));
}

#[test]
fn head_has_canonical_social_and_structured_data() {
    let site = build(&fixture("base"));
    let html = site.read("rd/0xc07/index.html");
    assert!(html.contains("<link rel=\"canonical\" href=\"https://help.example.com/rd/0xc07/\">"));
    assert!(html.contains("<meta property=\"og:type\" content=\"article\">"));
    assert!(html.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    let start = html.find("<script type=\"application/ld+json\">").unwrap() + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let types: Vec<&str> = ld["@graph"].as_array().unwrap().iter().map(|n| n["@type"].as_str().unwrap()).collect();
    assert_eq!(types, ["TechArticle", "BreadcrumbList", "FAQPage"]);
    assert_eq!(ld["@graph"][0]["dateModified"], "2026-11-20");
    assert_eq!(ld["@graph"][2]["mainEntity"][0]["acceptedAnswer"]["text"], "Yes.");
}

#[test]
fn listings_feeds_and_data_files() {
    let site = build(&fixture("base"));
    let home = site.read("index.html");
    assert!(home.contains("Recently updated"));
    assert!(home.find("Remote Desktop error 0xc07").unwrap() < home.find("Remote Desktop error 0x204").unwrap());
    assert!(site.read("rd/index.html").contains("2 error codes"));
    let codes = site.read("codes/index.html");
    assert!(codes.find("0x204").unwrap() < codes.find("0x80070005").unwrap() && codes.find("0x80070005").unwrap() < codes.find("0xc07").unwrap());
    // "tls" and "TLS" are one tag.
    assert!(site.read("tags/tls/index.html").contains("2 error codes"));
    assert!(site.read("404.html").contains("Page not found"));

    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("<url><loc>https://help.example.com/rd/0xc07/</loc><lastmod>2026-11-20</lastmod></url>"));
    assert!(site.read("robots.txt").contains("Sitemap: https://help.example.com/sitemap.xml"));
    let atom = site.read("atom.xml");
    assert!(atom.contains("<updated>2026-11-20T00:00:00Z</updated>"));
    assert_eq!(atom.matches("<entry>").count(), 2, "only dated records are in the feed");

    let index: serde_json::Value = serde_json::from_str(&site.read("records.json")).unwrap();
    assert_eq!((index["version"].as_u64(), index["records"].as_u64()), (Some(2), Some(3)));
    assert_eq!(index["parts"], serde_json::json!(["records/1.json"]));
    let data: serde_json::Value = serde_json::from_str(&site.read("records/1.json")).unwrap();
    assert_eq!((data["version"].as_u64(), data["part"].as_u64()), (Some(2), Some(1)));
    let records = data["records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    let c07 = records.iter().find(|r| r["id"] == "rd/0xc07").unwrap();
    assert_eq!(c07["url"], "https://help.example.com/rd/0xc07/");
    assert_eq!(c07["causes"][1]["id"], "cert");
    assert_eq!(c07["fixes"][0]["causes"][0], "cert");
    assert_eq!(c07["updated"], "2026-11-20");
}

#[test]
fn base_url_with_a_path_prefixes_every_link() {
    let dir = kb(&fixture("base"), &[]);
    let site_toml = dir.path().join("site.toml");
    let text = std::fs::read_to_string(&site_toml).unwrap().replace("https://help.example.com/", "https://example.com/help");
    std::fs::write(&site_toml, text).unwrap();
    let site = build(dir.path());
    let html = site.read("rd/0xc07/index.html");
    assert!(html.contains("href=\"/help/assets/fixbook.css\""));
    assert!(html.contains("<a href=\"/help/rd/0x204/\">"));
    assert!(html.contains("href=\"https://example.com/help/rd/0xc07/\""));
    assert!(!html.contains("href=\"/rd/"), "no link may escape the base path");
}

#[test]
fn relative_links_work_from_any_folder() {
    let dir = kb(&fixture("base"), &[]);
    let out = dir.path().join("site");
    let (code, _, stderr) = fixbook(&["build", "--relative-links", "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(out.join("rd/0xc07/index.html")).unwrap();
    assert!(html.contains("href=\"../../assets/fixbook.css\""), "assets from two folders down");
    assert!(html.contains("<a href=\"../../rd/0x204/index.html\">"), "record links name index.html");
    assert!(html.contains("action=\"../../search/index.html\""), "the search box submits to the search page");
    assert!(html.contains("data-fixbook-search=\"../../search/\""));
    assert!(html.contains("href=\"https://help.example.com/rd/0xc07/\""), "the canonical URL stays absolute");
    for (path, bytes) in tree(&out).into_iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8(bytes).unwrap();
        assert!(!html.contains("href=\"/") && !html.contains("src=\"/"), "{path} has a root-absolute link");
    }
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains("href=\"assets/fixbook.css\"") && home.contains("href=\"codes/index.html\""));
}

#[test]
fn builds_are_byte_for_byte_deterministic() {
    let a = build(&repo_root());
    let b = build(&repo_root());
    assert_eq!(tree(&a.out), tree(&b.out));
}

#[test]
fn folders_are_for_people_and_ids_follow_paths() {
    let dir = kb(&fixture("base"), &[]);
    let nested = dir.path().join("content/rd/tls");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::rename(dir.path().join("content/rd/0x204.toml"), nested.join("0x204.toml")).unwrap();
    // Ids change with the path, so links to the old id must now fail...
    let err = fixbook::load_site(dir.path()).unwrap_err().to_string();
    assert!(err.contains("related record `rd/0x204` does not exist"), "{err}");
    assert!(err.contains("did you mean `rd/tls/0x204`?"), "{err}");
    // ...and the URL still comes from product and code.
    let c07 = dir.path().join("content/rd/0xc07.toml");
    let text = std::fs::read_to_string(&c07).unwrap().replace("\"rd/0x204\"", "\"rd/tls/0x204\"").replace("@/rd/0x204", "@/rd/tls/0x204");
    std::fs::write(&c07, text).unwrap();
    let site = build(dir.path());
    assert!(site.exists("rd/0x204/index.html"));
}

#[test]
fn hidden_files_and_other_extensions_are_ignored() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::write(dir.path().join("content/rd/.0x999.toml.swp"), "garbage").unwrap();
    std::fs::write(dir.path().join("content/rd/notes.md"), "# notes").unwrap();
    std::fs::create_dir_all(dir.path().join("content/.git")).unwrap();
    std::fs::write(dir.path().join("content/.git/x.toml"), "garbage").unwrap();
    assert_eq!(build(dir.path()).summary.records, 3);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_knowledge_base_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.toml"), "garbage = true").unwrap();
    let dir = kb(&fixture("base"), &[]);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("content/outside")).unwrap();
    let (code, _, stderr) = crate::support::fixbook(&["build"], dir.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("--> content/outside:1:1") && stderr.contains("points outside the knowledge base"), "{stderr}");
    assert!(!stderr.contains("garbage"), "the file outside is never read: {stderr}");
}

#[test]
fn codes_cannot_write_outside_the_output_folder() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::write(
        dir.path().join("content/rd/evil.toml"),
        "code = \"../../../../tmp/evil\"\nproduct = \"rd\"\ntitle = \"t\"\nsummary = \"s\"\ntags = [\"../../x\", \"/etc\"]\n",
    )
    .unwrap();
    let site = build(dir.path());
    assert!(site.exists("rd/tmp-evil/index.html"));
    assert!(site.exists("tags/x/index.html") && site.exists("tags/etc/index.html"));
    let parent = site.out.parent().unwrap();
    let outside: Vec<_> = std::fs::read_dir(parent).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(outside, vec!["public"], "nothing is written beside the output folder");
}

#[test]
fn listings_split_into_pages_that_link_to_each_other() {
    let dir = kb(&fixture("base"), &[]);
    let site_toml = dir.path().join("site.toml");
    let mut text = std::fs::read_to_string(&site_toml).unwrap();
    text.push_str("\n[listing]\npage_size = 1\n");
    std::fs::write(&site_toml, text).unwrap();
    let site = build(dir.path());
    // 3 records: codes 3 pages, rd 2, wu 1, tags tls 2 + certificates 1 + network 1, + 4 others.
    assert_eq!(site.summary.pages, 3 + 3 + 2 + 1 + 2 + 1 + 1 + 4, "{:?}", site.summary);
    let listed = |path: &str| site.read(path).matches("class=\"record-card\"").count() + site.read(path).matches("<tr><td>").count();
    assert_eq!([listed("codes/index.html"), listed("codes/page/2/index.html"), listed("codes/page/3/index.html")], [1, 1, 1]);
    let page2 = site.read("rd/page/2/index.html");
    assert!(page2.contains("<title>Remote Desktop, page 2 of 2 · Fixture Help</title>"));
    assert!(page2.contains("<link rel=\"canonical\" href=\"https://help.example.com/rd/page/2/\">"));
    assert!(page2.contains("<a href=\"/rd/\" rel=\"prev\">← Previous</a>") && !page2.contains("rel=\"next\""));
    assert!(site.read("rd/index.html").contains("<a href=\"/rd/page/2/\" rel=\"next\">Next →</a>"));
    assert!(!site.read("wu/index.html").contains("class=\"pagination\""), "one page needs no page links");
    // Every page of the A-Z index can jump to where each letter starts.
    assert!(site.read("codes/page/2/index.html").contains("<a href=\"/codes/page/3/#c\">C</a>"));
    let sitemap = site.read("sitemap.xml");
    for path in ["codes/page/3/", "rd/page/2/", "tags/tls/page/2/"] {
        assert!(sitemap.contains(&format!("<loc>https://help.example.com/{path}</loc>")), "{path} in the sitemap");
    }

    // page_size = 0: every listing on one page.
    let text = std::fs::read_to_string(&site_toml).unwrap().replace("page_size = 1", "page_size = 0");
    std::fs::write(&site_toml, text).unwrap();
    let site = build(dir.path());
    assert!(!site.exists("codes/page/2/index.html"));
    assert_eq!(site.read("codes/index.html").matches("<tr><td>").count(), 3);
}

#[test]
fn the_footer_lists_the_largest_products_and_links_to_all() {
    let dir = kb(&fixture("base"), &[]);
    let site_toml = dir.path().join("site.toml");
    let mut text = std::fs::read_to_string(&site_toml).unwrap();
    for n in 1..=13 {
        text.push_str(&format!("\n[products.p{n:02}]\nname = \"Product {n:02}\"\n"));
        let folder = dir.path().join(format!("content/p{n:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        // Product 13 has the most records, then rd (2); of the products with one record the
        // first ten by key are listed, so p11, p12 and wu are left out.
        for i in 0..if n == 13 { 3 } else { 1 } {
            let record = format!("code = \"0x{n:02}{i}\"\nproduct = \"p{n:02}\"\ntitle = \"Error {n} {i}\"\nsummary = \"Summary.\"\n");
            std::fs::write(folder.join(format!("0x{n:02}{i}.toml")), record).unwrap();
        }
    }
    std::fs::write(&site_toml, text).unwrap();
    let site = build(dir.path());
    let page = site.read("rd/index.html");
    let footer = &page[page.find("class=\"site-footer\"").unwrap()..];
    let listed: Vec<&str> = footer.match_indices("\">Product ").map(|(at, _)| &footer[at + 2..at + 12]).collect();
    let expected: Vec<String> = (1..=10).chain([13]).map(|n| format!("Product {n:02}")).collect();
    assert_eq!(listed, expected, "largest first, then by key; shown by key");
    assert!(footer.contains(">Remote Desktop</a>"), "rd has 2 records");
    assert!(!footer.contains(">Windows Update</a>"));
    assert!(footer.contains("<a href=\"/#products\">All 15 products</a>"), "{footer}");
    // The home page still lists every product.
    assert_eq!(site.read("index.html").matches("class=\"product-card\"").count(), 15);
}

#[test]
fn pages_lose_the_theme_indentation_but_code_blocks_keep_theirs() {
    let dir = kb(&fixture("base"), &[]);
    let record = "code = \"0x51\"\nproduct = \"wu\"\ntitle = \"Error 0x51\"\nsummary = \"Summary.\"\n\n[[sections]]\nheading = \"Script\"\nbody = '''\nRun:\n\n```powershell\nif ($x) {\n\n    Restart-Service wuauserv\n}\n```\n'''\n";
    std::fs::write(dir.path().join("content/wu/0x51.toml"), record).unwrap();
    let site = build(dir.path());
    let page = site.read("wu/0x51/index.html");
    assert!(page.contains("if ($x) {\n\n    Restart-Service wuauserv\n}\n</code></pre>"), "{page}");
    let (before, after) = (&page[..page.find("<pre").unwrap()], &page[page.find("</pre>").unwrap()..]);
    for part in [before, after] {
        assert!(!part.lines().any(|l| l.starts_with(' ')), "no indented lines outside code");
    }
}
