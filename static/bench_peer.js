// Why JavaScript: the plain-JS baseline's echo frame for /bench. It answers only its parent, at
// the exact origin named in ?parent= (never "*"), and only messages that come from that window.
(function () {
  var parentOrigin = new URLSearchParams(location.search).get("parent");
  if (!parentOrigin || window.parent === window) return;
  var from = "js-frame-" + Math.random().toString(16).slice(2, 8);
  var seq = 0;
  // Answers in the form it was asked in: JSON text, or an object the browser cloned.
  function write(kind, body, asObject) {
    seq += 1;
    var envelope = { v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + performance.now(), kind: kind, body: body };
    return asObject ? envelope : JSON.stringify(envelope);
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    var asObject = typeof event.data !== "string";
    var m = asObject ? event.data : JSON.parse(event.data);
    if (m.kind === "ping") window.parent.postMessage(write("pong", { text: m.body.text }, asObject), parentOrigin);
  });
  window.parent.postMessage(write("ready", null), parentOrigin);
})();
