//! Whether this page has the web API a route needs, and if not, why: browsers hide some APIs from
//! pages that are not secure contexts (plain http under any name but `localhost`) or not
//! cross-origin isolated, so "this browser has no …" would often be a lie. The decision is the
//! protocol's ([`Needs::missing`]); this file only reads the page.

use crosstalk_protocol::catalog::{Missing, Needs, PageContext};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// `isSecureContext` and `crossOriginIsolated` of this page (both false where unreadable).
pub fn page_context() -> PageContext {
    let global = js_sys::global();
    let flag =
        |name: &str| Reflect::get(&global, &name.into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    PageContext { secure_context: flag("isSecureContext"), isolated: flag("crossOriginIsolated") }
}

/// Whether `api` (`navigator.locks`, `SharedArrayBuffer`) is reachable from the global object.
pub fn has(api: &str) -> bool {
    let mut at: JsValue = js_sys::global().into();
    for name in api.split('.') {
        match Reflect::get(&at, &name.into()) {
            Ok(next) if !next.is_undefined() && !next.is_null() => at = next,
            _ => return false,
        }
    }
    true
}

/// Why the route that `needs` cannot work on this page, or `None` when it can.
pub fn missing(needs: &Needs) -> Option<Missing> {
    needs.missing(page_context(), has(needs.api))
}

/// Why the route that `needs` cannot work for a reader of this page who follows its link.
pub fn missing_from_here(needs: &Needs) -> Option<Missing> {
    needs.missing_from(page_context(), has(needs.api))
}

/// The cause in one English sentence, for logs and status lines (the page shows it translated).
pub fn why(needs: &Needs, missing: Missing) -> String {
    let api = needs.api;
    match missing {
        Missing::InsecureContext => {
            format!("{api} is not on this page: it is not a secure context (browsers give it to https pages, and to localhost, only)")
        }
        Missing::NotIsolated => {
            format!("{api} is not on this page: it is not cross-origin isolated (COOP and COEP)")
        }
        Missing::NotInBrowser => format!("this browser has no {api}"),
    }
}

/// [`why`] for the route that `needs`, if it cannot work here.
pub fn why_missing(needs: &Needs) -> Option<String> {
    missing(needs).map(|m| why(needs, m))
}
