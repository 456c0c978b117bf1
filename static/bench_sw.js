// Why JavaScript: this is the plain-JS baseline's Service Worker for /bench (crosstalk's is Rust,
// workers/service_worker.rs): the same echo — read the ping, answer a pong to its sender — as a
// careful JS developer would write it.
var from = "js-sw-" + Math.random().toString(16).slice(2, 8), seq = 0;
self.addEventListener("message", function (event) {
  var data = event.data, ping = null;
  try { ping = typeof data === "string" ? JSON.parse(data) : data; } catch (e) { return; }
  if (!ping || ping.kind !== "ping" || !ping.body || !event.source) return;
  seq += 1;
  var pong = { v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: "pong", body: { text: ping.body.text } };
  event.source.postMessage(typeof data === "string" ? JSON.stringify(pong) : pong);
});
