//! This page's own query string, where routes read their QA hooks (`?peer-timeout-ms=…`,
//! `?transport=…`); parsing is `crosstalk_protocol::query`, shared with the workers.

/// `location.search`, empty where there is none.
pub fn search() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The value of `name` in this page's query.
pub fn param(name: &str) -> Option<String> {
    crosstalk_protocol::query::param(&search(), name).map(str::to_owned)
}
