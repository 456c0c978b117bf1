//! Leadership through the Web Locks API: every tab asks for one exclusive lock; the browser
//! grants it to one tab at a time and to the next waiter the moment it is released — when the
//! holder lets go, closes, or its renderer crashes. Called through js-sys, since web-sys keeps
//! `navigator.locks` behind its unstable APIs.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortController;

use super::core::js_error_text;

/// `navigator.locks`, where the browser has it.
fn locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    Reflect::get(&navigator, &"locks".into()).ok().filter(|l| l.is_object())
}

pub fn supported() -> bool {
    locks().is_some()
}

/// One tab's request for the lock: waiting, then held until released or dropped.
pub struct LeaderLock {
    /// Resolves the promise the lock is held by; `Some` while held.
    release: Rc<RefCell<Option<Function>>>,
    /// Cancels the request while it still waits.
    abort: AbortController,
}

impl LeaderLock {
    /// Asks for the lock `name`; `granted` runs when this tab gets it.
    pub fn request(name: &str, granted: impl FnOnce() + 'static) -> Result<LeaderLock, String> {
        let locks = locks().ok_or("this browser has no Web Locks")?;
        let request: Function = Reflect::get(&locks, &"request".into())
            .ok()
            .and_then(|r| r.dyn_into().ok())
            .ok_or("navigator.locks.request is missing")?;
        let abort = AbortController::new().map_err(|e| js_error_text(&e))?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &"exclusive".into());
        let _ = Reflect::set(&options, &"signal".into(), &abort.signal());
        let release: Rc<RefCell<Option<Function>>> = Rc::default();
        let holding = Rc::clone(&release);
        // lesson: stock-sync
        let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            // The lock is held for as long as this promise is pending.
            let held = Promise::new(&mut |resolve, _reject| *holding.borrow_mut() = Some(resolve));
            granted();
            held.into()
        });
        let pending =
            request.call3(&locks, &name.into(), &options, &callback).map_err(|e| js_error_text(&e))?;
        // lesson end
        // An aborted request rejects; that is how a tab stops waiting, not an error.
        if let Ok(pending) = pending.dyn_into::<Promise>() {
            let quiet = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
            let _ = pending.catch(&quiet);
            quiet.forget();
        }
        Ok(LeaderLock { release, abort })
    }

    /// Whether this tab holds the lock now.
    pub fn is_held(&self) -> bool {
        self.release.borrow().is_some()
    }

    /// Lets the lock go (the next waiter gets it) or stops waiting for it.
    pub fn release(&self) {
        match self.release.borrow_mut().take() {
            Some(resolve) => drop(resolve.call0(&JsValue::UNDEFINED)),
            None => self.abort.abort(),
        }
    }
}

impl Drop for LeaderLock {
    fn drop(&mut self) {
        self.release();
    }
}
