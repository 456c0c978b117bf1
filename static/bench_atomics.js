// Why JavaScript: the plain-JS baseline the Atomics route's limit row measures crosstalk's ring
// against — the same ring (two counters, eight slots of 256 bytes), written as a careful JS
// developer would: write a slot, Atomics.notify, wait for the reply with Atomics.waitAsync.
(function () {
  "use strict";
  var SLOTS = 8, SLOT_BYTES = 256, HEADER = 4, SLOT_INTS = 2 + SLOT_BYTES / 4;

  function open() {
    var sab = new SharedArrayBuffer((HEADER + SLOTS * SLOT_INTS) * 4);
    var ints = new Int32Array(sab), bytes = new Uint8Array(sab);
    var encoder = new TextEncoder(), decoder = new TextDecoder();
    var written = 0, read = 0;
    var worker = new Worker("/bench_atomics_worker.js");

    function write(text) {
      var at = HEADER + (written % SLOTS) * SLOT_INTS, data = encoder.encode(text);
      bytes.set(data, (at + 2) * 4);
      Atomics.store(ints, at + 1, data.length);
      Atomics.store(ints, at, 1);
      written += 1;
      Atomics.add(ints, 0, 1);
      Atomics.notify(ints, 0);
    }

    function readReply() {
      var at = HEADER + (read % SLOTS) * SLOT_INTS, len = Atomics.load(ints, at + 1);
      if (len < 0 || len > SLOT_BYTES) throw new Error("a slot's length lies");
      read += 1;
      return decoder.decode(bytes.slice((at + 2) * 4, (at + 2) * 4 + len));
    }

    // `hops` round trips, up to `inFlight` at once; resolves to the milliseconds taken.
    function run(hops, inFlight, text) {
      return new Promise(function (resolve) {
        var unwritten = hops, left = hops, start = performance.now();
        function pump() {
          while (Atomics.load(ints, 1) !== read) {
            readReply();
            left -= 1;
            if (unwritten > 0) { write(text); unwritten -= 1; }
          }
          if (left === 0) return resolve(performance.now() - start);
          var waiting = Atomics.waitAsync(ints, 1, read);
          if (waiting.async) waiting.value.then(pump); else pump();
        }
        for (var i = 0; i < Math.min(inFlight, hops); i++) { write(text); unwritten -= 1; }
        pump();
      });
    }

    var session = {
      run: run,
      close: function () { Atomics.store(ints, 2, 1); Atomics.notify(ints, 0); worker.terminate(); }
    };
    return new Promise(function (resolve, reject) {
      worker.onmessage = function () { resolve(session); };
      worker.onerror = function () { reject(new Error("the baseline's worker did not start")); };
      worker.postMessage(sab);
    });
  }

  window.crosstalkAtomicsBaseline = { open: open };
})();
