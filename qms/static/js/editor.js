// The section editor of a draft revision: contenteditable areas synced into hidden textareas.
// The server sanitises everything it receives (nh3); this only makes writing comfortable.
(function () {
  var form = document.querySelector("[data-editor]");
  if (!form) { return; }
  var lastBody = null;

  function renumber() {
    form.querySelectorAll("[data-section] .section-number").forEach(function (el, i) { el.textContent = (i + 1) + "."; });
  }
  function insertTable(body, spec) {
    var parts = (spec || "").split(/[,x× ]+/).map(function (n) { return parseInt(n, 10); });
    var cols = parts[0] > 0 ? Math.min(parts[0], 12) : 5, rows = parts[1] > 0 ? Math.min(parts[1], 60) : 3;
    var html = "<table><thead><tr>";
    for (var c = 0; c < cols; c++) { html += "<th>&nbsp;</th>"; }
    html += "</tr></thead><tbody>";
    for (var r = 0; r < rows; r++) { html += "<tr>"; for (c = 0; c < cols; c++) { html += "<td>&nbsp;</td>"; } html += "</tr>"; }
    body.focus();
    document.execCommand("insertHTML", false, html + "</tbody></table><p><br></p>");
  }
  function addRow() {
    var selection = window.getSelection();
    var node = selection && selection.anchorNode;
    var row = node && (node.nodeType === 1 ? node : node.parentElement).closest("tr");
    if (!row) { return; }
    var copy = row.cloneNode(true);
    copy.querySelectorAll("td,th").forEach(function (cell) { cell.innerHTML = "&nbsp;"; });
    row.parentNode.insertBefore(copy, row.nextSibling);
  }
  form.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-body]")) { lastBody = event.target; }
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cmd]");
    if (button) {
      event.preventDefault();
      var body = button.closest("[data-section]").querySelector("[data-body]");
      body.focus();
      var cmd = button.getAttribute("data-cmd");
      if (cmd === "table") { insertTable(body, window.prompt(button.getAttribute("data-prompt"), "5,3")); }
      else if (cmd === "addRow") { addRow(); }
      else { document.execCommand(cmd, false, null); }
      return;
    }
    if (event.target.closest("[data-remove-section]")) {
      var section = event.target.closest("[data-section]");
      if (form.querySelectorAll("[data-section]").length > 1) { section.remove(); renumber(); }
      return;
    }
    if (event.target.closest("[data-add-section]")) {
      var template = document.getElementById("section-template");
      document.getElementById("sections").appendChild(template.content.cloneNode(true));
      renumber();
    }
  });
  form.addEventListener("submit", function () {
    form.querySelectorAll("[data-section]").forEach(function (section) {
      section.querySelector("textarea[name=section_body]").value = section.querySelector("[data-body]").innerHTML;
    });
  });
})();
