//! One request to the Web Locks API (`navigator.locks.request`), with every option it has: the
//! mode, `ifAvailable`, `steal`, and an abort signal while it waits. The lock is held for as long
//! as the promise its callback returns is pending; releasing resolves it. Called through js-sys,
//! since web-sys keeps `navigator.locks` behind its unstable APIs.
//!
//! Used by `/stock`'s leadership ([`super::leader_lock`]) and by `/web-locks` ([`super::web_locks`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_protocol::web_locks::Mode;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use super::core::js_error_text;

/// The `navigator.locks` of a window (this tab's, or a frame's), where the browser has it.
pub fn locks_of(window: &JsValue) -> Option<JsValue> {
    let navigator = Reflect::get(window, &"navigator".into()).ok()?;
    Reflect::get(&navigator, &"locks".into()).ok().filter(|l| l.is_object())
}

/// This tab's `navigator.locks`.
pub fn locks() -> Option<JsValue> {
    locks_of(web_sys::window()?.as_ref())
}

/// How a request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    pub mode: Mode,
    /// Granted now or not at all: the callback gets `null` when another holds it.
    pub if_available: bool,
    /// Granted now, whoever holds it: the holder loses it (its request rejects with `AbortError`).
    pub steal: bool,
}

impl Ask {
    pub const EXCLUSIVE: Ask = Ask { mode: Mode::Exclusive, if_available: false, steal: false };
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Held, from now until released.
    Granted,
    /// `ifAvailable` and another holds it: never held.
    NotAvailable,
    /// It was held and another request stole it.
    Stolen,
    /// It ended otherwise: released, stopped waiting, or refused (`Some` says why).
    Ended(Option<String>),
}

/// One request: waiting, then held until released or dropped.
pub struct LockRequest {
    /// Resolves the promise the lock is held by; `Some` while held.
    release: Rc<RefCell<Option<Function>>>,
    /// Cancels the request while it still waits (none with `steal` or `ifAvailable`, which
    /// never wait and cannot take a signal).
    abort: Option<AbortController>,
    /// Whether this side let go (a rejection after that is not a theft).
    let_go: Rc<Cell<bool>>,
}

impl LockRequest {
    /// Asks `locks` (a `navigator.locks`) for `name`; `on` hears each outcome.
    pub fn request(
        locks: &JsValue,
        name: &str,
        ask: Ask,
        on: impl Fn(Outcome) + 'static,
    ) -> Result<LockRequest, String> {
        let request: Function = Reflect::get(locks, &"request".into())
            .ok()
            .and_then(|r| r.dyn_into().ok())
            .ok_or("navigator.locks.request is missing")?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &ask.mode.as_str().into());
        let abort = if ask.if_available || ask.steal {
            let _ = Reflect::set(&options, &"ifAvailable".into(), &ask.if_available.into());
            let _ = Reflect::set(&options, &"steal".into(), &ask.steal.into());
            None
        } else {
            let abort = AbortController::new().map_err(|e| js_error_text(&e))?;
            let _ = Reflect::set(&options, &"signal".into(), &abort.signal());
            Some(abort)
        };
        let on = Rc::new(on);
        let release: Rc<RefCell<Option<Function>>> = Rc::default();
        let let_go = Rc::new(Cell::new(false));
        let (holding, granted) = (Rc::clone(&release), Rc::clone(&on));
        // lesson: web-locks
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            if lock.is_null() {
                granted(Outcome::NotAvailable); // ifAvailable, and someone holds it
                return JsValue::UNDEFINED;
            }
            // The lock is held for as long as this promise is pending.
            let held = Promise::new(&mut |resolve, _reject| *holding.borrow_mut() = Some(resolve));
            granted(Outcome::Granted);
            held.into()
        });
        let pending =
            request.call3(locks, &name.into(), &options, &callback).map_err(|e| js_error_text(&e))?;
        // lesson end
        // The request's own promise settles when the lock is let go: it rejects with AbortError
        // when the wait was aborted, and when a `steal` took the lock from this holder.
        if let Ok(pending) = pending.dyn_into::<Promise>() {
            let (held, gone) = (Rc::clone(&release), Rc::clone(&let_go));
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = match JsFuture::from(pending).await {
                    Ok(_) => Outcome::Ended(None),
                    Err(_) if held.borrow_mut().take().is_some() && !gone.get() => Outcome::Stolen,
                    Err(_) if gone.get() => Outcome::Ended(None),
                    Err(error) => Outcome::Ended(Some(js_error_text(&error))),
                };
                on(outcome);
            });
        }
        Ok(LockRequest { release, abort, let_go })
    }

    /// Whether this request holds the lock now.
    pub fn is_held(&self) -> bool {
        self.release.borrow().is_some()
    }

    /// Lets the lock go (the next waiter gets it) or stops waiting for it.
    pub fn release(&self) {
        self.let_go.set(true);
        match self.release.borrow_mut().take() {
            Some(resolve) => drop(resolve.call0(&JsValue::UNDEFINED)),
            None => {
                if let Some(abort) = &self.abort {
                    abort.abort();
                }
            }
        }
    }
}

impl Drop for LockRequest {
    fn drop(&mut self) {
        self.release();
    }
}
