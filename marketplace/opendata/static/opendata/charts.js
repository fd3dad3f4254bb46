/* Open-data page: draws a bar chart on every <canvas data-chart="{...}"> with the vendored
   Chart.js (no inline script: the data is in the attribute, the same figures as the table next
   to it). Spec: {"labels": [...], "series": [{"label": "...", "data": [...]}],
   "horizontal": true|false}. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var canvases = document.querySelectorAll("canvas[data-chart]");
  Array.prototype.forEach.call(canvases, function (canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (error) {
      return;
    }
    if (!spec || !spec.labels || spec.labels.length === 0) {
      return;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series) {
          return {label: series.label, data: series.data};
        })
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        animation: false,
        plugins: {legend: {position: "bottom"}}
      }
    });
  });
})();
