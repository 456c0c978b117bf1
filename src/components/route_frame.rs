//! The top of every route: its title and the one paragraph that says what it shows — for a
//! mechanism, both from its lesson in the chosen language, with the rest of the lesson below the
//! route's own controls, and, where this page lacks the API the mechanism needs, why
//! ([`MissingApi`]).

use yew::prelude::*;

use super::guide::Guide;
use super::lesson::{rich, Lesson};
use super::missing_api::MissingApi;
use crate::i18n::use_i18n;

#[derive(Properties, PartialEq)]
pub struct RouteFrameProps {
    /// A mechanism's catalog slug: its name is the title, its lesson the lead and the panel below.
    #[prop_or_default]
    pub lesson: Option<AttrValue>,
    /// The title of a page that is not a mechanism.
    #[prop_or_default]
    pub title: AttrValue,
    #[prop_or_default]
    pub lead: Html,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn RouteFrame(props: &RouteFrameProps) -> Html {
    let i18n = use_i18n();
    let Some(slug) = props.lesson.clone() else {
        return html! {
            <>
                <h1>{props.title.clone()}</h1>
                <p class="lead">{props.lead.clone()}</p>
                {props.children.clone()}
            </>
        };
    };
    let words = crate::catalog::mechanism_page(&slug).and_then(|page| page.words());
    let title = words.map_or(slug.to_string(), |(name, _)| i18n.t(name).to_owned());
    html! {
        <>
            <h1>{title}</h1>
            <p class="lead" data-testid="lesson-lead">{rich(i18n.lesson(&slug, "lead"))}</p>
            // The guide reads this browser's progress and this tab's address: not in the pages the
            // build prerenders natively (the app adds it as it takes over).
            if cfg!(target_family = "wasm") {
                <Missing slug={slug.clone()} />
                <Guide slug={slug.clone()} />
            }
            {props.children.clone()}
            <Lesson slug={slug} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MissingProps {
    slug: AttrValue,
}

/// The mechanism's API, if this page does not have it: read once, as the route starts.
#[component]
fn Missing(props: &MissingProps) -> Html {
    let needs =
        crosstalk_protocol::catalog::MECHANISMS.iter().find(|m| m.slug == props.slug).map(|m| m.needs);
    let missing = use_memo(needs, |needs| needs.and_then(|n| crate::transport::missing::missing(&n)));
    match (needs, *missing) {
        (Some(needs), Some(missing)) => html! { <MissingApi needs={needs} missing={missing} /> },
        _ => Html::default(),
    }
}
