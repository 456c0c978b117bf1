//! crosstalk: every way browser contexts talk to each other, as a Yew app.
//!
//! A mechanism lives in four places with matching names: its wire messages in the
//! `crosstalk-protocol` crate, its transport adapter in [`transport`] (on the shared core), its
//! state in [`state`], and its page in [`pages`] — plus, where it has one, its worker in `workers/`.
//! [`hooks::use_route`] bridges a transport to a page; [`components`] are the pieces every page
//! shares; [`routes`] lists them all.

pub mod app;
pub mod clock;
pub mod components;
pub mod hooks;
pub mod log;
pub mod origins;
pub mod page_query;
pub mod pages;
pub mod routes;
pub mod state;
pub mod transport;

/// The wire protocol, shared with the workers and the server.
pub use crosstalk_protocol as protocol;
