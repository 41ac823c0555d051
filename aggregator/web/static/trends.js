// The trend chart of /trends, drawn by the vendored ECharts (static/vendor/echarts) as SVG:
// the estimate as a line with its value written at each point, the 95% interval as a band
// (the lower end as an invisible line and the interval's width stacked on it). Data and the
// words come from the element's data-series attribute (aggregator/web/routes_trends.py): the
// series are named as what they are — the unbiased estimate, not the official value — and the
// tooltip says where the official values are. Nothing is clipped: an estimate or band below 0
// is drawn below the zero line (the page says why). Nothing is fetched from another host.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.echarts) { return; }
    var s = JSON.parse(el.getAttribute("data-series"));
    var ratio = s.unit === "%";
    var encode = window.echarts.format.encodeHTML;
    function shown(v) {
      return v === null || v === undefined ? "—" : (ratio ? v.toFixed(1) + "%" : String(v));
    }
    var width = s.low.map(function (low, i) {
      return low === null || s.high[i] === null ? null : +(s.high[i] - low).toFixed(3);
    });
    var below = s.low.concat(s.value).some(function (v) { return v !== null && v < 0; });
    function tooltip(params) {
      var i = params[0].dataIndex;
      return [encode(s.periods[i]),
              encode(s.names.estimate) + "：" + shown(s.value[i]),
              encode(s.names.interval) + "：[" + shown(s.low[i]) + ", " + shown(s.high[i]) + "]",
              encode(s.reading)].join("<br>");
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif" },
      grid: { left: 64, right: 32, top: 48, bottom: 40 },
      legend: { top: 8, data: [s.names.estimate, s.names.interval] },
      tooltip: { trigger: "axis", formatter: tooltip, extraCssText: "max-width: 420px; white-space: normal;" },
      xAxis: { type: "category", data: s.periods, boundaryGap: true, axisLine: { onZero: false } },
      // a value axis keeps 0 in view and reaches below it when the data do
      yAxis: { type: "value", name: s.unit,
               max: ratio ? function (v) {
                 return Math.max(Math.ceil(v.max), Math.min(100, Math.ceil(v.max * 1.15)));
               } : null },
      series: [
        { name: "下限 low", type: "line", data: s.low, stack: "band", stackStrategy: "all",
          symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false }, silent: true },
        { name: s.names.interval, type: "line", data: width, stack: "band", stackStrategy: "all",
          symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "#1f5fa8", opacity: 0.18 },
          itemStyle: { color: "#9db8da" }, silent: true },
        { name: s.names.estimate, type: "line", data: s.value, connectNulls: false,
          symbol: "circle", symbolSize: 8, itemStyle: { color: "#a4262c" },
          lineStyle: { width: 2.5 },
          label: { show: true, position: "top", fontSize: 13, fontWeight: "bold",
                   formatter: function (p) { return shown(p.value); } },
          markLine: below ? { silent: true, symbol: "none", label: { show: false },
                              lineStyle: { color: "#37424f", type: "solid", width: 1.5 },
                              data: [{ yAxis: 0 }] } : undefined }
      ]
    });
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
}());
