/* The research cards of /portfolios/<id>, each with this portfolio's request as its base
   (docs/dashboard.md, "Portfolios"):
   - "Sweep this portfolio": POSTs a sweep over it (POST /api/sweeps, kind "portfolio", the
     edited grid; docs/sweeps.md "Sweeping a portfolio");
   - "Study this portfolio": POSTs a study (POST /api/studies, kind "portfolio", the ticked
     names' low/high/log as its space, the objective and the trial budget; docs/studies.md
     "Studies over a portfolio");
   - "Walk this portfolio forward": POSTs a walk-forward (POST /api/walkforward, kind
     "portfolio", the grid and the windows; docs/walkforward.md "Walking a portfolio forward").
   A 202 opens the new item's page; a refusal is shown under its card with the field it
   names. Uses BT (common.js). */
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);

  /* The portfolio's request as a base: the same request under a new id. */
  const baseOf = (data) => Object.assign({}, data.request, { portfolio_id: null });

  /* A number input's value: null when empty, else the number typed. */
  function numberOf(input) {
    const text = input.value.trim();
    return text === "" ? null : Number(text);
  }

  /* POST ``body`` to ``url``; on a 202 open ``page`` with the answer's ``key`` in place of
     ``placeholder``, else write the refusal (its field first) into ``error``. */
  async function submit(url, body, [page, placeholder, key], error) {
    error.textContent = "submitting…";
    const answer = await BT.postJSON(url, body);
    if (answer.status === 202) {
      window.location.assign(page.replace(placeholder, answer.body[key]));
      return;
    }
    const b = answer.body || {};
    error.textContent = b.field ? BT.fieldMessage(b.field, b.error) : (b.error || `HTTP ${answer.status}`);
  }

  /* A grid textarea as JSON, or null with the reason in ``error``. */
  function gridOf(textarea, error) {
    try {
      return JSON.parse(textarea.value);
    } catch (exc) {
      error.textContent = `grid: not JSON (${exc.message})`;
      return null;
    }
  }

  function startSweep(data) {
    const grid = byId("pf-sweep-grid");
    const error = byId("pf-sweep-error");
    byId("pf-sweep").addEventListener("click", () => {
      const parsed = gridOf(grid, error);
      if (parsed === null) return;
      const body = { kind: "portfolio", base: baseOf(data), grid: parsed };
      submit(data.sweep_url, body, [data.sweep_page_url, "SWEEP_ID", "sweep_id"], error);
    });
  }

  /* One row of the study's space: searched or not, low, high, log (the low/high first
     offered by the server, each name's bounds as the inputs' min/max). */
  function spaceRow(name, entry) {
    const tr = BT.el("tr", { "data-space": name });
    const cell = (node) => {
      const td = BT.el("td");
      td.append(node);
      return td;
    };
    const number = (role, value) => BT.el("input", {
      class: "form-control form-control-sm", type: "number", "data-role": role, value: value ?? "",
      step: entry.type === "int" ? "1" : "any", min: entry.min, max: entry.max,
      "aria-label": `${name} ${role}`,
    });
    const searched = BT.el("input", { class: "form-check-input", type: "checkbox", "data-role": "search", "aria-label": `search ${name}` });
    searched.checked = Boolean(entry.searched);
    const log = BT.el("input", { class: "form-check-input", type: "checkbox", "data-role": "log", "aria-label": `${name} log scale` });
    const label = BT.el("td", { class: "font-monospace" }, name);
    label.append(BT.el("span", { class: "text-body-secondary small" }, ` (${entry.type}, now ${entry.default ?? "off"})`));
    tr.append(cell(searched), label, cell(number("low", entry.low)), cell(number("high", entry.high)), cell(log));
    return tr;
  }

  /* The study's space: each ticked row's {low, high, log?}. */
  function spaceOf(rows) {
    const space = {};
    for (const row of rows.querySelectorAll("[data-space]")) {
      const role = (r) => row.querySelector(`[data-role="${r}"]`);
      if (!role("search").checked) continue;
      const entry = { low: numberOf(role("low")), high: numberOf(role("high")) };
      if (role("log").checked) entry.log = true;
      space[row.dataset.space] = entry;
    }
    return space;
  }

  function startStudy(data) {
    const rows = byId("pf-study-space").querySelector("tbody");
    const objective = byId("pf-study-objective");
    const error = byId("pf-study-error");
    for (const entry of data.space) rows.append(spaceRow(entry.name, entry));
    byId("pf-study").addEventListener("click", () => {
      const option = objective.selectedOptions[0];
      const direction = Number(option.dataset.better) < 0 ? "minimize" : "maximize";
      const body = {
        kind: "portfolio",
        base: baseOf(data),
        space: spaceOf(rows),
        objectives: [{ metric: objective.value, direction }],
        n_trials: numberOf(byId("pf-study-trials")),
      };
      submit(data.study_url, body, [data.study_page_url, "STUDY_ID", "study_id"], error);
    });
  }

  function startWalkforward(data) {
    const error = byId("pf-wf-error");
    byId("pf-wf").addEventListener("click", () => {
      const grid = gridOf(byId("pf-wf-grid"), error);
      if (grid === null) return;
      const body = {
        kind: "portfolio",
        base: baseOf(data),
        grid,
        train_bars: numberOf(byId("pf-wf-train")),
        test_bars: numberOf(byId("pf-wf-test")),
        anchored: byId("pf-wf-anchored").checked,
        metric: byId("pf-wf-metric").value,
        min_trades: numberOf(byId("pf-wf-min-trades")),
      };
      const step = numberOf(byId("pf-wf-step"));
      if (step !== null) body.step_bars = step; // empty: the server steps by test_bars
      submit(data.walkforward_url, body, [data.walkforward_page_url, "WF_ID", "walkforward_id"], error);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = BT.readJSON("pf-research-data");
    if (!data) return;
    startSweep(data);
    startStudy(data);
    startWalkforward(data);
    byId("pf-research-data").dataset.ready = "1";
  });
})();
