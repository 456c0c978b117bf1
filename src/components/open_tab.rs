//! "Open another tab": the same route in a new tab of this window, the quickest way to watch
//! tabs talk. (A new *window* of another profile would not hear this one.)

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

#[component]
pub fn OpenTab() -> Html {
    let i18n = use_i18n();
    let onclick = Callback::from(|_: MouseEvent| {
        if let Some(window) = web_sys::window() {
            let here = window.location().href().unwrap_or_default();
            // noopener: the new tab needs no handle on this one; they talk through the mechanism.
            let _ = window.open_with_url_and_target_and_features(&here, "_blank", "noopener");
        }
    });
    html! {
        <button class="open-tab" data-testid="open-tab" {onclick} title="Open this page in another tab of this window">
            {i18n.t(Text::UiOpenTab)}
        </button>
    }
}
