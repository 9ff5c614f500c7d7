// The import page: several files dropped or chosen at once are sent one by one, with a
// progress bar and each file's result as it comes. Without JavaScript the form posts them all
// and the server answers with the same per-file results.
(function () {
  "use strict";
  var input = document.querySelector("[data-import-files]");
  if (!input) return;
  var form = input.form;
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var box = document.querySelector("[data-import-progress]");
  var bar = document.querySelector("[data-import-bar]");
  var count = document.querySelector("[data-import-count]");
  var list = document.querySelector("[data-import-results]");
  var publish = document.querySelector("[data-import-publish]");

  function many() {
    var files = input.files;
    return files.length > 1 || (files.length === 1 && /\.zip$/i.test(files[0].name));
  }

  function line(result) {
    var item = document.createElement("li");
    item.dataset.status = result.status;
    var name = document.createElement("strong");
    name.textContent = result.file + ": ";
    item.appendChild(name);
    if (result.url) {
      item.appendChild(document.createTextNode(result.status === "duplicate" ? "already there as " : "imported as "));
      var link = document.createElement("a");
      link.href = result.url;
      link.textContent = result.key;
      item.appendChild(link);
    } else {
      item.appendChild(document.createTextNode("not imported: " + (result.line ? "line " + result.line + ": " : "") + result.message));
    }
    list.appendChild(item);
  }

  function send(files, index) {
    bar.max = files.length;
    bar.value = index;
    count.textContent = index + " of " + files.length + " files";
    if (index >= files.length) {
      count.textContent = "Done: " + files.length + " file(s). " +
        list.querySelectorAll('[data-status="imported"]').length + " imported.";
      input.disabled = false;
      return;
    }
    var body = new FormData();
    body.append("file", files[index]);
    body.append("csrf_token", csrf);
    if (publish && publish.checked) body.append("publish", "1");
    fetch(input.dataset.oneUrl, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (data) { (data.results || []).forEach(line); })
      .catch(function () { line({file: files[index].name, status: "failed", message: "the upload failed"}); })
      .then(function () { send(files, index + 1); });
  }

  form.addEventListener("submit", function (event) {
    if (!many()) return;
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    box.hidden = false;
    list.textContent = "";
    input.disabled = true;
    send(files, 0);
  });

  var drop = document.querySelector("[data-import-drop]");
  if (drop) {
    drop.addEventListener("dragover", function (event) { event.preventDefault(); drop.classList.add("dropping"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("dropping"); });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      drop.classList.remove("dropping");
      input.files = event.dataTransfer.files;
      if (many()) form.requestSubmit();
    });
  }
})();
