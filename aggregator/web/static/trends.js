// The trend chart of /trends, drawn by the vendored ECharts (static/vendor/echarts) as SVG:
// the estimate as a line with its value written at each point, the 95% interval as a band
// (an invisible lower line and the interval's width stacked on it). Data come from the
// element's data-series attribute: nothing is fetched, nothing comes from another host.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.echarts) { return; }
    var s = JSON.parse(el.getAttribute("data-series"));
    var ratio = s.unit === "%";
    function shown(v) {
      return v === null || v === undefined ? "—" : (ratio ? v.toFixed(1) + "%" : String(v));
    }
    var width = s.low.map(function (low, i) {
      return low === null || s.high[i] === null ? null : +(s.high[i] - low).toFixed(1);
    });
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif" },
      grid: { left: 64, right: 32, top: 48, bottom: 40 },
      legend: { top: 8, data: ["估计值 estimate", "95%区间 interval"] },
      tooltip: { trigger: "axis", valueFormatter: shown },
      xAxis: { type: "category", data: s.periods, boundaryGap: true },
      yAxis: { type: "value", name: s.unit, min: 0,
               max: ratio ? function (v) { return Math.min(100, Math.ceil(v.max * 1.15)); } : null },
      series: [
        { name: "下限 low", type: "line", data: s.low, stack: "band", symbol: "none",
          lineStyle: { opacity: 0 }, tooltip: { show: false }, silent: true },
        { name: "95%区间 interval", type: "line", data: width, stack: "band", symbol: "none",
          lineStyle: { opacity: 0 }, areaStyle: { color: "#1f5fa8", opacity: 0.18 },
          itemStyle: { color: "#9db8da" }, silent: true },
        { name: "估计值 estimate", type: "line", data: s.value, connectNulls: false,
          symbol: "circle", symbolSize: 8, itemStyle: { color: "#a4262c" },
          lineStyle: { width: 2.5 },
          label: { show: true, position: "top", fontSize: 13, fontWeight: "bold",
                   formatter: function (p) { return shown(p.value); } } }
      ]
    });
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
}());
