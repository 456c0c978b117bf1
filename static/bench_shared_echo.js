// Why JavaScript: the plain-JS baseline's SharedWorker for /bench (crosstalk's own is the wasm
// shared store): every connecting tab's port echoes each message back to that tab alone.
var from = "js-shared-" + Math.random().toString(16).slice(2, 8);
var seq = 0;
function write(kind, body) {
  seq += 1;
  return JSON.stringify({ v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: kind, body: body });
}
self.onconnect = function (event) {
  var port = event.ports[0];
  port.onmessage = function (message) {
    var m = JSON.parse(message.data);
    port.postMessage(write("echo", { text: m.body.text }));
  };
  port.postMessage(write("ready", null));
};
