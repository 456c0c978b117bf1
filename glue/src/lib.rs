//! What every crosstalk wasm module shares — the app and each worker — and nothing more, so a
//! worker never links the app: the clock, the wire (envelopes read with the browser's own
//! `JSON.parse`), the inspector's tap a worker reports through, and the allocator.

pub mod clock;
pub mod js_value;
pub mod js_wire;
pub mod worker_tap;

/// The allocator of every wasm module (the app and both workers link this crate): talc, smaller and
/// faster in wasm than Rust's default dlmalloc, which is 7 KB of code in each module.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
