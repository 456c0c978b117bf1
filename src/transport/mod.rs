//! Transports: the [`core`] every mechanism shares, and one small adapter per browser API. Page
//! code never names a browser messaging API; an adapter is the only file that does.
//!
//! | adapter | browser API | used by |
//! |---|---|---|
//! | [`port`] | `MessagePort` | [`worker_port`], [`shared_worker`] |
//! | [`worker_port`] | dedicated `Worker` + a transferred `MessageChannel` port | `/worker-port` |
//! | [`shared_worker`] | `SharedWorker` and its port | `/shared-worker` |
//! | [`broadcast`] | `BroadcastChannel` | `/broadcast` |
//! | [`service_worker`] | `navigator.serviceWorker`: the registration, its workers' lifecycle, the controller, messages both ways | `/service-worker` |
//! | [`storage`] | `localStorage` and the `storage` event | `/storage` |
//! | [`window_message`] | `window.postMessage` with a typed target origin | `/payment`, `/provider` |
//! | [`frame`] | an `<iframe>`'s `contentWindow`, and its navigation | `/payment` |
//! | [`shallow_post`] | `window.postMessage`, from a microtask: its cost grows with the wasm stack under it | [`window_message`] |
//! | [`websocket`] | `WebSocket` to the crosstalk relay, reconnecting with backoff | `/websocket` |
//! | [`stock`] | the ticker's messages over BroadcastChannel or storage events | `/stock` |
//! | [`stock_lobby`] | `BroadcastChannel` `crosstalk-stock-lobby`: where a newcomer learns which transport the market is on | `/stock` |
//! | [`page_life`] | `pagehide`: the last moment a tab can say goodbye | `/stock` |
//! | [`indexeddb`] | `indexedDB` (open, upgrade, `versionchange`, `blocked`, transactions) and `BroadcastChannel` `crosstalk:indexeddb` | `/indexeddb` |
//! | [`learn_store`] | `localStorage` `crosstalk:learn` and its `storage` event: the walkthrough's progress | every route, `/learn` |
//! | [`lock_request`] | `navigator.locks.request`: one request, with its mode, `ifAvailable`, `steal` and abort | [`leader_lock`], [`web_locks`] |
//! | [`leader_lock`] | `navigator.locks`: one leader among the tabs | `/stock` |
//! | [`web_locks`] | `navigator.locks` (request, query) and `BroadcastChannel` `crosstalk:web-locks`: a lock, its queue, the tabs' life locks | `/web-locks` |
//! | [`bench`] | each of the above, as an echo the benchmark times | `/bench` |
//! | [`reach`] | a `no-cors` fetch: does another origin answer at all? | `/payment` |
//! | [`detect`] | each of the above, probed: constructors, cloning, transfer, quota | `/capabilities` |
//! | [`missing`] | `isSecureContext`, `crossOriginIsolated`, and the API a route needs: why it is not here | every route, `/learn`, `/capabilities` |
//! | [`inspector`] | `BroadcastChannel` `crosstalk:inspector`: every route's log, while `/inspector` watches | every route, `/inspector` |
//! | `crosstalk_glue::worker_tap` | the same side channel, from a worker: each message it handles | the shared worker |
//! | [`js_wire`] (`crosstalk-glue`) | `JSON.parse` / `JSON.stringify`: envelopes read where they arrived and written once, as text or cloned objects | every transport, the workers |

/// The wire, shared with the workers (`crosstalk-glue`).
pub use crosstalk_glue::js_wire;

pub mod atomics;
pub mod bench;
pub mod broadcast;
pub mod channel;
pub mod core;
pub mod detect;
mod fault_injection;
pub mod frame;
pub mod indexeddb;
pub mod inspector;
pub mod leader_lock;
pub mod learn_store;
pub mod lock_request;
pub mod missing;
pub mod page_life;
pub mod port;
pub mod reach;
pub mod service_worker;
pub mod shallow_post;
pub mod shared_worker;
pub mod stock;
pub mod stock_lobby;
pub mod storage;
pub mod web_locks;
pub mod webrtc;
pub mod websocket;
pub mod window_message;
pub mod worker_port;

pub use self::core::{read_wire, Core, Event, LinkState, Via};
