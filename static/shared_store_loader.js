// Why JavaScript: a SharedWorker starts from a script, and the first tab's `connect` event fires
// before the wasm of workers/shared_store.rs has loaded. This loader queues connect events until
// Rust takes over `onconnect` and drains the queue in the same synchronous step.
var crosstalkQueuedConnects = [];
self.onconnect = function (event) { crosstalkQueuedConnects.push(event); };
self.crosstalkTakeQueuedConnects = function () {
  var queued = crosstalkQueuedConnects;
  crosstalkQueuedConnects = [];
  return queued;
};
function crosstalkStart() {
  importScripts("/shared_store.js");
  wasm_bindgen("/shared_store_bg.wasm").catch(function (error) {
    // A shared worker's errors reach no page; tabs see it as a connection that never says welcome.
    setTimeout(function () { throw error; });
  });
}
// Fault injection (`?slow-start`, its own worker instance): load the wasm late, so the first
// connect certainly arrives before Rust listens, and only the queue above can save it.
if (self.location.search.indexOf("slow-start") !== -1) {
  setTimeout(crosstalkStart, 800);
} else {
  crosstalkStart();
}
