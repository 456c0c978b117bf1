//! wasm-bindgen tests in headless Chromium (`cargo xtask test` runs them): each transport against
//! the real browser API, one file per transport or concern. This file only gathers them into one
//! test binary, so there is one wasm module to build and load. The real wasm workers are covered by
//! the end-to-end tests.

#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod conformance;
mod js_wire;
mod message_log;
mod rendering;
mod shallow_post;
mod shared_worker;
mod worker_port;
