// The step editor of a draft process version: add and remove rows, renumber the steps B1, B2, …
// (branches follow their steps), and a running total of the allotted time against the limit.
// The page works without this file: the server renders blank rows and checks everything it receives.
(function () {
  var form = document.querySelector("[data-process-editor]");
  if (!form) { return; }
  var stepRows = form.querySelector("[data-step-rows]");
  var branchRows = form.querySelector("[data-branch-rows]");
  var MINUTES = { working_days: 480, working_hours: 60, calendar_days: 1440 };
  var limitMinutes = parseInt(form.getAttribute("data-limit-minutes"), 10) || 0;
  var limitUnit = form.getAttribute("data-limit-unit");

  form.querySelectorAll("[data-js-only], [data-remove-row], [data-running-total]").forEach(function (el) {
    el.hidden = false;
  });

  function renumberRows(body) {
    body.querySelectorAll("[data-row-number]").forEach(function (cell, i) { cell.textContent = i + 1; });
    body.querySelectorAll("[data-step-code]").forEach(function (input, i) { input.placeholder = "B" + (i + 1); });
  }

  function addRow(templateId, body) {
    var row = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[data-remove-row]").forEach(function (b) { b.hidden = false; });
    body.appendChild(row);
    renumberRows(body);
    var first = row.querySelector("input[type=text]");
    if (first) { first.focus(); }
  }

  function isBlank(row) {
    return !row.querySelector("[data-step-code]").value.trim() && !row.querySelector("[data-step-name]").value.trim();
  }

  // B1, B2, … in table order; the branches' step codes are changed with them.
  function renumberSteps() {
    var renamed = {};
    var n = 0;
    stepRows.querySelectorAll("[data-step-row]").forEach(function (row) {
      if (isBlank(row)) { return; }
      n += 1;
      var input = row.querySelector("[data-step-code]");
      var old = input.value.trim().toUpperCase();
      if (old) { renamed[old] = "B" + n; }
      input.value = "B" + n;
    });
    branchRows.querySelectorAll("[data-branch-step]").forEach(function (input) {
      var code = input.value.trim().toUpperCase();
      if (code && renamed[code]) { input.value = renamed[code]; }
    });
  }

  function amountOf(text) {
    var value = parseFloat(String(text).trim().replace(",", "."));
    return isNaN(value) || value < 0 ? null : value;
  }

  function format(value) {
    var text = (Math.round(value * 100) / 100).toString();
    return document.documentElement.lang === "vi" ? text.replace(".", ",") : text;
  }

  function updateTotal() {
    var box = form.querySelector("[data-running-total]");
    var output = form.querySelector("[data-total-value]");
    if (!box || !output) { return; }
    var limitIsWorking = limitUnit !== "calendar_days";
    var total = 0;
    var mixed = false;
    stepRows.querySelectorAll("[data-step-row]").forEach(function (row) {
      if (isBlank(row)) { return; }
      var amount = amountOf(row.querySelector("[data-step-amount]").value);
      var unit = row.querySelector("[data-step-unit]").value;
      if (amount === null) { return; }
      if ((unit !== "calendar_days") !== limitIsWorking) { mixed = true; return; }
      total += amount * MINUTES[unit];
    });
    var shown = MINUTES[limitUnit] || 480;
    output.textContent = format(total / shown) + " " + form.getAttribute("data-label-" + limitUnit) + (mixed ? " (+ ?)" : "");
    box.classList.toggle("is-over", total > limitMinutes || mixed);
    box.classList.toggle("is-exact", total === limitMinutes && !mixed);
  }

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-add-step]")) { addRow("step-row-template", stepRows); updateTotal(); return; }
    if (target.closest("[data-add-branch]")) { addRow("branch-row-template", branchRows); return; }
    if (target.closest("[data-renumber]")) { renumberSteps(); return; }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      var body = row.parentNode;
      row.remove();
      renumberRows(body);
      updateTotal();
    }
  });
  form.addEventListener("input", updateTotal);
  form.addEventListener("change", updateTotal);
  updateTotal();
})();
