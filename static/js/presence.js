// Who else has this post-mortem open: a ping every 20 seconds while the page is visible, and a
// last message when it is closed. The server answers with the line to show (already escaped).
(function () {
  "use strict";
  var slot = document.querySelector("[data-presence]");
  if (!slot) return;
  var EVERY_MS = 20000;
  // This page's name: a ping still on its way when the page closes cannot bring the person
  // back after the leave message.
  var page = Math.random().toString(36).slice(2, 14);
  var gone = false;

  function body() {
    var data = new FormData();
    data.append("csrf_token", slot.dataset.csrf);
    data.append("activity", slot.dataset.activity);
    data.append("page", page);
    return data;
  }

  function ping() {
    if (gone || document.visibilityState === "hidden") return;
    fetch(slot.dataset.presence, {method: "POST", body: body(), credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { slot.innerHTML = html; slot.dataset.pinged = "yes"; })
      .catch(function () { /* offline for a moment: the next ping tries again */ });
  }

  ping();
  setInterval(ping, EVERY_MS);
  document.addEventListener("visibilitychange", ping);
  window.addEventListener("pagehide", function () {
    gone = true;
    if (navigator.sendBeacon) navigator.sendBeacon(slot.dataset.leave, body());
  });
  // Back from the browser's page cache: a new visit, under a new name.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    gone = false;
    page = Math.random().toString(36).slice(2, 14);
    ping();
  });
})();
