// The review page: comments sit on the passages they quote, a selected passage can be commented
// on, and typing @ in a comment offers the people to mention. Without this file the page still
// works: comments go on a section or on the whole post-mortem.
(function () {
  "use strict";
  var layout = document.querySelector(".review-layout");
  if (!layout) return;

  // ---- passages: mark each quoted passage in its section ---------------------------------
  function normalise(text) { return text.replace(/\s+/g, " "); }

  // The element's text with runs of white space collapsed, and for each of its characters the
  // text node and offset it came from.
  function textMap(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var chars = [], text = "", lastSpace = true, node;
    while ((node = walker.nextNode())) {
      var raw = node.nodeValue;
      for (var i = 0; i < raw.length; i++) {
        var space = /\s/.test(raw[i]);
        if (space && lastSpace) continue;
        text += space ? " " : raw[i];
        chars.push({node: node, offset: i});
        lastSpace = space;
      }
    }
    return {text: text, chars: chars};
  }

  function markPassage(prose, quote, id) {
    var map = textMap(prose);
    var at = map.text.indexOf(quote);
    if (at < 0 || !quote) return false;
    var first = map.chars[at], last = map.chars[at + quote.length - 1];
    var nodes = [];
    for (var k = at; k < at + quote.length; k++) {
      if (nodes.indexOf(map.chars[k].node) < 0) nodes.push(map.chars[k].node);
    }
    // Wrap each text node's share of the passage, so markup between them stays whole.
    nodes.forEach(function (node, index) {
      var from = node === first.node ? first.offset : 0;
      var to = node === last.node ? last.offset + 1 : node.nodeValue.length;
      if (to <= from) return;
      var middle = node.splitText(from);
      middle.splitText(to - from);
      var mark = document.createElement("mark");
      mark.className = "passage";
      mark.dataset.comment = id;
      if (index === 0) mark.id = "passage-" + id;
      middle.parentNode.replaceChild(mark, middle);
      mark.appendChild(middle);
      mark.addEventListener("click", function () {
        var comment = document.getElementById("comment-" + id);
        if (comment) comment.scrollIntoView({block: "center"});
      });
    });
    return true;
  }

  document.querySelectorAll(".comment[data-quote]").forEach(function (comment) {
    var section = document.getElementById("s-" + comment.dataset.section);
    var prose = section && section.querySelector(".prose");
    var id = comment.id.replace("comment-", "");
    if (prose && !comment.classList.contains("resolved")) markPassage(prose, comment.dataset.quote, id);
  });

  // ---- selecting a passage offers to comment on it ---------------------------------------
  var button = document.getElementById("comment-passage");
  var chosen = null;

  function selectedPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    var container = range.commonAncestorContainer;
    var element = container.nodeType === 1 ? container : container.parentElement;
    var prose = element && element.closest(".doc-section .prose");
    var section = prose && prose.closest(".doc-section");
    var text = normalise(selection.toString()).trim();
    if (!section || !text || !section.querySelector("[data-comment-form]")) return null;
    return {section: section, text: text.slice(0, 1000), rect: range.getBoundingClientRect()};
  }

  function offer() {
    chosen = selectedPassage();
    if (!chosen) { button.hidden = true; return; }
    button.style.top = (window.scrollY + chosen.rect.bottom + 6) + "px";
    button.style.left = (window.scrollX + chosen.rect.left) + "px";
    button.hidden = false;
  }

  document.addEventListener("mouseup", function () { setTimeout(offer, 0); });
  document.addEventListener("keyup", function (event) { if (event.shiftKey) offer(); });

  function setQuote(form, text) {
    form.querySelector('input[name="quote"]').value = text;
    var preview = form.querySelector(".quote-preview");
    preview.querySelector("[data-quote-preview]").textContent = text;
    preview.hidden = !text;
  }

  button.addEventListener("mousedown", function (event) { event.preventDefault(); });
  button.addEventListener("click", function () {
    if (!chosen) return;
    var form = chosen.section.querySelector("[data-comment-form]");
    var details = form.closest("details");
    if (details) details.open = true;
    setQuote(form, chosen.text);
    button.hidden = true;
    form.querySelector("textarea").focus();
    form.scrollIntoView({block: "nearest"});
  });

  document.querySelectorAll("[data-clear-quote]").forEach(function (clear) {
    clear.addEventListener("click", function () { setQuote(clear.closest("form"), ""); });
  });

  // ---- @mentions --------------------------------------------------------------------------
  var people = JSON.parse(layout.dataset.people || "[]");
  var list = document.createElement("ul");
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  document.body.appendChild(list);
  var active = null, choices = [], current = 0;

  function typedHandle(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|[\s(])@([\w.+-]*)$/.exec(before);
    return match ? match[2] : null;
  }

  function closeList() { list.hidden = true; active = null; }

  function choose(index) {
    var person = choices[index];
    var textarea = active;
    if (!person || !textarea) return;
    var caret = textarea.selectionStart;
    var before = textarea.value.slice(0, caret).replace(/@[\w.+-]*$/, "@" + person.handle + " ");
    textarea.value = before + textarea.value.slice(caret);
    textarea.selectionStart = textarea.selectionEnd = before.length;
    closeList();
    textarea.focus();
  }

  function draw(textarea) {
    var typed = typedHandle(textarea);
    if (typed === null) { closeList(); return; }
    var lower = typed.toLowerCase();
    choices = people.filter(function (person) {
      return person.handle.toLowerCase().indexOf(lower) === 0 ||
        person.name.toLowerCase().split(/\s+/).some(function (word) { return word.indexOf(lower) === 0; });
    }).slice(0, 6);
    if (!choices.length) { closeList(); return; }
    active = textarea;
    current = 0;
    list.innerHTML = "";
    choices.forEach(function (person, index) {
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.textContent = person.name + " (@" + person.handle + ")";
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
      list.appendChild(item);
    });
    highlight();
    var rect = textarea.getBoundingClientRect();
    list.style.top = (window.scrollY + rect.bottom + 2) + "px";
    list.style.left = (window.scrollX + rect.left) + "px";
    list.hidden = false;
  }

  function highlight() {
    Array.prototype.forEach.call(list.children, function (item, index) {
      item.setAttribute("aria-selected", index === current ? "true" : "false");
    });
  }

  document.querySelectorAll("textarea[data-mentions]").forEach(function (textarea) {
    textarea.addEventListener("input", function () { draw(textarea); });
    textarea.addEventListener("blur", closeList);
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || active !== textarea) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        current = (current + (event.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
        highlight();
        event.preventDefault();
      } else if (event.key === "Enter" || event.key === "Tab") {
        choose(current);
        event.preventDefault();
      } else if (event.key === "Escape") {
        closeList();
      }
    });
  });
})();
