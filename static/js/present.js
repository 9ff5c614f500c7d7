// The retro's presentation view: ← and → page through the groups, ↑ and ↓ pick an item, and a
// key sets its status (O, I, D, W) or marks it reviewed (R); F goes full screen.
(function () {
  "use strict";
  document.documentElement.classList.add("js-present");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-item]"));
  var current = -1;
  var STATUS_KEYS = {o: "open", i: "in_progress", d: "done", w: "wont_do"};
  var full = document.getElementById("present-full");

  function pick(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) { item.classList.toggle("picked", i === current); });
    items[current].focus({preventScroll: false});
  }
  // The page remembers which item was picked across the reload a status change makes.
  var remembered = sessionStorage.getItem("present-picked");
  if (remembered) {
    sessionStorage.removeItem("present-picked");
    items.forEach(function (item, i) { if (item.id === remembered) pick(i); });
  }
  function fullScreen() {
    if (!document.documentElement.requestFullscreen) return;
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(function () { /* refused */ });
  }
  if (full && document.documentElement.requestFullscreen) {
    full.hidden = false;
    full.addEventListener("click", fullScreen);
  }
  document.querySelectorAll("[data-item]").forEach(function (item, i) {
    item.addEventListener("click", function () { current = i; pick(i); });
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select")) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var link = null;
    if (event.key === "ArrowRight" || event.key === "PageDown") link = document.getElementById("present-next");
    if (event.key === "ArrowLeft" || event.key === "PageUp") link = document.getElementById("present-prev");
    if (link) { event.preventDefault(); window.location.href = link.href; return; }
    if (event.key === "ArrowDown" || event.key === "j") { event.preventDefault(); pick(current + 1); return; }
    if (event.key === "ArrowUp" || event.key === "k") { event.preventDefault(); pick(current - 1); return; }
    var key = event.key.toLowerCase();
    if (key === "f") { fullScreen(); return; }
    if (current < 0) return;
    var item = items[current];
    if (STATUS_KEYS[key]) {
      var form = item.querySelector("[data-status-form]");
      if (!form) return;
      event.preventDefault();
      form.querySelector("select").value = STATUS_KEYS[key];
      if (key === "w") {  // won't do needs its reason: type it, Enter sends
        var reason = form.querySelector("[name=resolution_note]");
        reason.classList.add("shown");
        reason.focus();
        return;
      }
      sessionStorage.setItem("present-picked", item.id);
      form.requestSubmit();
    } else if (key === "r") {
      var reviewed = item.querySelector("[data-reviewed-form]");
      if (reviewed) { sessionStorage.setItem("present-picked", item.id); reviewed.requestSubmit(); }
    }
  });
  // Choosing a status with the mouse sends it at once (won't do waits for its reason).
  document.querySelectorAll("[data-status-form] select").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      if (select.value === "wont_do") {
        var reason = form.querySelector("[name=resolution_note]");
        reason.classList.add("shown");
        reason.focus();
        return;
      }
      form.requestSubmit();
    });
  });
})();
