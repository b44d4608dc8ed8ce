/* The run form on intraday tickers: the timeframe follows the chosen ticker (its catalog
   timeframe, data-timeframe on its option) and the two dates become UTC date-time inputs
   for an hourly or 5-minute ticker (start 00:00 and end 23:59 of the dates shown before),
   plain dates again for a daily one. Loaded after form.js; touches only those three inputs. */
"use strict";

(() => {
  const ticker = document.getElementById("f-ticker");
  const timeframe = document.getElementById("f-timeframe");
  const dates = [
    [document.getElementById("f-start"), "00:00", "start_date"],
    [document.getElementById("f-end"), "23:59", "end_date"],
  ];
  if (!ticker || !timeframe || dates.some(([node]) => !node)) return;

  const tickerTimeframe = () => (ticker.selectedOptions[0] && ticker.selectedOptions[0].dataset.timeframe) || "1d";

  const labels = dates.map(([node]) => document.querySelector(`label[for="${node.id}"]`));
  const words = labels.map((label) => (label ? label.textContent : ""));

  /* Set the inputs' type, keeping their values (a type change would drop them); their
     labels say the times are UTC. */
  function show(intraday) {
    labels.forEach((label, i) => {
      if (label) label.textContent = intraday ? `${words[i]} (UTC)` : words[i];
    });
    for (const [node, time] of dates) {
      const value = node.value;
      node.type = intraday ? "datetime-local" : "date";
      if (!value) continue;
      node.value = intraday ? (value.length === 10 ? `${value}T${time}` : value.slice(0, 16)) : value.slice(0, 10);
    }
  }

  function follow() {
    const chosen = tickerTimeframe();
    if ([...timeframe.options].some((o) => o.value === chosen)) timeframe.value = chosen;
    show(chosen !== "1d");
  }

  // form.js moves the dates to the new ticker's data (YYYY-MM-DD) on change: plain date
  // inputs first (capture runs before it), then the ticker's kind (registered after it).
  ticker.addEventListener("change", () => show(false), { capture: true });
  ticker.addEventListener("change", follow);

  // A run shown again (form.js's initial request) may carry times its date inputs dropped.
  const initial = BT.readJSON("form-data").initial || {};
  follow();
  for (const [node, , name] of dates) {
    const value = initial[name];
    if (node.type === "datetime-local" && typeof value === "string" && value.length > 10) node.value = value.slice(0, 16);
  }
})();
