/* "Sweep this portfolio" on /portfolios/<id>: POSTs a sweep over this portfolio's request
   (POST /api/sweeps with kind "portfolio", its request as the base and the edited grid,
   docs/sweeps.md "Sweeping a portfolio") and opens the sweep's page; a refusal is shown
   with the field it names. Uses BT (common.js). */
"use strict";

(() => {
  async function sweep(data, grid, error) {
    let parsed;
    try {
      parsed = JSON.parse(grid.value);
    } catch (exc) {
      error.textContent = `grid: not JSON (${exc.message})`;
      return;
    }
    error.textContent = "";
    const body = { kind: "portfolio", base: Object.assign({}, data.request, { portfolio_id: null }), grid: parsed };
    const answer = await BT.fetchJSON(data.sweep_url, { method: "POST", json: body });
    if (answer.status !== 202) {
      const b = answer.body || {};
      error.textContent = b.field ? `${b.field}: ${b.error}` : (b.error || `HTTP ${answer.status}`);
      return;
    }
    window.location.assign(data.sweep_page_url.replace("SWEEP_ID", answer.body.sweep_id));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("pf-sweep");
    if (!button) return;
    const data = BT.readJSON("pf-sweep-data");
    const grid = document.getElementById("pf-sweep-grid");
    const error = document.getElementById("pf-sweep-error");
    button.addEventListener("click", () => sweep(data, grid, error));
  });
})();
