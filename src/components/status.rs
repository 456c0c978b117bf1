//! A route's state readout: `data-testid="status"` with a machine-readable `data-state`, a dot
//! whose colour follows the state, and a sentence saying what it means now. Extra readouts and
//! buttons go beside it as children.

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};
use crate::page_query;

#[derive(Properties, PartialEq)]
pub struct StatusPanelProps {
    /// What the readout is about: "Worker", "Channel".
    pub subject: AttrValue,
    /// The `data-state` value, also shown.
    pub state: AttrValue,
    pub detail: AttrValue,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn StatusPanel(props: &StatusPanelProps) -> Html {
    let state = &props.state;
    // Which tab this is, for a reader with several open (`?tab=B`; the guide's `tab-label` too).
    let tab = use_memo((), |_| page_query::tab_label());
    let i18n = use_i18n();
    html! {
        <div class="panel status-panel">
            <div class={classes!("status", format!("state-{state}"))} data-testid="status" data-state={state.clone()}>
                <span class="tab-letter" title={i18n.t(Text::UiTabLetterTitle).to_owned()}>{(*tab).clone()}</span>
                <span class="status-dot"></span>
                <strong>{format!("{}: ", props.subject)}<code class="state-word">{state.clone()}</code></strong>
                <span class="status-detail" data-testid="status-detail">{props.detail.clone()}</span>
            </div>
            {props.children.clone()}
        </div>
    }
}
