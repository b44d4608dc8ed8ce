/* The history page: live status of unfinished runs (polls /api/runs/lookup for them) and
   picking finished runs to compare (2 to COMPARE_MAX: more are refused before submission). */
"use strict";

(() => {
  const table = document.getElementById("runs-table");
  const button = document.getElementById("compare-selected");
  const counter = document.getElementById("selected-count");
  const METRICS = Object.fromEntries(
    BT.readJSON("history-metrics").map((m) => [m.key, [m.digits, m.unit, m.signed]]),
  );

  function selected() {
    return [...table.querySelectorAll("tbody input[type=checkbox]:checked")].map((box) => box.value);
  }

  const limit = document.getElementById("compare-limit");
  const MAX = Number(button.dataset.max);

  /* 2..MAX runs can be compared; more are refused here, before any request. */
  function comparable(ids) {
    return ids.length >= 2 && ids.length <= MAX;
  }

  function updateButton() {
    const ids = selected();
    counter.textContent = String(ids.length);
    button.disabled = !comparable(ids);
    limit.classList.toggle("d-none", ids.length <= MAX);
  }

  table.addEventListener("change", updateButton);
  button.addEventListener("click", () => {
    const ids = selected();
    if (comparable(ids)) window.location.assign(`${button.dataset.url}?ids=${ids.map(encodeURIComponent).join(",")}`);
  });
  updateButton();

  function refreshRow(row, run) {
    row.dataset.status = run.status;
    BT.setBadge(row.querySelector("[data-cell=status] .badge"), run.status);
    const box = row.querySelector("input[type=checkbox]");
    box.disabled = run.status !== BT.STATUS.SUCCEEDED;
    for (const [key, [digits, unit, signed]] of Object.entries(METRICS)) {
      const td = row.querySelector(`[data-metric="${key}"]`);
      const value = run.metrics ? run.metrics[key] : null;
      td.textContent = BT.fmt(value, digits, unit);
      td.className = "text-end " + (signed ? BT.tone(value) : "");
    }
  }

  BT.every(2000, async () => {
    const selector = BT.STATUS.WAITING.map((status) => `tbody tr[data-status="${status}"]`).join(", ");
    const waiting = [...table.querySelectorAll(selector)];
    if (!waiting.length) return;
    const ids = waiting.map((row) => row.dataset.runId);
    const answer = await BT.fetchJSON(`${table.dataset.lookupUrl}?ids=${ids.map(encodeURIComponent).join(",")}`);
    if (!answer.ok) return;
    for (const run of answer.body.runs) {
      const row = table.querySelector(`tbody tr[data-run-id="${CSS.escape(run.run_id)}"]`);
      if (row && row.dataset.status !== run.status) refreshRow(row, run);
    }
  });
})();
