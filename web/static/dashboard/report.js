/* The run page's Report tab: on first showing, and whenever the benchmark or the rolling
   window changes, fetches GET /api/runs/<id>/report and draws the benchmark statistics,
   equity against the benchmark, the monthly returns heatmap, rolling Sharpe and volatility,
   the underwater curve, the five worst drawdowns and the report-depth metrics, and points
   the "HTML report" link at the same report as one file (definitions: docs/execution.md, "Run
   report"). Only the latest answer is drawn; it is handed on as the pane's "report:drawn"
   event (luck.js draws the run's PSR from it). */
"use strict";

(() => {
  const pane = document.getElementById("pane-report");
  const tab = document.getElementById("tab-report");
  if (!pane || !tab) return;
  const $ = (id) => document.getElementById(id);
  const benchmark = $("report-benchmark");
  const windowSelect = $("report-window");
  const state = $("report-state");
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pct = (digits) => (v) => BT.fmt(v, digits, "%");
  /* A percent with one decimal; one that rounds to zero shows as 0.0%, never -0.0%. */
  const pct1 = (v) => BT.fmt(BT.isNumber(v) && Math.abs(v) < 0.05 ? 0 : v, 1, "%");
  let asked = 0;
  let windowChosen = false;

  const STATS = [
    { key: "alpha_pct", label: "alpha (annualised)", digits: 2, unit: "%", signed: true },
    { key: "beta", label: "beta", digits: 2 },
    { key: "correlation", label: "correlation", digits: 2 },
    { key: "tracking_error_pct", label: "tracking error (annualised)", digits: 2, unit: "%" },
    { key: "information_ratio", label: "information ratio", digits: 2, signed: true },
  ];

  function drawStats(bench) {
    const s = bench.stats;
    const cards = STATS.map((spec) => {
      const value = BT.el("div", { class: `bt-kpi-value ${spec.signed ? BT.tone(s[spec.key]) : ""}` }, BT.fmt(s[spec.key], spec.digits, spec.unit));
      const box = BT.el("div", { class: "bt-kpi", dataset: { stat: spec.key } });
      box.append(BT.el("div", { class: "bt-kpi-label" }, spec.label), value);
      const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
      col.append(box);
      return col;
    });
    const span = BT.el("div", { class: "bt-kpi" });
    span.append(
      BT.el("div", { class: "bt-kpi-label" }, "common bars"),
      BT.el("div", { class: "bt-kpi-value" }, BT.fmt(s.bars, 0)),
      BT.el("div", { class: "bt-kpi-sub" }, s.first ? `${s.first.slice(0, 10)} → ${s.last.slice(0, 10)}` : ""),
    );
    const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
    col.append(span);
    $("report-stats").replaceChildren(...cards, col);
  }

  /* Green for gains, red for losses, stronger with the size (full at `full` percent). */
  function shade(cell, value, full) {
    if (!BT.isNumber(value) || value === 0) return;
    const alpha = (0.12 + 0.5 * Math.min(Math.abs(value) / full, 1)).toFixed(2);
    cell.style.backgroundColor = value > 0 ? `rgba(63, 185, 80, ${alpha})` : `rgba(248, 81, 73, ${alpha})`;
  }

  function drawMonthly(rows) {
    const table = $("report-monthly");
    const head = BT.el("tr");
    for (const name of ["Year", ...MONTHS, "Year %"]) head.append(BT.el("th", { class: name === "Year" ? "" : "text-end" }, name));
    table.tHead.replaceChildren(head);
    table.tBodies[0].replaceChildren(
      ...rows.map((row) => {
        const tr = BT.el("tr", { dataset: { year: row.year } });
        tr.append(BT.el("th", {}, row.year));
        row.months_pct.forEach((value) => {
          const td = BT.el("td", { class: "text-end" }, BT.isNumber(value) ? pct1(value) : "");
          shade(td, value, 10);
          tr.append(td);
        });
        const total = BT.el("td", { class: "text-end fw-bold" }, pct1(row.year_pct));
        shade(total, row.year_pct, 40);
        tr.append(total);
        return tr;
      }),
    );
  }

  function drawDrawdowns(episodes) {
    const day = (iso) => (iso ? iso.slice(0, 10) : "not recovered");
    $("report-drawdowns").tBodies[0].replaceChildren(
      ...episodes.map((e, i) => {
        const tr = BT.el("tr");
        tr.append(
          BT.el("td", {}, i + 1),
          BT.el("td", {}, day(e.peak)),
          BT.el("td", {}, day(e.trough)),
          BT.el("td", { class: e.recovery ? "" : "text-body-secondary" }, day(e.recovery)),
          BT.el("td", { class: "text-end neg" }, BT.fmt(BT.isNumber(e.depth_pct) ? -e.depth_pct : null, 2, "%")),
          BT.el("td", { class: "text-end" }, BT.fmt(e.length_bars, 0)),
          BT.el("td", { class: "text-end" }, BT.fmt(e.length_days, 0)),
        );
        return tr;
      }),
    );
    if (!episodes.length) {
      const none = BT.el("tr");
      none.append(BT.el("td", { colspan: 7, class: "text-body-secondary" }, "equity never fell below its peak"));
      $("report-drawdowns").tBodies[0].append(none);
    }
  }

  function drawCharts(r) {
    const x = r.timestamps.map(BT.seconds);
    const C = Charts.COLORS;
    const label = r.benchmark.label;
    $("report-benchmark-title").textContent = `Equity vs ${label} (account currency; the benchmark starts at the strategy's equity on the first common bar; held 100% invested and at the run's average exposure)`;
    const lines = [
      { label: "strategy", values: r.equity, color: C.accent, width: 1.8 },
      { label: `${label} (100% invested)`, values: r.benchmark.equity, color: C.muted, dash: [4, 4] },
    ];
    if (Array.isArray(r.benchmark.exposed_equity)) {
      lines.push({ label: `${label} at ${BT.fmt(r.benchmark.exposure_pct, 1, "%")} (the run's avg exposure)`, values: r.benchmark.exposed_equity, color: C.palette[4], dash: [2, 3] });
    }
    Charts.line($("chart-report-benchmark"), x, lines, { height: 300, yLabel: "equity (account currency)", xLabel: "time (UTC)" });
    const w = r.rolling.window;
    $("report-sharpe-title").textContent = `Rolling Sharpe ratio (annualised, ${w} bars, risk-free 0)`;
    Charts.line($("chart-report-sharpe"), x, [
      { label: `Sharpe ${w} bars`, values: r.rolling.sharpe, color: C.palette[2] },
    ], { height: 240, yFormat: (v) => BT.fmt(v, 1), ySize: 50, yLabel: "Sharpe (annualised)" });
    $("report-vol-title").textContent = `Rolling volatility (annualised %, ${w} bars)`;
    Charts.line($("chart-report-vol"), x, [
      { label: `volatility ${w} bars`, values: r.rolling.volatility_pct, color: C.palette[3] },
    ], { height: 240, unit: "%", yFormat: pct(0), ySize: 55, yLabel: "volatility (%/yr)" });
    Charts.line($("chart-report-underwater"), x, [
      { label: "drawdown", values: r.underwater_pct, color: C.neg, fill: "rgba(248,81,73,0.18)" },
    ], { height: 240, unit: "%", yFormat: pct(0), ySize: 55, yLabel: "below peak (%)" });
  }

  /* Offer only the windows the run has returns for (the server refuses the others). */
  function fitWindows(r) {
    const returns = r.timestamps.length - 1;
    for (const option of windowSelect.options) option.disabled = Number(option.value) > returns;
    if (!windowChosen) {
      if (![...windowSelect.options].some((o) => Number(o.value) === r.rolling.window)) {
        windowSelect.append(BT.el("option", { value: r.rolling.window }, `${r.rolling.window} bars`));
      }
      windowSelect.value = String(r.rolling.window);
    }
  }

  async function load() {
    const mine = ++asked;
    const query = new URLSearchParams();
    if (benchmark.value) query.set("benchmark", benchmark.value);
    if (windowChosen) query.set("window", windowSelect.value);
    state.textContent = "loading report…";
    pane.dataset.ready = "";
    const answer = await BT.fetchJSON(`${pane.dataset.reportUrl}?${query}`).catch(() => null);
    if (mine !== asked) return;
    if (!answer || !answer.ok) {
      const error = (answer && answer.body) || { error: "the server cannot be reached" };
      state.textContent = error.field ? `${error.field}: ${error.error}` : error.error || `HTTP ${answer.status}`;
      state.classList.add("text-danger");
      pane.dataset.ready = "error";
      return;
    }
    state.classList.remove("text-danger");
    const r = answer.body;
    fitWindows(r);
    drawStats(r.benchmark);
    drawCharts(r);
    drawMonthly(r.monthly);
    drawDrawdowns(r.drawdowns);
    BT.reportMetrics($("report-tearsheet").tBodies[0], r.report_definitions, [r.report_metrics]);
    $("report-export").href = String(query) ? `${pane.dataset.exportUrl}?${query}` : pane.dataset.exportUrl;
    state.textContent = `against ${r.benchmark.label} · window ${r.rolling.window} bars`;
    pane.dataset.ready = `${r.benchmark.ticker || ""}:${r.rolling.window}`;
    pane.dispatchEvent(new CustomEvent("report:drawn", { detail: r }));
  }

  /* The catalog's tickers whose data overlaps the run's dates (the others would be refused). */
  async function fillTickers() {
    const answer = await BT.fetchJSON(pane.dataset.tickersUrl).catch(() => null);
    if (!answer || !answer.ok) return;
    const { start, end } = pane.dataset;
    for (const t of answer.body) {
      if (t.first_date && t.first_date <= end && t.last_date >= start) {
        benchmark.append(BT.el("option", { value: t.ticker }, `${t.ticker} (buy & hold)`));
      }
    }
  }

  benchmark.addEventListener("change", load);
  windowSelect.addEventListener("change", () => {
    windowChosen = true;
    load();
  });
  $("report-controls").addEventListener("submit", (event) => event.preventDefault());
  let started = false;
  tab.addEventListener("shown.bs.tab", () => {
    if (started) return;
    started = true;
    fillTickers();
    load();
  });
})();
