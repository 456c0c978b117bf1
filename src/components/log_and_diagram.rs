//! The two columns every route ends with: its message log, and beside it the sequence diagram
//! followed by the route's own panels (fault injection, explanations).

use yew::prelude::*;

use crate::components::message_log::{LogView, MessageLog};
use crate::components::sequence_diagram::{Diagram, SequenceDiagram};

#[derive(Properties, PartialEq)]
pub struct LogAndDiagramProps {
    pub log: LogView,
    #[prop_or_default]
    pub on_clear: Option<Callback<()>>,
    pub diagram: Diagram,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn LogAndDiagram(props: &LogAndDiagramProps) -> Html {
    html! {
        <div class="columns">
            <MessageLog log={props.log.clone()} on_clear={props.on_clear.clone()} />
            <aside class="side">
                <SequenceDiagram diagram={props.diagram} log={props.log.clone()} />
                {props.children.clone()}
            </aside>
        </div>
    }
}
