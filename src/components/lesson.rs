//! A mechanism's lesson: when to use it, what it cannot do, its pitfalls and browser support, in
//! the chosen language, then the route's essential code as the build took it from the source.
//!
//! QA hooks: `lesson` (with `data-lesson`, the mechanism's slug), `lesson-pitfall` (one per
//! pitfall), `lesson-code` (one per source region, with `data-file`).

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};
use crate::lesson_code::regions_of;

/// Text with `backticked` spans shown as code; everything else as text (escaped by Yew).
pub fn rich(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(at, piece)| {
            if at % 2 == 1 {
                html! { <code>{piece.to_owned()}</code> }
            } else {
                html! { {piece.to_owned()} }
            }
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    /// The mechanism's catalog slug.
    pub slug: AttrValue,
}

#[component]
pub fn Lesson(props: &LessonProps) -> Html {
    let i18n = use_i18n();
    let slug = props.slug.as_str();
    let part = |heading: Text, part: &str| {
        html! {
            <section class="lesson-part" data-part={part.to_owned()}>
                <h3>{i18n.t(heading)}</h3>
                <p>{rich(i18n.lesson(slug, part))}</p>
            </section>
        }
    };
    html! {
        <details class="panel lesson" data-testid="lesson" data-lesson={props.slug.clone()} open=true>
            <summary>{i18n.t(Text::LessonHeading)}</summary>
            {part(Text::LessonWhen, "when")}
            {part(Text::LessonCannot, "cannot")}
            <section class="lesson-part" data-part="pitfalls">
                <h3>{i18n.t(Text::LessonPitfalls)}</h3>
                <ul>
                    {for i18n.lesson(slug, "pitfalls").lines().filter(|l| !l.trim().is_empty()).map(|pitfall| html! {
                        <li data-testid="lesson-pitfall">{rich(pitfall)}</li>
                    })}
                </ul>
            </section>
            {part(Text::LessonSupport, "support")}
            <section class="lesson-part" data-part="code">
                <h3>{i18n.t(Text::LessonCode)}</h3>
                {for regions_of(slug).map(|region| html! {
                    <figure class="lesson-code">
                        <figcaption>{i18n.t(Text::LessonCodeFrom)}{" "}<code>{format!("{}:{}", region.file, region.line)}</code></figcaption>
                        <pre><code data-testid="lesson-code" data-file={region.file}>{region.code}</code></pre>
                    </figure>
                })}
            </section>
        </details>
    }
}
