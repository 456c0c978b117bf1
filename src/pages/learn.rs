//! `/learn`: the walkthrough's start. Every mechanism is a chapter, in an order that builds (one
//! context, then many; one origin, then two; then machines), each with steps that tick themselves
//! as the route sees them happen. Progress is kept in this browser and can be started over.
//!
//! QA hooks: `learn-progress` (`data-done`, `data-all`), `learn-reset`, one `chapter` per
//! mechanism (`data-chapter`), and in each one `step` per step (`data-step`, `data-state`); a
//! chapter that cannot work for this reader (its API is missing here) carries
//! `chapter-missing` with the cause's `data-reason-code`.

use yew::prelude::*;
use yew_router::prelude::Link;

use crate::catalog::{chapters, Route};
use crate::components::route_frame::RouteFrame;
use crate::hooks::use_progress;
use crate::i18n::{use_i18n, Hole, Text};
use crate::transport::learn_store;

#[component]
pub fn LearnPage() -> Html {
    let i18n = use_i18n();
    let progress = use_progress();
    let chapters: Vec<_> = chapters().collect();
    let (done, all) = progress.count(chapters.iter().map(|c| (c.mechanism.slug, c.steps)));
    let reset = Callback::from(|_: MouseEvent| learn_store::reset());
    // Which chapters cannot work for this reader, and why: read once (never in the prerender).
    let missing = use_memo((), |_| {
        crate::catalog::chapters()
            .map(|c| match cfg!(target_family = "wasm") {
                true => crate::transport::missing::missing_from_here(&c.mechanism.needs),
                false => None,
            })
            .collect::<Vec<_>>()
    });
    html! {
        <RouteFrame title={i18n.t(Text::LearnTitle).to_owned()} lead={html! { {i18n.t(Text::LearnLead)} }}>
            <div class="panel learn-progress">
                <progress data-testid="learn-progress" data-done={done.to_string()} data-all={all.to_string()}
                          max={all.to_string()} value={done.to_string()} aria-label={i18n.t(Text::LearnTitle).to_owned()}></progress>
                <span>{i18n.phrase(Text::LearnProgress, &[Hole::new(done, html! { {done} }), Hole::new(all, html! { {all} })])}</span>
                <button data-testid="learn-reset" onclick={reset} disabled={done == 0}>{i18n.t(Text::LearnReset)}</button>
                <p class="hint">{i18n.t(Text::LearnSaved)}</p>
            </div>
            <ol class="chapters">
                {for chapters.iter().enumerate().map(|(at, chapter)| {
                    let slug = chapter.mechanism.slug;
                    let states = progress.states(slug, chapter.steps);
                    let cannot = missing.get(at).copied().flatten();
                    html! {
                        <li class={classes!("panel", "chapter", cannot.is_some().then_some("chapter-cannot"))} data-testid="chapter" data-chapter={slug}>
                            <h2>
                                {i18n.phrase(Text::LearnChapter, &[Hole::new(at + 1, html! { {at + 1} })])}{" · "}
                                <Link<Route> to={chapter.page.route.clone()}>{i18n.t(chapter.name)}</Link<Route>>
                            </h2>
                            if let Some(cause) = cannot {
                                <p class="chapter-missing" data-testid="chapter-missing" data-reason-code={cause.code().as_str()}>
                                    {i18n.phrase(Text::LearnCannotHere, &[Hole::new(1, html! { {i18n.reason(cause.code())} })])}
                                </p>
                            }
                            <ol class="guide-steps">
                                {for chapter.steps.iter().zip(states).map(|(step, state)| html! {
                                    <li class={classes!("guide-step", state.as_attr())} data-testid="step" data-step={step.id} data-state={state.as_attr()}>
                                        <span class="guide-mark" aria-hidden="true">{if state.as_attr() == "done" { "✓" } else { "○" }}</span>
                                        <span class="guide-task">{i18n.t(step.task)}</span>
                                    </li>
                                })}
                            </ol>
                        </li>
                    }
                })}
            </ol>
        </RouteFrame>
    }
}
