//! axe-core (npm, tests/browser/) audits every kind of page in Chromium, in the light and
//! the dark colour scheme: WCAG 2.1 A and AA (contrast included) and axe's best practices.

use serde_json::{json, Value};

use crate::support::repo_root;
use crate::webdriver::open_sample;

fn axe_source() -> Option<String> {
    let path = repo_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{} is missing: run `npm ci` in tests/browser (.ci/run does)", path.display())
        }
        Err(_) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "accessibility audit skipped: run `npm ci --prefix tests/browser` to install axe-core");
            None
        }
    }
}

const AUDIT: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })
  .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\n").slice(1, 2).join("")) }))))
  .catch(e => done([{ id: "axe-error", help: String(e) }]));
"#;

#[test]
fn browser_pages_pass_an_accessibility_audit_in_light_and_dark() {
    let Some(axe) = axe_source() else { return };
    let Some(sample) = open_sample("browser_pages_pass_an_accessibility_audit_in_light_and_dark", 1280, 1000) else { return };
    let (s, origin) = (&sample.session, &sample.origin);
    let pages = [
        "",
        "remote-desktop/0xc07/",
        "remote-desktop/",
        "codes/",
        "tags/",
        "tags/tls/",
        "404.html",
        "reverse-proxy/http-502/",
        "search/?q=certificate",
        "#popup",
        "remote-desktop/0xc07/#escalate",
        "remote-desktop/0xc7/",
    ];
    let mut failures: Vec<(String, Value)> = Vec::new();
    for scheme in ["light", "dark"] {
        s.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}));
        for page in pages {
            s.goto(&format!("{origin}/{page}"));
            // Search results arrive after load: wait for them; "#popup" audits the header box's open results.
            if page == "#popup" {
                s.js("const i = document.getElementById('fixbook-q'); i.focus(); i.value = 'certificate'; i.dispatchEvent(new Event('input'))");
            }
            if page.starts_with("search/") || page == "#popup" {
                s.js_async(
                    "const done = arguments[0]; const t = setInterval(() => { if (document.querySelector('[data-fixbook-results] a, [role=option]')) { clearInterval(t); done(true); } }, 50);",
                );
            }
            // The guided fix after every answer was "no", with the checklist half done.
            if page.ends_with("#escalate") {
                s.js("document.querySelector('.step-done input').click(); for (let i = 0; i < 20 && document.querySelector('[data-answer=no]'); i++) document.querySelector('[data-answer=no]').click()");
            }
            // The not-found page with its suggestions.
            if page == "remote-desktop/0xc7/" {
                s.js_async("const done = arguments[0]; const t = setInterval(() => { if (!document.querySelector('[data-fixbook-suggestions]').hidden) { clearInterval(t); done(true); } }, 50);");
            }
            // Open every FAQ so that its answers are audited too.
            s.js("document.querySelectorAll('details').forEach(d => d.open = true)");
            s.js(&axe);
            let violations = s.js_async(AUDIT);
            for v in violations.as_array().unwrap() {
                failures.push((format!("{scheme} /{page}"), v.clone()));
            }
        }
    }
    assert!(failures.is_empty(), "accessibility violations:\n{}", failures.iter().map(|(p, v)| format!("{p}: {v}")).collect::<Vec<_>>().join("\n"));
}
