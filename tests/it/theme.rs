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
