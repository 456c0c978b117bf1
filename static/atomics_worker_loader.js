// Why JavaScript: a worker must start from a script. This one loads the wasm-bindgen glue that
// trunk builds for workers/atomics_worker.rs and starts it; the Rust side then says "ready" itself.
importScripts("/atomics_worker.js");
wasm_bindgen("/atomics_worker_bg.wasm").catch(function (error) {
  // Rethrown outside the promise so it reaches the page as the worker's `error` event.
  setTimeout(function () { throw error; });
});
