// Small progressive enhancements shared by pages; every page works without this file.
(function () {
  "use strict";
  // Default a time zone select to the browser's zone when the server had no preference.
  document.querySelectorAll("select[data-default-browser-zone]").forEach(function (select) {
    if (select.value !== "UTC") return;
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
    } catch (e) { /* keep UTC */ }
  });
  // Text that may run long (a timeline event, a contributing factor) grows as it is typed;
  // Enter still sends the row, as it did when these were one-line inputs.
  function grow(area) {
    if (CSS.supports && CSS.supports("field-sizing", "content")) return;
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }
  function growAll(root) {
    (root || document).querySelectorAll("textarea[data-grow]").forEach(grow);
  }
  growAll();
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-grow]")) grow(event.target);
  });
  document.addEventListener("htmx:afterSettle", function (event) { growAll(event.target); });
  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!(area.matches && area.matches("textarea[data-grow]")) || !area.form) return;
    event.preventDefault();
    if (area.form.requestSubmit) area.form.requestSubmit(); else area.form.submit();
  });
  // A long list that would fill a phone's first screen starts folded there (its summary says
  // how far along it is).
  if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll("details[data-close-narrow]").forEach(function (d) { d.open = false; });
  }
  // Small GET forms (a period picker) apply as soon as a choice is made.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
