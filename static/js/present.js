// The retro's presentation view: the arrow keys step through the groups.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.target.closest("input, textarea, select")) return;
    var link = null;
    if (event.key === "ArrowRight" || event.key === "PageDown") link = document.getElementById("present-next");
    if (event.key === "ArrowLeft" || event.key === "PageUp") link = document.getElementById("present-prev");
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
})();
