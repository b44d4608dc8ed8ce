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

  /* The metric registry's rows for this page (label, unit, digits, note), by key. */
  let DEFINITIONS = new Map();

  /* ``value`` of metric ``key`` as the registry formats it. */
  const shown = (key, value) => {
    const d = DEFINITIONS.get(key) || {};
    return BT.fmt(value, d.digits, d.unit);
  };

  /* A KPI card for metric ``key``: the registry's label with its note on hover. */
  function metricKpi(key, value, tone, sub) {
    const d = DEFINITIONS.get(key) || { label: key };
    const card = BT.kpi(d.label, shown(key, value), tone, sub);
    const label = card.querySelector(".bt-kpi-label");
    label.title = d.note || "";
    label.classList.add("bt-noted");
    return card;
  }

  /* ``decisions``: what the page data calls the closes that decided orders (rebalances, or a
     portfolio of rules' closes with orders: web.pages.portfolios.DECISIONS). */
  function drawKpis(metrics, benchmark, decisions) {
    const m = metrics || {};
    const b = (benchmark && benchmark.metrics) || {};
    const excess = BT.isNumber(m.total_return_pct) && BT.isNumber(b.total_return_pct) ? m.total_return_pct - b.total_return_pct : null;
    byId("pf-kpis").replaceChildren(
      metricKpi("total_return_pct", m.total_return_pct, BT.tone(m.total_return_pct), `CAGR ${shown("cagr_pct", m.cagr_pct)}`),
      BT.kpi("Benchmark", shown("total_return_pct", b.total_return_pct), BT.tone(b.total_return_pct), "equal-weight buy & hold"),
      BT.kpi("Excess", shown("total_return_pct", excess), BT.tone(excess), "return − benchmark"),
      metricKpi("sharpe_ratio", m.sharpe_ratio, "", `benchmark ${shown("sharpe_ratio", b.sharpe_ratio)}`),
      metricKpi("max_drawdown_pct", m.max_drawdown_pct, "neg", `benchmark ${shown("max_drawdown_pct", b.max_drawdown_pct)}`),
      metricKpi("num_orders", m.num_orders, "", `${shown("num_rebalances", m.num_rebalances)} ${decisions} · ${shown("annual_turnover_pct", m.annual_turnover_pct)}/yr turnover`),
    );
  }

  const TOP_HOLDINGS = 10;

  /* The ``n`` tickers of largest average absolute weight, the others summed as "other"
     (a 30-ticker stack is unreadable): their long weights as "other", their short ones as
     "other short", so a long-short book's rest does not net out. */
  function topHoldings(weights, n) {
    if (weights.tickers.length <= n + 1) return weights;
    const mean = (values) => values.reduce((sum, v) => sum + Math.abs(v || 0), 0) / values.length;
    const order = weights.tickers.map((_, j) => j).sort((a, b) => mean(weights.values[b]) - mean(weights.values[a]));
    const kept = order.slice(0, n).sort((a, b) => a - b);
    const rest = order.slice(n);
    const part = (keep) => weights.timestamps.map((_, i) => rest.reduce((sum, j) => sum + keep(weights.values[j][i] || 0), 0));
    const long = part((v) => Math.max(v, 0));
    const short = part((v) => Math.min(v, 0));
    const tickers = [...kept.map((j) => weights.tickers[j]), "other"];
    const values = [...kept.map((j) => weights.values[j]), long];
    if (short.some((v) => v < 0)) {
      tickers.push("other short");
      values.push(short);
    }
    return { ...weights, tickers, values };
  }

  /* Stacked area: each held ticker's weight on top of the ones before it on its side of 0
     (long weights stacked up, short ones down; cumulative sums drawn from the last band to
     the first, each filled to 0, so a band shows its ticker's share; the space up to 100 %
     is cash); the legend shows the ticker's own weight on the hovered day. */
  function drawWeights(el, all) {
    const weights = topHoldings(all, TOP_HOLDINGS);
    const x = weights.timestamps.map(stamp);
    const cumulative = [];
    let up = x.map(() => 0);
    let down = x.map(() => 0);
    for (const values of weights.values) {
      const w = values.map((v) => (v || 0) * 100);
      up = up.map((sum, i) => (w[i] >= 0 ? sum + w[i] : sum));
      down = down.map((sum, i) => (w[i] < 0 ? sum + w[i] : sum));
      cumulative.push(w.map((v, i) => (v < 0 ? down[i] : up[i])));
    }
    const low = Math.min(0, ...down);
    const high = Math.max(100, ...up);
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
        fillTo: 0,
        points: { show: false },
        value: (u, v, s, i) => (i === null || i === undefined ? BT.MISSING : BT.fmt((own[i] || 0) * 100, 1, "%")),
      });
      data.push(cumulative[j]);
    }
    const opts = {
      ...Charts.barChart(300, { range: [low, high] }),
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
        BT.el("td", { class: o.side === "sell" ? "neg" : "pos", title: o.reason || "" }, o.reason ? `${o.side} (${o.reason})` : o.side),
        BT.el("td", { class: "text-end" }, BT.fmt(o.shares, 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.price, 2)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.value, 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(o.fee, 2)),
      );
      return tr;
    }));
  }

  /* Every metric of the portfolio beside the benchmark's, in the registry's order with its
     label, unit and note (a metric the benchmark lacks, such as the orders, is blank). */
  function drawMetrics(metrics, benchmark) {
    const ours = metrics || {};
    const other = (benchmark && benchmark.metrics) || {};
    const body = byId("pf-metrics").querySelector("tbody");
    const rows = [...DEFINITIONS.values()].filter((d) => d.key in ours);
    body.replaceChildren(...rows.map((d) => {
      const tr = BT.el("tr", { "data-metric": d.key });
      tr.append(
        BT.el("td", { title: d.note, class: "bt-noted" }, d.label),
        BT.el("td", { class: "text-end" }, shown(d.key, ours[d.key])),
        BT.el("td", { class: "text-end text-body-secondary" }, d.key in other ? shown(d.key, other[d.key]) : ""),
      );
      return tr;
    }));
  }

  /* The survivorship audit (result.survivorship, when the request asked for it): CAGR,
     Sharpe and total return with the delisted tickers, on the survivors only, and how
     much the second overstates the first. */
  function drawSurvivorship(audit) {
    const card = byId("pf-survivorship-card");
    if (!audit) return;
    const body = byId("pf-survivorship").querySelector("tbody");
    body.replaceChildren(...["cagr_pct", "sharpe_ratio", "total_return_pct"].map((key) => {
      const d = DEFINITIONS.get(key) || { label: key };
      const diff = audit.difference[key];
      const tr = BT.el("tr", { "data-metric": key });
      tr.append(
        BT.el("td", { title: d.note || "", class: "bt-noted" }, d.label),
        BT.el("td", { class: "text-end" }, shown(key, audit.with_delisted[key])),
        BT.el("td", { class: "text-end" }, shown(key, audit.survivors_only[key])),
        BT.el("td", { class: `text-end ${BT.tone(diff)}` }, BT.isNumber(diff) && diff > 0 ? `+${shown(key, diff)}` : shown(key, diff)),
      );
      return tr;
    }));
    const names = audit.delisted.length ? audit.delisted.join(", ") : "none";
    byId("pf-survivorship-note").textContent = `Delisted in the window: ${names}. Survivors only = the same request without them.`;
    card.classList.remove("d-none");
  }

  /* The splits and dividends that met a holding (result.events_applied, when any): the
     shares before and after a split, the cash each moved (a short pays its dividends). */
  function drawEvents(events) {
    if (!events || !events.length) return;
    const body = byId("pf-events").querySelector("tbody");
    body.replaceChildren(...events.map((e) => {
      const tr = BT.el("tr");
      const shares = e.type === "split" ? `${BT.fmt(e.shares_before, 0)} → ${BT.fmt(e.shares_after, 0)}` : BT.fmt(e.shares_after, 0);
      tr.append(
        BT.el("td", { class: "text-nowrap" }, e.date),
        BT.el("td", { class: "font-monospace" }, e.ticker),
        BT.el("td", {}, `${e.type} ${Number(e.value.toPrecision(6))}`),
        BT.el("td", { class: "text-end" }, shares),
        BT.el("td", { class: `text-end ${BT.tone(e.cash)}` }, BT.fmt(e.cash, 2)),
      );
      return tr;
    }));
    byId("pf-events-card").classList.remove("d-none");
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

  function drawResult(result, decisions) {
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
    drawSurvivorship(result.survivorship);
    drawEvents(result.events_applied);
    drawReport();
    const capacity = byId("pane-capacity");  // capacity.js draws it (a request with capacity)
    if (capacity && result.capacity) capacity.dispatchEvent(new Event("bt:capacity"));
    drawKpis(result.metrics, benchmark, decisions);
    byId("pf-provenance").textContent = `data ${String(result.data_hash).slice(0, 12)} · engine ${result.engine_version} · portfolio ${result.portfolio_engine_version}`;
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
      if (p.request) byId("pf-request").textContent = JSON.stringify(p.request, null, 2);
      if (!FINISHED.includes(p.status)) return;
      stopped = true;
      if (p.status === BT.STATUS.SUCCEEDED && p.result) drawResult(p.result, data.decisions);
      else if (p.error) {
        message.textContent = p.error;
        message.classList.remove("d-none");
      }
      document.body.dataset.portfolioStatus = p.status;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = BT.readJSON("pf-data");
    if (!data) return;
    DEFINITIONS = new Map((data.metrics || []).map((d) => [d.key, d]));
    start(data);
  });
})();
