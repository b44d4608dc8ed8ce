/* One portfolio (/portfolios/<id>): polls GET /api/portfolios/<id> until the portfolio
   finishes, then draws its KPIs, equity and drawdown against the equal-weight buy & hold of
   the universe, the weights over time as a stacked area (the rest is cash), the turnover of
   each rebalance, the per-ticker contributions, the orders table and the metrics (the result
   JSON: docs/portfolios.md, "The result"). Uses BT (common.js) and Charts (charts.js). */
"use strict";

(() => {
  const FINISHED = BT.STATUS.FINISHED || [BT.STATUS.SUCCEEDED, BT.STATUS.FAILED];
  const byId = (id) => document.getElementById(id);

  /* A bar's date ("YYYY-MM-DD") as unix seconds at 21:00 UTC (BT.barSeconds). */
  const stamp = BT.barSeconds;

  function drawKpis(metrics, benchmark) {
    const m = metrics || {};
    const b = (benchmark && benchmark.metrics) || {};
    const excess = BT.isNumber(m.total_return_pct) && BT.isNumber(b.total_return_pct) ? m.total_return_pct - b.total_return_pct : null;
    byId("pf-kpis").replaceChildren(
      BT.kpi("Return", BT.fmt(m.total_return_pct, 2, "%"), BT.tone(m.total_return_pct), `CAGR ${BT.fmt(m.cagr_pct, 2, "%")}`),
      BT.kpi("Benchmark", BT.fmt(b.total_return_pct, 2, "%"), BT.tone(b.total_return_pct), "equal-weight buy & hold"),
      BT.kpi("Excess", BT.fmt(excess, 2, "%"), BT.tone(excess), "return − benchmark"),
      BT.kpi("Sharpe", BT.fmt(m.sharpe_ratio, 2), "", `benchmark ${BT.fmt(b.sharpe_ratio, 2)}`),
      BT.kpi("Max drawdown", BT.fmt(m.max_drawdown_pct, 2, "%"), "neg", `benchmark ${BT.fmt(b.max_drawdown_pct, 2, "%")}`),
      BT.kpi("Orders", BT.fmt(m.num_orders, 0), "", `${BT.fmt(m.num_rebalances, 0)} rebalances · ${BT.fmt(m.annual_turnover_pct, 0, "%")}/yr turnover`),
    );
  }

  const TOP_HOLDINGS = 10;

  /* The ``n`` tickers of largest average absolute weight, the others summed as "other"
     (a 30-ticker stack is unreadable). */
  function topHoldings(weights, n) {
    if (weights.tickers.length <= n + 1) return weights;
    const mean = (values) => values.reduce((sum, v) => sum + Math.abs(v || 0), 0) / values.length;
    const order = weights.tickers.map((_, j) => j).sort((a, b) => mean(weights.values[b]) - mean(weights.values[a]));
    const kept = order.slice(0, n).sort((a, b) => a - b);
    const rest = order.slice(n);
    const other = weights.timestamps.map((_, i) => rest.reduce((sum, j) => sum + (weights.values[j][i] || 0), 0));
    return {
      ...weights,
      tickers: [...kept.map((j) => weights.tickers[j]), "other"],
      values: [...kept.map((j) => weights.values[j]), other],
    };
  }

  /* Stacked area: each held ticker's weight on top of the ones before it (cumulative sums
     drawn from the top band down, each filled, so a band shows its ticker's share; the
     space above is cash); the legend shows the ticker's own weight on the hovered day. */
  function drawWeights(el, all) {
    const weights = topHoldings(all, TOP_HOLDINGS);
    const x = weights.timestamps.map(stamp);
    const cumulative = [];
    let running = x.map(() => 0);
    for (const values of weights.values) {
      running = running.map((sum, i) => sum + (values[i] || 0) * 100);
      cumulative.push(running);
    }
    const palette = Charts.COLORS.palette;
    const series = [Charts.timeSeries(x)];
    const data = [x];
    for (let j = weights.tickers.length - 1; j >= 0; j--) {
      const color = palette[j % palette.length];
      const own = weights.values[j];
      series.push({
        label: weights.tickers[j],
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

  /* Turnover of each fill bar as dots (traded value / portfolio value, in %). */
  function drawTurnover(el, turnover) {
    const color = Charts.COLORS.palette[2];
    const opts = {
      ...Charts.barChart(300, { range: (u, min, max) => [0, Math.max(1, max * 1.1)] }),
      axes: [Charts.axis(), Charts.labelled(Charts.axis((v) => v + "%", 50), "turnover")],
      series: [
        Charts.timeSeries(turnover.timestamps.map(stamp)),
        { label: "turnover", stroke: color, width: 0, points: { show: true, size: 5, fill: color, stroke: color }, value: Charts.number(1, "%") },
      ],
      legend: { live: true },
    };
    return Charts.mount(el, opts, [turnover.timestamps.map(stamp), turnover.values.map((v) => v * 100)]);
  }

  /* Each ticker's P&L (fees included), largest first, with a bar to scale and its share. */
  function drawContributions(rows) {
    const sorted = [...rows].sort((a, b) => b.pnl - a.pnl);
    const body = byId("pf-contrib").querySelector("tbody");
    const largest = Math.max(1e-9, ...sorted.map((r) => Math.abs(r.pnl)));
    body.replaceChildren(...sorted.map((r) => {
      const tr = BT.el("tr", { "data-ticker": r.ticker });
      const bar = BT.el("td", { class: "bt-contrib-cell" });
      const width = Math.max(1, Math.round((Math.abs(r.pnl) / largest) * 100));
      bar.append(BT.el("span", { class: "bt-contrib-bar", style: `width: ${width}%; background: ${r.pnl >= 0 ? Charts.COLORS.pos : Charts.COLORS.neg}` }));
      tr.append(
        BT.el("td", { class: "font-monospace" }, r.ticker),
        bar,
        BT.el("td", { class: "text-end " + BT.tone(r.pnl) }, BT.fmt(r.pnl, 0)),
        BT.el("td", { class: "text-end text-body-secondary" }, BT.fmt(r.share_of_pnl_pct, 1, "%")),
      );
      return tr;
    }));
  }

  /* The orders, the latest first (the last 500 shown; the header says how many there are). */
  function drawOrders(result) {
    const orders = result.orders;
    const total = result.orders_total ?? orders.length;
    const stored = result.orders_truncated ? ` (the first ${orders.length} stored)` : "";
    byId("pf-orders-count").textContent = `${total} orders${stored}${orders.length > 500 ? " · latest 500 shown" : ""}`;
    const body = byId("pf-orders").querySelector("tbody");
    body.replaceChildren(...orders.slice(-500).reverse().map((o) => {
      const tr = BT.el("tr");
      tr.append(
        BT.el("td", { class: "text-nowrap" }, o.date),
        BT.el("td", { class: "font-monospace" }, o.ticker),
        BT.el("td", { class: o.side === "sell" ? "neg" : "pos" }, o.side),
        BT.el("td", { class: "text-end" }, BT.fmt(o.shares, 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.price, 2)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.value, 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.fee, 2)),
      );
      return tr;
    }));
  }

  /* Every metric of the portfolio beside the benchmark's. */
  function drawMetrics(metrics, benchmark) {
    const other = (benchmark && benchmark.metrics) || {};
    const body = byId("pf-metrics").querySelector("tbody");
    const value = (v) => (BT.isNumber(v) ? BT.fmt(v, Number.isInteger(v) ? 0 : 2) : v === null || v === undefined ? BT.MISSING : String(v));
    body.replaceChildren(...Object.entries(metrics || {}).map(([key, v]) => {
      const tr = BT.el("tr");
      tr.append(BT.el("td", {}, key), BT.el("td", { class: "text-end" }, value(v)), BT.el("td", { class: "text-end text-body-secondary" }, key in other ? value(other[key]) : ""));
      return tr;
    }));
  }

  /* The report-depth metrics of the portfolio and its benchmark (GET …/report). */
  async function drawReport() {
    const card = byId("pf-report");
    const answer = await BT.fetchJSON(card.dataset.reportUrl).catch(() => null);
    if (!answer || !answer.ok) return;
    const r = answer.body;
    BT.reportMetrics(byId("pf-tearsheet").tBodies[0], r.report_definitions, [r.report_metrics, r.benchmark_report_metrics]);
    byId("pf-report-note").textContent = r.not_applicable;
    card.dataset.ready = "1";
  }

  function drawResult(result) {
    const x = result.timestamps.map(stamp);
    const benchmark = result.benchmark || {};
    Charts.line(byId("pf-equity"), x, [
      { label: "portfolio", values: result.equity, color: Charts.COLORS.accent },
      { label: "equal-weight", values: benchmark.equity, color: Charts.COLORS.muted, dash: [5, 4] },
    ], { digits: 0, yLabel: "equity" });
    Charts.line(byId("pf-drawdown"), x, [
      { label: "portfolio", values: result.drawdown_pct, color: Charts.COLORS.neg, fill: "rgba(248,81,73,0.15)" },
      { label: "equal-weight", values: benchmark.drawdown_pct, color: Charts.COLORS.muted, dash: [5, 4] },
    ], { digits: 2, unit: "%", yLabel: "drawdown %" });
    drawWeights(byId("pf-weights"), result.weights);
    drawTurnover(byId("pf-turnover"), result.turnover);
    drawContributions(result.contribution);
    drawOrders(result);
    drawMetrics(result.metrics, benchmark);
    drawReport();
    drawKpis(result.metrics, benchmark);
    byId("pf-provenance").textContent = `data ${String(result.data_hash).slice(0, 12)} · engine ${result.engine_version} · portfolio ${result.portfolio_engine_version}`;
  }

  function describe(request) {
    const a = request.allocation || {};
    const r = request.rebalance || {};
    const params = Object.entries(request.params || {}).map(([k, v]) => `$${k}=${v}`).join(", ");
    const what = a.method === "rank"
      ? `top ${a.top_n} by ${a.score}${a.filter ? ` where ${a.filter}` : ""}${params ? ` (${params})` : ""}, ${a.weighting} weights`
      : `${a.method} weights${a.weighting ? `, ${a.weighting}` : ""}`;
    const schedule = r.schedule === "bars" ? `every ${r.every_n_bars} bars` : r.schedule;
    const drift = BT.isNumber(r.drift_threshold) ? `, drift ${r.drift_threshold}` : "";
    const construction = [
      a.short_n ? `short ${a.short_n} (gross ${a.gross_exposure}, net ${a.net_exposure})` : "",
      a.risk_lookback ? `${a.risk_lookback}-day risk lookback` : "",
      BT.isNumber(a.max_weight) ? `max weight ${a.max_weight}` : "",
      BT.isNumber(a.max_sector_weight) ? `max sector ${a.max_sector_weight}` : "",
      BT.isNumber(a.target_volatility) ? `volatility target ${a.target_volatility} (leverage ≤ ${a.max_leverage})` : "",
    ].filter(Boolean).join(", ");
    const built = construction ? ` · ${construction}` : "";
    return `${(request.tickers || []).length} tickers · ${request.start_date} … ${request.end_date} · ${what}${built} · rebalance ${schedule}${drift}`;
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
