// Retro board niceties: the won't-do reason box appears only when it is needed.
(function () {
  "use strict";
  var csrf = document.querySelector('input[name="csrf_token"]');
  if (csrf) document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": csrf.value}));
  function sync(form) {
    var select = form.querySelector("select[name=status]");
    var note = form.querySelector(".note-input");
    if (select && note) note.hidden = select.value !== "wont_do";
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest(".status-form");
    if (!form) return;
    sync(form);
    // A won't-do needs its reason first: wait for Enter in the reason box.
    if (event.target.name === "status" && event.target.value === "wont_do") {
      event.stopImmediatePropagation();
      form.querySelector(".note-input").focus();
    }
  }, true);
  function syncAll() { document.querySelectorAll(".status-form").forEach(sync); }
  document.addEventListener("htmx:afterSwap", syncAll);
  syncAll();
})();
