/* Draws every chart of a statistics page with the vendored ECharts (no CDN).
 * Each <div data-chart="ID"> takes its data from <script type="application/json" id="ID">
 * written by Django's json_script: {kind, title, measure, labels, series: [{name, data, color?}]}.
 * The table under each chart holds the same figures for readers without a canvas. */
(function () {
  "use strict";

  function lineOrBar(spec) {
    var stacked = spec.kind === "bar" && spec.series.length > 1;
    return {
      tooltip: { trigger: "axis" },
      legend: spec.series.length > 1 ? { type: "scroll", bottom: 0 } : undefined,
      grid: { left: 64, right: 16, top: 16, bottom: spec.series.length > 1 ? 48 : 32 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: spec.kind,
          data: s.data,
          stack: stacked ? "total" : undefined,
          itemStyle: s.color ? { color: s.color } : undefined,
          connectNulls: true
        };
      })
    };
  }

  function pie(spec) {
    var first = spec.series[0] || { data: [] };
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        name: first.name,
        type: "pie",
        radius: ["35%", "65%"],
        data: spec.labels.map(function (label, i) { return { name: label, value: first.data[i] }; })
      }]
    };
  }

  function gauges(spec) {
    var n = spec.series.length || 1;
    return {
      series: spec.series.map(function (s, i) {
        var warn = (s.warn || 80) / 100;
        return {
          type: "gauge",
          name: s.name,
          center: [((i + 0.5) * 100 / n) + "%", "55%"],
          radius: Math.min(90, 160 / n) + "%",
          min: 0,
          max: 100,
          axisLine: { lineStyle: { width: 10, color: [[warn, "#1b7f3b"], [1, "#c0392b"]] } },
          pointer: { width: 4 },
          axisLabel: { distance: 14, fontSize: 9 },
          splitLine: { length: 8 },
          detail: { formatter: "{value}%", fontSize: 14, offsetCenter: [0, "70%"] },
          title: { offsetCenter: [0, "95%"], fontSize: 12 },
          data: [{ value: s.data[0], name: s.name }]
        };
      })
    };
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.series.length || (spec.kind !== "gauge" && !spec.labels.length)) {
      element.classList.add("chart-empty");
      return;
    }
    var option = spec.kind === "pie" ? pie(spec) : spec.kind === "gauge" ? gauges(spec) : lineOrBar(spec);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });
})();
