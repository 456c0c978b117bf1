//! crosstalk: every way browser contexts talk to each other, as a Yew app.
//!
//! - [`protocol`]: the one wire envelope every transport carries, and each mechanism's messages.
//! - [`transport`]: wrappers around the browser APIs that speak it.
//! - [`log`]: the message log's model; [`components`], [`pages`], [`app`]: the UI.

pub mod app;
pub mod clock;
pub mod components;
pub mod config;
pub mod log;
pub mod pages;
pub mod protocol;
pub mod transport;
