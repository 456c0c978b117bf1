//! `/worker-port`: the page transfers a MessageChannel port into a dedicated wasm worker and they
//! talk over it. State: `state/worker_port.rs`; transport: `transport/worker_port.rs`; worker:
//! `workers/echo_worker.rs`.

use yew::prelude::*;

use crate::i18n::{use_i18n, Text};

use crate::components::compose::Compose;
use crate::components::log_and_diagram::LogAndDiagram;
use crate::components::raw_composer::RawComposer;
use crate::components::route_frame::RouteFrame;
use crate::components::status::StatusPanel;
use crate::hooks::{use_route, Slot};
use crate::state::told::Own;
use crate::state::worker_port::{state_attr, state_detail, Action, WorkerPortState, DIAGRAM};
use crate::transport::worker_port::{WorkerPortLink, ECHO_WORKER_URL};
use crate::transport::LinkState;

/// Faults a QA person (or a test) can inject from the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    None,
    /// Start the worker from a file that does not exist.
    MissingWorker,
}

impl Fault {
    const ALL: [Fault; 2] = [Fault::None, Fault::MissingWorker];

    fn value(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::MissingWorker => "missing-worker",
        }
    }

    fn label(self) -> Text {
        match self {
            Fault::None => Text::WorkerPortFaultNone,
            Fault::MissingWorker => Text::WorkerPortFaultMissing,
        }
    }

    fn worker_url(self) -> &'static str {
        match self {
            Fault::None => ECHO_WORKER_URL,
            Fault::MissingWorker => "/missing_worker_loader.js",
        }
    }
}

type PortSlot = Slot<WorkerPortLink>;

/// What a refusal says when no worker runs.
const NO_WORKER: &str = "no worker is running";

#[component]
pub fn WorkerPortPage() -> Html {
    let i18n = use_i18n();
    let route = use_route::<WorkerPortState>();
    let port: PortSlot = use_mut_ref(|| None);
    let generation = use_state(|| 0u32);
    let fault = use_state(|| Fault::None);

    {
        let (port, route) = (port.clone(), route.clone());
        use_effect_with((*generation, *fault), move |&(_, fault)| {
            match WorkerPortLink::spawn(fault.worker_url(), route.events(Action::Transport)) {
                Ok(spawned) => *port.borrow_mut() = Some(spawned),
                Err(reason) => route.dispatch(Action::Transport(Own::State(LinkState::Failed(format!(
                    "could not create the worker: {reason}"
                ))))),
            }
            // Dropping terminates the worker and removes every listener.
            move || drop(port.borrow_mut().take())
        });
    }

    let on_send = {
        let (port, route) = (port.clone(), route.clone());
        Callback::from(move |text: String| route.through(&port, NO_WORKER, &text, |p| p.send(&text)))
    };
    let on_raw = route.press_with(&port, NO_WORKER, "raw message", |p, raw: &String| p.send_raw(raw));
    let on_send_malformed =
        route.press(&port, NO_WORKER, "malformed message", |p| p.send_raw("this is not an envelope"));
    let on_terminate = {
        let port = port.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(port) = port.borrow().as_ref() {
                port.terminate();
            }
        })
    };
    let on_restart = {
        let (generation, route) = (generation.clone(), route.clone());
        Callback::from(move |_: MouseEvent| {
            route.dispatch(Action::Restarting);
            generation.set(*generation + 1);
        })
    };
    let on_fault = {
        let (fault, route) = (fault.clone(), route.clone());
        Callback::from(move |e: web_sys::Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let chosen = Fault::ALL.into_iter().find(|f| f.value() == value).unwrap_or(Fault::None);
            route.dispatch(Action::Restarting);
            fault.set(chosen);
        })
    };

    let state = route.state();
    let link = &state.link;
    html! {
        <RouteFrame lesson="worker-port">
            <StatusPanel subject={i18n.t(Text::SubjectWorker).to_owned()} state={state_attr(link)} detail={i18n.said(&state_detail(link))}>
                if let Some(ms) = state.last_round_trip_ms {
                    <span class="metric" data-testid="round-trip">{format!("last round trip {ms:.1} ms")}</span>
                }
                <div class="buttons">
                    <button data-testid="terminate" onclick={on_terminate}
                            disabled={matches!(link, LinkState::Closed | LinkState::Failed(_))}>{i18n.t(Text::WorkerPortTerminate)}</button>
                    <button data-testid="restart" onclick={on_restart}>{i18n.t(Text::WorkerPortRestart)}</button>
                </div>
            </StatusPanel>
            <Compose placeholder={i18n.t(Text::PlaceholderWorker).to_owned()} on_send={on_send} />
            <LogAndDiagram log={route.log_view()} on_clear={route.clear_log()} diagram={DIAGRAM}>
                <details class="panel faults" open=true>
                    <summary>{i18n.t(Text::CommonFaultInjection)}</summary>
                    <label>
                        {i18n.t(Text::WorkerPortStartLabel)}
                        <select data-testid="fault" onchange={on_fault}>
                            { for Fault::ALL.into_iter().map(|f| html! {
                                <option value={f.value()} selected={*fault == f}>{i18n.t(f.label())}</option>
                            }) }
                        </select>
                    </label>
                    <button data-testid="send-malformed" onclick={on_send_malformed}>{i18n.t(Text::CommonSendMalformed)}</button>
                    <RawComposer on_send={on_raw} />
                </details>
                <details class="panel explain">
                    <summary>{i18n.t(Text::WorkerPortExplainTitle)}</summary>
                    <p>{i18n.t(Text::WorkerPortExplainReady)}</p>
                    <p>{i18n.t(Text::WorkerPortExplainTransfer)}</p>
                </details>
            </LogAndDiagram>
        </RouteFrame>
    }
}
