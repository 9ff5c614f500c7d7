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
  // Small GET forms (a period picker) apply as soon as a choice is made.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
