(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr"));
  var status = document.getElementById("f-status");
  var severity = document.getElementById("f-severity");
  var control = document.getElementById("f-control");
  var file = document.getElementById("f-file");
  var count = document.getElementById("shown-count");

  function statusMatches(rowStatus) {
    if (status.value === "all") return true;
    if (status.value === "open") return rowStatus !== "pass";
    return rowStatus === status.value;
  }

  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var visible =
        statusMatches(row.dataset.status) &&
        Number(row.dataset.rank) >= Number(severity.value) &&
        (control.value === "" || row.dataset.control === control.value) &&
        (file.value === "" || row.dataset.file === file.value);
      row.hidden = !visible;
      if (visible) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " findings shown";
  }

  [status, severity, control, file].forEach(function (select) {
    select.addEventListener("change", apply);
  });
  document.querySelectorAll("[data-filter-control]").forEach(function (link) {
    link.addEventListener("click", function () {
      control.value = link.dataset.filterControl;
      status.value = "all";
      apply();
    });
  });
  apply();
})();
