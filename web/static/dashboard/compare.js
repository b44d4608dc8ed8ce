/* The compare page: the runs' equity curves overlaid on one chart (joined on their dates),
   as return % from each run's initial capital or as equity. */
"use strict";

(() => {
  const data = BT.readJSON("compare-data");
  const box = document.getElementById("chart-compare");
  const state = document.getElementById("compare-state");
  let runs = [];

  function draw(scale) {
    if (!runs.length) return;
    const tables = runs.map((run) => {
      const start = run.initial_capital || run.equity[0];
      const values = scale === "return" ? run.equity.map((v) => (BT.isNumber(v) ? (v / start - 1) * 100 : null)) : run.equity;
      return [run.timestamps.map(BT.seconds), values];
    });
    const joined = uPlot.join(tables);
    const lines = runs.map((run, i) => ({
      label: run.label,
      values: joined[i + 1],
      color: Charts.COLORS.palette[i % Charts.COLORS.palette.length],
    }));
    const options = scale === "return" ? { unit: "%", yFormat: (v) => BT.fmt(v, 0, "%"), height: 420 } : { height: 420 };
    Charts.line(box, joined[0], lines, options);
  }

  for (const radio of document.querySelectorAll("input[name=scale]")) {
    radio.addEventListener("change", () => draw(radio.value));
  }

  (async () => {
    const answer = await BT.fetchJSON(data.curves_url);
    if (!answer.ok) {
      state.textContent = (answer.body && answer.body.error) || `HTTP ${answer.status}`;
      return;
    }
    runs = answer.body.runs;
    state.textContent = runs.length ? `${runs.length} curves` : "no finished run to draw";
    draw(document.querySelector("input[name=scale]:checked").value);
  })();
})();
