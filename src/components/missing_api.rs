//! What a route cannot work without, when this page does not have it: which API, the real cause
//! (not a secure context, not isolated, not in this browser — never "this browser has no …" when
//! the page is the cause), and how to get it. Every mechanism's route shows it at its top
//! ([`super::route_frame::RouteFrame`]).
//!
//! QA hook: `missing-api`, with `data-reason-code` (`insecure-context`, `not-isolated`,
//! `not-in-browser`) and `data-api`.

use crosstalk_protocol::catalog::{Missing, Needs};
use yew::prelude::*;

use crate::i18n::{use_i18n, Hole, Text};

#[derive(Properties, PartialEq)]
pub struct MissingApiProps {
    pub needs: Needs,
    pub missing: Missing,
}

#[component]
pub fn MissingApi(props: &MissingApiProps) -> Html {
    let i18n = use_i18n();
    let (why, fix) = match props.missing {
        Missing::InsecureContext => (Text::MissingInsecureContext, Text::MissingInsecureContextFix),
        Missing::NotIsolated => (Text::MissingNotIsolated, Text::MissingNotIsolatedFix),
        Missing::NotInBrowser => (Text::MissingNotInBrowser, Text::MissingNotInBrowserFix),
    };
    let api = props.needs.api;
    html! {
        <div class="panel missing-api" role="alert" data-testid="missing-api"
             data-reason-code={props.missing.code().as_str()} data-api={api}>
            <strong>{i18n.phrase(Text::MissingTitle, &[Hole::new(1, html! { <code>{api}</code> })])}</strong>
            <p>{i18n.t(why)}</p>
            <p class="hint">{i18n.t(fix)}</p>
        </div>
    }
}
