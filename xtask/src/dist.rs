//! `cargo xtask dist`: the one file a class's server needs — `crosstalk-server` with the whole
//! built suite inside (precompressed files included), serving from an empty folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{fail, output_of, run, Result};
use crate::tools::{self, cargo};
use crate::{build_release, root};

/// The Cargo profile the binary is built with: optimized for speed, like the relay the bench
/// measures (the release profile is the wasm's, tuned for size).
const PROFILE: &str = "bench-native";

/// `cargo xtask dist`: builds the suite, then the binary; its size, and its path on the last line.
pub(crate) fn dist() -> Result<()> {
    let root = root();
    tools::ensure_build_tools(&root)?;
    build_release(&root)?;
    let binary = build_binary(&root)?;
    let bytes = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
    println!(
        "crosstalk-server: {:.1} MB, the whole suite inside: copy it alone and run it (docs/hosting.md)",
        bytes as f64 / 1e6
    );
    if let Some(glibc) = output_of("ldd", &["--version"]).and_then(|v| v.lines().next().map(str::to_owned)) {
        println!("it needs a Linux with this machine's C library or newer ({glibc})");
    }
    println!("{}", binary.display());
    Ok(())
}

/// Builds `crosstalk-server` with the suite in `dist/` inside it (`--features embed`); its path.
pub(crate) fn build_binary(root: &Path) -> Result<PathBuf> {
    let dist = root.join("dist");
    if !dist.join("index.html").is_file() {
        return fail(format!("{} has no built suite: build it first (cargo xtask build)", dist.display()));
    }
    eprintln!("xtask: building crosstalk-server with the suite inside (--features embed)");
    run(Command::new(cargo())
        .args(["build", "--quiet", "--profile", PROFILE, "-p", "crosstalk-server", "--features", "embed"])
        .env("CROSSTALK_DIST", &dist)
        .current_dir(root))?;
    Ok(binary_path(root))
}

/// Where [`build_binary`] leaves the binary.
pub(crate) fn binary_path(root: &Path) -> PathBuf {
    root.join("target").join(PROFILE).join("crosstalk-server")
}
