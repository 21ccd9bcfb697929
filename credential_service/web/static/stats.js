// Draws an Apache ECharts chart (served from /static/echarts/) above each table[data-chart] of the
// statistics pages. The table stays: it is the whole figure without JavaScript and for screen readers,
// so the chart is hidden from them (aria-hidden) and reads its numbers from the table itself:
//   <table data-chart="bar|line" data-unit="%">
//     <th data-series data-target="37" data-target-label="目标 37%"> … a column drawn as a series,
//     with an optional target line; tbody rows: <th> the category, <td data-value="12.3"> the values.
// A file of its own, not an inline script: the page's CSP allows scripts from this site only.
(function () {
  "use strict";
  if (typeof echarts === "undefined") {
    return;
  }

  function text(cell) {
    return cell.textContent.replace(/\s+/g, " ").trim();
  }

  function seriesOf(table, kind) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var series = [];
    headers.forEach(function (th, column) {
      if (!th.hasAttribute("data-series")) {
        return;
      }
      var item = {
        name: text(th),
        type: kind,
        data: rows.map(function (row) {
          var raw = row.cells[column].getAttribute("data-value");
          return raw === null || raw === "" ? null : Number(raw);
        }),
      };
      var target = th.getAttribute("data-target");
      if (target) {
        item.markLine = {
          silent: true,
          symbol: "none",
          data: [{ yAxis: Number(target) }],
          label: { formatter: th.getAttribute("data-target-label") || target, position: "insideEndTop" },
          lineStyle: { type: "dashed" },
        };
      }
      series.push(item);
    });
    return series;
  }

  function draw(table) {
    var kind = table.getAttribute("data-chart");
    var unit = table.getAttribute("data-unit") || "";
    var categories = Array.prototype.slice.call(table.tBodies[0].rows).map(function (row) {
      return text(row.cells[0]);
    });
    var box = document.createElement("div");
    box.className = "chart";
    box.setAttribute("aria-hidden", "true");
    table.parentNode.insertBefore(box, table);
    var series = seriesOf(table, kind);
    // The axis reaches the highest target, so a target far above the figures still shows as a line.
    var highestTarget = 0;
    var highestValue = 0;
    series.forEach(function (item) {
      if (item.markLine) {
        highestTarget = Math.max(highestTarget, item.markLine.data[0].yAxis);
      }
      item.data.forEach(function (value) {
        highestValue = Math.max(highestValue, value || 0);
      });
    });
    var valueAxis = { type: "value", axisLabel: { formatter: "{value}" + unit } };
    if (highestTarget > highestValue) {
      valueAxis.max = Math.ceil(highestTarget * 1.1);
    }
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 6 ? 45 : 0 } },
      yAxis: valueAxis,
      series: series,
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
    box.setAttribute("data-drawn", "true");
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-chart]"), draw);
})();
