//! What `cargo xtask build` does to `dist/` after trunk, so a first load is small and a second one
//! comes from the cache:
//! - each language's words get a content-hashed name (`i18n/en-<hash>.json`), listed in the page
//!   (`<meta name="crosstalk-i18n">`), so the server can let browsers keep them for a year;
//! - each route is prerendered in each language (the `prerender` binary, Yew's server renderer);
//! - every text, script and wasm file is compressed once, brotli at its highest quality and gzip,
//!   beside the original (`x.wasm.br`, `x.wasm.gz`), for the server to pick by `Accept-Encoding`.
//!   The HTML pages are left to the server: it fills in the origins a browser used, then
//!   compresses each page once and keeps it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crosstalk_server::pages::Encoding;
use sha2::{Digest, Sha256};

use crate::run::{fail, run, timed, Result};
use crate::tools::cargo;

/// The languages whose words the build hashes (the files trunk copied from `static/i18n`).
const LANGS: &[&str] = &["en", "zh"];
/// The extensions worth compressing; images other than SVG and fonts are compressed already.
const COMPRESSED: &[&str] = &["js", "wasm", "css", "html", "json", "svg", "txt"];

pub fn finish(root: &Path, dist: &Path) -> Result<()> {
    hash_words(dist)?;
    eprintln!("xtask: prerendering every route in every language (src/shell.rs)");
    timed("every page prerendered", || {
        run(Command::new(cargo())
            .args([
                "run",
                "--quiet",
                "-p",
                "crosstalk",
                "--features",
                "prerender",
                "--bin",
                "prerender",
                "--",
            ])
            .arg(dist)
            .current_dir(root))
    })?;
    let cache = root.join("target").join("precompressed");
    let (files, raw, compressed) = timed("every file compressed", || precompress(dist, &cache))?;
    eprintln!(
        "xtask: compressed {files} files once (brotli 11 and gzip): {:.1} KB → {:.1} KB brotli",
        raw as f64 / 1000.0,
        compressed as f64 / 1000.0
    );
    Ok(())
}

/// The first 16 hex digits of a SHA-256: names that change when the content does.
pub fn content_hash(data: &[u8]) -> String {
    Sha256::digest(data).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Copies `i18n/<lang>.json` to `i18n/<lang>-<hash>.json` and lists the hashed names in
/// `index.html` (the plain names stay, revalidated, for anything that asks for them).
fn hash_words(dist: &Path) -> Result<()> {
    let mut listed = Vec::new();
    for lang in LANGS {
        let plain = dist.join("i18n").join(format!("{lang}.json"));
        let words = std::fs::read(&plain).or_else(|e| fail(format!("{}: {e}", plain.display())))?;
        let name = format!("{lang}-{}.json", content_hash(&words));
        let hashed = dist.join("i18n").join(&name);
        std::fs::write(&hashed, &words).or_else(|e| fail(format!("{}: {e}", hashed.display())))?;
        listed.push(format!("{lang}=/i18n/{name}"));
    }
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).or_else(|e| fail(format!("{}: {e}", index.display())))?;
    let page = list_words(&html, &listed.join(" ")).ok_or_else(|| {
        anyhow::anyhow!("{}: no crosstalk-config meta to list the words after", index.display())
    })?;
    std::fs::write(&index, page).or_else(|e| fail(format!("{}: {e}", index.display())))
}

/// `html` with `<meta name="crosstalk-i18n" content="LIST">` after the configuration's meta.
fn list_words(html: &str, list: &str) -> Option<String> {
    let marker = r#"<meta name="crosstalk-config" content="" />"#;
    html.contains(marker).then(|| {
        html.replacen(marker, &format!(r#"{marker}<meta name="crosstalk-i18n" content="{list}" />"#), 1)
    })
}

/// Every compressible file under `dist` but the page templates, in brotli and gzip, beside it;
/// returns how many, their size, and their size in brotli. Brotli 11 takes seconds on the app's
/// module, and trunk writes `dist` anew each build: what was compressed before is kept in `cache`
/// under its content's hash, so a build that changed nothing (a second `serve`) starts at once.
fn precompress(dist: &Path, cache: &Path) -> Result<(usize, usize, usize)> {
    let _ = std::fs::create_dir_all(cache);
    let mut used = std::collections::HashSet::new();
    let mut totals = (0, 0, 0);
    for path in files_under(dist) {
        let compressible = path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSED.contains(&e));
        let template = path == dist.join("index.html") || path.starts_with(dist.join("prerendered"));
        if !compressible || template {
            continue;
        }
        let data = std::fs::read(&path).or_else(|e| fail(format!("{}: {e}", path.display())))?;
        let kept = cache.join(format!("{}-{}", content_hash(&data), data.len()));
        used.insert(kept.with_extension("br"));
        used.insert(kept.with_extension("gz"));
        let br = kept_or(&kept.with_extension("br"), || brotli_of(&data));
        let gz = kept_or(&kept.with_extension("gz"), || gzip_of(&data));
        // A file too small to gain is served as it is.
        for (bytes, ext) in [(&br, "br"), (&gz, "gz")] {
            if bytes.len() < data.len() {
                let mut name = path.clone().into_os_string();
                name.push(format!(".{ext}"));
                std::fs::write(&name, bytes).or_else(|e| fail(format!("{}: {e}", path.display())))?;
            }
        }
        totals.0 += 1;
        totals.1 += data.len();
        totals.2 += br.len().min(data.len());
    }
    // Only this build's are kept: the cache never grows past one build's worth.
    for stale in files_under(cache).into_iter().filter(|p| !used.contains(p)) {
        let _ = std::fs::remove_file(stale);
    }
    Ok(totals)
}

/// The bytes kept at `path`, or `make()`'s, kept there for next time.
fn kept_or(path: &Path, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    if let Ok(bytes) = std::fs::read(path) {
        return bytes;
    }
    let bytes = make();
    let _ = std::fs::write(path, &bytes);
    bytes
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Brotli at quality 11, as the server compresses (one implementation: `Encoding::compress`).
pub fn brotli_of(data: &[u8]) -> Vec<u8> {
    Encoding::Brotli.compress(data)
}

pub fn gzip_of(data: &[u8]) -> Vec<u8> {
    Encoding::Gzip.compress(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_listed_once_after_the_configuration() {
        let html = r#"<head><meta name="crosstalk-config" content="" /></head>"#;
        let listed = list_words(html, "en=/i18n/en-1.json").unwrap_or_default();
        assert!(
            listed.contains(r#"content="" /><meta name="crosstalk-i18n" content="en=/i18n/en-1.json" />"#)
        );
        assert_eq!(list_words("<head></head>", "x"), None);
        assert_eq!(content_hash(b"abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn both_compressions_give_back_the_original() {
        use std::io::Read;
        let data = "crosstalk ".repeat(500).into_bytes();
        let br = brotli_of(&data);
        let mut back = Vec::new();
        brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut back).unwrap_or_default();
        assert_eq!(back, data);
        assert!(br.len() < 100, "{}", br.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip_of(&data)[..]).read_to_end(&mut back).unwrap_or_default();
        assert_eq!(back, data);
    }
}
