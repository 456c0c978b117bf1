//! The suite's HTML: each route prerendered in each language (`dist/prerendered/`, written by
//! `cargo xtask build`), else trunk's `index.html`, with the origins the browser used filled in;
//! and how every response is compressed and cached.
//!
//! Files are compressed at build time (`x.wasm.br`, `x.wasm.gz`) and [`ServeDir`] picks one by
//! `Accept-Encoding`. A page cannot be: its configuration depends on the host name the browser
//! used. So each page is compressed once per host name and encoding when first asked for, and
//! kept; the host names are the few this server answers to, so what is kept is bounded by
//! pages × names × 2.
//!
//! [`ServeDir`]: tower_http::services::ServeDir

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use crosstalk_protocol::lang::Lang;
use sha2::Digest as _;

use crate::csp::inline_script_hashes;

use crate::{html_escape, text_response, ClientConfig, CONFIG_PLACEHOLDER};

/// For content-hashed files: a browser keeps them for a year and never asks again.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For everything else (pages, worker scripts, loaders): keep, but ask whether it changed.
pub const REVALIDATE: &str = "no-cache";

/// An encoding a response body can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best a request accepts: brotli, then gzip, then none (`q=0` refuses one).
    pub fn accepted(headers: &HeaderMap) -> Encoding {
        let accepts = |name: &str| {
            headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|value| {
                value.split(',').any(|item| {
                    let mut parts = item.split(';').map(str::trim);
                    let coding = parts.next().unwrap_or_default();
                    let refused =
                        parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
                    coding.eq_ignore_ascii_case(name) && !refused
                })
            })
        };
        if accepts("br") {
            Encoding::Brotli
        } else if accepts("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// `data` in this encoding at its highest setting: what a page is sent as, and what the build
    /// writes beside each file (`cargo xtask build`).
    pub fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::new();
                let params =
                    brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
                let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
                out
            }
            Encoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                let _ = encoder.write_all(data);
                encoder.finish().unwrap_or_default()
            }
            Encoding::Identity => data.to_vec(),
        }
    }
}

/// Whether a file's name carries a hash of its content, as trunk names its output
/// (`crosstalk-d7f40a3e00660b9d_bg.wasm`, `style-6d80a4886ce66387.css`) and the build names the
/// words (`i18n/en-0011223344556677.json`): a dash, up to 16 hex digits, then `_` or `.`. Up
/// to: trunk writes its 64-bit hash without leading zeros (`crosstalk-350cbd240cc5f19.js`, 15),
/// and a name taken for unhashed would be asked about again by every tab. At least 10, so no
/// word of a plain name (`bench-peer.js`, `lab-dead.js`) passes for one.
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.match_indices('-').any(|(at, _)| {
        let rest = &name[at + 1..];
        let digits = rest.bytes().take_while(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()).count();
        (10..=16).contains(&digits) && matches!(rest.as_bytes().get(digits), Some(b'_' | b'.'))
    })
}

/// A page as sent: its file, the configuration filled in, its encoding.
type PageKey = (String, String, Encoding);

/// The pages, read at start-up (or again after a rebuild, when watching), and their compressed
/// forms, made once each.
#[derive(Debug, Clone)]
pub struct Pages {
    dist: PathBuf,
    /// `cargo xtask dev`: read the pages again whenever trunk has written a new `index.html`.
    watching: bool,
    built: Arc<RwLock<Arc<Built>>>,
    compressed: Arc<Mutex<HashMap<PageKey, Bytes>>>,
}

/// One build's pages, as read from `dist`.
#[derive(Debug)]
struct Built {
    index: String,
    prerendered: HashMap<String, String>,
    /// The inline scripts' hashes, for the policy ([`inline_script_hashes`]).
    scripts: Arc<str>,
    /// Which build this is, when watching: a hash of every file's name and content (a change to
    /// the words alone leaves `index.html` as it was).
    stamp: String,
    written: Option<SystemTime>,
}

impl Built {
    fn read(dist: &Path, watching: bool) -> std::io::Result<Built> {
        let index_file = dist.join("index.html");
        let written = std::fs::metadata(&index_file).and_then(|m| m.modified()).ok();
        let index = std::fs::read_to_string(&index_file)?;
        let mut prerendered = HashMap::new();
        if let Ok(entries) = std::fs::read_dir(dist.join("prerendered")) {
            for entry in entries.filter_map(|e| e.ok()) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".html") {
                    prerendered.insert(name, std::fs::read_to_string(entry.path())?);
                }
            }
        }
        let stamp = if watching { stamp_of(dist) } else { String::new() };
        Ok(Built { scripts: inline_script_hashes(&index).into(), index, prerendered, stamp, written })
    }
}

/// A hash of every file under `dist`, by name and content, in a fixed order.
fn stamp_of(dist: &Path) -> String {
    fn files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    files(dist, &mut found);
    found.sort();
    let mut hash = sha2::Sha256::new();
    for path in found {
        hash.update(path.strip_prefix(dist).unwrap_or(&path).to_string_lossy().as_bytes());
        hash.update(std::fs::read(&path).unwrap_or_default());
    }
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl Pages {
    /// The pages of a build that does not change while it is served.
    pub fn load(dist: &Path) -> std::io::Result<Pages> {
        Pages::read(dist, false)
    }

    /// The pages of a build that trunk rewrites as sources change (`cargo xtask dev`).
    pub fn watching(dist: &Path) -> std::io::Result<Pages> {
        Pages::read(dist, true)
    }

    fn read(dist: &Path, watching: bool) -> std::io::Result<Pages> {
        Ok(Pages {
            dist: dist.to_owned(),
            watching,
            built: Arc::new(RwLock::new(Arc::new(Built::read(dist, watching)?))),
            compressed: Arc::default(),
        })
    }

    /// The current build. When watching, a new `index.html` is read once trunk has finished
    /// moving the build into place (its staging folder is gone): a page never names files that
    /// are not there yet.
    fn built(&self) -> Arc<Built> {
        let current =
            self.built.read().map(|b| Arc::clone(&b)).unwrap_or_else(|e| Arc::clone(&e.into_inner()));
        if !self.watching || self.dist.join(".stage").exists() {
            return current;
        }
        let written = std::fs::metadata(self.dist.join("index.html")).and_then(|m| m.modified()).ok();
        if written.is_none() || written == current.written {
            return current;
        }
        let Ok(fresh) = Built::read(&self.dist, true) else { return current };
        let fresh = Arc::new(fresh);
        if let Ok(mut built) = self.built.write() {
            *built = Arc::clone(&fresh);
        }
        if let Ok(mut kept) = self.compressed.lock() {
            kept.clear();
        }
        fresh
    }

    /// The inline scripts' hashes of the build being served, for the policy (every response's:
    /// shared, not copied).
    pub fn scripts(&self) -> Arc<str> {
        Arc::clone(&self.built().scripts)
    }

    /// Which build is served, when watching: an open tab of `cargo xtask dev` asks, and reloads
    /// when it changes (`src/dev_reload.rs`). `None` for a build that never changes.
    pub fn stamp(&self) -> Option<String> {
        self.watching.then(|| self.built().stamp.clone())
    }

    /// The HTML for `path` in `lang`: its prerendered page if there is one, else `index.html`.
    fn source<'a>(built: &'a Built, path: &str, lang: Lang) -> (String, &'a str) {
        let name = lang.prerendered_file(path);
        match built.prerendered.get(&name) {
            Some(page) => (name, page.as_str()),
            None => ("index.html".to_owned(), built.index.as_str()),
        }
    }

    /// The page a request for `path` gets (`status` 200 for a route, 404 for the app's not-found
    /// page), in the language and encoding the request asks for.
    pub async fn answer(
        &self,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        query: Option<&str>,
        origins: &ClientConfig,
    ) -> Response<Body> {
        let header_text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let lang =
            Lang::for_request(query, header_text(header::COOKIE), header_text(header::ACCEPT_LANGUAGE));
        let built = self.built();
        let (name, html) = match status {
            StatusCode::OK => Self::source(&built, path, lang),
            _ => ("index.html".to_owned(), built.index.as_str()),
        };
        let config = origins.to_json();
        let encoding = Encoding::accepted(headers);
        let key = (name, config.clone(), encoding);
        let cached = self.compressed.lock().ok().and_then(|kept| kept.get(&key).cloned());
        let body = match cached {
            Some(body) => body,
            None => {
                let filled =
                    format!(r#"<meta name="crosstalk-config" content="{}" />"#, html_escape(&config));
                let page = html.replacen(CONFIG_PLACEHOLDER, &filled, 1);
                let body =
                    tokio::task::spawn_blocking(move || Bytes::from(encoding.compress(page.as_bytes())))
                        .await
                        .unwrap_or_default();
                if let Ok(mut kept) = self.compressed.lock() {
                    kept.insert(key, body.clone());
                }
                body
            }
        };
        let mut response = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            // The page differs by language, chosen from these.
            .header(header::VARY, "Accept-Encoding, Accept-Language, Cookie");
        if let Some(coding) = encoding.header() {
            response = response.header(header::CONTENT_ENCODING, coding);
        }
        response.body(Body::from(body)).unwrap_or_else(|_| {
            text_response(StatusCode::INTERNAL_SERVER_ERROR, "cannot build response".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_names_are_told_from_the_others() {
        for hashed in [
            "/crosstalk-d7f40a3e00660b9d_bg.wasm",
            "/crosstalk-d7f40a3e00660b9d.js",
            "/style-6d80a4886ce66387.css",
            "/i18n/zh-0123456789abcdef.json",
            // A hash with a leading zero, as trunk writes it: 15 digits.
            "/crosstalk-350cbd240cc5f19.js",
            "/crosstalk-350cbd240cc5f19_bg.wasm",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/echo_worker.js",
            "/echo_worker_bg.wasm",
            "/i18n/en.json",
            "/shared_store_loader.js",
            "/x-012345678.js",
            "/bench-peer.js",
            "/x-0123456789ABCDEF.js",
            "/x-0123456789abcdefg.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn the_best_accepted_encoding_is_chosen() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
            Encoding::accepted(&headers)
        };
        assert_eq!(with("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(with("gzip;q=1.0, br;q=0"), Encoding::Gzip);
        assert_eq!(with("identity"), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }
}
