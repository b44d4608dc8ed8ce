/* The Report tab's "Is it luck?" section: the run's probabilistic Sharpe ratio with its
   inputs (from the report answer, handed on by report.js as the pane's "report:drawn"
   event), and its Monte Carlo from GET /api/runs/<id>/montecarlo — asked once the first
   report is drawn, with the server's defaults, and again on "Simulate" — as percentiles of
   total return and max drawdown per method, a box per row, and the probability of a loss
   (definitions: docs/execution.md, "Overfitting statistics"), with a link to the same
   figures as CSV. Only the latest answer is drawn. */
"use strict";

(() => {
  const section = document.getElementById("report-luck");
  const pane = document.getElementById("pane-report");
  if (!section || !pane) return;
  const $ = (id) => document.getElementById(id);
  const state = $("luck-state");
  const inputs = { paths: $("luck-paths"), seed: $("luck-seed"), block: $("luck-block") };
  const CONFIDENCE = 0.95;
  const METHODS = [
    { key: "trades", label: "trade reshuffling", size: (m) => `${BT.fmt(m.n_trades, 0)} trades` },
    { key: "bootstrap", label: "block bootstrap", size: (m) => `${BT.fmt(m.n_returns, 0)} bar returns` },
  ];
  const STATS = [
    { key: "total_return_pct", label: "total return" },
    { key: "max_drawdown_pct", label: "max drawdown" },
  ];
  const POINTS = ["p5", "p25", "p50", "p75", "p95"];
  const SVG = "http://www.w3.org/2000/svg";
  let asked = 0;
  let started = false;

  function card(key, label, value, sub) {
    const box = BT.el("div", { class: "bt-kpi", dataset: { luck: key } });
    box.append(BT.el("div", { class: "bt-kpi-label" }, label), BT.el("div", { class: "bt-kpi-value" }, value), BT.el("div", { class: "bt-kpi-sub" }, sub));
    const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
    col.append(box);
    return col;
  }

  function verdict(psr) {
    const line = $("luck-verdict");
    line.className = "small mt-1";
    if (!BT.isNumber(psr)) {
      line.textContent = "PSR undefined: the run has fewer than 2 bar returns, or they never vary.";
      return;
    }
    const value = `PSR ${BT.fmt(psr, 3)}: `;
    if (psr >= CONFIDENCE) {
      line.textContent = `${value}the true Sharpe ratio is above 0 with ${CONFIDENCE * 100}% confidence (skewness and fat tails counted).`;
      line.classList.add("pos");
    } else if (psr <= 1 - CONFIDENCE) {
      line.textContent = `${value}the true Sharpe ratio is below 0 with ${CONFIDENCE * 100}% confidence.`;
      line.classList.add("neg");
    } else {
      line.textContent = `${value}at ${CONFIDENCE * 100}% confidence this Sharpe ratio cannot be told from 0: it may be luck.`;
      line.classList.add("text-warning");
    }
  }

  function drawPsr(r) {
    const p = r.probabilistic_sharpe || {};
    const annual = BT.isNumber(p.sharpe_per_bar) ? p.sharpe_per_bar * Math.sqrt(r.bars_per_year) : null;
    $("luck-psr").replaceChildren(
      card("psr", "PSR (Sharpe > 0)", BT.fmt(p.psr, 3), "probability the true Sharpe is above 0"),
      card("sharpe_per_bar", "Sharpe per bar", BT.fmt(p.sharpe_per_bar, 4), `annualised ${BT.fmt(annual, 2)} (× √${BT.fmt(r.bars_per_year, 0)})`),
      card("skewness", "skewness", BT.fmt(p.skewness, 2), "of bar returns; 0 if normal"),
      card("kurtosis", "kurtosis", BT.fmt(p.kurtosis, 2), "of bar returns; 3 if normal"),
      card("n_returns", "bar returns", BT.fmt(p.n_returns, 0), "n; against Sharpe 0"),
    );
    verdict(p.psr);
    inputs.block.max = String(Math.max(1, r.timestamps.length - 1));
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  /* A box plot on [low, high]: whiskers 5-95%, box 25-75%, a median tick, the run as a dot. */
  function spread(points, run, low, high) {
    const width = 180, height = 16, pad = 4;
    const x = (v) => pad + ((v - low) / (high - low)) * (width - 2 * pad);
    const box = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `5% ${BT.fmt(points.p5)}, median ${BT.fmt(points.p50)}, 95% ${BT.fmt(points.p95)}` });
    box.append(
      svg("line", { x1: x(points.p5), x2: x(points.p95), y1: height / 2, y2: height / 2, stroke: Charts.COLORS.muted }),
      svg("rect", { x: x(points.p25), y: 3, width: Math.max(1, x(points.p75) - x(points.p25)), height: height - 6, fill: "rgba(88,166,255,0.35)", stroke: Charts.COLORS.accent }),
      svg("line", { x1: x(points.p50), x2: x(points.p50), y1: 2, y2: height - 2, stroke: "#e6edf3", "stroke-width": 2 }),
    );
    if (BT.isNumber(run)) box.append(svg("circle", { cx: x(run), cy: height / 2, r: 3, fill: Charts.COLORS.palette[2] }));
    return box;
  }

  /* Per statistic, one scale for both methods and the run's own value. */
  function scale(mc, stat) {
    const values = [mc.run[stat]];
    for (const { key } of METHODS) {
      const m = mc[key];
      if (m && m[stat]) values.push(m[stat].p5, m[stat].p95);
    }
    const known = values.filter(BT.isNumber);
    const low = Math.min(...known), high = Math.max(...known);
    return high > low ? [low, high] : [low - 1, high + 1];
  }

  function drawMonteCarlo(mc) {
    const rows = [];
    const scales = Object.fromEntries(STATS.map((s) => [s.key, scale(mc, s.key)]));
    for (const method of METHODS) {
      const m = mc[method.key];
      if (m.unavailable) {
        const tr = BT.el("tr", { dataset: { method: method.key } });
        tr.append(BT.el("th", {}, method.label), BT.el("td", { colspan: 8, class: "text-body-secondary" }, `unavailable: ${m.unavailable}`));
        rows.push(tr);
        continue;
      }
      STATS.forEach((stat, i) => {
        const tr = BT.el("tr", { dataset: { method: method.key, stat: stat.key } });
        tr.append(i === 0 ? BT.el("th", { rowspan: STATS.length }, `${method.label} (${method.size(m)})`) : "");
        tr.append(BT.el("td", {}, stat.label));
        for (const point of POINTS) tr.append(BT.el("td", { class: "text-end" }, BT.fmt(m[stat.key][point], 2, "%")));
        tr.append(BT.el("td", { class: "text-end fw-bold" }, BT.fmt(mc.run[stat.key], 2, "%")));
        const cell = BT.el("td");
        cell.append(spread(m[stat.key], mc.run[stat.key], ...scales[stat.key]));
        tr.append(cell);
        rows.push(tr);
      });
    }
    $("luck-table").tBodies[0].replaceChildren(...rows);
    const losses = METHODS.filter(({ key }) => !mc[key].unavailable).map(({ key, label }) => `${BT.fmt(mc[key].prob_loss * 100, 1, "%")} (${label})`);
    $("luck-loss").textContent = losses.length ? `Probability of a loss (share of paths ending below the start): ${losses.join(", ")}.` : "";
  }

  async function simulate(query) {
    const mine = ++asked;
    state.textContent = "simulating…";
    state.classList.remove("text-danger");
    section.dataset.ready = "";
    const answer = await BT.fetchJSON(`${section.dataset.montecarloUrl}?${query}`).catch(() => null);
    if (mine !== asked) return;
    if (!answer || !answer.ok) {
      const refused = answer && answer.body && answer.body.error;
      state.textContent = refused ? BT.fieldMessage(answer.body.field, refused) : answer ? `HTTP ${answer.status}` : "the server cannot be reached";
      state.classList.add("text-danger");
      section.dataset.ready = "error";
      return;
    }
    const mc = answer.body;
    inputs.paths.value = mc.paths;
    inputs.seed.value = mc.seed;
    inputs.block.value = mc.mean_block;
    drawMonteCarlo(mc);
    const csv = $("luck-csv");
    csv.href = `${section.dataset.csvUrl}?${new URLSearchParams({ paths: mc.paths, seed: mc.seed, block: mc.mean_block })}`;
    csv.classList.remove("d-none");
    state.textContent = `${BT.fmt(mc.paths, 0)} paths · seed ${mc.seed} · mean block ${mc.mean_block} bars`;
    section.dataset.ready = `${mc.paths}:${mc.seed}:${mc.mean_block}`;
  }

  pane.addEventListener("report:drawn", (event) => {
    drawPsr(event.detail);
    if (started) return;
    started = true;
    simulate(new URLSearchParams());
  });
  $("luck-controls").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) query.set(name, input.value.trim());
    simulate(query);
  });
})();
