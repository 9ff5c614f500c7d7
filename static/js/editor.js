// The post-mortem editor: autosave, live preview, live metrics, and merging after a conflict.
// Without JavaScript the page still works: the Save button posts the whole form.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) return;

  var statusEl = document.getElementById("save-status");
  var versionInput = document.getElementById("version");
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var AUTOSAVE_DELAY = 1200;
  var PREVIEW_DELAY = 350;
  var saveTimer = null;
  var dirty = false;
  var saving = false;
  var paused = false;   // while a conflict is being merged
  var pendingVersion = null;
  var servicesInput = form.querySelector('input[name="services"]');
  var savedServices = servicesInput ? servicesInput.value : "";

  document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": csrf}));

  function setStatus(text, state) {
    statusEl.textContent = text;
    statusEl.dataset.state = state || "";
  }

  // Times on the person's clock (Your account: 24-hour unless they chose 12-hour).
  var twelve = document.body.dataset.clock === "12h";
  function clockText(hour, minute, second) {
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var tail = ":" + pad(minute) + (second === undefined ? "" : ":" + pad(second));
    if (twelve) return (hour % 12 || 12) + tail + (hour < 12 ? " AM" : " PM");
    return pad(hour) + tail;
  }
  // Now on the person's clock, in their zone (Your account), with the zone named.
  function timeNow() {
    var zone = document.body.dataset.zone || undefined;
    try {
      var parts = new Intl.DateTimeFormat("en-GB", {timeZone: zone, hour: "2-digit", minute: "2-digit",
        second: "2-digit", hour12: false, timeZoneName: "short"}).formatToParts(new Date());
      var get = function (type) {
        var part = parts.filter(function (p) { return p.type === type; })[0];
        return part ? part.value : "";
      };
      return clockText(parseInt(get("hour"), 10) % 24, parseInt(get("minute"), 10),
                       parseInt(get("second"), 10)) + " " + get("timeZoneName");
    } catch (e) {
      var d = new Date();
      return clockText(d.getHours(), d.getMinutes(), d.getSeconds());
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"},
      credentials: "same-origin"
    });
  }

  // ---- autosave -------------------------------------------------------------------------
  function scheduleSave() {
    dirty = true;
    if (paused) return;
    setStatus("Unsaved changes…", "dirty");
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, AUTOSAVE_DELAY);
  }

  var inflight = null;  // the save under way, so later saves and navigation can wait for it

  function save() {
    if (paused) return Promise.resolve();
    if (inflight) {
      return inflight.then(function () { return dirty ? save() : null; });
    }
    saving = true;
    dirty = false;
    setStatus("Saving…", "saving");
    inflight = post(form.dataset.autosaveUrl, new FormData(form)).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (result) {
      if (result.status === 200) {
        versionInput.value = result.body.version;
        setStatus("Saved at " + timeNow() + " · version " + result.body.version, "saved");
        clearFieldErrors();
        updateMetrics(result.body.metrics);
        swapFragments(result.body.html);
        refreshSuggestions();
        refreshSimilar();
        if (dirty) scheduleSave();
      } else if (result.status === 409 && result.body.conflict) {
        showConflict(result.body.conflict, result.body.html);
      } else if (result.status === 409) {
        paused = true;
        setStatus(result.body.error.message, "error");
      } else if (result.status === 422) {
        dirty = true;
        showFieldErrors(result.body.error.fields || {});
        setStatus("Not saved: " + describeErrors(result.body.error.fields), "error");
      } else {
        dirty = true;
        setStatus("Not saved (" + result.status + "). Your text is kept; retrying…", "error");
        saveTimer = setTimeout(save, 5000);
      }
    }).catch(function (error) {
      if (window.console) console.warn("autosave failed", error);
      dirty = true;
      setStatus("Offline? Not saved yet — your text is kept; retrying…", "error");
      saveTimer = setTimeout(save, 5000);
    }).then(function () {
      saving = false;
      inflight = null;
    });
    return inflight;
  }

  // New services mean other deployments to suggest: redraw that section once saved.
  function refreshSuggestions() {
    if (!servicesInput || servicesInput.value === savedServices || !window.htmx) return;
    savedServices = servicesInput.value;
    window.htmx.ajax("GET", form.dataset.deploymentsUrl, {target: "#deployments", swap: "outerHTML"});
  }

  // The insight job runs a moment after writes settle: ask for the similar post-mortems again
  // once it has had time to see this save.
  var similarTimer = null;
  function refreshSimilar() {
    if (!form.dataset.similarUrl || !window.htmx || !document.getElementById("similar-panel")) return;
    clearTimeout(similarTimer);
    similarTimer = setTimeout(function () {
      window.htmx.ajax("GET", form.dataset.similarUrl, {target: "#similar-panel", swap: "outerHTML"});
    }, 3000);
  }

  // Field names as people say them: "detected_at" → "detected", "section-what_went_well" →
  // "what went well".
  function fieldLabel(name) {
    var input = form.querySelector('[name="' + name + '"]');
    var label = input && input.id ? form.querySelector('label[for="' + input.id + '"]') : null;
    if (label) return label.textContent.trim();
    return name.replace(/^section-/, "").replace(/_at$/, "").replace(/_/g, " ");
  }

  function describeErrors(fields) {
    return Object.keys(fields || {}).map(function (name) {
      return fieldLabel(name) + " " + fields[name].join(", ");
    }).join("; ");
  }

  function showFieldErrors(fields) {
    clearFieldErrors();
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (!input) return;
      var p = document.createElement("p");
      p.className = "error js-error";
      p.textContent = fields[name].join(", ");
      input.closest(".field") ? input.closest(".field").appendChild(p) : input.after(p);
    });
  }

  function clearFieldErrors() {
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "title") {
      document.getElementById("live-title").textContent = event.target.value || "Untitled";
    }
    if (event.target.dataset.time) updateMetricsFromInputs();
    if (event.target.dataset.section) schedulePreview(event.target);
    scheduleSave();
  });
  // Times are shown in the zone the page was rendered in. Choosing another zone saves what
  // was typed (in the old zone) and then redraws every time in the new one.
  var zoneSelect = form.querySelector('select[name="timezone"]');
  var renderZone = zoneSelect ? zoneSelect.value : "UTC";
  form.addEventListener("change", function (event) {
    if (event.target === zoneSelect) {
      var newZone = zoneSelect.value;
      zoneSelect.value = renderZone;
      clearTimeout(saveTimer);
      var go = function () {
        var params = new URLSearchParams(location.search);
        params.set("timezone", newZone);
        dirty = false;
        location.search = params.toString();
      };
      if (dirty || saving) {
        save().then(function () { if (!paused && !dirty) go(); });
      } else {
        go();
      }
      return;
    }
    scheduleSave();
  });
  form.addEventListener("submit", function (event) {
    if (paused) return;  // a plain post shows the server's merge view
    event.preventDefault();
    clearTimeout(saveTimer);
    save();
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty || saving || paused) { event.preventDefault(); event.returnValue = ""; }
  });

  // ---- live preview -----------------------------------------------------------------------
  var previewTimers = {};
  function schedulePreview(textarea) {
    var key = textarea.dataset.section;
    clearTimeout(previewTimers[key]);
    previewTimers[key] = setTimeout(function () {
      var body = new FormData();
      body.append("markdown", textarea.value);
      body.append("section", key);
      post(form.dataset.previewUrl, body).then(function (r) { return r.json(); }).then(function (data) {
        document.getElementById("preview-" + key).innerHTML = data.html;
        swapFragments(data.findings_html);
      }).catch(function () { /* the preview catches up on the next keystroke */ });
    }, PREVIEW_DELAY);
  }

  // The server renders the checklist, the findings and the conflict panel; htmx swaps each
  // fragment into the element with its id (hx-swap-oob), so the page never rebuilds them here.
  function swapFragments(html) {
    if (html && window.htmx) window.htmx.swap(document.body, html, {swapStyle: "none"});
  }

  // ---- metrics ------------------------------------------------------------------------------
  function humanize(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds) || seconds < 0) return "—";
    seconds = Math.round(seconds);
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + pad(m) + "m";
    if (m) return s ? m + "m " + pad(s) + "s" : m + "m";
    return s + "s";
  }

  function updateMetrics(metrics) {
    Object.keys(metrics).forEach(function (name) {
      var el = document.querySelector('[data-metric="' + name + '"]');
      if (el) el.textContent = metrics[name];
    });
  }

  function updateMetricsFromInputs() {
    // "2026-03-14 14:05", "2026-03-14T14:05" or "2026-03-14 2:05 PM", all four in the same
    // zone: read as if UTC, the differences hold.
    var value = function (name) {
      var v = form.querySelector('[name="' + name + '"]').value.trim();
      var m = /^(\d{4}-\d{2}-\d{2})[T ]\s*(\d{1,2})[:.h]?(\d{2})\s*(?:([AaPp])\.?\s*[Mm]?\.?)?$/.exec(v);
      if (!m) return null;
      var hour = parseInt(m[2], 10);
      if (m[4]) hour = hour % 12 + (m[4].toLowerCase() === "p" ? 12 : 0);
      var t = Date.parse(m[1] + "T" + (hour < 10 ? "0" : "") + hour + ":" + m[3] + ":00Z");
      return isNaN(t) ? null : t;
    };
    var start = value("started_at");
    var pairs = {time_to_detect_s: "detected_at", time_to_mitigate_s: "mitigated_at",
                 time_to_resolve_s: "resolved_at"};
    var metrics = {};
    Object.keys(pairs).forEach(function (metric) {
      var end = value(pairs[metric]);
      metrics[metric] = start !== null && end !== null ? humanize((end - start) / 1000) : "—";
    });
    updateMetrics(metrics);
  }

  // ---- conflicts ----------------------------------------------------------------------------
  function showConflict(conflict, html) {
    paused = true;
    pendingVersion = conflict.current_version;
    setStatus("Not saved: someone else saved version " + conflict.current_version, "error");
    swapFragments(html);
    var panel = document.getElementById("conflict-panel");
    if (!panel) return;
    panel.hidden = false;
    // Fields only they changed are taken into the form at once.
    panel.querySelectorAll('.conflict-field[data-kind="theirs"]').forEach(function (box) {
      var input = form.querySelector('[name="' + box.dataset.field + '"]');
      var theirs = box.querySelector('[data-take="theirs"]');
      if (input && theirs) { input.value = theirs.textContent; refreshPreview(input); }
    });
    panel.scrollIntoView({behavior: "smooth", block: "start"});
  }

  // Quick timeline entry: "Now" fills the current time in the editor's zone, and after an
  // event is added the cursor waits in the fresh row's time field for the next one.
  document.addEventListener("click", function (event) {
    var now = event.target.closest("[data-now]");
    if (!now) return;
    var row = now.closest("form");
    var zone = row.querySelector("[name=timezone]").value || "UTC";
    var parts = new Intl.DateTimeFormat("en-GB", {timeZone: zone, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false}).formatToParts(new Date());
    var get = function (type) { return parts.filter(function (p) { return p.type === type; })[0].value; };
    row.querySelector("[name=time]").value = clockText(parseInt(get("hour"), 10) % 24, parseInt(get("minute"), 10));
    var day = row.querySelector("[name=day]");
    var today = get("year") + "-" + get("month") + "-" + get("day");
    if (day && day.tagName === "SELECT" && Array.prototype.some.call(day.options, function (o) { return o.value === today; })) day.value = today;
    row.querySelector("[name=text]").focus();
  });
  // After a row is added or saved its section is redrawn: the cursor goes back where the person
  // was (the same field of the same row), or to the first field of the fresh "add" form, which
  // stays open for the next one.
  var returnTo = null;
  var FRESH = {"timeline-new": "tl-new-time", "factor-new": "factor-new-text", "action-new": "ai-title"};
  var sentForm = null;
  document.addEventListener("submit", function (event) {
    var row = event.target;
    var section = row.closest("#timeline, #factors, #action-items, #deployments");
    if (!section) return;
    sentForm = row;
    var active = document.activeElement;
    var fresh = row.matches("[data-testid=timeline-new]") ? "timeline-new"
      : row.matches(".factor-new") ? "factor-new" : row.matches(".action-form") ? "action-new" : null;
    returnTo = {section: section.id, fresh: fresh,
                id: active && row.contains(active) && active.id ? active.id : null};
  }, true);
  // A row saved, added or removed redraws its whole section (its order, its checks), and a
  // factor's or action item's change redraws, out of band, what the other section shows of it
  // (the action items list and the add form's factor choice; each factor's "addressed by"
  // line). What is typed or chosen but not saved yet in what is redrawn is put back, never
  // lost; the row that was sent shows what the server made of it.
  function changed(field) {
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }
  function keepTyped(root, except) {
    var kept = {};
    var fields = root.matches("input, select, textarea") ? [root]
      : root.querySelectorAll("input[id], select[id], textarea[id]");
    Array.prototype.forEach.call(fields, function (field) {
      if (field.id && field.type !== "hidden" && (!except || field.form !== except) && changed(field)) {
        kept[field.id] = field.value;
      }
    });
    return kept;
  }
  function putBack(kept) {
    Object.keys(kept || {}).forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.value = kept[id];
    });
  }
  var unsaved = null;
  var unsavedOob = null;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var section = event.detail.target;
    unsaved = section && section.matches && section.matches("#timeline, #factors")
      ? keepTyped(section, sentForm) : null;
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    putBack(unsaved);
    unsaved = null;
  });
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    unsavedOob = event.detail.target ? keepTyped(event.detail.target, null) : null;
  });
  document.body.addEventListener("htmx:oobAfterSwap", function () {
    putBack(unsavedOob);
    unsavedOob = null;
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!returnTo || !event.target || event.target.id !== returnTo.section) return;
    var target = returnTo;
    returnTo = null;
    var field = target.fresh ? document.getElementById(FRESH[target.fresh])
      : target.id ? document.getElementById(target.id) : null;
    if (target.fresh === "action-new" && field) field.closest("details").open = true;
    var conflict = event.target.querySelector("[data-testid=row-conflict], [data-testid=row-gone]");
    if (conflict) field = conflict.querySelector("button") || field;
    if (field) field.focus();
  });

  // On a phone the previews wait behind a button.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-preview-toggle]");
    if (!toggle) return;
    var editor = toggle.previousElementSibling;
    var shown = editor.classList.toggle("show-preview");
    toggle.setAttribute("aria-expanded", shown ? "true" : "false");
    toggle.textContent = shown ? "Hide preview" : "Show preview";
  });

  // Picking a side of a conflict, and saving the merged form (the panel is server-rendered).
  document.addEventListener("click", function (event) {
    var use = event.target.closest("#conflict-panel [data-use]");
    if (use) {
      var box = use.closest(".conflict-field");
      var input = form.querySelector('[name="' + box.dataset.field + '"]');
      var text = use.parentElement.querySelector(".conflict-text");
      if (input && text) { input.value = text.textContent; refreshPreview(input); }
      box.dataset.resolved = use.dataset.use;
      return;
    }
    if (event.target.closest("#save-merged")) {
      versionInput.value = pendingVersion;
      paused = false;
      document.getElementById("conflict-panel").hidden = true;
      save();
    }
  });

  function refreshPreview(input) {
    if (input && input.dataset && input.dataset.section) schedulePreview(input);
    if (input && input.name === "title") document.getElementById("live-title").textContent = input.value;
  }

  // The server-rendered merge view (after a plain post) already holds the merged form.
  if (document.getElementById("server-conflict")) setStatus("Merge, then save", "error");
})();
