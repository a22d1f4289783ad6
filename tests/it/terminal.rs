//! What the binary prints to a terminal: record text and quoted source lines are shown, never
//! obeyed (escape sequences, carriage returns, bidirectional controls).

use crate::support::{fixbook, fixture, kb};

/// A knowledge base whose record title holds escape sequences (written as TOML escapes, so it
/// loads) and which then gains a line with raw control bytes (a located error quoting it).
fn hostile_title() -> tempfile::TempDir {
    let dir = kb(&fixture("base"), &[]);
    let record = std::fs::read_dir(dir.path().join("content"))
        .unwrap()
        .flatten()
        .flat_map(|p| std::fs::read_dir(p.path()).unwrap().flatten())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .unwrap();
    let text = std::fs::read_to_string(&record).unwrap();
    let text = text.replacen("title = \"", "title = \"\\u001b]0;pwned\\u0007\\u001b[2J\\r", 1);
    std::fs::write(&record, text).unwrap();
    dir
}

fn assert_inert(what: &str, text: &str) {
    for bad in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(bad), "{what} printed {bad:?} as it is:\n{text}");
    }
}

#[test]
fn search_results_show_control_characters_instead_of_sending_them_to_the_terminal() {
    let dir = hostile_title();
    let (code, out, err) = fixbook(&["search", ".", "pwned", "--limit", "50"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("␛]0;pwned␇␛[2J␍"), "the title is shown with visible stand-ins:\n{out}");
    assert_inert("search", &out);
}

#[test]
fn quoted_source_lines_show_control_characters_instead_of_sending_them_to_the_terminal() {
    let dir = hostile_title();
    let bad = "summary = \"x\u{1b}]0;pwned\u{7} \u{9b}2J \u{202e}y\"\n";
    let product = std::fs::read_dir(dir.path().join("content")).unwrap().flatten().find(|e| e.path().is_dir()).unwrap().path();
    std::fs::write(product.join("zz-hostile.toml"), bad).unwrap();
    for args in [&["check", "."][..], &["build", ".", "--out", "public"][..]] {
        let (code, out, err) = fixbook(args, dir.path());
        assert_eq!(code, 1, "{args:?} refuses the file:\n{out}{err}");
        assert!(err.contains("zz-hostile.toml") || out.contains("zz-hostile.toml"), "{args:?}:\n{out}{err}");
        assert!((out.clone() + &err).contains("␛]0;pwned␇"), "{args:?} shows the line with stand-ins:\n{out}{err}");
        assert_inert(&format!("{args:?}"), &(out + &err));
    }
}
