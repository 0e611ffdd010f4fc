// The progress bar of a dossier import: poll the import's progress (JSON) until it is over, then show its report.
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-progress");
  var fill = box.querySelector(".import-progress-fill");
  var bar = box.querySelector("[role=progressbar]");
  var percent = box.querySelector("[data-progress-percent]");
  var phase = box.querySelector("[data-progress-phase]");
  var rows = box.querySelector("[data-progress-rows]");
  var delay = 700;

  function show(data) {
    var value = Math.max(0, Math.min(100, data.percent || 0));
    fill.style.width = value + "%";
    bar.setAttribute("aria-valuenow", String(value));
    percent.textContent = value.toLocaleString() + " %";
    if (data.phase_label) { phase.textContent = data.phase_label; }
    if (data.detail) { rows.textContent = "· " + data.detail; }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        show(data);
        if (data.over) { window.location.reload(); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 300);
})();
