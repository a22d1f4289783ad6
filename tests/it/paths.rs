//! Hostile names and file kinds: every one is refused with a located error or written safely
//! inside the output folder.

use std::path::Path;

use crate::support::{build, fixture, kb};

fn record(dir: &Path, file: &str, code: &str) {
    let path = dir.join("content/rd").join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("code = {code:?}\nproduct = \"rd\"\ntitle = \"A hostile code\"\nsummary = \"s\"\n")).unwrap();
}

fn errors(dir: &Path) -> String {
    let out = dir.join("public");
    match fixbook::build(&fixbook::BuildOptions { root: dir.to_path_buf(), out: out.clone(), progress: false, links: Default::default(), clean: false }) {
        Ok(_) => panic!("the build should fail"),
        Err(e) => {
            assert!(!out.exists(), "a failed build writes nothing");
            e.to_string()
        }
    }
}

#[test]
fn hostile_codes_and_file_names_stay_inside_the_output() {
    let dir = kb(&fixture("base"), &[]);
    record(dir.path(), "con.toml", "CON");
    record(dir.path(), "aux.toml", "LPT1");
    record(dir.path(), "dots.toml", "../../etc/passwd");
    record(dir.path(), "abs.toml", "/tmp/x");
    record(dir.path(), "back.toml", "..\\..\\windows");
    std::fs::write(dir.path().join("content/rd/nul.toml"), "code = \"0x\\u00001\"\nproduct = \"rd\"\ntitle = \"t\\u0000\"\nsummary = \"s\"\n").unwrap();
    record(dir.path(), "dir.toml/inner.toml", "0x777");
    let site = build(dir.path());
    let mut folders: Vec<String> = std::fs::read_dir(site.out.join("rd")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    folders.sort();
    for expected in ["con_", "lpt1_", "etc-passwd", "tmp-x", "windows", "0x-1", "0x777"] {
        assert!(folders.contains(&expected.to_string()), "{expected} in {folders:?}");
    }
    for (path, _) in crate::support::tree(&site.out) {
        assert!(!path.contains(".."), "{path}");
        assert!(path.split('/').all(|seg| !fixbook::url::is_windows_reserved(seg)), "{path}");
    }
    // The NUL never reaches a page.
    assert!(!site.read("rd/0x-1/index.html").contains('\u{0}'));
}

#[test]
fn case_only_collisions_and_long_codes_are_errors() {
    let dir = kb(&fixture("base"), &[]);
    record(dir.path(), "upper.toml", "0xC07");
    record(dir.path(), "long.toml", &"A".repeat(200));
    let text = errors(dir.path());
    assert!(text.contains("content/rd/upper.toml:1:8"), "a code that differs only in case is a duplicate: {text}");
    assert!(
        text.contains("content/rd/long.toml:1:8: `code` is too long for a page address (200 characters in the URL; at most 120)")
            || text.contains("`code` is too long"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn links_out_loops_and_pipes_are_errors() {
    let dir = kb(&fixture("base"), &[]);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.toml"), "code = \"0xbad\"\nproduct = \"rd\"\ntitle = \"t\"\nsummary = \"s\"\n").unwrap();
    let rd = dir.path().join("content/rd");
    std::os::unix::fs::symlink(outside.path().join("secret.toml"), rd.join("secret.toml")).unwrap();
    std::os::unix::fs::symlink(outside.path(), rd.join("elsewhere")).unwrap();
    let fifo = rd.join("pipe.toml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let text = errors(dir.path());
    for (file, message) in [
        ("secret.toml", "this symbolic link points outside the knowledge base"),
        ("elsewhere", "this symbolic link points outside the knowledge base"),
        ("pipe.toml", "this is not a regular file"),
    ] {
        let at = text.find(&format!("--> content/rd/{file}:1:1")).unwrap_or_else(|| panic!("{file} is reported: {text}"));
        assert!(text[..at].rsplit("error: ").next().unwrap().starts_with(message), "{file}: {message}: {text}");
    }

    // A link back up the tree is a loop, reported, not followed forever.
    let dir = kb(&fixture("base"), &[]);
    std::os::unix::fs::symlink("..", dir.path().join("content/rd/loop")).unwrap();
    let text = errors(dir.path());
    assert!(text.contains("content/rd/loop") && text.contains("loop"), "{text}");
}
