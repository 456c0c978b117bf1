// Why JavaScript: this is the Origin lab's eavesdropper, a stranger's page in the hijacked
// checkout frame; it shows every message that reaches it, as text (never as HTML).
var count = 0;
var shown = document.querySelector('[data-testid="overheard"]');
var list = document.querySelector('[data-testid="overheard-list"]');
window.addEventListener("message", function (event) {
  count += 1;
  shown.textContent = String(count);
  shown.setAttribute("data-count", String(count));
  var item = document.createElement("li");
  item.textContent = String(event.data).slice(0, 200) + " (from " + event.origin + ")";
  list.appendChild(item);
});
