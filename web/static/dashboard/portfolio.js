/* One portfolio (/portfolios/<id>): polls GET /api/portfolios/<id> until the portfolio
   finishes, then draws its KPIs, equity and drawdown against the equal-weight buy & hold of
   the universe, the weights over time as a stacked area (the rest is cash), the turnover of
   each rebalance, the per-ticker contributions, the orders table and the metrics (the result
   JSON in docs/api.md). Uses BT (common.js) and Charts (charts.js). */
"use strict";

(() => {
  const FINISHED = BT.STATUS.FINISHED || [BT.STATUS.SUCCEEDED, BT.STATUS.FAILED];
  const byId = (id) => document.getElementById(id);

  /* A bar's date as unix seconds: a daily bar is stamped 21:00 UTC like a run's bars
     (data/loader.py), so the charts show dates, not times. */
  const stamp = (value) => (typeof value === "number" ? value : BT.seconds(String(value).length === 10 ? `${value}T21:00:00Z` : value));

  /* Percent below the running peak, per bar. */
  function drawdown(equity) {
    let peak = -Infinity;
    return equity.map((v) => {
      if (!BT.isNumber(v)) return null;
      peak = Math.max(peak, v);
      return peak > 0 ? (v / peak - 1) * 100 : 0;
    });
  }

  /* The weights as one column per ticker, whichever way the result holds them: a (T, N)
     list of rows with ``tickers``, or {ticker: column}. */
  function weightColumns(result) {
    const weights = result.weights || {};
    const tickers = result.tickers || Object.keys(weights);
    if (Array.isArray(weights)) return tickers.map((t, j) => ({ ticker: t, values: weights.map((row) => row[j]) }));
    if (Array.isArray(weights.values)) {
      const names = weights.tickers || tickers;
      return names.map((t, j) => ({ ticker: t, values: weights.values.map((row) => row[j]) }));
    }
    return tickers.filter((t) => Array.isArray(weights[t])).map((t) => ({ ticker: t, values: weights[t] }));
  }

  /* Per-ticker contribution as [{ticker, value}], from {ticker: value} or a list aligned
     with ``tickers``, largest first. */
  function contributions(result) {
    const raw = result.contribution || result.contributions || {};
    const tickers = result.tickers || [];
    const rows = Array.isArray(raw)
      ? raw.map((v, j) => (v && typeof v === "object" ? v : { ticker: tickers[j], value: v }))
      : Object.entries(raw).map(([ticker, value]) => ({ ticker, value }));
    return rows.filter((r) => BT.isNumber(r.value)).sort((a, b) => b.value - a.value);
  }

  function drawKpis(metrics) {
    const m = metrics || {};
    const excess = BT.isNumber(m.total_return_pct) && BT.isNumber(m.benchmark_return_pct) ? m.total_return_pct - m.benchmark_return_pct : null;
    byId("pf-kpis").replaceChildren(
      BT.kpi("Return", BT.fmt(m.total_return_pct, 2, "%"), BT.tone(m.total_return_pct)),
      BT.kpi("Benchmark", BT.fmt(m.benchmark_return_pct, 2, "%"), BT.tone(m.benchmark_return_pct), "equal-weight buy & hold"),
      BT.kpi("Excess", BT.fmt(excess, 2, "%"), BT.tone(excess)),
      BT.kpi("Sharpe", BT.fmt(m.sharpe_ratio ?? m.sharpe, 2), ""),
      BT.kpi("Max drawdown", BT.fmt(m.max_drawdown_pct, 2, "%"), "neg"),
      BT.kpi("Orders", BT.fmt(m.num_orders, 0), "", BT.isNumber(m.avg_turnover) ? `avg turnover ${BT.fmt(m.avg_turnover * 100, 1, "%")}` : ""),
    );
  }

  /* Stacked area: each ticker's weight on top of the ones before it (cumulative sums drawn
     from the top band down, each filled, so a band shows its ticker's share); the legend
     shows the ticker's own weight. Tickers never held are left out. */
  function drawWeights(el, x, columns) {
    const held = columns.filter((c) => c.values.some((v) => v > 1e-9));
    const cumulative = [];
    let running = x.map(() => 0);
    for (const c of held) {
      running = running.map((sum, i) => sum + (BT.isNumber(c.values[i]) ? c.values[i] : 0) * 100);
      cumulative.push(running);
    }
    const palette = Charts.COLORS.palette;
    const series = [Charts.timeSeries(x)];
    const data = [x];
    for (let j = held.length - 1; j >= 0; j--) {
      const color = palette[j % palette.length];
      const own = held[j].values;
      series.push({
        label: held[j].ticker,
        stroke: color,
        width: 1,
        fill: color + "cc",
        points: { show: false },
        value: (u, v, s, i) => (i === null || i === undefined ? BT.MISSING : BT.fmt((own[i] || 0) * 100, 1, "%")),
      });
      data.push(cumulative[j]);
    }
    const opts = {
      ...Charts.barChart(300, { range: [0, 100] }),
      axes: [Charts.axis(), Charts.labelled(Charts.axis((v) => v + "%", 50), "weight")],
      series,
      legend: { live: true },
    };
    return Charts.mount(el, opts, data);
  }

  /* Turnover of each rebalance as dots (the bars without orders have none). */
  function drawTurnover(el, x, turnover) {
    const values = turnover.map((v) => (BT.isNumber(v) && v > 0 ? v * 100 : null));
    const color = Charts.COLORS.palette[2];
    const opts = {
      ...Charts.barChart(300, { range: (u, min, max) => [0, Math.max(1, max * 1.1)] }),
      axes: [Charts.axis(), Charts.labelled(Charts.axis((v) => v + "%", 50), "turnover")],
      series: [
        Charts.timeSeries(x),
        { label: "turnover", stroke: color, width: 0, spanGaps: false, points: { show: true, size: 5, fill: color, stroke: color }, value: Charts.number(1, "%") },
      ],
      legend: { live: true },
    };
    return Charts.mount(el, opts, [x, values]);
  }

  function drawContributions(rows) {
    const body = byId("pf-contrib").querySelector("tbody");
    const largest = Math.max(1e-9, ...rows.map((r) => Math.abs(r.value)));
    body.replaceChildren(...rows.map((r) => {
      const tr = BT.el("tr", { "data-ticker": r.ticker });
      const bar = BT.el("td", { class: "bt-contrib-cell" });
      const width = Math.max(1, Math.round((Math.abs(r.value) / largest) * 100));
      bar.append(BT.el("span", { class: "bt-contrib-bar", style: `width: ${width}%; background: ${r.value >= 0 ? Charts.COLORS.pos : Charts.COLORS.neg}` }));
      tr.append(BT.el("td", { class: "font-monospace" }, r.ticker), bar, BT.el("td", { class: "text-end " + BT.tone(r.value) }, BT.fmt(r.value, 0)));
      return tr;
    }));
  }

  function drawOrders(orders) {
    const body = byId("pf-orders").querySelector("tbody");
    byId("pf-orders-count").textContent = `${orders.length} orders`;
    const shown = orders.slice(-500).reverse();
    body.replaceChildren(...shown.map((o) => {
      const shares = o.shares;
      const side = o.side || (shares < 0 ? "sell" : "buy");
      const tr = BT.el("tr");
      tr.append(
        BT.el("td", { class: "text-nowrap" }, String(o.date || o.fill_date || o.timestamp || "").slice(0, 10)),
        BT.el("td", { class: "font-monospace" }, o.ticker),
        BT.el("td", { class: side === "sell" ? "neg" : "pos" }, side),
        BT.el("td", { class: "text-end" }, BT.fmt(Math.abs(shares), 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.price, 2)),
        BT.el("td", { class: "text-end" }, BT.fmt(Math.abs(o.value), 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.fee, 2)),
      );
      return tr;
    }));
  }

  function drawMetrics(metrics) {
    const body = byId("pf-metrics").querySelector("tbody");
    body.replaceChildren(...Object.entries(metrics || {}).map(([key, value]) => {
      const tr = BT.el("tr");
      tr.append(BT.el("td", {}, key), BT.el("td", { class: "text-end" }, BT.isNumber(value) ? BT.fmt(value, Number.isInteger(value) ? 0 : 4) : String(value)));
      return tr;
    }));
  }

  function drawResult(result) {
    const x = (result.dates || result.timestamps || []).map(stamp);
    const equity = result.equity || [];
    const benchmark = result.benchmark || result.benchmark_equity || [];
    Charts.line(byId("pf-equity"), x, [
      { label: "portfolio", values: equity, color: Charts.COLORS.accent },
      { label: "equal-weight", values: benchmark, color: Charts.COLORS.muted, dash: [5, 4] },
    ], { digits: 0, yLabel: "equity" });
    Charts.line(byId("pf-drawdown"), x, [
      { label: "portfolio", values: result.drawdown_pct || drawdown(equity), color: Charts.COLORS.neg, fill: "rgba(248,81,73,0.15)" },
      { label: "equal-weight", values: result.benchmark_drawdown_pct || drawdown(benchmark), color: Charts.COLORS.muted, dash: [5, 4] },
    ], { digits: 2, unit: "%", yLabel: "drawdown %" });
    drawWeights(byId("pf-weights"), x, weightColumns(result));
    drawTurnover(byId("pf-turnover"), x, result.turnover || []);
    drawContributions(contributions(result));
    drawOrders(result.orders || []);
    drawMetrics(result.metrics);
    drawKpis(result.metrics);
    const versions = [result.data_hash && `data ${String(result.data_hash).slice(0, 12)}`, result.engine_version && `engine ${result.engine_version}`, result.portfolio_engine_version && `portfolio ${result.portfolio_engine_version}`];
    byId("pf-provenance").textContent = versions.filter(Boolean).join(" · ");
  }

  function describe(request) {
    const a = request.allocation || {};
    const r = request.rebalance || {};
    const what = a.method === "rank" ? `top ${a.top_n} by ${a.score}${a.filter ? ` where ${a.filter}` : ""} (${a.weighting || "equal"} weights)` : `${a.method || "?"} weights`;
    return `${(request.tickers || []).length} tickers · ${request.start_date} … ${request.end_date} · ${what} · rebalance ${r.schedule || "?"}${r.drift_threshold ? `, drift ${r.drift_threshold}` : ""}`;
  }

  function start(data) {
    const badge = byId("pf-status");
    let stopped = false;
    BT.every(1000, async () => {
      if (stopped) return;
      const answer = await BT.fetchJSON(data.status_url);
      const message = byId("pf-message");
      if (!answer.ok || !answer.body) {
        message.textContent = (answer.body && answer.body.error) || `unavailable (HTTP ${answer.status})`;
        message.classList.remove("d-none");
        if (answer.status === 404) stopped = true;
        return;
      }
      message.classList.add("d-none");
      const p = answer.body;
      BT.setBadge(badge, p.status);
      if (p.request) {
        byId("pf-setup").textContent = describe(p.request);
        byId("pf-request").textContent = JSON.stringify(p.request, null, 2);
      }
      if (!FINISHED.includes(p.status)) return;
      stopped = true;
      if (p.status === BT.STATUS.SUCCEEDED && p.result) drawResult(p.result);
      else if (p.error) {
        message.textContent = p.error;
        message.classList.remove("d-none");
      }
      document.body.dataset.portfolioStatus = p.status;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = BT.readJSON("pf-data");
    if (data) start(data);
  });
})();
