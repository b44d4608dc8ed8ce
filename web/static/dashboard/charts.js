/* Interactive charts drawn with uPlot from the result's columnar JSON: line charts (equity,
   drawdown, cumulative return, compare overlay), candlesticks with fill markers, and a
   trade PnL scatter. Times are shown in UTC. Drag to zoom, double-click to reset. */
"use strict";

const Charts = (() => {
  const COLORS = {
    text: "#8b97a6",
    grid: "#1c232d",
    pos: "#3fb950",
    neg: "#f85149",
    accent: "#58a6ff",
    muted: "#8b97a6",
    palette: ["#58a6ff", "#3fb950", "#f0883e", "#bc8cff", "#e3b341", "#39c5cf", "#ff7b72", "#a5d6ff", "#7ee787", "#d2a8ff"],
  };

  const utcDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
  const day = (ts) => new Date(ts * 1e3).toISOString().slice(0, 10);

  function axis(format, size) {
    const spec = {
      stroke: COLORS.text,
      grid: { stroke: COLORS.grid, width: 1 },
      ticks: { stroke: COLORS.grid, width: 1 },
      font: "11px ui-monospace, monospace",
    };
    if (format) spec.values = (u, splits) => splits.map(format);
    if (size) spec.size = size;
    return spec;
  }

  /* The axis spec with a title (uPlot's ``label``, ``size`` px for it), when one is given. */
  function labelled(spec, label, size = 18) {
    return label ? Object.assign(spec, { label, labelSize: size, labelFont: "11px ui-monospace, monospace" }) : spec;
  }

  /* A series' legend value: uPlot calls it with (chart, value). */
  const number = (digits, unit) => (u, v) => BT.fmt(v, digits, unit);

  function compact(v) {
    if (v === null || v === undefined) return "";
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "B";
    if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    return v.toLocaleString("en-US", { maximumFractionDigits: a >= 100 ? 0 : 2 });
  }

  /* Integer splits on a 1-2-5 step of bars, about one per 110 px of the chart's width. */
  function barSplits(u, axisIdx, min, max) {
    const raw = Math.max((max - min) / Math.max(2, Math.floor(u.width / 110)), 1);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((k) => k * power).find((k) => k >= raw);
    const splits = [];
    for (let i = Math.ceil(min / step) * step; i <= max; i += step) splits.push(i);
    return splits;
  }

  /* Intraday bars on a time axis leave every night and weekend as empty space, so their
     charts put the bars side by side, as the server's PNGs do: x becomes the bar's index
     (0 .. n-1) and the axis ticks and the legend show each bar's UTC time ("MM-DD HH:MM").
     Zooms shared between charts of the same bars stay consistent (same indices). */
  function onBarIndex(opts, data) {
    const secs = data[0];
    const stamp = (i) => {
      const k = Math.round(i);
      return k >= 0 && k < secs.length && Math.abs(i - k) < 1e-9 ? secs[k] : null;
    };
    const tick = (i) => {
      const s = stamp(i);
      return s === null ? "" : BT.when(s, true).slice(5);
    };
    const xAxis = Object.assign({}, opts.axes[0], { splits: barSplits, values: (u, splits) => splits.map(tick) });
    const xSeries = Object.assign({}, opts.series[0], {
      value: (u, v) => {
        const s = stamp(v);
        return s === null ? BT.MISSING : BT.when(s, true);
      },
    });
    const options = Object.assign({}, opts, {
      scales: Object.assign({}, opts.scales, { x: { time: false } }),
      axes: [xAxis, ...opts.axes.slice(1)],
      series: [xSeries, ...opts.series.slice(1)],
    });
    return [options, [secs.map((_, i) => i), ...data.slice(1)]];
  }

  /* Create the chart in el (replacing what was there, which is destroyed) and keep its
     width in sync; the chart is el.btChart. opts.barTime: x holds a run's bar times, drawn
     on their index when they are intraday (onBarIndex). */
  function mount(el, opts, data) {
    if (opts.barTime && data[0].length && BT.intraday(data[0])) [opts, data] = onBarIndex(opts, data);
    if (el.btObserver) el.btObserver.disconnect();
    if (el.btChart) el.btChart.destroy();
    el.replaceChildren();
    const width = Math.max(el.clientWidth, 320);
    const chart = new uPlot(Object.assign({ width }, opts), data, el);
    el.btChart = chart;
    if (window.ResizeObserver) {
      let last = width;
      el.btObserver = new ResizeObserver(() => {
        const w = Math.max(el.clientWidth, 320);
        if (w !== last) {
          last = w;
          chart.setSize({ width: w, height: opts.height });
        }
      });
      el.btObserver.observe(el);
    }
    el.dataset.ready = "1";
    return chart;
  }

  /* What every chart of a run's bars shares: its height, x on the bars' times in UTC (on
     their index when intraday: mount), a drag zooming x only, and y, the y scale if given. */
  function barChart(height, y) {
    const scales = y === undefined ? { x: { time: true } } : { x: { time: true }, y };
    return { height, barTime: true, tzDate: utcDate, cursor: { drag: { x: true, y: false } }, scales };
  }

  /* The x series: the legend shows a bar's date, and its UTC time for intraday bars. */
  function timeSeries(x) {
    const withTime = Boolean(x && BT.intraday(x));
    return { label: withTime ? "time (UTC)" : "date", value: (u, v) => (v === null || v === undefined ? "—" : BT.when(v, withTime)) };
  }

  /* Marks at the points of the series named in specs ([{index, up, color, shape}]):
     triangles (up below the point, else above it), or shape "level": a bar-wide
     horizontal stroke at the value, so that consecutive bars of one value draw a line (an
     entry order's price over the bars it was good for), with a diamond on its first bar. */
  function markersPlugin(specs) {
    return {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            const size = 5 * devicePixelRatio;
            ctx.save();
            for (const spec of specs) {
              if (!u.series[spec.index].show) continue;
              const ys = u.data[spec.index];
              const xs = u.data[0];
              const [i0, i1] = u.series[0].idxs || [0, xs.length - 1];
              const barWidth = Math.max(3 * devicePixelRatio, u.bbox.width / Math.max(i1 - i0 + 1, 1));
              ctx.fillStyle = spec.color;
              for (let i = i0; i <= i1; i++) {
                if (ys[i] === null || ys[i] === undefined) continue;
                const x = u.valToPos(xs[i], "x", true);
                const y = u.valToPos(ys[i], "y", true);
                ctx.beginPath();
                if (spec.shape === "event") {  // a dot above the bar's high
                  ctx.arc(x, y - size * 1.8, size * 0.8, 0, 2 * Math.PI);
                } else if (spec.shape === "level") {
                  ctx.rect(x - barWidth / 2, y - devicePixelRatio, barWidth, 2 * devicePixelRatio);
                  const joined = i > 0 && ys[i - 1] === ys[i];
                  if (joined) {  // across a weekend or a holiday too: one level, one line
                    const before = u.valToPos(xs[i - 1], "x", true);
                    ctx.rect(before, y - devicePixelRatio, x - before, 2 * devicePixelRatio);
                  } else {  // the bar that placed it
                    ctx.moveTo(x, y - size);
                    ctx.lineTo(x + size * 0.8, y);
                    ctx.lineTo(x, y + size);
                    ctx.lineTo(x - size * 0.8, y);
                  }
                } else if (spec.up) {
                  ctx.moveTo(x, y + size * 0.4);
                  ctx.lineTo(x - size, y + size * 2);
                  ctx.lineTo(x + size, y + size * 2);
                } else {
                  ctx.moveTo(x, y - size * 0.4);
                  ctx.lineTo(x - size, y - size * 2);
                  ctx.lineTo(x + size, y - size * 2);
                }
                ctx.closePath();
                ctx.fill();
              }
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  const hidden = () => null;

  /* A y scale: logarithmic (uPlot distr 3) when log, else linear. */
  const yScale = (log) => (log ? { distr: 3, log: 10 } : {});

  /* On a log scale a value <= 0 has no place: it becomes a gap. */
  const positive = (values, log) => (log ? values.map((v) => (v > 0 ? v : null)) : values);

  /* A marker series: values only at fill bars, drawn by markersPlugin. */
  function markerSeries(label, color) {
    return { label, stroke: color, paths: hidden, points: { show: false }, value: number(2) };
  }

  /* Line chart: x (unix seconds), lines [{label, values, color, fill, width, dash, right}];
     a null value is a gap (never joined across: a rolling Sharpe of a flat stretch has no
     value); options.log: a logarithmic y scale; options.xLabel / yLabel name the axes (with
     their unit). The lines marked right are scaled on a y axis of their own on the right
     (scale "right", ranged on them alone), titled options.rightLabel, in options.rightColor. */
  function line(el, x, lines, options) {
    const o = Object.assign({ height: 320, digits: 2, unit: "", yFormat: null, ySize: 70, log: false, xLabel: null, yLabel: null, rightLabel: null, rightColor: COLORS.accent }, options || {});
    const series = [timeSeries(x)];
    for (const l of lines) {
      series.push({
        label: l.label,
        scale: l.right ? "right" : "y",
        stroke: l.color,
        width: l.width || 1.5,
        fill: l.fill || undefined,
        dash: l.dash || undefined,
        spanGaps: false,
        points: { show: false },
        value: number(o.digits, o.unit),
      });
    }
    const base = barChart(o.height, yScale(o.log));
    const axes = [labelled(axis(), o.xLabel), labelled(axis(o.yFormat || compact, o.ySize), o.yLabel)];
    if (lines.some((l) => l.right)) {
      base.scales = Object.assign({ y: yScale(o.log) }, base.scales, { right: yScale(o.log) });
      const right = labelled(axis(o.yFormat || compact, o.ySize), o.rightLabel);
      axes.push(Object.assign(right, { scale: "right", side: 1, stroke: o.rightColor, grid: { show: false } }));
    }
    const opts = { ...base, axes, series, legend: { live: true } };
    return mount(el, opts, [x, ...lines.map((l) => positive(l.values, o.log))]);
  }

  /* Price (close) with buy/sell fill markers (options.labels renames them). */
  function orders(el, x, close, buys, sells, options) {
    const o = Object.assign({ height: 320, labels: ["buy", "sell"] }, options || {});
    const opts = {
      ...barChart(o.height),
      axes: [axis(), axis(compact, 60)],
      series: [
        timeSeries(x),
        { label: "close", stroke: COLORS.muted, width: 1, points: { show: false }, value: number(2) },
        markerSeries(o.labels[0], COLORS.pos),
        markerSeries(o.labels[1], COLORS.neg),
      ],
      plugins: [markersPlugin([{ index: 2, up: true, color: COLORS.pos }, { index: 3, up: false, color: COLORS.neg }])],
    };
    return mount(el, opts, [x, close, buys, sells]);
  }

  /* OHLC candlesticks drawn on the canvas (after the grid, under the lines and markers). */
  function candlesPlugin() {
    return {
      hooks: {
        drawAxes: [
          (u) => {
            const ctx = u.ctx;
            const [i0, i1] = u.series[0].idxs;
            const xs = u.data[0];
            const count = Math.max(i1 - i0, 1);
            const body = Math.max(1, Math.min(12 * devicePixelRatio, (u.bbox.width / count) * 0.65));
            ctx.save();
            for (let i = i0; i <= i1; i++) {
              const open = u.data[1][i];
              const high = u.data[2][i];
              const low = u.data[3][i];
              const close = u.data[4][i];
              if (open === null || close === null) continue;
              const x = Math.round(u.valToPos(xs[i], "x", true));
              const color = close >= open ? COLORS.pos : COLORS.neg;
              ctx.fillStyle = color;
              ctx.fillRect(x, u.valToPos(high, "y", true), Math.max(1, devicePixelRatio), u.valToPos(low, "y", true) - u.valToPos(high, "y", true));
              const top = u.valToPos(Math.max(open, close), "y", true);
              const bottom = u.valToPos(Math.min(open, close), "y", true);
              ctx.fillRect(x - body / 2, top, body, Math.max(bottom - top, 1));
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  /* Candles with fill markers; options.overlays: price-scale lines [{label, values,
     color}] (a rule's indicators), options.log: a logarithmic price scale,
     options.plugins: more uPlot plugins (a shared zoom), options.orders: a run's entry
     orders as marked series [{label, values, color}], each a status's orders at their
     price on the bars they lived on (null elsewhere), drawn as levels; options.events: the
     ticker's corporate actions [{label, values, color, texts}], a type's events at the high
     of their ex-bar (null elsewhere), drawn as dots above it, the legend showing texts[i]. */
  function candles(el, x, ohlc, buys, sells, options) {
    const o = Object.assign({ height: 420, overlays: [], log: false, plugins: [], orders: null, events: null }, options || {});
    const marked = o.orders || [];
    const events = o.events || [];
    const eventSeries = (m) => ({ ...markerSeries(m.label, m.color), value: (u, v, si, i) => (i === null || m.texts[i] === null ? "—" : m.texts[i]) });
    const firstEvent = 7 + marked.length;
    const ohlcSeries = (label) => ({ label, stroke: COLORS.muted, paths: hidden, points: { show: false }, value: number(2) });
    const overlaySeries = (l) => ({ label: l.label, stroke: l.color, width: 1.3, spanGaps: false, points: { show: false }, value: number(2) });
    const yAxis = labelled(axis(compact, 60), o.log ? "price (log)" : "price", 16);
    const opts = {
      ...barChart(o.height, yScale(o.log)),
      axes: [axis(), yAxis],
      series: [timeSeries(x), ohlcSeries("open"), ohlcSeries("high"), ohlcSeries("low"), ohlcSeries("close"), markerSeries("buy", COLORS.pos), markerSeries("sell", COLORS.neg), ...marked.map((m) => markerSeries(m.label, m.color)), ...events.map(eventSeries), ...o.overlays.map(overlaySeries)],
      plugins: [candlesPlugin(), markersPlugin([{ index: 5, up: true, color: COLORS.pos }, { index: 6, up: false, color: COLORS.neg }, ...marked.map((m, i) => ({ index: 7 + i, shape: "level", color: m.color })), ...events.map((m, i) => ({ index: firstEvent + i, shape: "event", color: m.color }))]), ...o.plugins],
    };
    return mount(el, opts, [x, ohlc.open, ohlc.high, ohlc.low, ohlc.close, buys, sells, ...marked.map((m) => m.values), ...events.map((m) => m.values), ...o.overlays.map((l) => positive(l.values, o.log))]);
  }

  /* Points only: wins (green) and losses (red) at their x. */
  function scatter(el, x, wins, losses, options) {
    const o = Object.assign({ height: 260 }, options || {});
    const dots = (label, color) => ({ label, stroke: color, fill: color, paths: hidden, points: { show: true, size: 6, stroke: color, fill: color }, value: number(2) });
    const opts = {
      height: o.height,
      tzDate: utcDate,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [axis(), axis(compact, 60)],
      series: [timeSeries(x), dots("win", COLORS.pos), dots("loss", COLORS.neg)],
    };
    return mount(el, opts, [x, wins, losses]);
  }

  return { COLORS, line, orders, candles, scatter, day, axis, labelled, mount, number, compact, timeSeries, utcDate, barChart };
})();
