//! The message log every route shows: newest last, bounded, each entry with direction, sequence
//! number, time, kind, sender, payload and — when refused — the reason. Everything is rendered as
//! text (Yew escapes it), so a message that looks like HTML stays a string.
//!
//! QA hooks: `data-testid="log-export"` downloads the kept entries as JSON
//! ([`log_json`](crate::log_export::log_json)); `data-testid="log"` on the list, `data-testid="log-entry"` on each entry with
//! `data-dir="in|out|system"`, `data-status="ok|rejected"`, `data-kind`, `data-seq` and, when
//! rejected, `data-reason-code`.
//!
//! The log is never copied to be shown: the component reads the route's ring in place, and a
//! [`LogView`] says by its version whether anything changed since the last frame.

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::clock::{clock_time, now_ms};
use crate::download::download_json;
use crate::i18n::{use_i18n, Text};
use crate::log::{Direction, Status};
use crate::log_export::{file_name, log_json};
pub use crate::log_view::LogView;

#[derive(Properties, Clone, PartialEq)]
pub struct MessageLogProps {
    pub log: LogView,
    /// Clears the log when given (a "Clear" button appears).
    #[prop_or_default]
    pub on_clear: Option<Callback<()>>,
}

#[component]
pub fn MessageLog(props: &MessageLogProps) -> Html {
    let list = use_node_ref();
    let book = props.log.book();
    let i18n = use_i18n();
    {
        // Keep the newest entry in view as entries arrive.
        let list = list.clone();
        let newest = book.entries().last().map(|l| l.id);
        use_effect_with(newest, move |_| {
            if let Some(list) = list.cast::<HtmlElement>() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    }

    let export = {
        let log = props.log.clone();
        Callback::from(move |_: MouseEvent| {
            let route = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
            let now = now_ms();
            let json = log_json(&log.book(), &route, now);
            let _ = download_json(&file_name(&route, now), &json);
        })
    };
    let clear_words = i18n.t(Text::UiLogClear).to_owned();
    let clear = props.on_clear.clone().map(|on_clear| {
        html! {
            <button class="link-button" data-testid="log-clear" onclick={move |_| on_clear.emit(())}>
                {clear_words}
            </button>
        }
    });

    html! {
        <section class="log" aria-label={i18n.t(Text::UiLogTitle).to_owned()}>
            <header class="log-head">
                <h2>{i18n.t(Text::UiLogTitle)}</h2>
                <span class="log-count">{format!("{} / {}", book.len(), book.capacity())}</span>
                <button class="link-button" data-testid="log-export" title={i18n.t(Text::UiLogExportTitle).to_owned()} onclick={export}>
                    {i18n.t(Text::UiLogExport)}
                </button>
                {clear}
            </header>
            if book.dropped() > 0 {
                <p class="log-dropped" data-testid="log-dropped">
                    {i18n.said(&crate::said!(OlderDropped, book.dropped()))}
                </p>
            }
            <ol class="log-list" data-testid="log" ref={list}>
                { for book.entries().map(|logged| {
                    let e = &logged.entry;
                    let (arrow, dir_label) = match e.dir {
                        Direction::In => ("←", "in"),
                        Direction::Out => ("→", "out"),
                        Direction::System => ("•", "system"),
                    };
                    let reason = match &e.status {
                        Status::Ok => None,
                        Status::Rejected(reason) => Some(html! {
                            <span class="log-reason" data-testid="log-reason">
                                // The code's words in the chosen language, then the detail as it was said.
                                {format!("{}: {} — {reason}", i18n.t(Text::LogRejected), i18n.reason(reason.code))}
                            </span>
                        }),
                    };
                    html! {
                        <li key={logged.id}
                            class={classes!("log-entry", format!("dir-{}", e.dir.as_attr()), format!("status-{}", e.status.as_attr()))}
                            data-testid="log-entry"
                            data-dir={e.dir.as_attr()}
                            data-status={e.status.as_attr()}
                            data-kind={e.kind.clone()}
                            data-seq={e.seq.map(|s| s.to_string())}
                            data-at={format!("{:.1}", e.at_ms)}
                            data-reason-code={e.status.code()}>
                            <span class="log-dir" title={dir_label}>{arrow}</span>
                            <time class="log-time">{clock_time(e.at_ms)}</time>
                            <span class="log-seq">{e.seq.map(|s| format!("#{s}")).unwrap_or_default()}</span>
                            <span class="log-kind">{&e.kind}</span>
                            <span class="log-from">{e.from.clone().unwrap_or_default()}</span>
                            <span class="log-payload" data-testid="log-payload">{e.said.as_ref().map_or_else(|| e.payload.text(), |said| i18n.said(said))}</span>
                            {reason}
                        </li>
                    }
                }) }
            </ol>
            if book.is_empty() {
                <p class="log-empty">{i18n.t(Text::UiLogEmpty)}</p>
            }
        </section>
    }
}
