// 指挥大屏: the territory on its real map and the trend with tooltips, drawn with Apache ECharts
// (served from the binary, /assets/echarts.min.js, loaded after the page) over the SVG the
// server drew. The figures
// come with the page (data-areas, data-command-trend); the boundaries from
// /api/v1/command/map. Where none were imported, or ECharts is missing, the SVG stays.
"use strict";

// The colours of the server's tiles (app.css), by their class.
const AREA_COLOURS = {
  "level-0": "#123041", "level-1": "#15506a", "level-2": "#1a6f92", "level-3": "#2090bb", "level-4": "#2bb1e6",
  "risk-calm": "#1d5b3f", "risk-yellow": "#8a7a12", "risk-orange": "#b4621b", "risk-red": "#b3262e",
};
const TEXT = "#e6f1f5";
const QUIET = "#8aa7b3";

function chartIn(holder, height) {
  const box = document.createElement("div");
  box.className = "command-echarts";
  box.style.height = height;
  const drawn = holder.querySelector("svg");
  holder.insertBefore(box, drawn);
  const chart = echarts.init(box, null, { renderer: "svg" });
  window.addEventListener("resize", () => chart.resize());
  return { chart, drawn };
}

async function drawMap(holder) {
  const response = await fetch(holder.dataset.commandMap, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const geo = await response.json();
  if (!geo.features || geo.features.length === 0) return;
  const areas = JSON.parse(holder.dataset.areas);
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const name = `fengqiao-${geo.features.map((f) => f.id).join("-").slice(0, 60)}`;
  geo.features.forEach((f) => { f.properties = { ...f.properties, code: f.id }; });
  echarts.registerMap(name, geo);
  const { chart, drawn } = chartIn(holder, "min(56vh, 640px)");
  chart.setOption({
    backgroundColor: "transparent",
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        const area = byCode.get(p.name);
        return area ? `${area.name}：${area.count}` : p.name;
      },
    },
    series: [{
      type: "map",
      map: name,
      nameProperty: "code",
      roam: false,
      selectedMode: false,
      label: {
        show: true, color: TEXT, fontSize: 14,
        formatter: (p) => { const a = byCode.get(p.name); return a ? `${a.name}\n${a.count}` : ""; },
      },
      itemStyle: { borderColor: "#07141c", borderWidth: 1.5, areaColor: AREA_COLOURS["level-0"] },
      emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#ffd34d" } },
      data: areas.map((a) => ({ name: a.code, value: a.count, itemStyle: { areaColor: AREA_COLOURS[a.class] || AREA_COLOURS["level-0"] } })),
    }],
  });
  chart.on("click", (p) => {
    const area = byCode.get(p.name);
    if (area && area.link) location.href = `/command?region=${encodeURIComponent(area.code)}${holder.dataset.drill}`;
  });
  holder.dataset.mapDrawn = String(geo.features.length);
  // The areas without a boundary stay as tiles of the schematic, under the map; the others go.
  const shaped = new Set(geo.features.map((f) => f.id));
  drawn.querySelectorAll("[data-region-code]").forEach((tile) => {
    if (shaped.has(tile.dataset.regionCode)) (tile.closest("a") || tile).remove();
  });
  if (shaped.size >= areas.length) drawn.remove();
  else {
    const note = document.createElement("p");
    note.className = "command-legend";
    note.textContent = holder.dataset.labelMissing;
    holder.insertBefore(note, drawn);
  }
}

function drawTrend(holder) {
  const trend = JSON.parse(holder.dataset.commandTrend);
  const { chart, drawn } = chartIn(holder, "min(26vh, 300px)");
  const line = (name, data, colour) => ({ name, type: "line", data, smooth: false, symbol: "none", lineStyle: { width: 3, color: colour }, itemStyle: { color: colour } });
  chart.setOption({
    backgroundColor: "transparent",
    grid: { left: 48, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: trend.days, axisLabel: { color: QUIET }, axisLine: { lineStyle: { color: "#3c6677" } } },
    yAxis: { type: "value", minInterval: 1, axisLabel: { color: QUIET }, splitLine: { lineStyle: { color: "#16404f" } } },
    series: [
      line(holder.dataset.labelRegistered, trend.registered, "#ffd34d"),
      line(holder.dataset.labelConcluded, trend.concluded, "#4fd18b"),
    ],
  });
  drawn.remove();
  holder.dataset.trendDrawn = "true";
}

// ECharts (1 MB) is fetched once the page has loaded: the wall reads the server's figures at
// once, and the drawings follow.
window.addEventListener("load", () => {
  const map = document.querySelector("[data-command-map]");
  const trend = document.querySelector("[data-command-trend]");
  if (!map && !trend) return;
  const script = document.createElement("script");
  script.src = "/assets/echarts.min.js";
  script.onload = () => {
    if (map) drawMap(map).catch(() => {});
    if (trend) drawTrend(trend);
  };
  document.head.appendChild(script);
});
