/* minapi dashboard: small enhancements on top of plain HTML forms (copy buttons, field editor rows).
   Every page works without this file. */
(function () {
  "use strict";
  function copyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (source) {
      if (source.dataset.copyReady) return;
      source.dataset.copyReady = "1";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy secondary";
      button.textContent = "Copy";
      var what = document.createElement("span");
      what.className = "sr-only";
      what.textContent = " " + (source.dataset.copy || "text");
      button.appendChild(what);
      button.addEventListener("click", function () {
        var text = source.textContent;
        var done = function () {
          button.firstChild.nodeValue = "Copied";
          setTimeout(function () { button.firstChild.nodeValue = "Copy"; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
        } else { fallback(text); done(); }
      });
      source.insertAdjacentElement("afterend", button);
    });
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(area);
  }
  function fieldEditor(editor) {
    var rows = editor.querySelector("[data-rows]");
    var template = editor.querySelector("template");
    function renumber() {
      rows.querySelectorAll(".field-row").forEach(function (row, i) {
        row.querySelectorAll("[name]").forEach(function (input) {
          input.name = input.name.replace(/^fields-\d+-/, "fields-" + i + "-");
          if (input.id) input.id = input.id.replace(/^fields-\d+-/, "fields-" + i + "-");
        });
        row.querySelectorAll("label[for]").forEach(function (label) {
          label.htmlFor = label.htmlFor.replace(/^fields-\d+-/, "fields-" + i + "-");
        });
      });
      editor.querySelector("[name=field_count]").value = rows.querySelectorAll(".field-row").length;
    }
    function addRemove(row) {
      if (row.querySelector(".remove-field")) return;
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "secondary remove-field"; remove.textContent = "Remove";
      remove.addEventListener("click", function () { row.remove(); renumber(); });
      row.appendChild(remove);
    }
    rows.querySelectorAll(".field-row").forEach(addRemove);
    var add = document.createElement("button");
    add.type = "button"; add.className = "secondary add-field"; add.textContent = "Add field";
    add.addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      rows.appendChild(row); addRemove(row); renumber();
      var first = row.querySelector("input"); if (first) first.focus();
    });
    rows.insertAdjacentElement("afterend", add);
  }
  document.addEventListener("DOMContentLoaded", function () {
    copyButtons(document);
    document.querySelectorAll("[data-field-editor]").forEach(fieldEditor);
  });
})();
