//! The message log every route shows: newest last, bounded, each entry with direction, sequence
//! number, time, kind, sender, payload and — when refused — the reason. Everything is rendered as
//! text (Yew escapes it), so a message that looks like HTML stays a string.
//!
//! QA hooks: `data-testid="log"` on the list, `data-testid="log-entry"` on each entry with
//! `data-dir="in|out|system"`, `data-status="ok|rejected"`, `data-kind` and `data-seq`.

use std::rc::Rc;

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::clock::clock_time;
use crate::log::{Direction, LogBook, Status};

#[derive(Properties, Clone)]
pub struct MessageLogProps {
    pub book: Rc<LogBook>,
    /// Clears the log when given (a "Clear" button appears).
    #[prop_or_default]
    pub on_clear: Option<Callback<()>>,
}

impl PartialEq for MessageLogProps {
    fn eq(&self, other: &Self) -> bool {
        // A changed log is always a new Rc (the owner copies on write), so identity is enough.
        Rc::ptr_eq(&self.book, &other.book) && self.on_clear == other.on_clear
    }
}

#[component]
pub fn MessageLog(props: &MessageLogProps) -> Html {
    let list = use_node_ref();
    let book = &props.book;
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

    let clear = props.on_clear.clone().map(|on_clear| {
        html! {
            <button class="link-button" data-testid="log-clear" onclick={move |_| on_clear.emit(())}>
                {"Clear"}
            </button>
        }
    });

    html! {
        <section class="log" aria-label="Message log">
            <header class="log-head">
                <h2>{"Message log"}</h2>
                <span class="log-count">{format!("{} / {}", book.len(), book.capacity())}</span>
                {clear}
            </header>
            if book.dropped() > 0 {
                <p class="log-dropped" data-testid="log-dropped">
                    {format!("{} older entries dropped", book.dropped())}
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
                            <span class="log-reason" data-testid="log-reason">{format!("rejected: {reason}")}</span>
                        }),
                    };
                    html! {
                        <li key={logged.id}
                            class={classes!("log-entry", format!("dir-{}", e.dir.as_attr()), format!("status-{}", e.status.as_attr()))}
                            data-testid="log-entry"
                            data-dir={e.dir.as_attr()}
                            data-status={e.status.as_attr()}
                            data-kind={e.kind.clone()}
                            data-seq={e.seq.map(|s| s.to_string())}>
                            <span class="log-dir" title={dir_label}>{arrow}</span>
                            <time class="log-time">{clock_time(e.at_ms)}</time>
                            <span class="log-seq">{e.seq.map(|s| format!("#{s}")).unwrap_or_default()}</span>
                            <span class="log-kind">{&e.kind}</span>
                            <span class="log-from">{e.from.clone().unwrap_or_default()}</span>
                            <span class="log-payload" data-testid="log-payload">{&e.payload}</span>
                            {reason}
                        </li>
                    }
                }) }
            </ol>
            if book.is_empty() {
                <p class="log-empty">{"Nothing yet."}</p>
            }
        </section>
    }
}
