/* The findings table: sort by a column (click its header), filter by text and severity.
   Plain JavaScript, no library, nothing fetched. With scripts off the page shows every row,
   worst first, and no controls (they start hidden). The page's CSP allows exactly this text. */
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var controls = document.getElementById("findings-controls");
  if (!table || !controls) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("findings-text");
  var severity = document.getElementById("findings-severity");
  var shown = document.getElementById("findings-shown");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function value(row, column) {
    var cell = row.cells[column];
    var sortAs = cell.getAttribute("data-v");
    return sortAs !== null ? sortAs : cell.textContent.trim().toLowerCase();
  }

  function filter() {
    var wanted = text.value.trim().toLowerCase();
    var level = severity.value;
    var count = 0;
    rows.forEach(function (row) {
      var show = (!level || row.getAttribute("data-severity") === level) &&
        (!wanted || row.textContent.toLowerCase().indexOf(wanted) !== -1);
      row.hidden = !show;
      if (show) { count += 1; }
    });
    shown.textContent = String(count);
  }

  function sortBy(column, button) {
    var th = headers[column];
    var up = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = value(a, column);
      var y = value(b, column);
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    button.focus();
  }

  headers.forEach(function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(column, button); });
  });
  table.className += " sortable";
  text.addEventListener("input", filter);
  severity.addEventListener("change", filter);
  controls.hidden = false;
  filter();
}());
