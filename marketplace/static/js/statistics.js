// Draws the statistics charts with the vendored Chart.js. The data comes as JSON in the
// data-charts attribute of <div id="statistics-charts">; each <canvas data-chart="name"> gets
// the chart of that name. No inline scripts (the CSP allows 'self' only).
(function () {
  "use strict";
  var source = document.getElementById("statistics-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var charts;
  try { charts = JSON.parse(source.getAttribute("data-charts") || "{}"); } catch (e) { return; }
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = charts[canvas.getAttribute("data-chart")];
    if (!spec || !spec.labels || spec.labels.length === 0) {
      canvas.parentNode.classList.add("d-none");
      return;
    }
    var datasets = spec.datasets.map(function (d, i) {
      var colour = palette[i % palette.length];
      return { label: d.label, data: d.data, backgroundColor: colour, borderColor: colour,
               pointRadius: spec.type === "line" ? 0 : 3, fill: false };
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: true, aspectRatio: 2, animation: false,
        scales: { x: { stacked: !!spec.stacked },
                  y: { stacked: !!spec.stacked, beginAtZero: true,
                       title: { display: !!spec.unit, text: spec.unit } } }
      }
    });
  });
})();
