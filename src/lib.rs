//! crosstalk: every way browser contexts talk to each other, as a Yew app.
//!
//! A mechanism lives in four places with matching names: its wire messages in the
//! `crosstalk-protocol` crate, its transport adapter in [`transport`] (on the shared core), its
//! state in [`state`], and its page in [`pages`] — plus, where it has one, its worker in `workers/`.
//! [`hooks::use_route`] bridges a transport to a page; [`components`] are the pieces every page
//! shares; [`routes`] lists them all.

pub mod app;
pub mod catalog;
pub mod clock;
pub mod components;
pub mod download;
pub mod hooks;
pub mod i18n;
pub mod lesson_code;
pub mod log;
pub mod log_export;
pub mod log_text;
pub mod origins;
pub mod page_query;
pub mod pages;
pub mod shell;
#[cfg(feature = "split")]
pub mod split;
pub mod state;
pub mod transport;

/// The wire protocol, shared with the workers and the server.
pub use crosstalk_protocol as protocol;

/// The allocator of every wasm module (the app and both workers link this crate): talc, smaller and
/// faster in wasm than Rust's default dlmalloc, which is 7 KB of code in each module.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
