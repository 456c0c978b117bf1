//! `/storage`: a localStorage write fires a `storage` event in every *other* tab of the origin
//! (key, old value, new value, url), never in the tab that wrote — and the workaround for that.
//! Transport: `transport::storage`.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::clock::now_ms;
use crate::components::message_log::MessageLog;
use crate::components::open_tab::OpenTab;
use crate::components::sequence_diagram::{SequenceDiagram, Step};
use crate::components::status::StatusPanel;
use crate::log::{Direction, Entry, LogBook, Status};
use crate::protocol::preview;
use crate::protocol::storage::Stored;
use crate::transport::storage::{QuotaReport, StorageDemo, StorageNotice};

#[derive(Clone, PartialEq)]
pub struct PageState {
    pub log: Rc<LogBook>,
    /// The demo keys as last read, with what they hold.
    pub keys: Vec<(String, Stored)>,
    pub error: Option<String>,
    pub failed: Option<String>,
    told_no_event: bool,
}

impl Default for PageState {
    fn default() -> Self {
        PageState {
            log: Rc::new(LogBook::default()),
            keys: Vec::new(),
            error: None,
            failed: None,
            told_no_event: false,
        }
    }
}

pub enum Action {
    Notice(StorageNotice, f64),
    /// This tab wrote (`kind` = set / remove / clear).
    Wrote {
        kind: &'static str,
        what: String,
        at_ms: f64,
    },
    Refused {
        what: String,
        reason: String,
        at_ms: f64,
    },
    Quota(QuotaReport, f64),
    Keys(Vec<(String, Stored)>),
    Failed(String, f64),
    Note(Entry),
    ClearLog,
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let log = Rc::make_mut(&mut next.log);
        match action {
            Action::Notice(notice, at_ms) => log.push(notice_entry(notice, at_ms)),
            Action::Wrote { kind, what, at_ms } => {
                next.error = None;
                log.push(Entry {
                    dir: Direction::Out,
                    seq: None,
                    at_ms,
                    from: None,
                    kind: kind.into(),
                    payload: what,
                    status: Status::Ok,
                });
                if !next.told_no_event {
                    next.told_no_event = true;
                    log.push(Entry::system(
                        "no-event",
                        "the other tabs get a storage event for this write; this tab gets none (turn on \
                         same-tab notifications for the workaround)",
                        at_ms,
                    ));
                }
            }
            Action::Refused { what, reason, at_ms } => {
                log.push(
                    Entry::system("write", format!("not written: {what}"), at_ms).rejected(reason.clone()),
                );
                next.error = Some(reason);
            }
            Action::Quota(report, at_ms) => {
                let mb = report.accepted_chars as f64 / (1024.0 * 1024.0);
                match &report.refusal {
                    Some(refusal) => {
                        log.push(
                            Entry::system(
                                "quota",
                                format!("the browser refused after {mb:.1} M characters"),
                                at_ms,
                            )
                            .rejected(refusal.clone()),
                        );
                        next.error =
                            Some(format!("{refusal} (after {mb:.1} M characters; the filler was removed)"));
                    }
                    None => {
                        log.push(Entry::system(
                            "quota",
                            format!("the browser took {mb:.1} M characters without refusing"),
                            at_ms,
                        ));
                        next.error = None;
                    }
                }
                if report.leftovers > 0 {
                    log.push(Entry::system(
                        "quota",
                        format!("{} filler keys could not be removed", report.leftovers),
                        at_ms,
                    ));
                }
            }
            Action::Keys(keys) => next.keys = keys,
            Action::Failed(reason, at_ms) => {
                log.push(Entry::system("error", reason.clone(), at_ms));
                next.failed = Some(reason);
            }
            Action::Note(entry) => log.push(entry),
            Action::ClearLog => log.clear(),
        }
        Rc::new(next)
    }
}

fn key_label(key: &str) -> String {
    format!("\"{key}\"")
}

/// The log line for one `storage` event.
pub fn notice_entry(notice: StorageNotice, at_ms: f64) -> Entry {
    match notice {
        StorageNotice::Changed { key, old, new, url, same_tab } => {
            let payload = format!("{}: {} → {} · url {}", key_label(&key), old.label(), new.label(), url);
            let status = match (new.error(), old.error()) {
                (Some(error), _) => Status::Rejected(format!("new value: {error}")),
                (None, Some(error)) => Status::Rejected(format!("old value: {error}")),
                (None, None) => Status::Ok,
            };
            let from = match &new {
                Stored::Valid(envelope) => Some(envelope.from.0.clone()),
                _ => None,
            };
            let seq = match &new {
                Stored::Valid(envelope) => Some(envelope.seq),
                _ => None,
            };
            let kind = if same_tab { "same-tab" } else { "storage" };
            Entry { dir: Direction::In, seq, at_ms, from, kind: kind.into(), payload, status }
        }
        StorageNotice::Cleared { url, same_tab } => Entry {
            dir: Direction::In,
            seq: None,
            at_ms,
            from: None,
            kind: if same_tab { "same-tab" } else { "storage" }.into(),
            payload: format!("localStorage.clear() · url {url}"),
            status: Status::Ok,
        },
    }
}

type DemoSlot = Rc<RefCell<Option<StorageDemo>>>;

/// Runs a write, then reports it (or why it failed) and refreshes the table.
fn write(
    demo: &DemoSlot,
    dispatcher: &UseReducerDispatcher<PageState>,
    kind: &'static str,
    what: String,
    op: impl FnOnce(&StorageDemo) -> Result<(), String>,
) {
    let slot = demo.borrow();
    let Some(demo) = slot.as_ref() else { return };
    match op(demo) {
        Ok(()) => dispatcher.dispatch(Action::Wrote { kind, what, at_ms: now_ms() }),
        Err(reason) => dispatcher.dispatch(Action::Refused { what, reason, at_ms: now_ms() }),
    }
    dispatcher.dispatch(Action::Keys(demo.entries()));
}

#[component]
pub fn StoragePage() -> Html {
    let page = use_reducer(PageState::default);
    let demo: DemoSlot = use_mut_ref(|| None);
    let same_tab = use_state(|| false);
    let key_input = use_node_ref();
    let value_input = use_node_ref();

    {
        let (demo, dispatcher) = (demo.clone(), page.dispatcher());
        use_effect_with((), move |_| {
            let events = dispatcher.clone();
            // Reading the table again on every event keeps it true to what storage holds now.
            let slot: DemoSlot = demo.clone();
            let opened = StorageDemo::open(move |notice| {
                events.dispatch(Action::Notice(notice, now_ms()));
                if let Some(demo) = slot.borrow().as_ref() {
                    events.dispatch(Action::Keys(demo.entries()));
                }
            });
            match opened {
                Ok(opened) => {
                    dispatcher.dispatch(Action::Keys(opened.entries()));
                    *demo.borrow_mut() = Some(opened);
                }
                Err(reason) => dispatcher.dispatch(Action::Failed(reason, now_ms())),
            }
            move || {
                demo.borrow_mut().take();
            }
        });
    }

    let input_value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
    let on_set = {
        let (demo, dispatcher, key_input, value_input) =
            (demo.clone(), page.dispatcher(), key_input.clone(), value_input.clone());
        Callback::from(move |_: MouseEvent| {
            let (key, value) = (input_value(&key_input), input_value(&value_input));
            let what = format!("set {} = \"{}\"", key_label(&key), preview(&value, 80));
            write(&demo, &dispatcher, "set", what, |d| d.set(&key, &value));
        })
    };
    let on_remove = {
        let (demo, dispatcher, key_input) = (demo.clone(), page.dispatcher(), key_input.clone());
        Callback::from(move |_: MouseEvent| {
            let key = input_value(&key_input);
            write(&demo, &dispatcher, "remove", format!("remove {}", key_label(&key)), |d| d.remove(&key));
        })
    };
    let on_clear = {
        let (demo, dispatcher) = (demo.clone(), page.dispatcher());
        Callback::from(move |_: MouseEvent| {
            write(&demo, &dispatcher, "clear", "remove every demo key".into(), |d| {
                d.clear_demo().map(|_| ())
            });
        })
    };
    let on_toggle = {
        let (demo, same_tab, dispatcher) = (demo.clone(), same_tab.clone(), page.dispatcher());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            if let Some(demo) = demo.borrow().as_ref() {
                demo.set_same_tab(on);
            }
            same_tab.set(on);
            let text = if on {
                "same-tab notifications on: this tab now dispatches a storage event to itself after each write"
            } else {
                "same-tab notifications off: this tab hears only other tabs' writes"
            };
            dispatcher.dispatch(Action::Note(Entry::system("same-tab", text, now_ms())));
        })
    };
    let on_fill = {
        let (demo, dispatcher) = (demo.clone(), page.dispatcher());
        Callback::from(move |_: MouseEvent| {
            if let Some(demo) = demo.borrow().as_ref() {
                dispatcher.dispatch(Action::Quota(demo.fill_quota(), now_ms()));
                dispatcher.dispatch(Action::Keys(demo.entries()));
            }
        })
    };
    let on_clear_log = {
        let dispatcher = page.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::ClearLog))
    };

    let (state, detail) = match &page.failed {
        Some(reason) => ("error", reason.clone()),
        None => ("listening", "listening for storage events from other tabs".to_owned()),
    };
    let seen =
        |dir: Direction, kind: &str| page.log.entries().any(|l| l.entry.dir == dir && l.entry.kind == kind);
    let steps = vec![
        Step {
            from: 0,
            to: 1,
            label: "setItem / removeItem".into(),
            done: seen(Direction::Out, "set") || seen(Direction::Out, "remove"),
        },
        Step {
            from: 1,
            to: 2,
            label: "storage event → every other tab".into(),
            done: seen(Direction::In, "storage"),
        },
        Step { from: 1, to: 0, label: "(nothing to the writer)".into(), done: false },
        Step {
            from: 0,
            to: 0,
            label: "workaround: dispatch to self".into(),
            done: seen(Direction::In, "same-tab"),
        },
    ];

    html! {
        <>
            <h1>{"Storage events"}</h1>
            <p class="lead">
                {"When a tab writes to localStorage, every other tab of the origin that listens for "}
                <code>{"storage"}</code>{" gets an event with the key, the old value, the new value and the url of \
                  the page that wrote. The tab that wrote gets nothing. Open this page in several tabs and write."}
            </p>
            <StatusPanel subject="Storage" state={state} detail={detail.clone()}>
                <label class="toggle">
                    <input type="checkbox" data-testid="same-tab-toggle" checked={*same_tab} onchange={on_toggle} />
                    {" same-tab notifications (the workaround)"}
                </label>
                <OpenTab />
            </StatusPanel>
            <div class="panel store-form">
                <label>{"Key "}<input data-testid="key-input" ref={key_input} type="text" /></label>
                <label>{"Value "}<input data-testid="value-input" ref={value_input} type="text" /></label>
                <button data-testid="set" class="primary" onclick={on_set}>{"Set"}</button>
                <button data-testid="remove" onclick={on_remove}>{"Remove"}</button>
                <button data-testid="clear" onclick={on_clear}>{"Clear demo keys"}</button>
                <button data-testid="fill-quota" onclick={on_fill}
                        title="Write throwaway data until the browser refuses, then remove it">{"Fill the quota"}</button>
            </div>
            if let Some(error) = &page.error {
                <p class="error" data-testid="error" role="alert">{error.clone()}</p>
            }
            <div class="columns">
                <MessageLog book={page.log.clone()} on_clear={on_clear_log} />
                <aside class="side">
                    <section class="panel">
                        <h2 class="small">{"Demo keys in localStorage"}</h2>
                        <table class="keys" data-testid="keys">
                            <thead><tr><th>{"key"}</th><th>{"value"}</th><th>{"by"}</th></tr></thead>
                            <tbody>
                                { for page.keys.iter().map(|(key, stored)| {
                                    let (value, by, valid) = match stored {
                                        Stored::Valid(envelope) => {
                                            let crate::protocol::storage::StorageMsg::Value { text } = &envelope.body;
                                            (text.clone(), envelope.from.0.clone(), "true")
                                        }
                                        other => (other.label(), other.error().map(|e| e.to_string()).unwrap_or_default(), "false"),
                                    };
                                    html! {
                                        <tr key={key.clone()} data-testid="key-row" data-key={key.clone()} data-valid={valid}>
                                            <td>{key.clone()}</td><td data-testid="key-value">{value}</td><td>{by}</td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                        if page.keys.is_empty() {
                            <p class="hint">{"No demo keys yet."}</p>
                        }
                    </section>
                    <SequenceDiagram title="A write and who hears of it"
                        lanes={vec![AttrValue::from("this tab"), AttrValue::from("localStorage"), AttrValue::from("other tabs")]}
                        steps={steps} />
                    <details class="panel explain">
                        <summary>{"Quirks"}</summary>
                        <p>{"The storage event never fires in the tab that wrote. The workaround dispatches a synthetic \
                             StorageEvent to the writing tab itself; it is marked same-tab in the log (its isTrusted is false)."}</p>
                        <p>{"When storage is full, setItem throws QuotaExceededError; Safari's private mode used to throw it \
                             on every write. Fill the quota to see the error caught: the demo's keys survive and the filler is removed."}</p>
                        <p>{"Values written by anyone else are read like any message from outside: what does not decode is \
                             shown as rejected."}</p>
                    </details>
                </aside>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::storage::StorageMsg;
    use crate::protocol::{DecodeError, Sender, SenderId};

    fn stored(text: &str) -> Stored {
        Stored::Valid(
            Sender::new(SenderId("tab-w".into())).envelope(StorageMsg::Value { text: text.into() }, 0.0),
        )
    }

    #[test]
    fn a_storage_event_shows_key_old_new_and_url() {
        let notice = StorageNotice::Changed {
            key: "k".into(),
            old: stored("a"),
            new: stored("b"),
            url: "http://127.0.0.1:8080/storage".into(),
            same_tab: false,
        };
        let entry = notice_entry(notice, 0.0);
        assert_eq!(entry.payload, "\"k\": \"a\" → \"b\" · url http://127.0.0.1:8080/storage");
        assert_eq!((entry.kind.as_str(), entry.dir, entry.status), ("storage", Direction::In, Status::Ok));
        assert_eq!(entry.from.as_deref(), Some("tab-w"));
    }

    #[test]
    fn same_tab_notifications_are_marked_and_broken_values_rejected() {
        let broken = Stored::Invalid { raw: "{broken".into(), error: DecodeError::NotJson("eof".into()) };
        let notice = StorageNotice::Changed {
            key: "k".into(),
            old: Stored::Absent,
            new: broken,
            url: String::new(),
            same_tab: true,
        };
        let entry = notice_entry(notice, 0.0);
        assert_eq!(entry.kind, "same-tab");
        assert_eq!(entry.status, Status::Rejected("new value: not JSON: eof".into()));
    }
}
