//! The navigation bar on every page: only mechanisms whose route works are linked.

use yew::prelude::*;
use yew_router::prelude::*;

use web_sys::HtmlSelectElement;

use crate::catalog::{mechanisms, tools, Kind, Route};
use crate::i18n::{use_i18n, Lang, Text};

#[component]
pub fn Nav() -> Html {
    let current = use_route::<Route>();
    let i18n = use_i18n();
    // The provider's page and the bench's echo frame live inside frames: no site chrome there.
    if current.as_ref().is_some_and(|route| matches!(route.page().kind, Kind::Framed { .. })) {
        return html! {};
    }
    let on_lang = {
        let choose = i18n.choose.clone();
        Callback::from(move |e: Event| {
            let code = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(lang) = Lang::parse(&code) {
                choose.emit(lang);
            }
        })
    };
    html! {
        <nav class="nav" data-testid="nav">
            <Link<Route> to={Route::Home} classes="brand">{"crosstalk"}</Link<Route>>
            <ul>
                { for mechanisms().map(|(m, page)| html! {
                    <li data-testid={format!("nav-{}", m.slug)}>
                        <Link<Route> classes={classes!((current.as_ref() == Some(&page.route)).then_some("active"))} to={page.route.clone()}>
                            {page.words().map_or(m.name, |(name, _)| i18n.t(name))}
                        </Link<Route>>
                    </li>
                }) }
            </ul>
            { for tools().filter_map(|page| match page.kind {
                Kind::Tool { slug, nav, .. } => Some(html! {
                    <Link<Route> classes={classes!("bench-link", (current.as_ref() == Some(&page.route)).then_some("active"))} to={page.route.clone()}>
                        <span data-testid={format!("nav-{slug}")}>{i18n.t(nav)}</span>
                    </Link<Route>>
                }),
                _ => None,
            }) }
            <select class="lang" data-testid="lang" aria-label={i18n.t(Text::NavLanguage).to_owned()}
                    onchange={on_lang}>
                { for Lang::ALL.into_iter().map(|lang| html! {
                    <option value={lang.code()} selected={lang == i18n.lang}>{lang.label()}</option>
                }) }
            </select>
        </nav>
    }
}
