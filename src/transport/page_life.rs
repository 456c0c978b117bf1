//! The page's own life: `pagehide`, when a tab closes, reloads or navigates away (and may be kept
//! in the back-forward cache), the last moment a tab can say goodbye; the tab's title, which
//! names it for the walkthrough; and the part of the page a step points at.

use gloo::events::EventListener;

/// Calls `leaving` when this page is hidden for good; dropping the listener stops it.
pub fn on_pagehide(leaving: impl Fn() + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    Some(EventListener::new(&window, "pagehide", move |_| leaving()))
}

/// Puts this tab's walkthrough label before its title (`B · BroadcastChannel — crosstalk`), so a
/// reader can tell the tabs apart in the tab strip.
pub fn label_title(label: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let title = document.title();
    // Any earlier label of ours goes first: `X · ` where X is a label.
    let bare = match title.split_once(" · ") {
        Some((head, rest)) if crate::learn::parse_tab_label(head).is_some() => rest.to_owned(),
        _ => title,
    };
    document.set_title(&format!("{label} · {bare}"));
}

/// Marks the elements `data-testid="{testid}"` as the ones a walkthrough step points at (and
/// unmarks every other); `None` unmarks all.
pub fn highlight(testid: Option<&str>) {
    const CLASS: &str = "guide-highlight";
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(marked) = document.query_selector_all(&format!(".{CLASS}")) {
        for at in 0..marked.length() {
            if let Some(element) =
                marked.item(at).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
            {
                let _ = element.class_list().remove_1(CLASS);
            }
        }
    }
    let Some(testid) = testid.filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) else {
        return;
    };
    if let Ok(Some(element)) = document.query_selector(&format!("[data-testid=\"{testid}\"]")) {
        let _ = element.class_list().add_1(CLASS);
    }
}

/// Opens `href` in a new tab of this window (`noopener`: the tabs talk through the mechanism, not
/// through a handle on each other).
pub fn open_tab(href: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target_and_features(href, "_blank", "noopener");
    }
}
