//! The raw composer: any text at all — malformed JSON, a forged envelope, a wrong kind — sent as
//! it is on the route's own channel, so every rejection path can be watched from the page. QA
//! hooks `raw-input` and `raw-send`.

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

/// What the box holds at first: JSON that is not an envelope (no `v`, no `seq`).
const EXAMPLE: &str = r#"{"kind":"text","body":{"text":"no envelope around me"}}"#;

#[derive(Properties, PartialEq)]
pub struct RawComposerProps {
    /// Sends the text exactly as typed.
    pub on_send: Callback<String>,
}

#[component]
pub fn RawComposer(props: &RawComposerProps) -> Html {
    let i18n = use_i18n();
    let input = use_node_ref();
    let on_click = {
        let (input, on_send) = (input.clone(), props.on_send.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(field) = input.cast::<HtmlTextAreaElement>() {
                on_send.emit(field.value());
            }
        })
    };
    html! {
        <div class="raw-composer">
            <label for="raw-input">{i18n.t(Text::UiRawLabel)}</label>
            <textarea id="raw-input" data-testid="raw-input" ref={input} rows="3" spellcheck="false" defaultvalue={EXAMPLE} />
            <button data-testid="raw-send" onclick={on_click}>{i18n.t(Text::UiRawSend)}</button>
        </div>
    }
}
