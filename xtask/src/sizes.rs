//! What the suite ships: every wasm module and script in `dist/`, raw and gzipped, printed after
//! each release build so a change shows what it cost. Budgets come later (the bench issue); the
//! figures are the same a browser downloads with compression on.

use std::path::Path;

/// One shipped file.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipped {
    pub name: String,
    pub bytes: usize,
    pub gzip_bytes: usize,
}

pub fn gzip_len(data: &[u8]) -> usize {
    crate::finish::gzip_of(data).len()
}

/// The wasm modules and scripts in `dist`, largest first.
pub fn measure(dist: &Path) -> Vec<Shipped> {
    let Ok(entries) = std::fs::read_dir(dist) else { return Vec::new() };
    let mut shipped: Vec<Shipped> = entries
        .filter_map(|e| e.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.ends_with(".wasm") || name.ends_with(".js")) {
                return None;
            }
            let data = std::fs::read(entry.path()).ok()?;
            Some(Shipped { gzip_bytes: gzip_len(&data), bytes: data.len(), name })
        })
        .collect();
    shipped.sort_by(|a, b| b.gzip_bytes.cmp(&a.gzip_bytes).then(a.name.cmp(&b.name)));
    shipped
}

/// A table for the terminal: name, raw size, gzip size.
pub fn report(shipped: &[Shipped]) -> String {
    let kb = |bytes: usize| format!("{:.1} KB", bytes as f64 / 1000.0);
    let mut out = String::from("xtask: sizes (what a browser downloads, gzip):\n");
    for file in shipped {
        out.push_str(&format!(
            "  {:<44} {:>10} raw {:>10} gzip\n",
            file.name,
            kb(file.bytes),
            kb(file.gzip_bytes)
        ));
    }
    let total: usize = shipped.iter().map(|f| f.gzip_bytes).sum();
    out.push_str(&format!("  {:<44} {:>25} gzip\n", "total", kb(total)));
    out
}

/// What a browser may download, gzip: the app (its wasm and glue), and each worker module.
pub const APP_BUDGET: usize = 150_000;
pub const WORKER_BUDGET: usize = 20_000;

/// The app and each worker, wasm and glue together, against their budgets.
pub fn budgets(shipped: &[Shipped]) -> Vec<(String, usize, usize)> {
    let module = |file: &Shipped| {
        let stem = file.name.trim_end_matches(".js").trim_end_matches(".wasm").trim_end_matches("_bg");
        stem.split('-').next().unwrap_or(stem).to_owned()
    };
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    for file in shipped.iter().filter(|f| f.name.ends_with("_bg.wasm")) {
        let name = module(file);
        let glue: usize = shipped
            .iter()
            .filter(|f| f.name.ends_with(".js") && !f.name.contains("loader") && module(f) == name)
            .map(|f| f.gzip_bytes)
            .sum();
        let budget = if name == "crosstalk" { APP_BUDGET } else { WORKER_BUDGET };
        out.push((name, file.gzip_bytes + glue, budget));
    }
    out
}

/// One line per module: its size, its budget, and whether it fits.
pub fn budget_report(shipped: &[Shipped]) -> String {
    let mut out = String::from("xtask: size budgets (wasm + glue, gzip):\n");
    for (name, bytes, budget) in budgets(shipped) {
        let verdict = if bytes <= budget { "within" } else { "OVER" };
        out.push_str(&format!(
            "  {name:<16} {:>7.1} KB of {:>5.1} KB  {verdict}\n",
            bytes as f64 / 1000.0,
            budget as f64 / 1000.0
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_wasm_and_scripts_only_largest_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app_bg.wasm"), vec![7u8; 5000]).unwrap();
        std::fs::write(dir.path().join("worker.js"), "let x = 1;").unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        let shipped = measure(dir.path());
        let names: Vec<&str> = shipped.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["app_bg.wasm", "worker.js"]);
        assert_eq!(shipped[0].bytes, 5000);
        assert!(shipped[0].gzip_bytes < 100, "repetitive data compresses: {}", shipped[0].gzip_bytes);
        assert!(report(&shipped).contains("app_bg.wasm"));
    }

    #[test]
    fn a_module_is_its_wasm_and_its_glue_against_its_budget() {
        let file = |name: &str, gzip_bytes| Shipped { name: name.into(), bytes: 0, gzip_bytes };
        let shipped = [
            file("crosstalk-13c4e20e1dde0af8_bg.wasm", 140_000),
            file("crosstalk-13c4e20e1dde0af8.js", 11_000),
            file("echo_worker_bg.wasm", 15_000),
            file("echo_worker.js", 3_000),
            file("echo_worker_loader.js", 300),
        ];
        assert_eq!(
            budgets(&shipped),
            [("crosstalk".into(), 151_000, APP_BUDGET), ("echo_worker".into(), 18_000, WORKER_BUDGET)]
        );
        let report = budget_report(&shipped);
        assert!(report.contains("crosstalk") && report.contains("OVER"), "{report}");
        assert!(report.contains("within"), "{report}");
    }
}
