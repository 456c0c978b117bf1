//! `cargo xtask split-sizes`: the prototype of one wasm module per route (`src/split.rs`), built and
//! measured, not served. The app is linked with relocations kept, cut at its split points by
//! `wasm-split-cli` (pinned, installed with cargo), the main part given its JavaScript glue by
//! wasm-bindgen, every part shrunk by wasm-opt as trunk does, then compressed as the build does.
//! Prints what each route would transfer: the main module and its glue, the split loader, the
//! route's own module and every shared chunk it needs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::finish::brotli_of;
use crate::run::{fail, output_of, run, Result};
use crate::tools::{cargo, WASM_TARGET};

pub const WASM_SPLIT_CLI_VERSION: &str = "0.2.3";

fn ensure_cli() -> Result<()> {
    let wanted = format!("wasm-split-cli {WASM_SPLIT_CLI_VERSION}");
    if output_of("wasm-split-cli", &["--version"]).is_some_and(|v| v.trim() == wanted) {
        return Ok(());
    }
    eprintln!(
        "xtask: installing wasm-split-cli {WASM_SPLIT_CLI_VERSION} (cargo install; about a minute, once)"
    );
    run(crate::tools::cargo_install(crate::tools::Speed::Matters).args([
        "--locked",
        "wasm_split_cli_support",
        "--version",
        WASM_SPLIT_CLI_VERSION,
        "--features",
        "build-binary",
    ]))
}

/// Which split points each shared chunk serves, from the loader's `/* a, b */` comments.
pub fn chunk_users(loader: &str) -> BTreeMap<String, Vec<String>> {
    let mut users = BTreeMap::new();
    let mut lines = loader.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(list) = line.trim().strip_prefix("/* ").and_then(|l| l.strip_suffix(" */")) else {
            continue;
        };
        let Some(chunk) = lines.peek().and_then(|next| next.trim().strip_prefix("const __")) else {
            continue;
        };
        let chunk = chunk.split([' ', '=']).next().unwrap_or_default().to_owned();
        users.insert(chunk, list.split(", ").map(str::to_owned).collect());
    }
    users
}

pub fn measure(root: &Path) -> Result<()> {
    ensure_cli()?;
    let dir = root.join("target").join("split");
    eprintln!("xtask: building the app with its split points (feature `split`, relocations kept)");
    run(Command::new(cargo())
        .args(["build", "--release", "--target", WASM_TARGET, "--bin", "crosstalk", "--features", "split"])
        .env("CARGO_TARGET_DIR", &dir)
        .env("RUSTFLAGS", "-Clink-args=--emit-relocs")
        .current_dir(root))?;
    let linked = dir.join(WASM_TARGET).join("release").join("crosstalk.wasm");
    let cut = dir.join("cut");
    let bound = dir.join("bound");
    let _ = std::fs::remove_dir_all(&cut);
    let _ = std::fs::remove_dir_all(&bound);
    run(Command::new("wasm-split-cli").arg(&linked).arg(&cut))?;
    run(Command::new("wasm-bindgen").arg(cut.join("main.wasm")).arg("--out-dir").arg(&bound).args([
        "--target",
        "web",
        "--keep-lld-exports",
        "--no-typescript",
    ]))?;
    let read = |path: &Path| std::fs::read(path).or_else(|e| fail(format!("{}: {e}", path.display())));
    let shrunk = |path: &Path| -> Result<usize> {
        let out = path.with_extension("opt.wasm");
        run(Command::new("wasm-opt").arg("-Oz").arg("--all-features").arg(path).arg("-o").arg(&out))?;
        Ok(brotli_of(&read(&out)?).len())
    };
    let main = shrunk(&bound.join("main_bg.wasm"))?;
    let glue = brotli_of(&read(&bound.join("main.js"))?).len();
    let loader_text = String::from_utf8_lossy(&read(&cut.join("__wasm_split.js"))?).into_owned();
    let loader = brotli_of(loader_text.as_bytes()).len();
    let mut parts = BTreeMap::new();
    for entry in std::fs::read_dir(&cut).or_else(|e| fail(format!("{}: {e}", cut.display())))? {
        let path = entry.or_else(|e| fail(format!("{e}")))?.path();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        if name != "main" && path.extension().is_some_and(|e| e == "wasm") && !name.ends_with(".opt") {
            parts.insert(name, shrunk(&path)?);
        }
    }
    let users = chunk_users(&loader_text);
    let kb = |b: usize| format!("{:.0}", b as f64 / 1000.0);
    let everything: usize = main + parts.values().sum::<usize>();
    println!(
        "xtask: the split prototype (brotli 11, after wasm-opt -Oz): main module {} KB + glue {} KB + loader {} KB; \
         {} modules in all, {} KB (the unsplit module: see `cargo xtask build`)",
        kb(main),
        kb(glue),
        kb(loader),
        parts.len() + 1,
        kb(everything)
    );
    println!("  {:<14} {:>8} {:>8} {:>10} {:>12}", "route", "own KB", "chunks", "chunks KB", "route KB");
    println!("  {:<14} {:>8} {:>8} {:>10} {:>12}", "/ (home)", "0", "0", "0", kb(main + glue + loader));
    for (name, own) in parts.iter().filter(|(n, _)| n.starts_with("split_")) {
        let split = name.trim_start_matches("split_");
        let needed: Vec<usize> = users
            .iter()
            .filter(|(_, of)| of.iter().any(|s| s == split))
            .filter_map(|(chunk, _)| parts.get(chunk).copied())
            .collect();
        let shared: usize = needed.iter().sum();
        println!(
            "  {:<14} {:>8} {:>8} {:>10} {:>12}",
            split,
            kb(*own),
            needed.len(),
            kb(shared),
            kb(main + glue + loader + own + shared)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loaders_comments_say_which_routes_need_each_chunk() {
        let loader = "/* bench, stock */\nconst __chunk_13 = makeLoad(() => {\n}\n/* inspector */\nconst __chunk_2 = makeLoad(";
        let users = chunk_users(loader);
        assert_eq!(users["chunk_13"], ["bench", "stock"]);
        assert_eq!(users["chunk_2"], ["inspector"]);
        assert_eq!(users.len(), 2);
    }
}
