//! `cargo xtask dev` only (a debug build): an open tab reloads itself once a rebuild is served.
//!
//! The dev server answers `/_dev/build` with which build it serves; any other server has no such
//! path, and the first answer that is not one stops the asking. Asking is one small request a
//! second, not a connection held open: a held stream per tab would use up the browser's six
//! connections per host over HTTP/1.1 with six tabs open.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::catalog::paths::DEV_BUILD;
use gloo::timers::callback::Interval;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{RequestCache, RequestInit, Response};

/// How often an open tab asks.
const ASK_EVERY_MS: u32 = 1_000;

/// Starts asking, if this page was served by `cargo xtask dev`.
pub fn start() {
    spawn_local(async {
        let Some(Ok(first)) = served_build().await else { return };
        let asking: Rc<RefCell<Option<Interval>>> = Rc::default();
        let stop = Rc::clone(&asking);
        *asking.borrow_mut() = Some(Interval::new(ASK_EVERY_MS, move || {
            let (first, stop) = (first.clone(), Rc::clone(&stop));
            spawn_local(async move {
                // A server restarting answers nothing for a moment: ask again next time.
                if let Some(Ok(now)) = served_build().await {
                    if now != first {
                        stop.borrow_mut().take();
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                    }
                }
            });
        }));
    });
}

/// `Some(Ok(build))` from the dev server, `Some(Err(()))` from a server that is not one, `None`
/// when nothing answered.
async fn served_build() -> Option<Result<String, ()>> {
    let window = web_sys::window()?;
    let init = RequestInit::new();
    init.set_cache(RequestCache::NoStore);
    let response = JsFuture::from(window.fetch_with_str_and_init(DEV_BUILD, &init)).await.ok()?;
    let response: Response = response.dyn_into().ok()?;
    if !response.ok() {
        return Some(Err(()));
    }
    let text = JsFuture::from(response.text().ok()?).await.ok()?;
    // A stamp is 16 hex digits; anything longer is not ours.
    Some(text.as_string().filter(|t| t.len() <= 64).ok_or(()))
}
