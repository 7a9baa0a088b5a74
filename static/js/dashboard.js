// The dashboards' charts, drawn with the vendored Chart.js from the table beside each chart: the table is
// the source of every figure, for screen readers, for copying, and for the chart. Hidden figures ("fewer
// than 5") have no data-value and are gaps in the chart, never zeros.
(() => {
  "use strict";
  // Colours with at least 3:1 contrast on white, told apart by dash and point style too (not colour alone).
  const SERIES = [
    { color: "#1f4e79", dash: [], point: "circle" },
    { color: "#b35900", dash: [6, 4], point: "rectRot" },
    { color: "#2e7d32", dash: [2, 3], point: "triangle" },
    { color: "#6a1b9a", dash: [10, 3, 2, 3], point: "rect" },
  ];
  const charts = [];

  function cellText(cell) {
    // The row header's first line (a note may follow on the next line).
    return (cell.childNodes[0] && cell.childNodes[0].textContent || cell.textContent).trim();
  }

  function tableData(table) {
    const columns = (table.dataset.chartColumns || "0").split(",").map(Number);
    const headers = Array.from(table.tHead.rows[0].cells).slice(1);
    const rows = Array.from(table.tBodies[0].rows).filter((row) => !row.dataset.chartSkip && row.cells.length > 1);
    const labels = rows.map((row) => cellText(row.cells[0]));
    const datasets = columns.map((column, index) => {
      const style = SERIES[index % SERIES.length];
      return {
        label: headers[column] ? headers[column].textContent.trim() : "",
        data: rows.map((row) => {
          const cell = row.cells[column + 1];
          const value = cell && cell.dataset.value;
          return value === undefined || value === "" ? null : Number(value);
        }),
        backgroundColor: style.color,
        borderColor: style.color,
        borderDash: style.dash,
        pointStyle: style.point,
        pointRadius: 4,
        spanGaps: false,
      };
    });
    return { labels, datasets };
  }

  function draw(canvas) {
    const table = document.getElementById(canvas.dataset.chartFor);
    if (!table || !window.Chart) return;
    const kind = table.dataset.chart;
    const data = tableData(table);
    const chart = new window.Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data,
      options: {
        indexAxis: kind === "hbar" ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.datasets.length > 1, labels: { usePointStyle: true } },
          tooltip: { enabled: true },
        },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
      },
    });
    charts.push(chart);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas[data-chart-for]").forEach(draw);
    document.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    });
  });
  // A printed page is narrower than the screen: redraw at the paper's size (printing from the browser
  // fires beforeprint; a PDF printed by a headless browser changes the media query).
  const redraw = () => charts.forEach((chart) => chart.resize());
  window.addEventListener("beforeprint", redraw);
  window.addEventListener("afterprint", redraw);
  window.matchMedia("print").addEventListener("change", redraw);
})();
