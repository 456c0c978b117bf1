//! `/bench`'s controller: runs a plan, one measurement at a time, through crosstalk
//! (`transport/bench.rs`) and through plain JavaScript (`static/bench_baseline.js`), and reports
//! each figure to the route's state (`state/bench.rs`). The page only shows them.

use std::cell::Cell;
use std::rc::Rc;

use crosstalk_protocol::bench::{Mechanism, Side};

use crate::state::bench::{order, Action, Plan};
use crate::state::Dispatch;
use crate::transport::bench::{self as probe, baseline, yield_to_browser, Env};

async fn measure(side: Side, mechanism: Mechanism, payload: usize, plan: &Plan, env: &Env) -> Action {
    let counts = plan.counts(mechanism, payload);
    let outcome = match side {
        Side::Crosstalk => match probe::open(mechanism, env).await {
            Ok(session) => session.measure(payload, counts).await.map(|f| (f, Some(session.logged()))),
            Err(why) => Err(why),
        },
        Side::Baseline => match baseline::open(mechanism, env).await {
            Ok(session) => session.measure(payload, counts).await.map(|f| (f, None)),
            Err(why) => Err(why),
        },
    };
    match outcome {
        Ok((figures, logged)) => Action::Measured { mechanism, payload, side, figures, logged },
        Err(why) => Action::Failed { mechanism, payload, side, why },
    }
}

/// Starts measuring `plan` in `env`; see [`run`].
pub fn start(route: Dispatch<Action>, plan: Plan, env: Env, stopped: Rc<Cell<bool>>) {
    wasm_bindgen_futures::spawn_local(run(route, plan, env, stopped));
}

/// Measures every case of `plan`, crosstalk and plain JS in turn, reporting each as it is known;
/// stops between measurements once `stopped` is set (the page went away).
async fn run(route: Dispatch<Action>, plan: Plan, env: Env, stopped: Rc<Cell<bool>>) {
    route.dispatch(Action::Start(plan.clone()));
    let baseline_missing = baseline::load().await.err();
    for (index, (mechanism, payload)) in plan.cases().into_iter().enumerate() {
        if mechanism.refuses(payload).is_some() {
            continue;
        }
        for side in order(index) {
            if stopped.get() {
                return;
            }
            route.dispatch(Action::Measuring { mechanism, payload, side });
            yield_to_browser().await;
            let action = match (&baseline_missing, side) {
                (Some(why), Side::Baseline) => Action::Failed { mechanism, payload, side, why: why.clone() },
                _ => measure(side, mechanism, payload, &plan, &env).await,
            };
            route.dispatch(action);
        }
    }
    route.dispatch(Action::Finished);
}
