//! Whether another origin answers at all, asked before waiting on it: a route that cannot work
//! says so at once instead of waiting out its time limit (the Payment route's provider).
//!
//! A `no-cors` fetch: the answer stays opaque (nothing of it is read), but the promise rejects
//! only when nothing answered — connection refused, unknown name, or the page's own policy.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestInit, RequestMode};

use super::core::js_error_text;

/// Resolves when something answered at `url`; otherwise says what the browser reported.
pub async fn answers(url: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    init.set_mode(RequestMode::NoCors);
    init.set_cache(RequestCache::NoStore);
    match JsFuture::from(window.fetch_with_str_and_init(url, &init)).await {
        Ok(response) if response.is_object() => Ok(()),
        Ok(_) => Err("the browser gave no response".into()),
        Err(error) => Err(error
            .dyn_ref::<js_sys::Error>()
            .map_or_else(|| js_error_text(&error), |e| String::from(e.message()))),
    }
}
