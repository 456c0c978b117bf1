//! `/capabilities`: what this browser can do for each mechanism, found by doing it, one row each
//! with yes or no and what was seen; copy as text, export as JSON.
//!
//! QA hooks: `status` (`checking`, then `done`), `progress`, one `capability` row per probe with
//! `data-capability` (its slug) and `data-supported="yes|no|checking"`, `capabilities-copy`,
//! `capabilities-export`.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::status::StatusPanel;
use crate::download::{copy_text, download_json, user_agent};
use crate::i18n::{use_i18n, Text};
use crate::state::capabilities::{CapabilitiesState, Finding};
use crate::transport::detect::{run_all, Report};

#[component]
pub fn CapabilitiesPage() -> Html {
    let state = use_mut_ref(CapabilitiesState::new);
    let update = use_force_update();
    let copied = use_state(|| None::<bool>);
    let i18n = use_i18n();
    {
        let (state, update) = (state.clone(), update.clone());
        use_effect_with((), move |_| {
            let report: Report = Rc::new(move |slug: &'static str, finding: Finding| {
                state.borrow_mut().found(slug, finding);
                update.force_update();
            });
            wasm_bindgen_futures::spawn_local(run_all(report));
        });
    }
    let current = state.borrow();
    let (answered, all) = current.progress();
    let (status, detail) = if current.done() {
        ("done", i18n.said(&crate::said!(ProbesDone, all)))
    } else {
        ("checking", i18n.said(&crate::said!(ProbesAnswered, answered, all)))
    };
    let on_copy = {
        let (state, copied) = (state.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| copied.set(Some(copy_text(&state.borrow().to_text()))))
    };
    let on_export = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let _ = download_json("crosstalk-capabilities.json", &state.borrow().to_json(&user_agent()));
        })
    };
    html! {
        <>
            <h1>{i18n.t(Text::CapabilitiesTitle)}</h1>
            <p class="lead" data-testid="capabilities-lead">{i18n.t(Text::CapabilitiesLead)}</p>
            <StatusPanel subject={i18n.t(Text::SubjectProbes).to_owned()} state={status} detail={detail}>
                <progress data-testid="progress" max={all.to_string()} value={answered.to_string()}></progress>
                <button data-testid="capabilities-copy" onclick={on_copy}>{i18n.t(Text::CapabilitiesCopy)}</button>
                <button data-testid="capabilities-export" onclick={on_export}>{i18n.t(Text::CapabilitiesExport)}</button>
                if let Some(ok) = *copied {
                    <span class="copied" data-testid="copied" data-ok={ok.to_string()}>
                        {i18n.t(if ok { Text::CapabilitiesCopied } else { Text::CapabilitiesNoClipboard })}
                    </span>
                }
            </StatusPanel>
            <table class="panel capabilities">
                <thead><tr>
                    <th>{i18n.t(Text::CapabilitiesCapability)}</th><th>{i18n.t(Text::CapabilitiesSupported)}</th><th>{i18n.t(Text::CapabilitiesSeen)}</th>
                </tr></thead>
                <tbody>
                    { for current.rows().map(|(slug, label, found)| {
                        let supported = found.map_or("checking", |f| if f.supported { "yes" } else { "no" });
                        let verdict = i18n.t(match supported {
                            "yes" => Text::CapabilitiesYes,
                            "no" => Text::CapabilitiesNo,
                            _ => Text::CapabilitiesChecking,
                        });
                        let label = Text::capability(slug).map_or(label, |text| i18n.t(text));
                        html! {
                            <tr data-testid="capability" data-capability={slug} data-supported={supported}
                                class={classes!("capability", format!("supported-{supported}"))}>
                                <td>{label}<code class="slug">{slug}</code></td>
                                <td class="verdict">{verdict}</td>
                                <td class="note">{found.map(|f| f.note.clone()).unwrap_or_default()}</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </>
    }
}
