// Why JavaScript: this is the plain-JS baseline /bench measures crosstalk's Rust/wasm layer
// against — the same echoes, written as a careful JS developer would, with no framework.
//
// window.crosstalkBaseline.open(mechanism, env) resolves to a session whose
// measure(bytes, warmup, roundTrips, burst) resolves to { rttUs, msgsPerS }; close() ends it.
// env: { container (element for hidden frames), appOrigin, providerOrigin, relayUrl }.
(function () {
  "use strict";
  var LIMIT_MS = 20000;

  function now() { return performance.now(); }

  // Whether envelopes cross as objects the browser clones (the page's switch) or as JSON text.
  var cloned = false;

  // An envelope writer for one sender, the same shape as crosstalk's: JSON text, or the object.
  function sender(prefix, asObject) {
    var from = prefix + "-" + Math.random().toString(16).slice(2, 8);
    var seq = 0;
    var objects = asObject === undefined ? cloned : asObject;
    return function (kind, body) {
      seq += 1;
      var envelope = { v: 1, seq: seq, from: from, sent_at: performance.timeOrigin + now(), kind: kind, body: body };
      return objects ? envelope : JSON.stringify(envelope);
    };
  }

  // Parses wire text (or takes a cloned object); null unless it holds an envelope of this kind.
  function read(data, kind) {
    if (data !== null && typeof data === "object") return data.kind === kind ? data : null;
    if (typeof data !== "string") return null;
    try {
      var message = JSON.parse(data);
      return message && message.kind === kind ? message : null;
    } catch (e) {
      return null;
    }
  }

  function limited(promise, what) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error(what + " within " + LIMIT_MS / 1000 + " s")); }, LIMIT_MS);
      promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
    });
  }

  // Counts echoes; a sequential run posts the next ping from the previous one's echo.
  function session(post, close) {
    var remaining = 0, next = null, done = null;
    function run(n, sequential, text) {
      return limited(new Promise(function (resolve) {
        remaining = n;
        done = resolve;
        next = sequential ? function () { post(text); } : null;
        if (sequential) { post(text); } else { for (var i = 0; i < n; i++) post(text); }
      }), "not every echo came back");
    }
    return {
      echoed: function () {
        if (remaining <= 0) return;
        remaining -= 1;
        if (remaining === 0) { var d = done; done = null; d(); } else if (next) { next(); }
      },
      measure: function (bytes, warmup, roundTrips, burst) {
        var text = "x".repeat(bytes), figures = {};
        return run(warmup, true, text).then(function () {
          var start = now();
          return run(roundTrips, true, text).then(function () { figures.rttUs = (now() - start) * 1000 / roundTrips; });
        }).then(function () {
          var start = now();
          return run(burst, false, text).then(function () { figures.msgsPerS = burst / ((now() - start) / 1000); return figures; });
        });
      },
      close: close,
    };
  }

  function hiddenFrame(env, src) {
    var frame = document.createElement("iframe");
    frame.hidden = true;
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin");
    frame.src = src;
    env.container.appendChild(frame);
    return frame;
  }

  function overPort(port, write, ready, closeAll) {
    var s;
    return limited(new Promise(function (resolve) {
      port.onmessage = function (event) {
        if (read(event.data, "echo")) { s.echoed(); } else if (read(event.data, "ready")) { resolve(s); }
      };
      s = session(function (text) { port.postMessage(write("text", { text: text })); }, closeAll);
      ready();
    }), "the worker did not say ready");
  }

  var open = {
    "worker-port": function () {
      var worker = new Worker("/bench_echo_worker.js");
      var channel = new MessageChannel();
      var write = sender("js-tab");
      return overPort(channel.port1, write, function () {
        worker.postMessage("connect", [channel.port2]);
      }, function () { channel.port1.close(); worker.terminate(); });
    },
    "shared-worker": function () {
      var worker = new SharedWorker("/bench_shared_echo.js", { name: "crosstalk-bench-js" });
      var write = sender("js-tab");
      return overPort(worker.port, write, function () { worker.port.start(); }, function () { worker.port.close(); });
    },
    "service-worker": function () {
      // A worker of its own, on a scope of its own (one registration per scope): crosstalk's
      // controls "/". Its answers come to this page's container, controlled or not.
      var container = navigator.serviceWorker;
      var write = sender("js-tab", false);
      return container.register("/bench_sw.js", { scope: "/bench-sw/" }).then(function (registration) {
        return new Promise(function (resolve) {
          if (registration.active) return resolve(registration.active);
          var pending = registration.installing || registration.waiting;
          pending.addEventListener("statechange", function () { if (pending.state === "activated") resolve(pending); });
        });
      }).then(function (worker) {
        function heard(event) { if (read(event.data, "pong")) s.echoed(); }
        var s = session(function (text) { worker.postMessage(write("ping", { text: text })); },
          function () { container.removeEventListener("message", heard); });
        container.addEventListener("message", heard);
        container.startMessages();
        return s;
      });
    },
    "broadcast": function () {
      var name = "crosstalk-bench-js-" + Math.random().toString(16).slice(2);
      var a = new BroadcastChannel(name), b = new BroadcastChannel(name);
      var writeA = sender("js-a"), writeB = sender("js-b");
      b.onmessage = function (event) {
        var ping = read(event.data, "ping");
        if (ping) b.postMessage(writeB("pong", { text: ping.body.text }));
      };
      var s = session(function (text) { a.postMessage(writeA("ping", { text: text })); }, function () { a.close(); b.close(); });
      a.onmessage = function (event) { if (read(event.data, "pong")) s.echoed(); };
      return Promise.resolve(s);
    },
    "webrtc": function () { return overDataChannel(); },
    "window-same-origin": function (env) { return overWindow(env, env.appOrigin); },
    "window-cross-origin": function (env) { return overWindow(env, env.providerOrigin); },
    "storage": function (env) {
      var frame = hiddenFrame(env, "/bench_peer.html");
      var ping = "crosstalk:bench:js:ping", pong = "crosstalk:bench:js:pong";
      // Storage holds strings only: text whatever the switch says.
      var writeA = sender("js-a", false), writeB = sender("js-b", false);
      var s, onPong, onPing;
      return limited(new Promise(function (resolve) {
        frame.onload = function () {
          var other = frame.contentWindow;
          onPing = function (event) {
            var message = event.key === ping && read(event.newValue, "ping");
            if (message) other.localStorage.setItem(pong, writeB("pong", { text: message.body.text }));
          };
          onPong = function (event) { if (event.key === pong && read(event.newValue, "pong")) s.echoed(); };
          other.addEventListener("storage", onPing);
          window.addEventListener("storage", onPong);
          s = session(function (text) { localStorage.setItem(ping, writeA("ping", { text: text })); }, function () {
            window.removeEventListener("storage", onPong);
            localStorage.removeItem(ping);
            localStorage.removeItem(pong);
            frame.remove();
          });
          resolve(s);
        };
      }), "the storage frame did not load");
    },
    "websocket": function (env) {
      var room = "bench-js-" + Math.random().toString(16).slice(2, 10);
      var a = new WebSocket(env.relayUrl), b = new WebSocket(env.relayUrl);
      // A socket carries text (or bytes): text whatever the switch says.
      var writeA = sender("js-a", false), writeB = sender("js-b", false);
      var s = session(function (text) { a.send(writeA("text", { text: text })); }, function () { a.close(1000); b.close(1000); });
      function join(socket, write) {
        return new Promise(function (resolve, reject) {
          socket.onopen = function () { socket.send(write("join", { room: room })); };
          socket.onerror = function () { reject(new Error("the relay refused the connection")); };
          socket.addEventListener("message", function (event) { if (read(event.data, "joined")) resolve(); });
        });
      }
      b.addEventListener("message", function (event) {
        var relayed = read(event.data, "relayed");
        if (relayed) b.send(writeB("text", { text: relayed.body.text }));
      });
      a.addEventListener("message", function (event) { if (read(event.data, "relayed")) s.echoed(); });
      return limited(Promise.all([join(a, writeA), join(b, writeB)]), "the relay did not answer").then(function () { return s; });
    },
  };

  // Two peer connections in this page, introduced directly (no signalling channel): a sends,
  // b echoes over the data channel.
  function overDataChannel() {
    var a = new RTCPeerConnection({ iceServers: [] }), b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = function (event) { if (event.candidate) b.addIceCandidate(event.candidate); };
    b.onicecandidate = function (event) { if (event.candidate) a.addIceCandidate(event.candidate); };
    var writeA = sender("bench-a", false), writeB = sender("bench-b", false);
    var channel = a.createDataChannel("bench");
    var s = session(function (text) { channel.send(writeA("ping", { text: text })); }, function () { a.close(); b.close(); });
    channel.onmessage = function (event) { if (read(event.data, "pong")) s.echoed(); };
    b.ondatachannel = function (event) {
      var echo = event.channel;
      echo.onmessage = function (message) {
        var ping = read(message.data, "ping");
        if (ping) echo.send(writeB("pong", { text: ping.body.text }));
      };
    };
    var opened = new Promise(function (resolve) { channel.onopen = resolve; });
    var described = a.createOffer()
      .then(function (offer) { return a.setLocalDescription(offer); })
      .then(function () { return b.setRemoteDescription(a.localDescription); })
      .then(function () { return b.createAnswer(); })
      .then(function (answer) { return b.setLocalDescription(answer); })
      .then(function () { return a.setRemoteDescription(b.localDescription); });
    return limited(described.then(function () { return opened; }), "the data channel did not open").then(function () { return s; });
  }

  function overWindow(env, origin) {
    var frame = hiddenFrame(env, origin + "/bench_peer.html?parent=" + encodeURIComponent(location.origin));
    var write = sender("js-tab");
    var s, listener;
    return limited(new Promise(function (resolve) {
      s = session(function (text) { frame.contentWindow.postMessage(write("ping", { text: text }), origin); }, function () {
        window.removeEventListener("message", listener);
        frame.remove();
      });
      listener = function (event) {
        // The checks a careful page makes: the exact origin, and the frame's own window.
        if (event.origin !== origin || event.source !== frame.contentWindow) return;
        if (read(event.data, "pong")) { s.echoed(); } else if (read(event.data, "ready")) { resolve(s); }
      };
      window.addEventListener("message", listener);
    }), "the frame did not say ready");
  }

  window.crosstalkBaseline = {
    open: function (mechanism, env) {
      cloned = !!env.cloned;
      var opener = open[mechanism];
      return opener ? opener(env) : Promise.reject(new Error("no baseline for " + mechanism));
    },
  };
})();
