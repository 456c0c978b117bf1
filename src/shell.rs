//! What a route's HTML carries before any script runs: the nav, the title, what the mechanism is
//! and its whole lesson, in the reader's language, with a line where the controls will be saying
//! that they start once the app has loaded. The build renders it per route and language with
//! Yew's server renderer (`cargo xtask build`, the `prerender` binary); the app, once its words
//! have loaded, takes the page over and removes it ([`DropShell`]).
//!
//! Why a shell the app replaces, not hydration: hydrating needs the first client render to match
//! the server's node for node, and every page's first render reads the browser (storage, workers,
//! sockets); the shell shows the same words in the same places, and the swap happens in one frame.
//!
//! QA hooks: `prerendered` (the shell's root, gone once the app runs), `app-starting` (the line
//! standing in for the controls).

use std::rc::Rc;

use yew::prelude::*;
use yew_router::history::{AnyHistory, MemoryHistory};
use yew_router::prelude::*;

use crate::catalog::{Route, PAGES};
use crate::components::nav::Nav;
use crate::components::route_frame::RouteFrame;
use crate::i18n::{I18n, Lang, Text, Texts};
use crate::pages::home::Home;

/// The id of the shell's root element in the served HTML.
pub const SHELL_ID: &str = "prerendered";
/// The id of the element the app mounts on (`index.html`), after the shell.
pub const APP_ID: &str = "app";

/// The pages the build prerenders: home, every working mechanism and the suite's own tools (not
/// the framed provider and echo pages, which have nothing to read).
pub fn prerendered_routes() -> Vec<Route> {
    PAGES.iter().filter(|p| p.is_read()).map(|p| p.route.clone()).collect()
}

/// The route's title and one-sentence description, for `<title>` and `<meta name="description">`.
pub fn title_and_description(route: &Route, texts: &Texts) -> (String, String) {
    let (title, description) = match route.page().words() {
        Some((title, description)) => (texts.get(title), texts.get(description)),
        None => {
            return ("crosstalk — how browser contexts talk".to_owned(), texts.get(Text::HomeLead).to_owned())
        }
    };
    (format!("{title} — crosstalk"), description.to_owned())
}

#[derive(Properties, Clone)]
pub struct ShellProps {
    pub route: Route,
    pub texts: Rc<Texts>,
}

impl PartialEq for ShellProps {
    fn eq(&self, other: &Self) -> bool {
        self.route == other.route && Rc::ptr_eq(&self.texts, &other.texts)
    }
}

#[component]
pub fn Shell(props: &ShellProps) -> Html {
    let history = AnyHistory::from(MemoryHistory::with_entries(vec![props.route.to_path()]));
    let i18n = I18n::fixed(Rc::clone(&props.texts));
    html! {
        <Router history={history}>
            <ContextProvider<I18n> context={i18n}>
                <Nav />
                <main class="page">
                    { page(&props.route) }
                </main>
            </ContextProvider<I18n>>
        </Router>
    }
}

fn page(route: &Route) -> Html {
    match route.page().mechanism() {
        Some(mechanism) => html! {
            <RouteFrame lesson={mechanism.slug}><AppStarting /></RouteFrame>
        },
        None if *route == Route::Home => html! { <Home /> },
        None => html! { <Titled route={route.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct TitledProps {
    route: Route,
}

/// A tool's page (capabilities, inspector, bench): its title and lead, then the line.
#[component]
fn Titled(props: &TitledProps) -> Html {
    let i18n = crate::i18n::use_i18n();
    let (title, lead) =
        props.route.page().words().map_or(("", ""), |(title, lead)| (i18n.t(title), i18n.t(lead)));
    html! {
        <>
            <h1>{title}</h1>
            <p class="lead">{lead}</p>
            <AppStarting />
        </>
    }
}

/// Where the controls will be: says they start with the app, so nothing is dead without a word.
#[component]
fn AppStarting() -> Html {
    let i18n = crate::i18n::use_i18n();
    html! {
        <p class="panel app-starting" data-testid="app-starting" role="status" aria-busy="true">
            {i18n.t(Text::AppStarting)}
        </p>
    }
}

/// Removes the prerendered shell once the app has rendered in its place (the app mounts this
/// inside its words' provider, so it runs only when the app has something to show).
#[component]
pub fn DropShell() -> Html {
    use_effect_with((), |_| {
        let shell = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(SHELL_ID));
        if let Some(shell) = shell {
            shell.remove();
        }
    });
    html! {}
}

/// The template with the page's language, title and description, and the shell in its body.
pub fn fill(
    template: &str,
    lang: Lang,
    title: &str,
    description: &str,
    body: &str,
) -> Result<String, String> {
    let escape = |text: &str| {
        text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
    };
    let page = replace(template, r#"<html lang=""#, "\"", &format!(r#"<html lang="{}""#, lang.code()))?;
    let page = replace(&page, "<title>", "</title>", &format!("<title>{}</title>", escape(title)))?;
    let page = replace(
        &page,
        r#"<meta name="description""#,
        ">",
        &format!(r#"<meta name="description" content="{}" />"#, escape(description)),
    )?;
    replace(
        &page,
        "<body>",
        "",
        &format!(r#"<body><div id="{SHELL_ID}" data-testid="{SHELL_ID}">{body}</div>"#),
    )
}

/// The shell without the app's QA hooks: until the app replaces it, a test or script that looks
/// for `nav-broadcast` or `lesson` must find the live one or nothing, never a copy that is about to
/// vanish. The shell has hooks of its own (`prerendered`, `app-starting`).
pub fn without_test_ids(html: &str) -> String {
    const HOOK: &str = r#" data-testid=""#;
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(HOOK) {
        out.push_str(&rest[..at]);
        let value = &rest[at + HOOK.len()..];
        let keep = value.starts_with("app-starting\"");
        let end = value.find('"').map_or(value.len(), |end| end + 1);
        if keep {
            out.push_str(&rest[at..at + HOOK.len() + end]);
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// `page` with the first piece that runs from `from` to the next `to` (both included) replaced.
fn replace(page: &str, from: &str, to: &str, with: &str) -> Result<String, String> {
    let start = page.find(from).ok_or_else(|| format!("index.html has no {from}"))?;
    let end =
        page[start + from.len()..].find(to).ok_or_else(|| format!("index.html: {from} is not closed"))?;
    let end = start + from.len() + end + to.len();
    Ok(format!("{}{with}{}", &page[..start], &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prerendered_route_has_a_file_per_language_and_its_own_title() {
        let texts =
            Texts::from_words(Lang::En, crate::catalog::diagram_words(), |key| Some(format!("«{key}»")));
        let mut names = Vec::new();
        for route in prerendered_routes() {
            for lang in Lang::ALL {
                names.push(lang.prerendered_file(&route.to_path()));
            }
            let (title, description) = title_and_description(&route, &texts);
            assert!(title.contains("crosstalk") && !description.is_empty(), "{route:?}");
        }
        assert!(
            names.contains(&"index.zh.html".to_owned()) && names.contains(&"broadcast.en.html".to_owned())
        );
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(title_and_description(&Route::Broadcast, &texts).1, "«mechanism.broadcast.summary»");
    }

    #[test]
    fn the_shell_keeps_its_own_hooks_and_no_other() {
        let html = r#"<nav data-testid="nav" class="nav"><p data-testid="app-starting" role="status">…</p><a data-testid="x">y</a></nav>"#;
        assert_eq!(
            without_test_ids(html),
            r#"<nav class="nav"><p data-testid="app-starting" role="status">…</p><a>y</a></nav>"#
        );
    }

    #[test]
    fn the_page_gets_its_language_title_description_and_shell() {
        let template = "<html lang=\"en\"><head><title>x</title><meta name=\"description\" content=\"old\" /></head><body></body></html>";
        let page = fill(template, Lang::Zh, "A & B", "say \"hi\"", "<nav></nav>").unwrap_or_default();
        assert_eq!(
            page,
            "<html lang=\"zh\"><head><title>A &amp; B</title><meta name=\"description\" content=\"say &quot;hi&quot;\" /></head>\
             <body><div id=\"prerendered\" data-testid=\"prerendered\"><nav></nav></div></body></html>"
        );
        assert!(fill("<html>", Lang::En, "", "", "").is_err());
    }
}
