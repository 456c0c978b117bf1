// Why JavaScript: the plain-JS baseline's SharedWorker for /bench (crosstalk's own is the wasm
// shared store): every connecting tab's port echoes each message back to that tab alone.
var from = "js-shared-" + Math.random().toString(16).slice(2, 8);
var seq = 0;
// Answers in the form it was asked in: JSON text, or an object the browser cloned.
function write(kind, body, asObject) {
  seq += 1;
  var envelope = { v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: kind, body: body };
  return asObject ? envelope : JSON.stringify(envelope);
}
self.onconnect = function (event) {
  var port = event.ports[0];
  port.onmessage = function (message) {
    var asObject = typeof message.data !== "string";
    var m = asObject ? message.data : JSON.parse(message.data);
    port.postMessage(write("echo", { text: m.body.text }, asObject));
  };
  port.postMessage(write("ready", null));
};
