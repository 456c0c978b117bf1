//! The Atomics route's limit row: the ring's round trip and throughput through crosstalk and in
//! plain JS (`static/bench_atomics.js`), beside postMessage to a dedicated worker (crosstalk's
//! worker port and the plain-JS one of `/bench`), all in this one isolated page — where timers
//! are precise (5 µs), so every other figure of `/bench` can be set against these.

use crosstalk_protocol::atomics::SLOTS;
use crosstalk_protocol::bench::{payload_text, Mechanism};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::state::atomics::{Action, LimitRow};
use crate::state::Dispatch;
use crate::transport::atomics::AtomicsLink;
use crate::transport::bench::baseline::{call, settled};
use crate::transport::bench::{self, baseline, Env};
use crate::transport::core::js_error_text;
use crate::transport::js_wire::Wire;

/// Round trips timed in each run (after a warm-up of a tenth as many).
pub const LIMIT_HOPS: u32 = 2_000;
/// The plain-JS ring.
pub const ATOMICS_BASELINE: &str = "/bench_atomics.js";
/// What each message carries, as `/bench`'s smallest payload.
const PAYLOAD_BYTES: usize = 100;

type Ring = std::rc::Rc<std::cell::RefCell<Option<AtomicsLink>>>;

/// Runs the four measurements one after another, reporting each row as it is done.
pub async fn measure(ring: Ring, dispatch: Dispatch<Action>) {
    dispatch.dispatch(Action::Measuring);
    let outcome = async {
        let (rtt_us, msgs_per_s) = crosstalk_ring(&ring).await?;
        dispatch.dispatch(Action::Limit(LimitRow::new("atomics", "crosstalk", rtt_us, msgs_per_s)));
        let (rtt_us, msgs_per_s) = plain_ring().await?;
        dispatch.dispatch(Action::Limit(LimitRow::new("atomics", "plain-js", rtt_us, msgs_per_s)));
        let env = env()?;
        let counts = Mechanism::WorkerPort.counts(PAYLOAD_BYTES);
        let session = bench::open(Mechanism::WorkerPort, &env).await?;
        let figures = session.measure(PAYLOAD_BYTES, counts).await?;
        drop(session);
        let row = LimitRow::new(
            "postmessage",
            "crosstalk",
            figures.rtt_us.unwrap_or(0.0),
            figures.msgs_per_s.unwrap_or(0.0),
        );
        dispatch.dispatch(Action::Limit(row));
        baseline::load().await?;
        let session = baseline::open(Mechanism::WorkerPort, &env).await?;
        let figures = session.measure(PAYLOAD_BYTES, counts).await?;
        drop(session);
        let row = LimitRow::new(
            "postmessage",
            "plain-js",
            figures.rtt_us.unwrap_or(0.0),
            figures.msgs_per_s.unwrap_or(0.0),
        );
        dispatch.dispatch(Action::Limit(row));
        Ok::<(), String>(())
    }
    .await;
    dispatch.dispatch(Action::Measured(outcome.err()));
}

/// Crosstalk's ring: a warm-up, one hop at a time (the round trip), then every slot in flight
/// (the throughput).
async fn crosstalk_ring(ring: &Ring) -> Result<(f64, f64), String> {
    let timed = |hops: u32, window: u32| {
        let started = ring.borrow().as_ref().map(|r| r.timed_hops(hops, window));
        async move {
            match started {
                Some(Ok(promise)) => settled_ms(promise).await,
                Some(Err(reason)) => Err(reason.text),
                None => Err("no ring is running".to_owned()),
            }
        }
    };
    timed(LIMIT_HOPS / 10, 1).await?;
    let one_by_one = timed(LIMIT_HOPS, 1).await?;
    let in_flight = timed(LIMIT_HOPS, SLOTS).await?;
    Ok(figures(one_by_one, in_flight))
}

/// The same in plain JS, on a ring of its own.
async fn plain_ring() -> Result<(f64, f64), String> {
    let loaded = |api: &JsValue| api.is_object();
    let api = || js_sys::Reflect::get(&js_sys::global(), &"crosstalkAtomicsBaseline".into()).ok();
    if !api().is_some_and(|a| loaded(&a)) {
        baseline::load_script(ATOMICS_BASELINE).await?;
    }
    let api = api().filter(loaded).ok_or("the plain-JS ring did not load")?;
    let session = settled(call(&api, "open", &[])?).await?;
    let text: JsValue = payload_text(PAYLOAD_BYTES).into();
    let run = |hops: u32, window: u32| -> Result<js_sys::Promise, String> {
        call(&session, "run", &[hops.into(), window.into(), text.clone()])?
            .dyn_into()
            .map_err(|_| "run() gave no promise".to_owned())
    };
    settled_ms(run(LIMIT_HOPS / 10, 1)?).await?;
    let one_by_one = settled_ms(run(LIMIT_HOPS, 1)?).await?;
    let in_flight = settled_ms(run(LIMIT_HOPS, SLOTS)?).await?;
    let _ = call(&session, "close", &[]);
    Ok(figures(one_by_one, in_flight))
}

/// µs a round trip, and messages a second, from the two runs' milliseconds.
fn figures(one_by_one_ms: f64, in_flight_ms: f64) -> (f64, f64) {
    let hops = f64::from(LIMIT_HOPS);
    (one_by_one_ms * 1000.0 / hops, hops / (in_flight_ms.max(0.001) / 1000.0))
}

fn env() -> Result<Env, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container = document.body().ok_or("no body")?.into();
    let origins = crate::origins::origins()?;
    Ok(Env {
        container,
        app_origin: origins.isolated_origin,
        provider_origin: origins.provider_origin,
        wire: Wire::Text,
    })
}

async fn settled_ms(promise: js_sys::Promise) -> Result<f64, String> {
    JsFuture::from(promise).await.map_err(|e| js_error_text(&e))?.as_f64().ok_or_else(|| "no time".to_owned())
}
