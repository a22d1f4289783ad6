//! A site overrides the default theme per block, per template or per asset.

use tempfile::TempDir;

use crate::support::{build, fixture, kb};

/// The base fixture with `templates/<name>` holding `text`.
fn kb_with_template(name: &str, text: &str) -> TempDir {
    let dir = kb(&fixture("base"), &[]);
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates").join(name), text).unwrap();
    dir
}

fn build_error(dir: &TempDir) -> String {
    let opts = fixbook::BuildOptions { root: dir.path().into(), out: dir.path().join("public"), progress: false, links: Default::default(), clean: false };
    fixbook::build(&opts).unwrap_err().to_string()
}

#[test]
fn a_template_can_extend_the_default_and_replace_one_block() {
    let dir = kb_with_template(
        "record.html",
        "{% extends \"default/record.html\" %}{% block quick_answer %}<p class=\"mine\">{{ record.code }} first!</p>{% endblock %}",
    );
    let site = build(dir.path());
    let html = site.read("rd/0xc07/index.html");
    assert!(html.contains("<p class=\"mine\">0xc07 first!</p>"));
    assert!(!html.contains("id=\"quick-answer\""), "the replaced block is gone");
    assert!(html.contains("id=\"causes\""), "the other blocks stay");
}

#[test]
fn overriding_base_changes_every_page() {
    let dir = kb_with_template("base.html", "{% extends \"default/base.html\" %}{% block brand %}ACME Support{% endblock %}");
    let site = build(dir.path());
    for page in ["index.html", "rd/0xc07/index.html", "codes/index.html", "404.html"] {
        assert!(site.read(page).contains(">ACME Support</a>"), "{page}");
    }
}

#[test]
fn static_files_are_copied_and_override_theme_assets() {
    let dir = kb(&fixture("base"), &[]);
    std::fs::create_dir_all(dir.path().join("static/assets")).unwrap();
    std::fs::create_dir_all(dir.path().join("static/img")).unwrap();
    std::fs::write(dir.path().join("static/assets/fixbook.css"), "body{color:red}").unwrap();
    std::fs::write(dir.path().join("static/img/logo.png"), [0x89, b'P', b'N', b'G']).unwrap();
    let site = build(dir.path());
    assert_eq!(site.read("assets/fixbook.css"), "body{color:red}");
    assert!(site.exists("img/logo.png"));
    assert!(site.exists("assets/fixbook.js"), "other theme assets stay");
}

#[test]
fn a_broken_template_is_reported_with_its_file() {
    let dir = kb_with_template("record.html", "{% extends \"default/record.html\" %}{% block faq %}{{ record.nope( }}{% endblock %}");
    let text = build_error(&dir);
    assert!(text.contains("template record.html"), "{text}");
    assert!(text.contains("templates/record.html"), "{text}");
}

#[test]
fn a_failing_template_names_the_record_and_template() {
    let dir = kb_with_template("record.html", "{{ record.no_such_field }}");
    let text = build_error(&dir);
    assert!(text.contains("template record.html failed while rendering content/rd/0xc07.toml"), "{text}");
    assert!(text.contains("3 pages could not be rendered; nothing was written"), "{text}");
    assert!(!dir.path().join("public").exists());
}

/// Every page of `root` rendered with `style`, record pages and listings by the compiled
/// writers or by Tera.
fn render_all(root: &std::path::Path, style: fixbook::LinkStyle, compiled: bool) -> std::collections::BTreeMap<String, Vec<u8>> {
    let site = fixbook::load_site(root).unwrap();
    let mut theme = fixbook::theme::Theme::load(root).unwrap();
    assert!(theme.compiled_record && theme.compiled_listings, "no template is overridden");
    theme.compiled_record = compiled;
    theme.compiled_listings = compiled;
    let sink = fixbook::output::MemorySink::default();
    fixbook::render::render(&site, &theme, &sink, style, &fixbook::render::PageSet::all(), &|| {}).unwrap();
    sink.into_files()
}

#[test]
fn pages_written_without_tera_are_the_pages_tera_writes() {
    let with_support = crate::support::sample_kb();
    let toml = std::fs::read_to_string(with_support.path().join("site.toml")).unwrap();
    let support = "[support]\nurl = \"https://support.example.com/new?code={code}&t='x'\"\nfeedback_url = \"https://feedback.example.com/r?a=1&b=2\"\n";
    // One record a page, so that listings have pages, and gaps between the page links.
    let listing = "[listing]\npage_size = 1\n";
    std::fs::write(
        with_support.path().join("site.toml"),
        format!("{toml}\n{support}\n{listing}\n[security]\ncontent_security_policy = \"default-src 'self'\"\n"),
    )
    .unwrap();
    let sample = crate::support::sample_kb();
    let hostile = crate::hostile::hostile_kb(Some("default-src 'self'"));
    // More products than the footer lists, so it links to all of them.
    let base = kb(&fixture("base"), &[]);
    let mut products = std::fs::read_to_string(base.path().join("site.toml")).unwrap();
    for n in 1..=13 {
        products.push_str(&format!("\n[products.p{n:02}]\nname = \"Product {n:02}\"\n"));
        let folder = base.path().join(format!("content/p{n:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        let record = format!("code = \"0x{n:02}\"\nproduct = \"p{n:02}\"\ntitle = \"Error {n}\"\nsummary = \"Summary.\"\n");
        std::fs::write(folder.join(format!("0x{n:02}.toml")), record).unwrap();
    }
    products.push_str("\n[products.empty]\nname = \"No records yet\"\ndescription = \"A product & its <description>.\"\n");
    std::fs::write(base.path().join("site.toml"), products).unwrap();
    let mut seen = String::new();
    for root in [sample.path(), with_support.path(), hostile.path(), base.path()] {
        for style in [fixbook::LinkStyle::Absolute, fixbook::LinkStyle::Relative, fixbook::LinkStyle::Offline, fixbook::LinkStyle::SingleFile] {
            let tera = render_all(root, style, false);
            let compiled = render_all(root, style, true);
            assert_eq!(tera.keys().collect::<Vec<_>>(), compiled.keys().collect::<Vec<_>>());
            for (path, bytes) in &tera {
                let ours = &compiled[path];
                if bytes != ours {
                    let (a, b) = (String::from_utf8_lossy(bytes), String::from_utf8_lossy(ours));
                    let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
                    let from = at.saturating_sub(200);
                    panic!(
                        "{path} ({style:?}, {}) differs at byte {at}\n--- Tera:\n{}\n--- compiled:\n{}",
                        root.display(),
                        a.get(from..(at + 200).min(a.len())).unwrap_or(""),
                        b.get(from..(at + 200).min(b.len())).unwrap_or("")
                    );
                }
                if path.ends_with("index.html") {
                    seen.push_str(&String::from_utf8_lossy(bytes));
                }
            }
        }
    }
    // The comparison covered every optional part of the template.
    for part in [
        "http-equiv=\"Content-Security-Policy\"",
        "application/ld+json",
        "rel=\"alternate\"",
        "class=\"aliases\"",
        "id=\"quick-answer\"",
        "id=\"symptoms\"",
        "id=\"quick-fixes\"",
        "data-support=",
        "data-feedback=",
        "data-cause=",
        "for: ",
        "id=\"causes\"",
        "Fixed by",
        "Addresses",
        "class=\"estimate\"",
        "data-minutes=",
        "class=\"step-tip\"",
        "id=\"notes\"",
        "class=\"faq-short\"",
        "id=\"takeaways\"",
        "class=\"muted\">(",
        "data-fixbook-page-feedback",
        "<dt>Reviewed</dt>",
        "<dt>Applies to</dt>",
        "class=\"toc\"",
        "severity-high",
        " products</a></li>",
        "<p class=\"eyebrow\">Product</p>",
        "<p class=\"eyebrow\">Tag</p>",
        "No records for this product yet.",
        "rel=\"prev\"",
        "rel=\"next\"",
        "class=\"gap\"",
        "1 error code</p>",
    ] {
        assert!(seen.contains(part), "no page rendered {part}");
    }
}

#[test]
fn overriding_a_template_renders_its_pages_with_tera() {
    for name in ["record.html", "base.html", "macros.html", "default/record.html"] {
        let dir = kb(&fixture("base"), &[]);
        let path = dir.path().join("templates").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let default = crate::support::repo_root().join("themes/default/templates").join(name.trim_start_matches("default/"));
        std::fs::copy(default, &path).unwrap();
        assert!(!fixbook::theme::Theme::load(dir.path()).unwrap().compiled_record, "{name}");
    }
    for (name, record) in [("product.html", true), ("tag.html", true), ("base.html", false), ("macros.html", false)] {
        let default = std::fs::read_to_string(crate::support::repo_root().join("themes/default/templates").join(name)).unwrap();
        let dir = kb_with_template(name, &default);
        let theme = fixbook::theme::Theme::load(dir.path()).unwrap();
        assert!(!theme.compiled_listings, "{name}");
        assert_eq!(theme.compiled_record, record, "{name}");
    }
    let dir = kb_with_template("index.html", "{% extends \"default/index.html\" %}");
    assert!(fixbook::theme::Theme::load(dir.path()).unwrap().compiled_record, "the home page is not part of a record page");
}
