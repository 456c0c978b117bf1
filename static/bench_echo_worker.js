// Why JavaScript: the plain-JS baseline's dedicated worker for /bench (crosstalk's own is the wasm
// echo worker): it takes a port and echoes every message on it, as a JSON envelope.
var from = "js-worker-" + Math.random().toString(16).slice(2, 8);
var seq = 0;
function write(kind, body) {
  seq += 1;
  return JSON.stringify({ v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: kind, body: body });
}
self.onmessage = function (event) {
  var port = event.ports[0];
  if (!port) return;
  port.onmessage = function (message) {
    var m = JSON.parse(message.data);
    port.postMessage(write("echo", { text: m.body.text, reply_to: m.seq, received_at: performance.timeOrigin + performance.now() }));
  };
  port.postMessage(write("ready", null));
};
