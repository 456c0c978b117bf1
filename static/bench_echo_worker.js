// Why JavaScript: the plain-JS baseline's dedicated worker for /bench (crosstalk's own is the wasm
// echo worker): it takes a port and echoes every message on it, as a JSON envelope.
var from = "js-worker-" + Math.random().toString(16).slice(2, 8);
var seq = 0;
// Answers in the form it was asked in: JSON text, or an object the browser cloned.
function write(kind, body, asObject) {
  seq += 1;
  var envelope = { v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: kind, body: body };
  return asObject ? envelope : JSON.stringify(envelope);
}
self.onmessage = function (event) {
  var port = event.ports[0];
  if (!port) return;
  port.onmessage = function (message) {
    var asObject = typeof message.data !== "string";
    var m = asObject ? message.data : JSON.parse(message.data);
    port.postMessage(write("echo", { text: m.body.text, reply_to: m.seq, received_at: performance.timeOrigin + performance.now() }, asObject));
  };
  port.postMessage(write("ready", null));
};
