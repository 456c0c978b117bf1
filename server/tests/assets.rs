//! What each kind of file and page is sent as: compressed when the browser accepts it (from the
//! build's `.br`/`.gz` files, or compressed once for a page), with `Vary: Accept-Encoding`, and
//! cached for a year only when its name carries its content's hash. Raw HTTP over loopback, so
//! what is checked is exactly what crossed the wire.

use std::io::Read as _;
use std::net::SocketAddr;

use crosstalk_server::{Suite, SuiteConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::*;

const WASM: &str = "crosstalk-0123456789abcdef_bg.wasm";
const WORKER: &str = "echo_worker.js";

/// A dist folder as `cargo xtask build` leaves it: a hashed module and an unhashed worker script,
/// each with its compressed forms (marked, so a test sees which one it got), a picture with none,
/// and `/broadcast` prerendered in both languages.
fn built(name: &str) -> Dist {
    let dist = Dist::new(name);
    let write = |name: &str, data: &[u8]| std::fs::write(dist.0.join(name), data).unwrap();
    for name in [WASM, WORKER] {
        write(name, format!("plain {name}").as_bytes());
        write(&format!("{name}.br"), format!("brotli {name}").as_bytes());
        write(&format!("{name}.gz"), format!("gzip {name}").as_bytes());
    }
    write("picture.png", b"png");
    std::fs::create_dir_all(dist.0.join("prerendered")).unwrap();
    let page = |words: &str| {
        format!(
            r#"<html><head><meta name="crosstalk-config" content="" /></head><body>{words}</body></html>"#
        )
    };
    write("prerendered/broadcast.en.html", page("every other tab hears it").as_bytes());
    write("prerendered/broadcast.zh.html", page("其他标签页都会收到").as_bytes());
    dist
}

async fn start(dist: &Dist) -> Suite {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Suite::start(SuiteConfig::on_ports(dist.0.clone(), any, None).unwrap()).await.unwrap()
}

struct Answer {
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }

    /// The body as a browser would read it, undoing the `Content-Encoding`.
    fn text(&self) -> String {
        let mut out = Vec::new();
        match self.header("content-encoding").as_deref() {
            Some("br") => brotli::Decompressor::new(&self.body[..], 4096).read_to_end(&mut out).map(|_| ()),
            Some("gzip") => flate2::read::GzDecoder::new(&self.body[..]).read_to_end(&mut out).map(|_| ()),
            _ => {
                out.extend_from_slice(&self.body);
                Ok(())
            }
        }
        .unwrap();
        String::from_utf8(out).unwrap()
    }
}

async fn get(suite: &Suite, path: &str, extra: &[(&str, &str)]) -> Answer {
    let mut socket = TcpStream::connect(suite.app_addr()).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", suite.app_addr());
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut said = Vec::new();
    tokio::time::timeout(PATIENCE, socket.read_to_end(&mut said)).await.unwrap().unwrap();
    let split = said.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    Answer { head: String::from_utf8_lossy(&said[..split]).into_owned(), body: said[split + 4..].to_vec() }
}

const BR: (&str, &str) = ("Accept-Encoding", "gzip, deflate, br, zstd");
const GZIP: (&str, &str) = ("Accept-Encoding", "gzip, deflate");

#[tokio::test]
async fn files_are_sent_in_the_best_encoding_the_browser_accepts_from_the_builds_compressed_copies() {
    let dist = built("assets-encodings");
    let suite = start(&dist).await;
    for name in [WASM, WORKER] {
        let path = format!("/{name}");
        for (asked, encoding, body) in [
            (vec![BR], Some("br"), format!("brotli {name}")),
            (vec![GZIP], Some("gzip"), format!("gzip {name}")),
            (vec![], None, format!("plain {name}")),
            (vec![("Accept-Encoding", "gzip;q=0, identity")], None, format!("plain {name}")),
        ] {
            let answer = get(&suite, &path, &asked).await;
            assert!(answer.head.starts_with("HTTP/1.1 200"), "{}", answer.head);
            assert_eq!(answer.header("content-encoding").as_deref(), encoding, "{path} {asked:?}");
            assert_eq!(String::from_utf8_lossy(&answer.body), body, "{path} {asked:?}");
            assert_eq!(
                answer.header("vary").map(|v| v.to_ascii_lowercase()).as_deref(),
                Some("accept-encoding"),
                "{path}"
            );
        }
    }
    // Nothing is compressed per request: a file the build did not compress goes as it is.
    let picture = get(&suite, "/picture.png", &[BR]).await;
    assert_eq!((picture.header("content-encoding"), picture.body), (None, b"png".to_vec()));
    suite.shutdown().await;
}

#[tokio::test]
async fn only_content_hashed_files_are_kept_for_a_year_the_rest_revalidate() {
    let dist = built("assets-caching");
    let suite = start(&dist).await;
    let hashed = get(&suite, &format!("/{WASM}"), &[BR]).await;
    assert_eq!(hashed.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
    let worker = get(&suite, &format!("/{WORKER}"), &[BR]).await;
    assert_eq!(worker.header("cache-control").as_deref(), Some("no-cache"));
    // Revalidating costs a head, not the file.
    let modified = worker.header("last-modified").expect("a date to revalidate against");
    let again = get(&suite, &format!("/{WORKER}"), &[BR, ("If-Modified-Since", &modified)]).await;
    assert!(again.head.starts_with("HTTP/1.1 304"), "{}", again.head);
    assert!(again.body.is_empty());
    let page = get(&suite, "/broadcast", &[BR]).await;
    assert_eq!(page.header("cache-control").as_deref(), Some("no-cache"));
    let missing = get(&suite, "/gone-0123456789abcdef.js", &[BR]).await;
    assert!(missing.head.starts_with("HTTP/1.1 404"), "{}", missing.head);
    assert_eq!(missing.header("cache-control").as_deref(), Some("no-cache"), "a 404 is never kept");
    suite.shutdown().await;
}

#[tokio::test]
async fn a_page_is_its_prerendered_html_in_the_readers_language_with_the_origins_filled_in() {
    let dist = built("assets-pages");
    let suite = start(&dist).await;
    let origin = format!("http://{}", suite.app_addr());
    for (asked, words) in [
        (vec![BR], "every other tab hears it"),
        (vec![GZIP, ("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")], "其他标签页都会收到"),
        (vec![("Cookie", "a=b; crosstalk-lang=zh")], "其他标签页都会收到"),
        (vec![BR, ("Accept-Language", "zh-CN"), ("Cookie", "crosstalk-lang=en")], "every other tab hears it"),
    ] {
        let page = get(&suite, "/broadcast", &asked).await;
        assert!(page.head.starts_with("HTTP/1.1 200"), "{}", page.head);
        let expected = asked.iter().find(|(n, _)| *n == "Accept-Encoding").map(|(_, v)| v.contains("br"));
        let encoding = match expected {
            Some(true) => Some("br"),
            Some(false) => Some("gzip"),
            None => None,
        };
        assert_eq!(page.header("content-encoding").as_deref(), encoding, "{asked:?}");
        let vary = page.header("vary").unwrap_or_default().to_ascii_lowercase();
        assert!(vary.contains("accept-encoding") && vary.contains("cookie"), "{vary}");
        let text = page.text();
        assert!(text.contains(words), "{asked:?}: {text}");
        assert!(text.contains(&origin), "the origins are filled in: {text}");
    }
    // A link chooses the language over everything else.
    let zh = get(&suite, "/broadcast?lang=zh", &[BR, ("Cookie", "crosstalk-lang=en")]).await;
    assert!(zh.text().contains("其他标签页都会收到"));
    // A route without a prerendered page, and a path that is no route, get index.html.
    let home = get(&suite, "/storage", &[BR]).await;
    assert!(home.head.starts_with("HTTP/1.1 200") && !home.text().contains("hears"), "{}", home.head);
    let nowhere = get(&suite, "/no-such-route", &[BR]).await;
    assert!(nowhere.head.starts_with("HTTP/1.1 404") && nowhere.text().contains(&origin));
    suite.shutdown().await;
}
