//! Hands text to the reader: as a file the browser downloads (a `blob:` URL on a link clicked at
//! once, revoked right after; the bench's export and every log's export), or to the clipboard.

use wasm_bindgen::{JsCast, JsValue};

/// The browser's user agent, recorded in the files the bench and `/capabilities` export.
pub fn user_agent() -> String {
    web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default()
}

/// Offers `text` (JSON) as the file `name`.
pub fn download_json(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(JsValue::NULL)?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url)
}

/// `navigator.clipboard.writeText(text)`, where the browser allows it.
pub fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard =
        js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).ok().filter(|c| c.is_object());
    let write = clipboard
        .as_ref()
        .and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match (clipboard, write) {
        (Some(clipboard), Some(write)) => write.call1(&clipboard, &JsValue::from_str(text)).is_ok(),
        _ => false,
    }
}
