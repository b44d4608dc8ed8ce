/* The run form's signal validator and its "Analyze signals" button. When the rule, its
   parameters, the ticker or the window change, the form's fields (without trading
   parameters) go to POST /api/analyze_signals (debounced) and its warnings — a rule that
   never fires, fires on most bars, never exits, or cannot fire on the window's first bars —
   are shown under the parameters. Advice only: submission is never blocked, and a refused
   or failed check shows nothing (the form's own checks name bad fields). The button opens
   the Signals page with the same fields. */
"use strict";

(() => {
  const box = document.getElementById("signal-warnings");
  const form = document.getElementById("run-form");
  if (!box || !form || !window.RunForm) return;
  const FIELDS = ["ticker", "rule_type", "params", "start_date", "end_date", "timeframe"];
  const DEBOUNCE_MS = 600;
  let timer = null;
  let sequence = 0;
  let lastSent = "";

  function request() {
    const body = window.RunForm.collect();
    return Object.fromEntries(FIELDS.filter((name) => body[name] !== undefined && body[name] !== "").map((name) => [name, body[name]]));
  }

  function show(answer) {
    const items = [];
    if (answer.ok && answer.body) {
      const b = answer.body;
      items.push(BT.el("div", { class: "small text-body-secondary", id: "signal-summary" }, `signals in this window: ${b.entries.count} entries, ${b.exits.count} exits over ${b.bars} bars`));
      for (const w of b.warnings) {
        items.push(BT.el("div", { class: "alert alert-warning py-0 px-2 small mb-1 bt-signal-warning", dataset: { code: w.code } }, "⚠ " + w.message));
      }
    }
    box.replaceChildren(...items);
    box.dataset.state = answer.ok ? "ok" : "none";
  }

  async function check() {
    timer = null;
    const body = request();
    if (!body.ticker || !body.rule_type || !body.start_date || !body.end_date) return;
    const key = JSON.stringify(body);
    if (key === lastSent) return;
    lastSent = key;
    const mine = ++sequence;
    let answer;
    try {
      answer = await BT.fetchJSON(box.dataset.url, { method: "POST", json: body });
    } catch (_) {
      answer = { ok: false, status: 0, body: null };
    }
    if (mine === sequence) show(answer);
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  }

  for (const type of ["input", "change", "click"]) form.addEventListener(type, schedule);
  for (const id of ["preset-load"]) {
    const node = document.getElementById(id);
    if (node) node.addEventListener("click", schedule);
  }
  schedule();

  document.getElementById("analyze-signals").addEventListener("click", () => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request())) {
      query.set(name, name === "params" ? JSON.stringify(value) : String(value));
    }
    window.location.assign(`${box.dataset.page}?${query}`);
  });
})();
