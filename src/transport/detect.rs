//! Probes for `/capabilities`: what this browser really does, found by doing it — feature objects
//! looked up on the global, values posted through a real `MessageChannel` and `BroadcastChannel`
//! and checked on arrival, localStorage written to its quota. Never the user agent.

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageChannel, MessageEvent};

use super::core::js_error_text;
use super::missing;
use crosstalk_protocol::catalog;

/// Where each probe's answer goes: the row's slug and what it found.
pub type Report = Rc<dyn Fn(&'static str, Finding)>;

/// What a probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub supported: bool,
    /// What was seen, in a few words: the value that arrived, the error's name.
    pub note: String,
}

fn finding(supported: bool, note: impl Into<String>) -> Finding {
    Finding { supported, note: note.into() }
}

/// Whether the global object has a constructor called `name`.
fn has_constructor(name: &str) -> Finding {
    let found = Reflect::get(&js_sys::global(), &name.into()).is_ok_and(|v| v.is_function());
    finding(found, if found { format!("typeof {name} is \"function\"") } else { format!("no {name} here") })
}

/// Whether this page has `navigator.serviceWorker` (secure contexts only), and whether a worker
/// controls it now (none until a route registered one, and none on a shift-reload).
fn service_workers() -> (Finding, Finding) {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return (finding(false, "no window"), finding(false, "no window"));
    };
    if let Some(why) = missing::why_missing(&catalog::SERVICE_WORKER.needs) {
        return (finding(false, why.clone()), finding(false, why));
    }
    let controller = navigator.service_worker().controller();
    let control = match controller {
        Some(worker) => finding(true, format!("controlled by {}", worker.script_url())),
        None => finding(false, "not controlled now: open /service-worker first (a shift-reload bypasses it)"),
    };
    (finding(true, "navigator.serviceWorker is here"), control)
}

/// Whether this page is a secure context: what Web Locks, Service Workers and shared memory need.
fn secure_context() -> Finding {
    match missing::page_context().secure_context {
        true => finding(true, "isSecureContext is true (https, or localhost)"),
        false => finding(false, "isSecureContext is false: plain http under a name that is not localhost"),
    }
}

/// Whether `needs`'s API is here, and if not, the real cause.
fn api(needs: &catalog::Needs) -> Finding {
    match missing::why_missing(needs) {
        None => finding(true, format!("{} is here", needs.api)),
        Some(why) => finding(false, why),
    }
}

/// Whether `navigator.locks.query()` answers with a census this page can read.
async fn locks_census() -> Finding {
    let Some(locks) = super::lock_request::locks() else { return finding(false, "no navigator.locks") };
    let query =
        Reflect::get(&locks, &"query".into()).ok().and_then(|q| q.dyn_into::<js_sys::Function>().ok());
    let Some(pending) =
        query.and_then(|q| q.call0(&locks).ok()).and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    else {
        return finding(false, "navigator.locks has no query()");
    };
    match wasm_bindgen_futures::JsFuture::from(pending).await {
        Ok(snapshot) => {
            let held = Reflect::get(&snapshot, &"held".into()).is_ok_and(|h| js_sys::Array::is_array(&h));
            finding(
                held,
                if held {
                    "query() lists held and pending requests"
                } else {
                    "query() answered without a held list"
                },
            )
        }
        Err(error) => finding(false, format!("query() failed: {}", super::core::js_error_text(&error))),
    }
}

/// Runs every probe, reporting each as it answers; the slow ones (posting, the quota) last.
pub async fn run_all(report: Report) {
    report("broadcast-channel", has_constructor("BroadcastChannel"));
    report("shared-worker", has_constructor("SharedWorker"));
    report("websocket", has_constructor("WebSocket"));
    let (sw, control) = service_workers();
    report("service-worker", sw);
    report("service-worker-control", control);
    report("module-worker", module_workers());
    report("secure-context", secure_context());
    report("web-locks", api(&catalog::WEB_LOCKS.needs));
    report("cross-origin-isolated", isolated());
    report("shared-array-buffer", shared_memory());
    report("atomics-wait-async", wait_async());
    report("rtc-data-channel", data_channel());
    report("local-storage", writable_storage());
    report(
        "indexeddb",
        match super::indexeddb::probe().await {
            Ok(version) => finding(true, format!("a database opened (version {version}), then was deleted")),
            Err(why) => finding(false, why),
        },
    );
    report("clone-function", function_refused());
    for (slug, probe) in [
        ("transfer-port", Probe::Port),
        ("clone-map", Probe::Map),
        ("clone-date", Probe::Date),
        ("clone-blob", Probe::Blob),
        ("transfer-array-buffer", Probe::ArrayBuffer),
    ] {
        report(slug, through_a_port(probe).await);
    }
    report("broadcast-clone-map", map_over_broadcast().await);
    report("locks-query", locks_census().await);
    report("storage-quota", storage_quota());
}

/// A `type: "module"` option the constructor reads (a getter notes it) on a URL that cannot
/// parse: the options are read first, then the URL fails, and no worker ever starts.
fn module_workers() -> Finding {
    let read = Rc::new(std::cell::Cell::new(false));
    let noted = read.clone();
    let getter = Closure::<dyn Fn() -> JsValue>::new(move || {
        noted.set(true);
        JsValue::from_str("module")
    });
    let options = Object::new();
    let descriptor = Object::new();
    let _ = Reflect::set(&descriptor, &"get".into(), getter.as_ref());
    Object::define_property(&options, &"type".into(), &descriptor);
    let outcome = web_sys::Worker::new_with_options("http://[", options.unchecked_ref());
    if let Ok(worker) = outcome {
        worker.terminate();
    }
    let supported = read.get();
    finding(supported, if supported { "the type option is read" } else { "the type option is ignored" })
}

fn isolated() -> Finding {
    let isolated =
        Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).ok().and_then(|v| v.as_bool());
    match isolated {
        Some(true) => finding(true, "crossOriginIsolated is true"),
        Some(false) => finding(false, "crossOriginIsolated is false: served without COOP and COEP"),
        None => finding(false, "no crossOriginIsolated here"),
    }
}

/// Whether a `SharedArrayBuffer` can be made here: only on a cross-origin isolated page.
fn shared_memory() -> Finding {
    // Probed on its own: an isolated page of a browser without it is not "not isolated".
    if let Some(why) = missing::why_missing(&catalog::ATOMICS.needs) {
        return finding(false, why);
    }
    let buffer = js_sys::SharedArrayBuffer::new(8);
    finding(true, format!("a SharedArrayBuffer of {} bytes was made", buffer.byte_length()))
}

/// Whether `Atomics.waitAsync` exists: how a page waits on shared memory without blocking.
fn wait_async() -> Finding {
    let found = super::atomics::has_wait_async();
    finding(
        found,
        if found { "Atomics.waitAsync is a function" } else { "no Atomics.waitAsync: a page must poll" },
    )
}

/// Whether this browser makes a WebRTC data channel (made, then closed: nothing connects).
fn data_channel() -> Finding {
    let pc = match web_sys::RtcPeerConnection::new() {
        Ok(pc) => pc,
        Err(error) => {
            return finding(false, format!("no RTCPeerConnection: {}", super::core::js_error_text(&error)))
        }
    };
    let channel = pc.create_data_channel("probe");
    let label = channel.label();
    channel.close();
    pc.close();
    finding(label == "probe", "an RTCDataChannel was made, then closed")
}

const PROBE_KEY: &str = "crosstalk:probe";

fn writable_storage() -> Finding {
    let storage = match web_sys::window().map(|w| w.local_storage()) {
        Some(Ok(Some(storage))) => storage,
        Some(Ok(None)) | None => return finding(false, "no localStorage here"),
        Some(Err(e)) => return finding(false, format!("reading localStorage threw {}", js_error_text(&e))),
    };
    match storage.set_item(PROBE_KEY, "1").and_then(|()| storage.remove_item(PROBE_KEY)) {
        Ok(()) => finding(true, "a key was written and removed"),
        Err(e) => finding(false, format!("writing threw {}", js_error_text(&e))),
    }
}

/// How much the filler may write before the probe gives up on ever being refused.
const QUOTA_CHUNK_CHARS: usize = 1 << 20;
const QUOTA_MAX_CHUNKS: usize = 16;

/// Writes 1 Mi-character values until localStorage refuses one, then removes them all.
fn storage_quota() -> Finding {
    let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) else {
        return finding(false, "no localStorage to fill");
    };
    let chunk = "x".repeat(QUOTA_CHUNK_CHARS);
    let prefix = crosstalk_protocol::storage::FILLER_PREFIX;
    let mut refused = None;
    let mut written = 0;
    while written < QUOTA_MAX_CHUNKS {
        if let Err(e) = storage.set_item(&format!("{prefix}probe-{written}"), &chunk) {
            refused = Some(js_error_text(&e));
            break;
        }
        written += 1;
    }
    for n in 0..written {
        let _ = storage.remove_item(&format!("{prefix}probe-{n}"));
    }
    match refused {
        Some(error) => finding(true, format!("{error}, after {written} Mi characters")),
        None => finding(false, format!("took {written} Mi characters without refusing")),
    }
}

fn function_refused() -> Finding {
    let channel = match MessageChannel::new() {
        Ok(channel) => channel,
        Err(e) => return finding(false, format!("no MessageChannel: {}", js_error_text(&e))),
    };
    // A function made in wasm: `new Function(…)` would be eval, which the suite's policy forbids.
    let function = Closure::<dyn Fn()>::new(|| {});
    let outcome = channel.port1().post_message(function.as_ref());
    channel.port1().close();
    match outcome {
        Err(e) if js_error_text(&e).starts_with("DataCloneError") => finding(true, js_error_text(&e)),
        Err(e) => finding(false, format!("refused, but with {}", js_error_text(&e))),
        Ok(()) => finding(false, "a function was posted without an error"),
    }
}

#[derive(Clone, Copy)]
enum Probe {
    Port,
    Map,
    Date,
    Blob,
    ArrayBuffer,
}

/// Resolves with the first message once `set` installs the resolver as an `onmessage`, or
/// rejects after two seconds.
fn first_message(set: impl FnOnce(&Function)) -> (Promise, Option<Timeout>) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
    // The executor runs at once, so the slot is always filled.
    let limit = slot.map(|(resolve, reject)| {
        set(&resolve);
        Timeout::new(2_000, move || {
            let _ = reject.call1(&JsValue::NULL, &"nothing arrived within 2 s".into());
        })
    });
    (promise, limit)
}

/// Posts the probe's value from one end of a `MessageChannel` to the other and judges what came.
async fn through_a_port(probe: Probe) -> Finding {
    let channel = match MessageChannel::new() {
        Ok(channel) => channel,
        Err(e) => return finding(false, format!("no MessageChannel: {}", js_error_text(&e))),
    };
    let (receiving, sending) = (channel.port2(), channel.port1());
    let (arrived, _limit) = first_message(|resolve| receiving.set_onmessage(Some(resolve)));
    let buffer = js_sys::ArrayBuffer::new(8);
    let other = MessageChannel::new().ok();
    let (value, transfer): (JsValue, Array) = match probe {
        Probe::Port => match &other {
            Some(other) => ("a port".into(), Array::of1(&other.port2())),
            None => return finding(false, "no second MessageChannel"),
        },
        Probe::Map => {
            let map = js_sys::Map::new();
            map.set(&"a".into(), &1.into());
            (map.into(), Array::new())
        }
        Probe::Date => (js_sys::Date::new(&1_732_270_000_123.0.into()).into(), Array::new()),
        Probe::Blob => {
            let parts = Array::of1(&"abc".into());
            match web_sys::Blob::new_with_str_sequence(&parts) {
                Ok(blob) => (blob.into(), Array::new()),
                Err(e) => return finding(false, format!("no Blob: {}", js_error_text(&e))),
            }
        }
        Probe::ArrayBuffer => (buffer.clone().into(), Array::of1(&buffer)),
    };
    if let Err(e) = sending.post_message_with_transferable(&value, &transfer) {
        return finding(false, format!("posting threw {}", js_error_text(&e)));
    }
    let event = match JsFuture::from(arrived).await {
        Ok(event) => event.unchecked_into::<MessageEvent>(),
        Err(e) => return finding(false, js_error_text(&e)),
    };
    receiving.close();
    sending.close();
    let data = event.data();
    match probe {
        Probe::Port => {
            let ports = event.ports().length();
            finding(ports == 1, format!("{ports} port(s) arrived with the message"))
        }
        Probe::Map => match data.dyn_ref::<js_sys::Map>() {
            Some(map) => {
                finding(map.get(&"a".into()).as_f64() == Some(1.0), "arrived as a Map with its entry")
            }
            None => finding(false, "arrived as something else than a Map"),
        },
        Probe::Date => match data.dyn_ref::<js_sys::Date>() {
            Some(date) => finding(date.get_time() == 1_732_270_000_123.0, "arrived as a Date, same time"),
            None => finding(false, "arrived as something else than a Date"),
        },
        Probe::Blob => match data.dyn_ref::<web_sys::Blob>() {
            Some(blob) => finding(blob.size() == 3.0, format!("arrived as a Blob of {} bytes", blob.size())),
            None => finding(false, "arrived as something else than a Blob"),
        },
        Probe::ArrayBuffer => match data.dyn_ref::<js_sys::ArrayBuffer>() {
            Some(arrived) => {
                let detached = buffer.byte_length() == 0;
                let note = format!(
                    "{} bytes arrived; the sender's buffer is {}",
                    arrived.byte_length(),
                    if detached { "detached (moved)" } else { "still whole (copied)" }
                );
                finding(arrived.byte_length() == 8 && detached, note)
            }
            None => finding(false, "arrived as something else than an ArrayBuffer"),
        },
    }
}

/// Posts a Map from one BroadcastChannel object to another of the same name.
async fn map_over_broadcast() -> Finding {
    let name = format!("crosstalk-probe-{}", (crate::clock::random() * 1e9) as u64);
    let (Ok(sender), Ok(receiver)) = (BroadcastChannel::new(&name), BroadcastChannel::new(&name)) else {
        return finding(false, "no BroadcastChannel");
    };
    let (arrived, _limit) = first_message(|resolve| receiver.set_onmessage(Some(resolve)));
    let map = js_sys::Map::new();
    map.set(&"a".into(), &1.into());
    let posted = sender.post_message(&map);
    let outcome = match posted {
        Err(e) => finding(false, format!("posting threw {}", js_error_text(&e))),
        Ok(()) => match JsFuture::from(arrived).await {
            Ok(event) => {
                let data = event.unchecked_into::<MessageEvent>().data();
                let is_map =
                    data.dyn_ref::<js_sys::Map>().is_some_and(|m| m.get(&"a".into()).as_f64() == Some(1.0));
                finding(
                    is_map,
                    if is_map { "arrived as a Map with its entry" } else { "arrived as something else" },
                )
            }
            Err(e) => finding(false, js_error_text(&e)),
        },
    };
    sender.close();
    receiver.close();
    outcome
}
