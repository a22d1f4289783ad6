//! Just enough W3C WebDriver to drive Debian's chromium through chromedriver, plus a
//! static file server on 127.0.0.1, so browser tests need nothing but those two packages.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Chromium and chromedriver, or `None` (and a note on stderr) when they are not installed.
/// Under CI=true a missing browser is a failure, not a skip.
pub fn browser(test: &str) -> Option<Browser> {
    let find = |var: &str, names: &[&str]| {
        std::env::var_os(var).map(PathBuf::from).or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path).flat_map(|d| names.iter().map(move |n| d.join(n))).find(|p| p.is_file())
        })
    };
    let chromium = find("FIXBOOK_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = find("FIXBOOK_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Browser { chromium, chromedriver }),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: chromium and chromedriver are required in CI (apt-get install chromium chromium-driver)")
        }
        _ => {
            // Written straight to stderr so that `cargo test` shows it even when the test passes.
            let _ = writeln!(std::io::stderr(), "browser test {test} skipped: chromium or chromedriver not found (apt-get install chromium chromium-driver)");
            None
        }
    }
}

/// The sample site built, served on 127.0.0.1 and opened in a fresh browser window.
pub struct Sample {
    /// Held so that the served folder outlives the browser session.
    _site: crate::support::Built,
    pub origin: String,
    pub session: Session,
}

/// `None` (with a note, or a failure in CI) when there is no browser to run `test` in.
pub fn open_sample(test: &str, width: u32, height: u32) -> Option<Sample> {
    let b = browser(test)?;
    let site = crate::support::build(&crate::support::repo_root());
    let origin = serve(&site.out);
    let session = Session::start(&b);
    session.window(width, height);
    Some(Sample { _site: site, origin, session })
}

pub struct Session {
    base: String,
    id: String,
    driver: Child,
}

impl Session {
    pub fn start(b: &Browser) -> Session {
        // chromedriver picks its own port and says which: a port found free beforehand could
        // be taken by another test's driver or server before this one binds it, and two
        // tests would then drive one browser.
        let mut driver = Command::new(&b.chromedriver).arg("--port=0").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start chromedriver");
        let (tx, rx) = std::sync::mpsc::channel();
        crate::support::send_lines(driver.stdout.take().expect("piped"), tx);
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("chromedriver did not start");
            if let Some(port) = line.split("started successfully on port ").nth(1) {
                break port.trim_end_matches('.').trim().to_string();
            }
        };
        let base = format!("http://127.0.0.1:{port}");
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap().keep();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {
                "binary": b.chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--hide-scrollbars", "--force-prefers-reduced-motion", "--force-device-scale-factor=1",
                         format!("--user-data-dir={}", profile.display())]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let mut s = Session { base, id: String::new(), driver };
        let v = s.post("/session", caps);
        s.id = v["sessionId"].as_str().expect("a session id").to_string();
        s
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{}", self.base, path);
        match ureq::post(&url).send_json(body) {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].take(),
            Err(ureq::Error::Status(code, r)) => panic!("WebDriver {path}: {code} {}", r.into_string().unwrap_or_default()),
            Err(e) => panic!("WebDriver {path}: {e}"),
        }
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}{}", self.base, path);
        ureq::get(&url).call().unwrap_or_else(|e| panic!("WebDriver {path}: {e}")).into_json::<Value>().unwrap()["value"].take()
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{}", self.id, rest)
    }

    pub fn window(&self, width: u32, height: u32) {
        self.post(&self.s("/window/rect"), json!({"width": width, "height": height}));
    }

    pub fn goto(&self, url: &str) {
        self.post(&self.s("/url"), json!({ "url": url }));
    }

    pub fn title(&self) -> String {
        self.get(&self.s("/title")).as_str().unwrap_or_default().to_string()
    }

    pub fn url(&self) -> String {
        self.get(&self.s("/url")).as_str().unwrap_or_default().to_string()
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.post(&self.s("/elements"), json!({"using": "css selector", "value": css}));
        v.as_array().unwrap().iter().map(|e| e[ELEMENT].as_str().unwrap().to_string()).collect()
    }

    pub fn find(&self, css: &str) -> String {
        self.find_all(css).into_iter().next().unwrap_or_else(|| panic!("no element matches {css}"))
    }

    pub fn text(&self, el: &str) -> String {
        self.get(&self.s(&format!("/element/{el}/text"))).as_str().unwrap_or_default().to_string()
    }

    pub fn texts(&self, css: &str) -> Vec<String> {
        self.find_all(css).iter().map(|e| self.text(e)).collect()
    }

    pub fn displayed(&self, el: &str) -> bool {
        self.get(&self.s(&format!("/element/{el}/displayed"))).as_bool().unwrap_or(false)
    }

    pub fn click(&self, el: &str) {
        self.post(&self.s(&format!("/element/{el}/click")), json!({}));
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub fn js(&self, script: &str) -> Value {
        self.post(&self.s("/execute/sync"), json!({"script": script, "args": []}))
    }

    /// Runs `script` with a `done` callback as its last argument and waits for it.
    pub fn js_async(&self, script: &str) -> Value {
        self.post(&self.s("/timeouts"), json!({"script": 60_000}));
        self.post(&self.s("/execute/async"), json!({"script": script, "args": []}))
    }

    /// A Chrome DevTools Protocol command (e.g. media emulation).
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post(&self.s("/goog/cdp/execute"), json!({"cmd": cmd, "params": params}))
    }

    /// Types keys into the focused element (WebDriver key codes such as "\u{E004}" for Tab).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                let k = c.to_string();
                [json!({"type": "keyDown", "value": k}), json!({"type": "keyUp", "value": k})]
            })
            .collect();
        self.post(&self.s("/actions"), json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}));
    }

    /// The text of the open alert, confirm or prompt dialog, if one is open.
    pub fn dialog(&self) -> Option<String> {
        match ureq::get(&format!("{}{}", self.base, self.s("/alert/text"))).call() {
            Ok(r) => Some(r.into_json::<Value>().unwrap()["value"].as_str().unwrap_or_default().to_string()),
            Err(ureq::Error::Status(404, _)) => None,
            Err(e) => panic!("WebDriver alert/text: {e}"),
        }
    }

    /// Console messages and uncaught errors logged since the last call.
    pub fn console(&self) -> Vec<Value> {
        self.post(&self.s("/se/log"), json!({"type": "browser"})).as_array().cloned().unwrap_or_default()
    }

    pub fn screenshot(&self, to: &Path) {
        use base64::Engine;
        let b64 = self.get(&self.s("/screenshot"));
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.id)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Serves `root` over http://127.0.0.1 on a thread for the life of the test process.
pub fn serve(root: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || respond(stream, &root));
        }
    });
    url
}

fn respond(mut stream: TcpStream, root: &Path) {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let mut file = root.join(rel);
    if rel.split('/').any(|p| p == "..") {
        file = root.join("missing");
    } else if file.is_dir() {
        file = file.join("index.html");
    }
    let (status, body, file) = match std::fs::read(&file) {
        Ok(b) => ("200 OK", b, file),
        Err(_) => ("404 Not Found", std::fs::read(root.join("404.html")).unwrap_or_default(), root.join("404.html")),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("svg") => "image/svg+xml",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}
