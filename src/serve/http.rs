//! The preview's HTTP side, on hyper: its HTTP/1 parser bounds the request head in time
//! ([`HEAD_TIMEOUT`], also between requests on a kept-alive connection) and in size
//! ([`HEAD_BYTES`]), and each connection is a task of a single-threaded runtime, so that
//! connections left open cost little and never keep new requests waiting. What it answers is
//! only for this computer's pages: requests must name an allowed host (a page elsewhere whose
//! name was made to resolve to 127.0.0.1 names its own, and is refused), and requests that
//! another site makes (a `<script src>` pointing at the search data, a script reading the
//! event stream) are refused too.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::{content_type, inject, live_script, Shared, EVENTS_PATH, LIVE_SCRIPT_PATH};

/// How long a client has to send a whole request head, and how long a kept-alive
/// connection may wait for its next request.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a request head may take (hyper's read buffer): browsers send a few KiB, more
/// with cookies that other programs on localhost set.
const HEAD_BYTES: usize = 32 * 1024;
/// A comment on the event stream now and then finds closed pages, so their senders go.
const PING: Duration = Duration::from_secs(15);

type Body = Either<Full<Bytes>, EventStream>;

/// The host names requests may name, with the port listened on.
pub(crate) struct Hosts {
    port: u16,
    names: Vec<String>,
    /// Listening on every address: any IP address is a name of this computer. An address,
    /// unlike a name, cannot be made to lead somewhere else, so it is no rebinding risk.
    any_address: bool,
}

impl Hosts {
    /// `localhost`, `127.0.0.1` and `[::1]`, the address listened on, and `extra`.
    pub(crate) fn new(addr: SocketAddr, extra: &[String]) -> Hosts {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).to_vec();
        match addr.ip() {
            ip if ip.is_unspecified() => {}
            IpAddr::V4(ip) => names.push(ip.to_string()),
            IpAddr::V6(ip) => names.push(format!("[{ip}]")),
        }
        names.extend(extra.iter().map(|h| h.to_ascii_lowercase()));
        Hosts { port: addr.port(), names, any_address: addr.ip().is_unspecified() }
    }

    /// Whether `authority` (a `Host` header, or an origin without its scheme) is one of ours.
    fn allows(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        // The port is after the last colon that is not inside an IPv6 address's brackets.
        let (host, port) = match authority.rfind(':') {
            Some(at) if !authority[at..].contains(']') => (&authority[..at], Some(&authority[at + 1..])),
            _ => (authority.as_str(), None),
        };
        let port_ok = match port {
            Some(p) => p.parse::<u16>().is_ok_and(|p| p == self.port),
            None => self.port == 80,
        };
        let is_address = || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok();
        port_ok && (self.names.iter().any(|n| *n == host) || self.any_address && is_address())
    }
}

/// Serves on `listener` until the process ends.
pub(crate) fn run(listener: std::net::TcpListener, state: Shared, hosts: Hosts) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    listener.set_nonblocking(true)?;
    let hosts = std::sync::Arc::new(hosts);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(HEAD_TIMEOUT).max_buf_size(HEAD_BYTES);
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors, or a connection gone before it was taken: the
                // idle ones time out, so try again shortly rather than spin or stop.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (state, hosts) = (state.clone(), hosts.clone());
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let response = answer(&req, &state, &hosts);
                async move { Ok::<_, Infallible>(response) }
            });
            let connection = http.serve_connection(TokioIo::new(stream), service);
            tokio::spawn(async move {
                // A client that goes away or times out is no error of the server.
                let _ = connection.await;
            });
        }
    })
}

/// The response to one request.
fn answer(req: &Request<Incoming>, state: &Shared, hosts: &Hosts) -> Response<Body> {
    let headers = req.headers();
    // A request line with a whole URL (`GET http://name/`) names its host there.
    let host = req.uri().authority().map(|a| a.as_str()).or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    let Some(host) = host else { return text(StatusCode::BAD_REQUEST, "a request must name its Host\n") };
    if !hosts.allows(host) {
        let name = host.chars().filter(|c| c.is_ascii_graphic()).take(200).collect::<String>();
        let message = format!(
            "fixbook serve answers only to {}, not to {name}: another name may be a page elsewhere\nmade to resolve to this computer. To preview under this name, restart with --allow-host NAME.\n",
            hosts.names.join(", ")
        );
        return text(StatusCode::FORBIDDEN, &message);
    }
    if let Some(why) = cross_site(headers, hosts) {
        return text(StatusCode::FORBIDDEN, &format!("fixbook serve refuses {why}: only its own pages may read the preview\n"));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let has_body = headers.get(header::CONTENT_LENGTH).is_some_and(|l| l != "0") || headers.contains_key(header::TRANSFER_ENCODING);
    if has_body {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "the preview takes no request bodies\n");
    }
    let path = req.uri().path();
    if path == EVENTS_PATH {
        return events(state);
    }
    if path == LIVE_SCRIPT_PATH {
        let error = state.lock().expect("no thread panics holding the state").error.clone();
        return ok(StatusCode::OK, content_type(".js"), live_script(error.as_deref()).into());
    }
    file(path, state)
}

/// Why a request comes from another site and is refused, if it does. Browsers say where a
/// request comes from in `Sec-Fetch-Site` and, for scripts reading a response, `Origin`;
/// clients that send neither (curl) are not browsers and are served.
fn cross_site(headers: &HeaderMap, hosts: &Hosts) -> Option<&'static str> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ours = origin.to_str().ok().and_then(|o| o.strip_prefix("http://")).is_some_and(|o| hosts.allows(o));
        if !ours {
            return Some("requests from scripts of another origin");
        }
    }
    let fetch = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    match fetch("sec-fetch-site") {
        "" | "same-origin" | "none" => None,
        // A link followed from elsewhere opens the page; that site cannot read it.
        _ if fetch("sec-fetch-mode") == "navigate" && fetch("sec-fetch-dest") == "document" => None,
        _ => Some("requests that another site's pages make"),
    }
}

/// Characters a `Location` path must not hold as they are.
const PATH: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'\\').add(b'^').add(b'`').add(b'{').add(b'|').add(b'}');

/// A file of the site, a redirect to a folder's page, or the site's 404 page.
fn file(path: &str, state: &Shared) -> Response<Body> {
    let (files, base_path) = {
        let s = state.lock().expect("no thread panics holding the state");
        (s.files.clone(), s.base_path.clone())
    };
    let decoded = match percent_decode_str(path).decode_utf8() {
        Ok(d) if !d.contains('\0') => d,
        _ => return text(StatusCode::BAD_REQUEST, "bad path\n"),
    };
    // "/help/x" and "/help" for a site under /help/, not "/helpx".
    let Some(rel) = decoded.strip_prefix(&base_path).or_else(|| (decoded == base_path.trim_end_matches('/')).then_some("")) else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let rel = rel.trim_start_matches('/');
    if rel.split('/').any(|p| p == ".." || p == ".") || rel.contains('\\') {
        return text(StatusCode::BAD_REQUEST, "bad path\n");
    }
    let key = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
    if let Some(body) = files.get(&key) {
        return page(StatusCode::OK, &key, body);
    }
    if files.contains_key(&format!("{key}/index.html")) {
        // Built from the site's own path, never from what the request said, and with one
        // leading slash: `//name/` would send the browser to the host `name`.
        let location = format!("/{}{}/", base_path.trim_start_matches('/'), utf8_percent_encode(&key, PATH));
        let mut r = text(StatusCode::MOVED_PERMANENTLY, "");
        r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("a percent-encoded path is a header value"));
        return r;
    }
    let shard = || state.lock().expect("no thread panics holding the state").shards.get(&key);
    if let Some(body) = shard() {
        return ok(StatusCode::OK, content_type(&key), Bytes::from_owner(body));
    }
    let not_found = files.get("404.html").cloned().unwrap_or_else(|| Vec::new().into());
    page(StatusCode::NOT_FOUND, "404.html", &not_found)
}

/// A file of the site; pages get the live-reload script.
fn page(status: StatusCode, key: &str, body: &std::sync::Arc<[u8]>) -> Response<Body> {
    let kind = content_type(key);
    if kind.starts_with("text/html") {
        ok(status, kind, inject(&String::from_utf8_lossy(body)).into())
    } else {
        ok(status, kind, Bytes::from_owner(body.clone()))
    }
}

fn ok(status: StatusCode, kind: &'static str, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Either::Left(Full::new(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Browsers that know it refuse to hand the response to another site's page too.
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    ok(status, "text/plain; charset=utf-8", Bytes::copy_from_slice(message.as_bytes()))
}

/// A server-sent event stream that lives until the page goes away.
fn events(state: &Shared) -> Response<Body> {
    let (tx, rx) = unbounded_channel();
    state.lock().expect("no thread panics holding the state").clients.push(tx);
    let ping = tokio::time::interval_at(tokio::time::Instant::now() + PING, PING);
    let mut r = ok(StatusCode::OK, "text/event-stream", Bytes::new());
    *r.body_mut() = Either::Right(EventStream { first: Some(Bytes::from_static(b": connected\n\n")), rx, ping });
    r
}

/// The body of the event stream: what the rebuilds send, and a comment every [`PING`].
pub(crate) struct EventStream {
    first: Option<Bytes>,
    rx: UnboundedReceiver<Bytes>,
    ping: tokio::time::Interval,
}

impl hyper::body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(message)) => return Poll::Ready(Some(Ok(Frame::data(message)))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        match this.ping.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b": ping\n\n"))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_loopback_names_with_the_port() {
        let hosts = Hosts::new("127.0.0.1:8000".parse().unwrap(), &["Docs.Example".to_string()]);
        for good in ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST:8000", "docs.example:8000"] {
            assert!(hosts.allows(good), "{good}");
        }
        for bad in ["localhost", "localhost:8001", "attacker.example:8000", "127.0.0.2:8000", "[::2]:8000", "localhost:8000:8000", "[::1]"] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        let everywhere = Hosts::new("0.0.0.0:80".parse().unwrap(), &[]);
        assert!(everywhere.allows("192.0.2.7") && everywhere.allows("[2001:db8::1]:80") && everywhere.allows("localhost"));
        assert!(!everywhere.allows("attacker.example"));
    }
}
