//! The navigation bar on every page: only mechanisms whose route works are linked.

use yew::prelude::*;
use yew_router::prelude::*;

use web_sys::HtmlSelectElement;

use crate::i18n::{use_i18n, Lang, Text};
use crate::routes::{working, Route};

#[component]
pub fn Nav() -> Html {
    let current = use_route::<Route>();
    let i18n = use_i18n();
    // The provider's page and the bench's echo frame live inside frames: no site chrome there.
    if matches!(current, Some(Route::Provider | Route::BenchPeer)) {
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
                { for working().map(|(m, route)| html! {
                    <li data-testid={format!("nav-{}", m.slug)}>
                        <Link<Route> classes={classes!((current.as_ref() == Some(&route)).then_some("active"))} to={route}>
                            {Text::mechanism(m.slug).map_or(m.name, |(name, _)| i18n.t(name))}
                        </Link<Route>>
                    </li>
                }) }
            </ul>
            <Link<Route> classes={classes!("bench-link", (current == Some(Route::Capabilities)).then_some("active"))} to={Route::Capabilities}>
                <span data-testid="nav-capabilities">{i18n.t(Text::NavCapabilities)}</span>
            </Link<Route>>
            <Link<Route> classes={classes!("bench-link", (current == Some(Route::Inspector)).then_some("active"))} to={Route::Inspector}>
                <span data-testid="nav-inspector">{i18n.t(Text::NavInspector)}</span>
            </Link<Route>>
            <Link<Route> classes={classes!("bench-link", (current == Some(Route::Bench)).then_some("active"))} to={Route::Bench}>
                <span data-testid="nav-bench">{i18n.t(Text::NavBench)}</span>
            </Link<Route>>
            <select class="lang" data-testid="lang" aria-label={i18n.t(Text::NavLanguage).to_owned()}
                    onchange={on_lang}>
                { for Lang::ALL.into_iter().map(|lang| html! {
                    <option value={lang.code()} selected={lang == i18n.lang}>{lang.label()}</option>
                }) }
            </select>
        </nav>
    }
}
