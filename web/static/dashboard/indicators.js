/* The candles tab of the run page: the price chart with the rule's overlays (its SMAs,
   bands, levels), and under it one chart per oscillator panel (RSI with its levels, MACD
   with its signal line and histogram, ADX with ±DI, ATR, ROC, z-score, and volume always),
   all sharing the zoom (drag on any chart, double-click to reset) and the cursor. The
   lines come from GET /api/runs/<id>/indicators; when it cannot answer (the data file
   changed), the candles and the volume are drawn from the result and the reason is shown. */
"use strict";

const CandlesView = (() => {
  const C = Charts.COLORS;
  const UNIT_LABELS = { "": "index 0–100", price: "price", "%": "%", shares: "shares", "σ": "σ (std devs)" };
  const SERIES_COLORS = { "+DI": C.pos, "−DI": C.neg, signal: "#f0883e", histogram: "#8b97a6", volume: "#39c5cf" };
  const OVERLAY_COLORS = ["#e3b341", "#bc8cff", "#39c5cf", "#f0883e", "#a5d6ff", "#ff7b72"];

  /* Charts that share the x range and the cursor: a zoom in one is applied to all; a chart
     (re)created later starts at the group's current range. */
  function zoomGroup(key) {
    const charts = new Set();
    let busy = false;
    function follow(u) {
      if (busy || !charts.has(u)) return;
      busy = true;
      const { min, max } = u.scales.x;
      for (const other of charts) {
        if (other !== u && (other.scales.x.min !== min || other.scales.x.max !== max)) other.setScale("x", { min, max });
      }
      busy = false;
    }
    return () => ({
      opts: (u, opts) => {
        opts.cursor = Object.assign({}, opts.cursor, { sync: { key, setSeries: false, scales: ["x", null] } });
      },
      hooks: {
        ready: [
          (u) => {
            const other = charts.values().next().value;
            queueMicrotask(() => {
              // uPlot ignores a setScale made inside its first commit (the ready hook)
              if (other) u.setScale("x", { min: other.scales.x.min, max: other.scales.x.max });
              charts.add(u);
            });
          },
        ],
        setScale: [(u, scale) => scale === "x" && follow(u)],
        destroy: [(u) => charts.delete(u)],
      },
    });
  }

  /* Dashed horizontal lines at a panel's levels (a rule's thresholds), each labelled. */
  function levelsPlugin(levels) {
    return {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            const { left, width, top, height } = u.bbox;
            ctx.save();
            ctx.strokeStyle = "#e3b341";
            ctx.fillStyle = "#e3b341";
            ctx.lineWidth = devicePixelRatio;
            ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.font = `${10 * devicePixelRatio}px ui-monospace, monospace`;
            ctx.textAlign = "right";
            for (const level of levels) {
              const y = Math.round(u.valToPos(level, "y", true));
              if (y < top || y > top + height) continue;
              ctx.beginPath();
              ctx.moveTo(left, y);
              ctx.lineTo(left + width, y);
              ctx.stroke();
              ctx.fillText(String(level), left + width - 4 * devicePixelRatio, y - 3 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function yAxis(label, format) {
    return Charts.labelled(Charts.axis(format, 60), label, 16);
  }

  /* One oscillator panel: its lines and histograms on a y scale of its own, with its unit. */
  function panelChart(el, x, panel, sync) {
    const labels = Object.keys(panel.series);
    const shares = panel.unit === "shares";
    const value = shares ? (u, v) => (BT.isNumber(v) ? Charts.compact(v) : BT.MISSING) : Charts.number(2);
    const series = [Charts.timeSeries(x)];
    const bars = labels.some((label) => panel.kind[label] === "histogram");
    labels.forEach((label, i) => {
      const color = SERIES_COLORS[label] || C.palette[i % C.palette.length];
      if (panel.kind[label] === "histogram") {
        // bars below zero (a MACD histogram) in the loss colour, those above in the gain colour
        const signed = panel.series[label].some((v) => v !== null && v < 0);
        const bars = { size: [0.7, 10] };
        if (signed) bars.disp = { fill: { unit: 3, values: (u, i) => u.data[i].map((v) => (v === null ? null : (v < 0 ? C.neg : C.pos) + "99")) } };
        series.push({ label, stroke: color, fill: color + "99", width: 0, fillTo: 0, paths: uPlot.paths.bars(bars), points: { show: false }, value });
      } else {
        series.push({ label, stroke: color, width: 1.4, points: { show: false }, value });
      }
    });
    let y = {};
    if (panel.bounds) y = { range: panel.bounds.slice() };
    else if (bars || panel.levels.length) {
      // bars grow from 0 and levels are drawn: keep both in view
      const keep = bars ? [0, ...panel.levels] : panel.levels;
      y = { range: (u, min, max) => uPlot.rangeNum(Math.min(min, ...keep), Math.max(max, ...keep), 0.1, true) };
    }
    const opts = {
      ...Charts.barChart(shares ? 130 : 150, y),
      axes: [Object.assign(Charts.axis(), { size: 30 }), yAxis(UNIT_LABELS[panel.unit] ?? panel.unit, shares ? Charts.compact : null)],
      series,
      legend: { live: true },
      plugins: [levelsPlugin(panel.levels), sync()],
    };
    return Charts.mount(el, opts, [x, ...labels.map((label) => panel.series[label])]);
  }

  function drawPanels(box, x, panels, sync) {
    box.replaceChildren();
    for (const panel of panels) {
      const levels = panel.levels.length ? ` · levels ${panel.levels.join(" / ")}` : "";
      box.append(BT.el("div", { class: "bt-chart-title" }, panel.name + levels));
      const el = BT.el("div", { class: "bt-chart bt-panel", dataset: { panel: panel.key } });
      box.append(el);
      panelChart(el, x, panel, sync);
    }
    box.dataset.ready = "1";
  }

  /* The volume panel from the result itself (when the indicators cannot be had). */
  function volumeOnly(candles) {
    return [{ key: "volume", name: "Volume", unit: "shares", series: { volume: candles.volume }, kind: { volume: "histogram" }, levels: [], bounds: null }];
  }

  async function fetchIndicators(url, timestamps) {
    let answer;
    try {
      answer = await BT.fetchJSON(url);
    } catch (_) {
      return { error: "the server cannot be reached" };
    }
    if (!answer.ok || !answer.body) return { error: (answer.body && answer.body.error) || `HTTP ${answer.status}` };
    const body = answer.body;
    if (body.timestamps.length !== timestamps.length || body.timestamps[0] !== timestamps[0]) return { error: "the indicators do not match the run's bars" };
    return { body };
  }

  /* The ticker's corporate actions (GET /api/tickers/events?ticker=<ticker>) on the candles: a
     series a type, each event at the high of its ex-bar (the first bar on or after its
     date), its text in the legend (Charts.candles' options.events). None when the ticker
     has none in the bars shown, or they cannot be read (the candles are drawn without). */
  const EVENT_MARKS = [
    { type: "split", label: "split", color: Charts.COLORS.palette[2], text: (v) => `${BT.fmt(v, 4).replace(/\.?0+$/, "")}:1` },
    { type: "dividend", label: "dividend", color: Charts.COLORS.palette[5], text: (v) => BT.fmt(v, 4) },
    { type: "delisting", label: "delisting", color: Charts.COLORS.neg, text: (v) => (BT.isNumber(v) ? `${BT.fmt(v, 2)} a share` : "at its last close") },
  ];
  async function eventMarks(url, c) {
    if (!url) return null;
    let answer;
    try {
      answer = await BT.fetchJSON(url);
    } catch (_) {
      return null;
    }
    if (!answer.ok || !answer.body || !answer.body.events.length) return null;
    const days = c.timestamps.map((t) => t.slice(0, 10));
    const marks = [];
    for (const kind of EVENT_MARKS) {
      const values = new Array(days.length).fill(null), texts = new Array(days.length).fill(null);
      for (const e of answer.body.events) {
        const at = e.type === kind.type && e.date >= days[0] ? days.findIndex((d) => d >= e.date) : -1;
        if (at < 0 || (e.type === "delisting" && days[days.length - 1] < e.date)) continue;
        values[at] = c.high[at];
        texts[at] = kind.text(e.value);
      }
      if (texts.some((t) => t !== null)) marks.push({ label: kind.label, values, texts, color: kind.color });
    }
    return marks.length ? marks : null;
  }

  /* Draw the tab: els = {price, panels, log, state}; fills = {buys, sells} at the bars and,
     for a run with entry orders, orders: its orders by status, each at its price on its
     signal bar (Charts.candles' options.orders); eventsUrl: the ticker's corporate actions. */
  async function draw(result, url, els, fills, eventsUrl) {
    const c = result.price_candles;
    const x = c.timestamps.map(BT.seconds);
    const sync = zoomGroup(`candles-${result.run_id}`);
    els.state.textContent = "loading indicators…";
    const [{ body, error }, events] = await Promise.all([fetchIndicators(url, c.timestamps), eventMarks(eventsUrl, c)]);
    const overlays = Object.entries((body && body.overlays) || {}).map(([label, values], i) => ({ label, values, color: OVERLAY_COLORS[i % OVERLAY_COLORS.length] }));
    const panels = body ? body.panels : volumeOnly(c);
    els.state.textContent = error ? `indicators unavailable: ${error}` : "";
    LogScale.bind(els.log, "price", (log) => {
      Charts.candles(els.price, x, c, fills.buys, fills.sells, { overlays, log, plugins: [sync()], orders: fills.orders || null, events });
      els.price.dataset.scale = log ? "log" : "linear";
    });
    drawPanels(els.panels, x, panels, sync);
  }

  return { draw };
})();
