//! `prerender DIST`: writes every route's HTML, in every language, with what a reader sees first
//! already in it (see `shell.rs`), into `DIST/prerendered/`. `cargo xtask build` runs it after
//! trunk, natively, with the `prerender` feature (Yew's server renderer).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use crosstalk::i18n::{Lang, Texts};
use crosstalk::shell::{
    fill, prerendered_routes, title_and_description, without_test_ids, Shell, ShellProps,
};
use yew::LocalServerRenderer;
use yew_router::Routable as _;

fn main() -> ExitCode {
    let Some(dist) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: prerender DIST");
        return ExitCode::FAILURE;
    };
    match prerender(&dist) {
        Ok(count) => {
            eprintln!("prerender: {count} pages in {}", dist.join("prerendered").display());
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("prerender: {why}");
            ExitCode::FAILURE
        }
    }
}

fn prerender(dist: &Path) -> Result<usize, String> {
    let read = |path: PathBuf| std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()));
    let template = read(dist.join("index.html"))?;
    let out = dist.join("prerendered");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut count = 0;
    for lang in Lang::ALL {
        let words: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&read(dist.join("i18n").join(format!("{}.json", lang.code())))?)
                .map_err(|e| format!("the {} words are not JSON: {e}", lang.code()))?;
        let texts = Rc::new(Texts::from_words(lang, crosstalk::catalog::diagram_words(), |key| {
            words.get(key)?.as_str().map(str::to_owned)
        }));
        for route in prerendered_routes() {
            let props = ShellProps { route: route.clone(), texts: Rc::clone(&texts) };
            let body = futures::executor::block_on(
                LocalServerRenderer::<Shell>::with_props(props).hydratable(false).render(),
            );
            let (title, description) = title_and_description(&route, &texts);
            let page = fill(&template, lang, &title, &description, &without_test_ids(&body))?;
            let path = out.join(lang.prerendered_file(&route.to_path()));
            std::fs::write(&path, page).map_err(|e| format!("{}: {e}", path.display()))?;
            count += 1;
        }
    }
    Ok(count)
}
