//! The page's own life: `pagehide`, when a tab closes, reloads or navigates away (and may be kept
//! in the back-forward cache). The last moment a tab can say goodbye.

use gloo::events::EventListener;

/// Calls `leaving` when this page is hidden for good; dropping the listener stops it.
pub fn on_pagehide(leaving: impl Fn() + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "pagehide", move |_| leaving()))
}
