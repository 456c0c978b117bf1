//! The top of every route: its title and the one paragraph that says what it shows.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RouteFrameProps {
    pub title: AttrValue,
    pub lead: Html,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn RouteFrame(props: &RouteFrameProps) -> Html {
    html! {
        <>
            <h1>{props.title.clone()}</h1>
            <p class="lead">{props.lead.clone()}</p>
            {props.children.clone()}
        </>
    }
}
