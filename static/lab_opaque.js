// Why JavaScript: this is the Origin lab's attacker, a stranger's page of an opaque origin; it
// posts the forged payment result from its URL fragment (#forged=…&target=…) to its parent.
var lab = new URLSearchParams(location.hash.slice(1));
parent.postMessage(lab.get("forged"), lab.get("target"));
