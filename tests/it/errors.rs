//! One fixture per bad-input rule (tests/fixtures/bad/<rule>/, laid over tests/fixtures/base):
//! the build must fail, write nothing, and report exactly what `expected.txt` says.
//! Set FIXBOOK_BLESS=1 to rewrite the expectations after an intended change.

use crate::support::{fixbook, fixture, kb};

fn report(case: &str) -> String {
    let overlay = fixture("bad").join(case);
    let dir = kb(&fixture("base"), &[&overlay]);
    let out = dir.path().join("public");
    let result =
        fixbook::build(&fixbook::BuildOptions { root: dir.path().to_path_buf(), out: out.clone(), progress: false, links: Default::default(), clean: false });
    assert!(!out.exists(), "{case}: a failed build must not create the output folder");
    let diagnostics = match result {
        Err(fixbook::BuildError::Invalid(d)) => d,
        Err(other) => panic!("{case}: expected input errors, got: {other}"),
        Ok(_) => panic!("{case}: the build should have failed"),
    };
    let mut text = String::new();
    for d in diagnostics.iter() {
        text.push_str(&format!("{}: {}\n", d.location(), d.message));
        if let Some(h) = &d.hint {
            text.push_str(&format!("  hint: {h}\n"));
        }
    }
    text
}

fn check(case: &str) {
    let actual = report(case);
    let path = fixture("bad").join(case).join("expected.txt");
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
    assert_eq!(actual, expected, "{case}: the reported errors changed");
}

macro_rules! cases {
    ($($name:ident => $dir:literal),* $(,)?) => {
        $( #[test] fn $name() { check($dir) } )*
        const ALL: &[&str] = &[$($dir),*];
    };
}

cases! {
    unknown_key => "unknown-key",
    wrong_type => "wrong-type",
    unknown_product => "unknown-product",
    bad_likelihood => "bad-likelihood",
    bad_difficulty => "bad-difficulty",
    bad_severity => "bad-severity",
    bad_callout_kind => "bad-callout-kind",
    fix_names_unknown_cause => "fix-unknown-cause",
    related_missing => "related-missing",
    duplicate_code => "duplicate-code",
    missing_required_field => "missing-required",
    toml_syntax => "toml-syntax",
    impossible_date => "bad-date",
    date_with_time => "date-with-time",
    unknown_record_link => "unknown-link",
    site_unknown_key => "site-unknown-key",
    record_key_after_table => "misplaced-key",
    five_broken_files => "five-broken",
    several_errors_in_one_file => "several-in-one-file",
}

#[test]
fn every_fixture_has_a_test() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixture("bad")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    dirs.sort();
    let mut listed: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
}

#[test]
fn five_broken_files_give_five_errors_on_the_command_line() {
    let dir = kb(&fixture("base"), &[&fixture("bad/five-broken")]);
    let (code, stdout, stderr) = fixbook(&["build", "."], dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.matches("error: ").count(), 5, "{stderr}");
    assert!(stderr.contains("5 errors in 5 files; nothing was written"), "{stderr}");
    // rustc-style snippet: location, quoted line, caret under the value, hint.
    assert!(stderr.contains("--> content/rd/a.toml:5:12\n  |\n5 | severity = \"urgent\"\n  |            ^^^^^^^^"), "{stderr}");
    assert!(stderr.contains("= hint: allowed values: low, medium, high, critical"), "{stderr}");
    assert!(!dir.path().join("public").exists());
}
