//! A key and a value to write, with the route's buttons beside them. QA hooks `key-input`,
//! `value-input`, and each button's own.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

/// One button of the form: what it is called and what it does with (key, value).
#[derive(Clone, PartialEq)]
pub struct FormButton {
    pub testid: &'static str,
    pub label: &'static str,
    pub primary: bool,
    pub title: Option<Text>,
    pub on_press: Callback<(String, String)>,
}

/// The words of the buttons the routes use, by their QA hook, in the chosen language.
fn label_of(testid: &str) -> Option<Text> {
    Some(match testid {
        "set" => Text::FormSet,
        "get" => Text::FormGet,
        "remove" => Text::FormRemove,
        "clear" => Text::FormClear,
        "fill-quota" => Text::FormFillQuota,
        "stale-transaction" => Text::FormStaleTransaction,
        _ => return None,
    })
}

#[derive(Properties, PartialEq)]
pub struct KeyValueFormProps {
    #[prop_or_default]
    pub key_placeholder: AttrValue,
    #[prop_or_default]
    pub value_placeholder: AttrValue,
    pub buttons: Vec<FormButton>,
}

#[component]
pub fn KeyValueForm(props: &KeyValueFormProps) -> Html {
    let i18n = use_i18n();
    let (key_input, value_input) = (use_node_ref(), use_node_ref());
    let read = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
    html! {
        <div class="panel store-form">
            <label>{i18n.t(Text::UiKey)}<input data-testid="key-input" ref={key_input.clone()} type="text"
                placeholder={props.key_placeholder.clone()} /></label>
            <label>{i18n.t(Text::UiValue)}<input data-testid="value-input" ref={value_input.clone()} type="text"
                placeholder={props.value_placeholder.clone()} /></label>
            { for props.buttons.iter().map(|button| {
                let (key_input, value_input, on_press) = (key_input.clone(), value_input.clone(), button.on_press.clone());
                let onclick = Callback::from(move |_: MouseEvent| on_press.emit((read(&key_input), read(&value_input))));
                html! {
                    <button data-testid={button.testid} class={classes!(button.primary.then_some("primary"))}
                            title={button.title.map(|t| i18n.t(t).to_owned())} {onclick}>{label_of(button.testid).map_or(button.label, |t| i18n.t(t))}</button>
                }
            }) }
        </div>
    }
}
