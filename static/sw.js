// Why JavaScript: a Service Worker starts from a classic script, and only the listeners it adds in
// that script's first run are ever called; the wasm of workers/service_worker.rs loads after. So
// this adds them now, queues the messages that come before Rust, and hands them over when it is
// ready (Rust sets `crosstalkOnMessage` and drains the queue in one step).
var crosstalkQueued = [];
importScripts("/service_worker.js");
var crosstalkReady = wasm_bindgen("/service_worker_bg.wasm");
self.crosstalkTakeQueued = function () {
  var queued = crosstalkQueued;
  crosstalkQueued = [];
  return queued;
};
// Installed only once its wasm has started: a worker that cannot run never takes over.
self.addEventListener("install", function (event) { event.waitUntil(crosstalkReady); });
// Take the open pages at once: without claim(), a page loaded before this worker stays
// uncontrolled (`controller` null) until it is reloaded.
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("message", function (event) {
  if (self.crosstalkOnMessage) {
    self.crosstalkOnMessage(event);
    return;
  }
  crosstalkQueued.push(event);
  // Kept alive until Rust has taken the queue.
  event.waitUntil(crosstalkReady);
});
