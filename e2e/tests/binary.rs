//! The one-file server (`cargo xtask dist`), copied alone into an empty folder and run there: it
//! answers every built file and every page as the server does from `dist/` — the same status,
//! `Content-Type`, `Content-Encoding`, `Vary`, `Cache-Control` and validators, with 304 — and a
//! browser reaches every route's working state on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crosstalk_e2e::check::state_becomes;
use crosstalk_e2e::session::Browser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a server answered: the status, the head (names lowercased), the body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// `GET path` from the server at `base` (`http://127.0.0.1:P`), with `headers`.
async fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let authority = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(authority).await.expect("the server");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    socket.write_all(request.as_bytes()).await.expect("a request");
    let mut said = Vec::new();
    socket.read_to_end(&mut said).await.expect("an answer");
    let split = said.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head_text = String::from_utf8_lossy(&said[..split]).into_owned();
    let mut lines = head_text.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok());
    let head = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    Answer { status: status.expect("a status"), head, body: said[split + 4..].to_vec() }
}

/// Every file below `dir`, as paths from its root (`/assets/x.js`).
fn files(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("the built suite").flatten() {
        let path: PathBuf = entry.path();
        if path.is_dir() {
            files(root, &path, found);
        } else if let Ok(relative) = path.strip_prefix(root) {
            found.push(format!("/{}", relative.to_string_lossy()));
        }
    }
}

/// The headers that say how a file is served: they must be the same in both modes.
const SAME: [&str; 6] =
    ["content-type", "content-encoding", "vary", "cache-control", "last-modified", "etag"];

fn assert_alike(what: &str, from_dist: &Answer, alone: &Answer, body_too: bool) {
    assert_eq!(from_dist.status, alone.status, "{what}: status");
    for name in SAME {
        assert_eq!(from_dist.head.get(name), alone.head.get(name), "{what}: {name}");
    }
    if body_too {
        assert!(from_dist.body == alone.body, "{what}: the bytes differ");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_alone_answers_every_file_and_page_as_the_server_does_from_dist() {
    let (served, alone) = (
        std::env::var("CROSSTALK_BASE_URL").expect("set by cargo xtask test"),
        std::env::var("CROSSTALK_BINARY_URL").expect("set by cargo xtask test"),
    );
    let dist = PathBuf::from(std::env::var("CROSSTALK_DIST").expect("set by cargo xtask test"));
    let mut built = Vec::new();
    files(&dist, &dist, &mut built);
    assert!(built.len() > 20 && built.iter().any(|f| f.ends_with(".wasm.br")), "{built:?}");
    let mut revalidated = 0;
    for file in &built {
        for accepts in ["br, gzip", "gzip", "identity"] {
            let ask = [("Accept-Encoding", accepts)];
            let (a, b) = (get(&served, file, &ask).await, get(&alone, file, &ask).await);
            assert_alike(&format!("{file} ({accepts})"), &a, &b, true);
            if let Some(since) = a.head.get("last-modified") {
                let ask = [("Accept-Encoding", accepts), ("If-Modified-Since", since.as_str())];
                let (a, b) = (get(&served, file, &ask).await, get(&alone, file, &ask).await);
                assert_eq!((a.status, b.status), (304, 304), "{file}: not modified since {since}");
                revalidated += 1;
            }
        }
    }
    assert!(revalidated > 0, "files carry a validator");
    // Nothing but the suite's own files is served: not what unpacking it left behind.
    assert_eq!(get(&alone, "/.crosstalk-unpacked", &[]).await.status, 404);
    let pages = crosstalk_protocol::catalog::reader_pages().chain(["/no-such-page"]);
    for page in pages {
        let ask = [("Accept-Encoding", "br, gzip")];
        // A page names its origins, whose ports differ between the two servers: the head only.
        assert_alike(page, &get(&served, page, &ask).await, &get(&alone, page, &ask).await, false);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_alone_serves_every_route() {
    let browser = Browser::start().await;
    let driver = &browser.driver;
    let alone = std::env::var("CROSSTALK_BINARY_URL").expect("set by cargo xtask test");
    // Proven marks: a route whose API this engine lacks says `unsupported` instead.
    for (path, ready) in crosstalk_e2e::mark::every_route_here(&browser).await {
        browser.goto(&format!("{alone}{path}")).await;
        browser.rendered().await;
        state_becomes(driver, "status", ready).await;
    }
    browser.quit().await;
}
