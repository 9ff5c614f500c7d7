// Who else has this post-mortem open: a ping every 20 seconds while the page is visible, and a
// last message when it is closed. The server answers with the line to show (already escaped).
(function () {
  "use strict";
  var slot = document.querySelector("[data-presence]");
  if (!slot) return;
  var EVERY_MS = 20000;

  function body() {
    var data = new FormData();
    data.append("csrf_token", slot.dataset.csrf);
    data.append("activity", slot.dataset.activity);
    return data;
  }

  function ping() {
    if (document.visibilityState === "hidden") return;
    fetch(slot.dataset.presence, {method: "POST", body: body(), credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { slot.innerHTML = html; slot.dataset.pinged = "yes"; })
      .catch(function () { /* offline for a moment: the next ping tries again */ });
  }

  ping();
  setInterval(ping, EVERY_MS);
  document.addEventListener("visibilitychange", ping);
  window.addEventListener("pagehide", function () {
    if (navigator.sendBeacon) navigator.sendBeacon(slot.dataset.leave, body());
  });
})();
