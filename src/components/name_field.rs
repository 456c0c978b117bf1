//! A name the page commits when the user presses Enter or leaves the field (a channel, a room):
//! `change`, not every keystroke. The field is the user's while they edit it — a render (a
//! message arriving) never puts the committed name back mid-word — and shows the committed name
//! again otherwise. An emptied field commits nothing (WebDriver's clear fires `change`, as a
//! user's select-all-and-delete then a click elsewhere does).

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NameFieldProps {
    /// The name committed now: shown whenever the field is not being edited.
    pub value: AttrValue,
    pub on_commit: Callback<String>,
    pub testid: AttrValue,
    pub label: AttrValue,
}

#[component]
pub fn NameField(props: &NameFieldProps) -> Html {
    let field = use_node_ref();
    {
        let field = field.clone();
        use_effect_with(props.value.clone(), move |value| {
            if let Some(input) = field.cast::<HtmlInputElement>() {
                let editing = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .is_some_and(|active| active == **input);
                if !editing {
                    input.set_value(value);
                }
            }
        });
    }
    let on_change = {
        let on_commit = props.on_commit.clone();
        Callback::from(move |e: Event| {
            let name = e.target_unchecked_into::<HtmlInputElement>().value();
            if !name.trim().is_empty() {
                on_commit.emit(name);
            }
        })
    };
    html! {
        <input data-testid={props.testid.clone()} type="text" ref={field} onchange={on_change}
               aria-label={props.label.clone()} />
    }
}
