//! Fault injection on the messages this page sends: none, drop, duplicate, reorder or delay, for
//! watching the other side flag the gap, the repeat, the message out of order. QA hook: `fault` (a
//! select of `none|drop|duplicate|reorder|delay`).

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

use crate::fault::Fault;

#[derive(Properties, PartialEq)]
pub struct FaultPickerProps {
    pub value: Fault,
    pub on_change: Callback<Fault>,
}

#[component]
pub fn FaultPicker(props: &FaultPickerProps) -> Html {
    let i18n = use_i18n();
    let on_change = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: Event| {
            let word = e.target_unchecked_into::<HtmlSelectElement>().value();
            on_change.emit(Fault::parse(&word).unwrap_or_default());
        })
    };
    html! {
        <label class="fault-picker">
            {i18n.t(Text::UiFaultLead)}
            <select data-testid="fault" onchange={on_change} aria-label={i18n.t(Text::UiFaultLabel).to_owned()}>
                { for Fault::ALL.into_iter().map(|fault| html! {
                    <option value={fault.as_attr()} selected={fault == props.value}>
                        {i18n.t(match fault {
                            Fault::None => Text::FaultNone,
                            Fault::Drop => Text::FaultDrop,
                            Fault::Duplicate => Text::FaultDuplicate,
                            Fault::Reorder => Text::FaultReorder,
                            Fault::Delay => Text::FaultDelay,
                        })}
                    </option>
                }) }
            </select>
        </label>
    }
}
