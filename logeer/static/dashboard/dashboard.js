/* The evaluation dashboard's charts (Chart.js, vendored). The numbers are also in the tables
   beside each chart; without JavaScript the tables are all there is, and nothing is lost. */
(function () {
  "use strict";

  var BLUE = "#154273", LIGHT = "#8fb3dc", GREEN = "#0b6e2f", RED = "#b00020", GREY = "#6b6b6b";

  function data() {
    var node = document.getElementById("dashboard-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function bar(id, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: Object.assign({
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true } }
      }, options || {})
    });
  }

  function pick(rows, key) { return rows.map(function (row) { return row[key]; }); }
  function percent(rows) {
    return rows.map(function (row) { return row.occupancy_rate === null ? null : Math.round(row.occupancy_rate * 1000) / 10; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var d = data();
    if (!d || !window.Chart) { return; }
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      window.Chart.defaults.animation = false;
    }
    window.Chart.defaults.font.size = 14;
    window.Chart.defaults.color = "#1a1a1a";

    bar("chart-by-month", pick(d.by_month, "month"), [
      { label: "Beschikbaar", data: pick(d.by_month, "available_bed_nights"), backgroundColor: LIGHT },
      { label: "Bezet", data: pick(d.by_month, "occupied_bed_nights"), backgroundColor: BLUE }
    ]);
    bar("chart-by-provider", pick(d.by_provider, "name"), [
      { label: "Bezettingsgraad (%)", data: percent(d.by_provider), backgroundColor: BLUE }
    ], { indexAxis: "y", scales: { x: { beginAtZero: true, max: 100 } } });
    bar("chart-demand", pick(d.demand_by_month, "month"), [
      { label: "Aanvragen", data: pick(d.demand_by_month, "requests"), backgroundColor: GREY },
      { label: "Geplaatst", data: pick(d.demand_by_month, "placed"), backgroundColor: GREEN },
      { label: "Onvervuld", data: pick(d.demand_by_month, "unmet"), backgroundColor: RED }
    ]);
    bar("chart-reasons", pick(d.reasons, "label"), [
      { label: "Verblijven", data: pick(d.reasons, "stays"), backgroundColor: BLUE }
    ], { indexAxis: "y" });
    bar("chart-funding", pick(d.funding, "label"), [
      { label: "Verblijven", data: pick(d.funding, "stays"), backgroundColor: BLUE }
    ], { indexAxis: "y" });
    bar("chart-burden", ["Vóór het logeren", "Na het logeren"], [
      { label: "Gemiddelde belasting (0–10)", data: [d.burden.mean_burden_before, d.burden.mean_burden_after],
        backgroundColor: [LIGHT, BLUE] }
    ], { scales: { y: { beginAtZero: true, max: 10 } } });
  });
})();
