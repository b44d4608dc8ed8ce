/* The run page: a waiting run shows how long it has waited and reloads when it finishes;
   a finished one fetches its result once and draws each tab's charts when the tab is first
   shown (each chart once, interactive; its PNG is a download the server draws on demand).
   "Run again" resubmits the same request (the server picks a new run_id) without server
   PNGs (``charts: false``). */
"use strict";

(() => {
  const data = BT.readJSON("run-data");
  const runUrl = (runId) => data.run_url.replace("RUN_ID", runId);

  // ---------------------------------------------------------------- run again ----------
  const again = document.getElementById("run-again");
  again.addEventListener("click", async () => {
    // the page draws its charts itself; a PNG is drawn on demand when downloaded
    const body = Object.assign({}, data.request, { charts: false });
    delete body.run_id;
    again.disabled = true;
    const box = document.getElementById("run-again-error");
    box.classList.add("d-none");
    const answer = await BT.fetchJSON(data.submit_url, { method: "POST", json: body }).catch(() => null);
    if (answer && answer.status === 202) {
      window.location.assign(runUrl(answer.body.run_id));
      return;
    }
    again.disabled = false;
    const error = (answer && answer.body) || { error: "the server cannot be reached" };
    box.textContent = error.field ? `${error.field}: ${error.error}` : error.error;
    box.classList.remove("d-none");
  });

  // ---------------------------------------------------------------- waiting ------------
  if (!data.finished) {
    const skew = Date.now() - Date.parse(data.now);
    const created = Date.parse(data.created_at);
    const waited = document.getElementById("waited");
    const badge = document.getElementById("run-status");
    const said = document.getElementById("waiting-status");
    /* The badge and the body say one status: the latest the poll read. */
    const show = (status) => {
      BT.setBadge(badge, status);
      said.textContent = status;
    };
    setInterval(() => {
      waited.textContent = BT.elapsed((Date.now() - skew - created) / 1000);
    }, 250);
    BT.every(1500, async () => {
      const answer = await BT.fetchJSON(`${data.lookup_url}?ids=${encodeURIComponent(data.run_id)}`);
      const run = answer.ok && answer.body.runs[0];
      if (!run) return;
      show(run.status);
      if (BT.STATUS.FINISHED.includes(run.status)) window.location.reload();
    });
    return;
  }
  if (data.status !== BT.STATUS.SUCCEEDED) return;

  // ---------------------------------------------------------------- result -------------
  const state = document.getElementById("result-state");
  const drawn = new Set();
  let result = null;

  /* Values at the bars of the fills (null elsewhere), aligned with timestamps. */
  function fillsOn(timestamps, fills) {
    const index = new Map(timestamps.map((t, i) => [t, i]));
    const out = new Array(timestamps.length).fill(null);
    for (const fill of fills || []) {
      const i = index.get(fill.timestamp);
      if (i !== undefined) out[i] = fill.price;
    }
    return out;
  }

  /* Entry orders as levels at their price (the limit, else the stop; an on-close order at
     its fill price), one series per status: filled, pending (still good at the last bar),
     expired, cancelled. A level runs from the bar whose close placed the order to the bar
     it filled on (filled), the last bar it was good for (expired), the last bar shown
     (pending), or only its own bar (cancelled: the bar of the change that cancelled it is
     not recorded). An order without a price (its expression in warm-up: cancelled at
     once) has no mark. */
  const ORDER_MARKS = [
    { status: "filled", label: "order filled", color: Charts.COLORS.accent },
    { status: "pending", label: "order pending", color: Charts.COLORS.palette[4] },
    { status: "expired", label: "order expired", color: Charts.COLORS.muted },
    { status: "cancelled", label: "order cancelled", color: Charts.COLORS.palette[3] },
  ];
  function orderMarks(timestamps, orders) {
    const index = new Map(timestamps.map((t, i) => [t, i]));
    const marks = [];
    for (const kind of ORDER_MARKS) {
      const values = new Array(timestamps.length).fill(null);
      let drawn = 0;
      for (const o of orders) {
        const price = [o.limit, o.stop, o.fill_price].find(BT.isNumber);
        const first = index.get(o.signal_timestamp);
        if (o.status !== kind.status || price === undefined || first === undefined) continue;
        const end = { filled: o.fill_timestamp, expired: o.last_timestamp }[o.status];
        const last = o.status === "pending" ? timestamps.length - 1 : index.get(end) ?? first;
        for (let i = first; i <= last; i++) values[i] = price;
        drawn += 1;
      }
      if (drawn) marks.push({ label: kind.label, values, color: kind.color });
    }
    return marks;
  }

  /* The benchmark lines of an equity chart: buy and hold 100 % invested and, when the result
     has it (results before it do not), buy and hold at the run's average exposure. */
  function benchmarkLines(r, scale) {
    const b = r.benchmark;
    const lines = [{ label: "buy & hold (100% invested)", values: scale(b.equity), color: Charts.COLORS.muted, dash: [4, 4] }];
    if (typeof b.exposure_pct === "number" && Array.isArray(b.equity)) {
      /* that share of the capital in the asset, the rest in cash (adapters.exposure.exposed_equity) */
      const start = r.request.initial_capital, share = b.exposure_pct / 100;
      const exposed = b.equity.map((v) => (v === null ? null : start + share * (v - start)));
      lines.push({ label: `buy & hold at ${BT.fmt(b.exposure_pct, 1, "%")} (the run's avg exposure)`, values: scale(exposed), color: Charts.COLORS.palette[4], dash: [2, 3] });
    }
    return lines;
  }

  /* The highest value less the lowest of some lines (nulls left out). */
  function span(lines) {
    let low = Infinity, high = -Infinity;
    for (const l of lines) {
      for (const v of l.values) {
        if (!BT.isNumber(v)) continue;
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
    return high >= low ? high - low : 0;
  }

  /* A line chart whose switch puts some lines (own) on a y axis of their own, on the right;
     the switch starts on when those lines move in under a third of the range of them all
     (on one axis they would be a flat line). The chart says which it draws: data-axes
     "own" or "shared". */
  function ownAxisChart(el, toggle, x, lines, own, options) {
    toggle.checked = span(lines.filter((l) => own.includes(l))) < span(lines) / 3;
    const draw = () => {
      const right = toggle.checked;
      Charts.line(el, x, lines.map((l) => Object.assign({}, l, { right: right && own.includes(l) })), options);
      el.dataset.axes = right ? "own" : "shared";
    };
    toggle.addEventListener("change", draw);
    draw();
  }

  const DRAW = {
    /* The first thing a report shows: the curve against buy and hold. A run of 5 % average
       exposure moves a twentieth as much as buy and hold 100 % invested, so it gets its own
       axis (right), with buy and hold at its exposure, the fair yardstick, on the same. */
    overview(r) {
      const strategy = { label: "strategy", values: r.equity_curve.equity, color: Charts.COLORS.accent, width: 1.8 };
      const [full, ...exposed] = benchmarkLines(r, (values) => values);
      ownAxisChart(document.getElementById("chart-overview"), document.getElementById("overview-own-axis"),
        r.equity_curve.timestamps.map(BT.seconds), [strategy, full, ...exposed], [strategy, ...exposed],
        { height: 360, yLabel: "buy & hold 100%", rightLabel: "strategy · buy & hold at its exposure" });
    },
    equity(r) {
      const x = r.equity_curve.timestamps.map(BT.seconds);
      const el = document.getElementById("chart-equity");
      LogScale.bind(document.getElementById("log-equity"), "equity", (log) => {
        Charts.line(el, x, [
          { label: "strategy", values: r.equity_curve.equity, color: Charts.COLORS.accent, width: 1.8 },
          ...benchmarkLines(r, (values) => values),
        ], { height: 380, log });
        el.dataset.scale = log ? "log" : "linear";
      });
    },
    drawdown(r) {
      const x = r.drawdown_curve.timestamps.map(BT.seconds);
      Charts.line(document.getElementById("chart-drawdown"), x, [
        { label: "drawdown", values: r.drawdown_curve.drawdown_pct, color: Charts.COLORS.neg, fill: "rgba(248,81,73,0.18)" },
      ], { height: 300, unit: "%", yFormat: (v) => BT.fmt(v, 1, "%") });
    },
    portfolio(r) {
      const ts = r.price_candles.timestamps;
      const x = ts.map(BT.seconds);
      Charts.orders(document.getElementById("chart-orders"), x, r.price_candles.close, fillsOn(ts, r.signals.buys), fillsOn(ts, r.signals.sells));
      const closed = r.trades.filter((t) => BT.isNumber(t.pnl_abs)).slice().sort((a, b) => BT.seconds(a.exit_timestamp) - BT.seconds(b.exit_timestamp));
      const px = closed.map((t) => BT.seconds(t.exit_timestamp));
      Charts.scatter(document.getElementById("chart-pnl"), px, closed.map((t) => (t.pnl_abs > 0 ? t.pnl_abs : null)), closed.map((t) => (t.pnl_abs > 0 ? null : t.pnl_abs)));
      const start = r.request.initial_capital;
      const pct = (values) => values.map((v) => (BT.isNumber(v) ? (v / start - 1) * 100 : null));
      Charts.line(document.getElementById("chart-cumret"), r.equity_curve.timestamps.map(BT.seconds), [
        { label: "strategy", values: pct(r.equity_curve.equity), color: Charts.COLORS.accent },
        ...benchmarkLines(r, pct),
      ], { height: 260, unit: "%", yFormat: (v) => BT.fmt(v, 0, "%"), ySize: 55 });
    },
    candles(r) {
      const c = r.price_candles;
      const els = { price: document.getElementById("chart-candles"), panels: document.getElementById("candles-panels"), log: document.getElementById("log-price"), state: document.getElementById("indicators-state") };
      const fills = { buys: fillsOn(c.timestamps, r.signals.buys), sells: fillsOn(c.timestamps, r.signals.sells) };
      if (r.orders && r.orders.length) fills.orders = orderMarks(c.timestamps, r.orders);
      CandlesView.draw(r, data.indicators_url, els, fills, data.events_url).catch((error) => {
        console.error(error);
        state.textContent = `could not draw candles: ${error.message}`;
      });
    },
    trades(r) {
      TradesTable.create(document.getElementById("trades-table"), r.trades, {
        side: document.getElementById("trades-side"),
        outcome: document.getElementById("trades-outcome"),
        count: document.getElementById("trades-count"),
        page: document.getElementById("trades-page"),
        prev: document.getElementById("trades-prev"),
        next: document.getElementById("trades-next"),
      });
    },
  };

  function draw(tab) {
    if (!result || drawn.has(tab) || !DRAW[tab]) return;
    drawn.add(tab);
    try {
      DRAW[tab](result);
    } catch (error) {
      console.error(error);
      state.textContent = `could not draw ${tab}: ${error.message}`;
    }
  }

  for (const button of document.querySelectorAll("#run-tabs [data-tab]")) {
    button.addEventListener("shown.bs.tab", () => draw(button.dataset.tab));
  }

  async function load() {
    let response;
    try {
      response = await fetch(data.result_url, { headers: { Accept: "application/json" } });
    } catch (_) {
      state.textContent = "the server cannot be reached";
      return;
    }
    if (!response.ok) {
      state.textContent = `result unavailable (HTTP ${response.status})`;
      return;
    }
    result = await response.json();
    /* a long run stores its curves at evenly spaced points, each with its bar (`bar`) */
    const curve = result.equity_curve;
    const bars = curve.bar ? curve.bar[curve.bar.length - 1] + 1 : curve.timestamps.length;
    const shown = curve.bar ? ` (charts: ${curve.bar.length} points)` : "";
    state.textContent = `${bars} bars${shown} · ${result.trades.length} trades`;
    document.body.dataset.result = "loaded";
    const active = document.querySelector("#run-tabs .nav-link.active");
    if (active) draw(active.dataset.tab);
  }

  load();
})();
