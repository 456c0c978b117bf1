//! An iframe the page renders, as a controller reaches it: the window inside it, and a
//! navigation of it whose load is awaited (the Origin lab's hijack).

use gloo::events::EventListener;
use web_sys::{HtmlIFrameElement, Window};
use yew::NodeRef;

/// The frame behind a `NodeRef` the page puts on its `<iframe>`; empty until it is rendered.
#[derive(Clone, Default, PartialEq)]
pub struct Frame(NodeRef);

impl Frame {
    pub fn new(node: NodeRef) -> Frame {
        Frame(node)
    }

    /// The window inside the frame now (it changes as the frame is replaced or navigated).
    pub fn window(&self) -> Option<Window> {
        self.0.cast::<HtmlIFrameElement>()?.content_window()
    }

    /// Navigates the frame to `url`; `loaded` runs once the new page has loaded. None when the
    /// page has no such frame now. Dropping the listener forgets the load.
    pub fn navigate(&self, url: &str, loaded: impl FnOnce() + 'static) -> Option<EventListener> {
        let frame = self.0.cast::<HtmlIFrameElement>()?;
        let listener = EventListener::once(&frame, "load", move |_| loaded());
        frame.set_src(url);
        Some(listener)
    }
}
