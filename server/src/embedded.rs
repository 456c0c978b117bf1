//! The built suite inside the binary (`--features embed`, made by `cargo xtask dist`): one file to
//! copy to the machine that serves a class.
//!
//! Implementation note: the files are unpacked once into a folder named by their content's hash
//! (`dist-<hash>/dist` under `$XDG_CACHE_HOME/crosstalk`, else `~/.cache/crosstalk`, else the
//! temporary folder), each
//! with the modification time it had in `dist/`, and served from there by the same code that
//! serves a `dist/` folder. So the binary answers exactly as the server does from `dist/` — the
//! same `Content-Type`, `Content-Encoding` and `Vary`, `Cache-Control`, and `Last-Modified` with
//! 304 — by construction rather than by a second file server kept in step with the first.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

#[derive(rust_embed::Embed)]
#[folder = "$CROSSTALK_DIST"]
struct Dist;

/// The folder the embedded suite is served from, unpacked now if it is not there already.
pub fn unpack() -> io::Result<PathBuf> {
    let mut digest = Sha256::new();
    for path in Dist::iter() {
        digest.update(path.as_bytes());
        if let Some(file) = Dist::get(&path) {
            digest.update(file.metadata.sha256_hash());
        }
    }
    let id: String = digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    // `dist-<id>/dist` is served; the mark beside it is not a file of the suite.
    let home = cache_home().join(format!("dist-{id}"));
    let served = home.join("dist");
    if home.join(DONE).is_file() {
        return Ok(served);
    }
    // Written beside, then renamed into place: two servers starting at once never see half a suite.
    let partial = home.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    for path in Dist::iter() {
        let Some(file) = Dist::get(&path) else { continue };
        let target = partial.join("dist").join(path.as_ref());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &file.data)?;
        if let Some(secs) = file.metadata.last_modified() {
            let written = std::fs::File::options().write(true).open(&target)?;
            written.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))?;
        }
    }
    std::fs::write(partial.join(DONE), id)?;
    match std::fs::rename(&partial, &home) {
        Ok(()) => Ok(served),
        // Another server unpacked the same suite first: its copy is as good.
        Err(_) if home.join(DONE).is_file() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(served)
        }
        Err(e) => {
            Err(io::Error::new(e.kind(), format!("cannot unpack the suite into {}: {e}", home.display())))
        }
    }
}

/// Marks a folder as wholly unpacked (beside the suite's files, never among them).
const DONE: &str = ".crosstalk-unpacked";

fn cache_home() -> PathBuf {
    let from = |var: &str, below: &str| std::env::var_os(var).map(|v| Path::new(&v).join(below));
    from("XDG_CACHE_HOME", "crosstalk")
        .or_else(|| from("HOME", ".cache/crosstalk"))
        .unwrap_or_else(|| std::env::temp_dir().join("crosstalk"))
}
