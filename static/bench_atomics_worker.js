// Why JavaScript: the worker end of the plain-JS ring the Atomics limit row measures crosstalk's
// against: blocked in Atomics.wait, it answers each slot with "pong: " and the text, as
// workers/atomics_worker.rs does.
var SLOTS = 8, SLOT_BYTES = 256, HEADER = 4, SLOT_INTS = 2 + SLOT_BYTES / 4;
onmessage = function (event) {
  var ints = new Int32Array(event.data), bytes = new Uint8Array(event.data);
  var encoder = new TextEncoder(), decoder = new TextDecoder(), answered = 0;
  postMessage("attached");
  for (;;) {
    var written = Atomics.load(ints, 0);
    if (Atomics.load(ints, 2) !== 0) return;
    if (written === answered) { Atomics.wait(ints, 0, answered); continue; }
    while (answered !== written) {
      var at = HEADER + (answered % SLOTS) * SLOT_INTS, len = Atomics.load(ints, at + 1);
      var reply = len >= 0 && len <= SLOT_BYTES
        ? "pong: " + decoder.decode(bytes.slice((at + 2) * 4, (at + 2) * 4 + len))
        : "refused";
      var data = encoder.encode(reply).subarray(0, SLOT_BYTES);
      bytes.set(data, (at + 2) * 4);
      Atomics.store(ints, at + 1, data.length);
      Atomics.store(ints, at, 2);
      answered += 1;
      Atomics.add(ints, 1, 1);
      Atomics.notify(ints, 1);
    }
  }
};
