/* The capacity curve of a run or a portfolio submitted with capacity (docs/capacity.md): the
   chart (an SVG the server draws from the stored table) and the table of the pane's
   data-capacity-url (GET /api/runs/<id>/capacity or /api/portfolios/<id>/capacity), one row
   per starting capital, the half-Sharpe capital said in a line. Drawn on first showing of
   the run page's Capacity tab, or, on the portfolio page (no tab), when portfolio.js sends
   the pane "bt:capacity" once the result is in. The pane says data-drawn once the table
   is, data-chart="loaded" once the chart is. */
"use strict";

(() => {
  const pane = document.getElementById("pane-capacity");
  const tab = document.getElementById("tab-capacity");
  if (!pane) return;
  const $ = (id) => document.getElementById(id);

  function money(value) {
    for (const [size, suffix] of [[1e9, "B"], [1e6, "M"], [1e3, "k"]]) {
      if (value >= size) return `${Number((value / size).toPrecision(3))}${suffix}`;
    }
    return BT.fmt(value, 0);
  }

  function draw(doc) {
    const p = doc.points;
    const body = $("capacity-table").tBodies[0];
    body.replaceChildren();
    p.capital.forEach((capital, i) => {
      const row = BT.el("tr", { dataset: { capital: String(capital) } });
      row.append(
        BT.el("td", { class: "text-end" }, money(capital)),
        BT.el("td", { class: "text-end" }, BT.fmt(p.sharpe_ratio[i], 2)),
        BT.el("td", { class: "text-end" }, BT.fmt(p.cagr_pct[i], 2, "%")),
        BT.el("td", { class: "text-end" }, BT.fmt(p.total_return_pct[i], 2, "%")),
        BT.el("td", { class: "text-end" }, BT.fmt(p.num_trades[i], 0)),
        BT.el("td", { class: "text-end" }, BT.fmt(p.unfilled_pct[i], 1, "%")),
      );
      body.append(row);
    });
    const half = doc.half_sharpe_capital;
    $("capacity-verdict").textContent = half === null
      ? "The Sharpe ratio does not fall to half of the smallest capital's within these capitals."
      : `The Sharpe ratio falls to half of the smallest capital's (${BT.fmt(doc.reference_sharpe, 2)}) at about ${money(half)}.`;
    const chart = $("capacity-chart");
    chart.addEventListener("load", () => { pane.dataset.chart = "loaded"; }, { once: true });
    chart.src = pane.dataset.chartUrl;
    pane.dataset.drawn = "true";
  }

  async function load() {
    if (pane.dataset.drawn) return;
    const answer = await BT.fetchJSON(pane.dataset.capacityUrl).catch(() => null);
    if (!answer || !answer.ok) {
      $("capacity-verdict").textContent = `capacity curve unavailable (HTTP ${answer ? answer.status : 0})`;
      return;
    }
    draw(answer.body);
  }

  if (tab) tab.addEventListener("shown.bs.tab", load);
  else pane.addEventListener("bt:capacity", load);
})();
