//! The compose box: a text input and a Send button (Enter sends too). QA hooks `message-input`
//! and `send`.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

#[derive(Properties, PartialEq)]
pub struct ComposeProps {
    pub placeholder: AttrValue,
    /// Sends the text; true when it went, which empties the input (a refused text stays to fix).
    pub on_send: Callback<String, bool>,
}

#[component]
pub fn Compose(props: &ComposeProps) -> Html {
    let input = use_node_ref();
    let i18n = use_i18n();
    let send = {
        let (input, on_send) = (input.clone(), props.on_send.clone());
        Callback::from(move |()| {
            let Some(field) = input.cast::<HtmlInputElement>() else { return };
            if on_send.emit(field.value()) {
                field.set_value("");
            }
        })
    };
    let on_click = send.reform(|_: MouseEvent| ());
    let on_keydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            send.emit(());
        }
    });
    html! {
        <div class="panel compose">
            <input data-testid="message-input" ref={input} type="text" placeholder={props.placeholder.clone()}
                   aria-label={props.placeholder.clone()} onkeydown={on_keydown} />
            <button data-testid="send" class="primary" onclick={on_click}>{i18n.t(Text::UiSend)}</button>
        </div>
    }
}
