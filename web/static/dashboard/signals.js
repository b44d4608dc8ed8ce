/* The Signals page's charts (its numbers are rendered by the server): the window's close
   with entry ▲ / exit ▼ markers on the signalling bars, and the mean forward return by
   horizon after entries, after exits and for the random-entry baseline. */
"use strict";

(() => {
  const data = BT.readJSON("signals-data");
  if (!data) return;
  const series = data.series;
  const x = series.timestamps.map(BT.seconds);
  const at = (bars) => {
    const values = new Array(x.length).fill(null);
    for (const i of bars) values[i] = series.close[i];
    return values;
  };
  Charts.orders(document.getElementById("chart-signals-price"), x, series.close, at(series.entry_bars), at(series.exit_bars), {
    height: 340,
    labels: ["entry", "exit"],
  });

  const rows = data.forward_returns;
  const percent = (side) => rows.map((row) => (BT.isNumber(row[side].mean) ? row[side].mean * 100 : null));
  const C = Charts.COLORS;
  const axis = (label, format) => Charts.labelled(Charts.axis(format), label);
  const line = (label, color, dash) => ({
    label,
    stroke: color,
    width: 2,
    dash,
    points: { show: true, size: 7, stroke: color, fill: color },
    value: (u, v) => BT.fmt(v, 2, "%"),
  });
  Charts.mount(
    document.getElementById("chart-signals-returns"),
    {
      height: 280,
      scales: { x: { time: false, distr: 2 } }, // ordinal: one evenly spaced tick per horizon
      axes: [Object.assign(axis("horizon (bars)", (v) => String(v)), { splits: () => rows.map((_, i) => i) }), axis("mean forward return (%)", (v) => BT.fmt(v, 1, "%"))],
      series: [
        { label: "h", value: (u, v) => (v === null || v === undefined ? "—" : v + " bars") },
        line("after entries", C.pos),
        line("random entry", C.accent, [4, 4]),
        line("after exits", C.neg),
      ],
    },
    [rows.map((row) => row.horizon), percent("entries"), percent("baseline"), percent("exits")],
  );
})();
