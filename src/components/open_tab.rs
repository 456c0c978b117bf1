//! "Open another tab": the same route in a new tab of this window, the quickest way to watch
//! tabs talk, labelled as the next tab (B after A). (A new *window* of another profile would not
//! hear this one.)

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};
use crate::learn::next_tab_label;
use crate::page_query;
use crate::transport::page_life;

#[component]
pub fn OpenTab() -> Html {
    let i18n = use_i18n();
    let onclick = Callback::from(|_: MouseEvent| {
        // The same route, labelled as the next tab (`?tab=B`), so the reader can tell them apart.
        let next = next_tab_label(&page_query::tab_label());
        page_life::open_tab(&page_query::href_with(&[("tab", Some(next.as_str()))]));
    });
    html! {
        <button class="open-tab" data-testid="open-tab" {onclick} title={i18n.t(Text::UiOpenTabTitle).to_owned()}>
            {i18n.t(Text::UiOpenTab)}
        </button>
    }
}
