//! This page's own address and query string, where routes read their QA hooks (`?peer-timeout-ms=…`,
//! `?transport=…`); parsing is `crosstalk_protocol::query`, shared with the workers.

/// `location.search`, empty where there is none.
pub fn search() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The value of `name` in this page's query.
pub fn param(name: &str) -> Option<String> {
    crosstalk_protocol::query::param(&search(), name).map(str::to_owned)
}

/// The value of `name` in this page's query, percent-decoded as the browser reads it.
pub fn decoded_param(name: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(&search()).ok()?.get(name)
}

/// This page's origin (`location.origin`), empty where there is none.
pub fn origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// Sets (or, with `None`, removes) each named parameter in the address bar, the others kept,
/// without a navigation or a new history entry.
pub fn replace_params(changes: &[(&str, Option<&str>)]) {
    let Some(window) = web_sys::window() else { return };
    let Ok(url) = web_sys::Url::new(&window.location().href().unwrap_or_default()) else { return };
    let params = url.search_params();
    for (name, value) in changes {
        match value {
            Some(value) => params.set(name, value),
            None => params.delete(name),
        }
    }
    if let Ok(history) = window.history() {
        // The router's own state is kept: this is the same entry with a truer address.
        let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&url.href()));
    }
}

/// Loads this page again with `search` as its query (a choice only made as a page starts).
pub fn reload_with_search(search: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_search(search);
    }
}

/// This tab's label in the walkthrough (`?tab=B`, which "Open another tab" sets), `A` otherwise.
pub fn tab_label() -> String {
    param("tab")
        .as_deref()
        .and_then(crate::learn::parse_tab_label)
        .unwrap_or_else(|| crate::learn::tab_label(0))
}

/// This page's address with `changes` made to its query (`None` removes a parameter).
pub fn href_with(changes: &[(&str, Option<&str>)]) -> String {
    let Some(window) = web_sys::window() else { return String::new() };
    let href = window.location().href().unwrap_or_default();
    let Ok(url) = web_sys::Url::new(&href) else { return href };
    let params = url.search_params();
    for (name, value) in changes {
        match value {
            Some(value) => params.set(name, value),
            None => params.delete(name),
        }
    }
    url.href()
}
