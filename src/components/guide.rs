//! The walkthrough's guide beside a mechanism's lesson: which chapter this is, its steps (each
//! ticked when the page saw it happen), what to do now and what to see, the part of the page to
//! look at, a second tab where a step needs one, and the previous and next chapters. It can be
//! folded away; opening a route directly works as it always did.
//!
//! QA hooks: `guide` (`data-chapter`, `data-open`), `step` (`data-step`, `data-state` todo, doing
//! or done), `guide-prev`, `guide-next`, `guide-toggle`, `guide-open-tab`, `tab-label`.

use yew::prelude::*;
use yew_router::prelude::Link;

use crate::catalog::{chapter, chapters, Route};
use crate::hooks::use_progress;
use crate::i18n::{use_i18n, Hole, Text};
use crate::learn::{next_tab_label, StepState};
use crate::page_query;
use crate::transport::page_life;

#[derive(Properties, PartialEq)]
pub struct GuideProps {
    /// The mechanism's slug: its chapter.
    pub slug: AttrValue,
}

#[component]
pub fn Guide(props: &GuideProps) -> Html {
    let i18n = use_i18n();
    let progress = use_progress();
    let open = use_state(|| true);
    let label = use_memo((), |_| page_query::tab_label());
    {
        let label = label.clone();
        use_effect_with((), move |_| page_life::label_title(&label));
    }
    let found = chapter(&props.slug);
    let doing = found.and_then(|(_, chapter)| {
        let states = progress.states(chapter.mechanism.slug, chapter.steps);
        chapter.steps.iter().zip(states).find(|(_, s)| *s == StepState::Doing).map(|(step, _)| *step)
    });
    {
        let target = doing.filter(|_| *open).map(|step| step.highlight);
        use_effect_with(target, move |target| {
            page_life::highlight(*target);
            || page_life::highlight(None)
        });
    }
    let Some((at, chapter)) = found else { return Html::default() };
    let all: Vec<_> = chapters().collect();
    let route_of = |n: Option<usize>| n.and_then(|n| all.get(n)).map(|c| c.page.route.clone());
    let (prev, next) = (route_of(at.checked_sub(1)), route_of(Some(at + 1)));
    let slug = chapter.mechanism.slug;
    let states = progress.states(slug, chapter.steps);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let tab = html! { <strong class="tab-label" data-testid="tab-label">{i18n.phrase(Text::GuideTab, &[Hole::new("", html! { {(*label).clone()} })])}</strong> };
    if !*open {
        return html! {
            <aside class="panel guide folded" data-testid="guide" data-chapter={slug} data-open="no">
                {tab}
                <button data-testid="guide-toggle" onclick={toggle}>{i18n.t(Text::GuideShow)}</button>
            </aside>
        };
    }
    let open_tab = {
        let next_label = next_tab_label(&label);
        Callback::from(move |_: MouseEvent| {
            let href = page_query::href_with(&[("tab", Some(next_label.as_str()))]);
            page_life::open_tab(&href);
        })
    };
    let next_label = next_tab_label(&label);
    let chapter_done = states.iter().all(|s| *s == StepState::Done);
    html! {
        <aside class="panel guide" data-testid="guide" data-chapter={slug} data-open="yes" aria-label={i18n.t(Text::LearnTitle).to_owned()}>
            <header class="guide-head">
                <span>{i18n.phrase(Text::GuideTitle, &[Hole::new(at + 1, html! { {at + 1} }), Hole::new(all.len(), html! { {all.len()} })])}</span>
                {tab}
                <button class="guide-toggle" data-testid="guide-toggle" onclick={toggle}>{i18n.t(Text::GuideHide)}</button>
            </header>
            <ol class="guide-steps">
                {for chapter.steps.iter().zip(states).map(|(step, state)| html! {
                    <li class={classes!("guide-step", state.as_attr())} data-testid="step" data-step={step.id} data-state={state.as_attr()}>
                        <span class="guide-mark" aria-hidden="true">{if state == StepState::Done { "✓" } else { "○" }}</span>
                        <span class="guide-task">{i18n.t(step.task)}</span>
                        if state == StepState::Doing {
                            <p class="guide-see">{i18n.t(Text::GuideSee)}{i18n.t(step.see)}</p>
                            if step.two_tabs {
                                <button data-testid="guide-open-tab" onclick={open_tab.clone()}>
                                    {i18n.phrase(Text::GuideOpenTab, &[Hole::new("", html! { {next_label.clone()} })])}
                                </button>
                            }
                        }
                    </li>
                })}
            </ol>
            if chapter_done {
                <p class="guide-done">{i18n.t(Text::GuideDone)}</p>
            }
            <div class="guide-nav">
                {chapter_link(prev, "guide-prev", i18n.t(Text::GuidePrev))}
                <Link<Route> to={Route::Learn}>{i18n.t(Text::GuideAll)}</Link<Route>>
                {chapter_link(next, "guide-next", i18n.t(Text::GuideNext))}
            </div>
        </aside>
    }
}

/// A link to another chapter, or nothing at either end of the walkthrough.
fn chapter_link(to: Option<Route>, testid: &'static str, words: &str) -> Html {
    match to {
        Some(route) => html! {
            <span data-testid={testid}><Link<Route> to={route}>{words.to_owned()}</Link<Route>></span>
        },
        None => Html::default(),
    }
}
