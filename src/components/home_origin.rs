//! Every page has an origin it lives on: `/atomics` the cross-origin isolated one (shared memory
//! needs COOP and COEP, which would break the app's frames and windows), every other page the
//! app's, the inspector and capabilities either (each looks at its own origin). A link followed
//! inside the app does not reach the server, which redirects only what it is asked for, so the
//! app moves the reader to the page's origin itself — with the walkthrough's progress, which each
//! origin keeps in its own localStorage (`?learned=`).

use yew::prelude::*;
use yew_router::prelude::*;

use crosstalk_protocol::catalog::{is_isolated_page, ON_BOTH_ORIGINS};

use crate::catalog::{Kind, Route};
use crate::learn::{Progress, CARRY_PARAM};
use crate::page_query;
use crate::transport::learn_store;

/// The origin `path` lives on, seen from `here`; `None` when `here` is fine.
pub fn home_origin(path: &str, here: &str, app: &str, isolated: &str) -> Option<String> {
    if isolated.is_empty() || ON_BOTH_ORIGINS.contains(&path) {
        return None;
    }
    let home = if is_isolated_page(path) { isolated } else { app };
    (home != here && (here == app || here == isolated)).then(|| home.to_owned())
}

/// `search` (`?a=1` or empty) with `name=value` set, the value percent-encoded.
fn with_param(search: &str, name: &str, value: &str) -> String {
    let params = web_sys::UrlSearchParams::new_with_str(search).ok();
    match params {
        Some(params) => {
            params.set(name, value);
            format!("?{}", String::from(params.to_string()))
        }
        None => search.to_owned(),
    }
}

/// Progress another origin carried here (`?learned=`): ticked into this origin's, and the
/// parameter taken out of the address.
fn take_carried() {
    let Some(carried) = page_query::decoded_param(CARRY_PARAM) else { return };
    for (chapter, step) in Progress::from_carried(&carried).steps() {
        learn_store::tick(chapter, step);
    }
    page_query::replace_params(&[(CARRY_PARAM, None)]);
}

/// Moves the reader to the current page's origin when it is another (nothing to show).
#[component]
pub fn HomeOrigin() -> Html {
    let route = use_route::<Route>();
    use_effect_with(route, |route| {
        let framed_or_missing =
            route.as_ref().is_none_or(|r| matches!(r.page().kind, Kind::Framed { .. } | Kind::NotFound));
        let origins = crate::origins::origins().ok();
        let location = web_sys::window().map(|w| w.location());
        if let (false, Some(origins), Some(location), Some(route)) =
            (framed_or_missing, origins, location, route)
        {
            let here = location.origin().unwrap_or_default();
            let path = route.page().path();
            if let Some(home) = home_origin(path, &here, &origins.app_origin, &origins.isolated_origin) {
                // The walkthrough's progress is kept per origin: the link carries it across.
                let carried = learn_store::progress().to_carried();
                let search = with_param(&location.search().unwrap_or_default(), CARRY_PARAM, &carried);
                let _ = location.replace(&format!("{home}{path}{search}"));
                return;
            }
            take_carried();
        }
    });
    html! {}
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "http://h:1";
    const ISOLATED: &str = "http://h:3";

    #[test]
    fn each_page_goes_to_its_own_origin_and_the_tools_stay() {
        assert_eq!(home_origin("/atomics", APP, APP, ISOLATED).as_deref(), Some(ISOLATED));
        assert_eq!(home_origin("/atomics", ISOLATED, APP, ISOLATED), None);
        assert_eq!(home_origin("/broadcast", ISOLATED, APP, ISOLATED).as_deref(), Some(APP));
        assert_eq!(home_origin("/broadcast", APP, APP, ISOLATED), None);
        assert_eq!(home_origin("/inspector", ISOLATED, APP, ISOLATED), None);
        assert_eq!(home_origin("/atomics", "http://provider:2", APP, ISOLATED), None, "not from a frame");
        assert_eq!(home_origin("/atomics", APP, APP, ""), None, "no isolated origin configured");
    }
}
