/* The run page's trades table, client-side: sortable by any column (click a header; again
   to reverse), filterable by side and outcome, 50 rows a page. Text only: no innerHTML. */
"use strict";

const TradesTable = (() => {
  const PAGE_SIZE = 50;
  const COLUMNS = [
    { key: "trade_no", label: "#", kind: "num", digits: 0 },
    { key: "side", label: "Side", kind: "text" },
    { key: "size", label: "Size", kind: "num", digits: 0 },
    { key: "entry_timestamp", label: "Entry", kind: "date" },
    { key: "exit_timestamp", label: "Exit", kind: "date" },
    { key: "entry_price", label: "Entry px", kind: "num", digits: 2 },
    { key: "exit_price", label: "Exit px", kind: "num", digits: 2 },
    { key: "entry_fee", label: "Entry fee", kind: "num", digits: 2 },
    { key: "exit_fee", label: "Exit fee", kind: "num", digits: 2 },
    { key: "pnl_abs", label: "PnL", kind: "num", digits: 2, signed: true },
    { key: "pnl_pct", label: "PnL %", kind: "num", digits: 2, unit: "%", signed: true },
    { key: "holding_period", label: "Days", kind: "held", digits: 0 },
    { key: "is_open", label: "Open", kind: "bool" },
    { key: "exit_reason", label: "Exit reason", kind: "reason" },
    { key: "entry_order", label: "Entry order", kind: "reason" },
  ];
  /* Columns a result may lack: shown only when a trade has the field (a run with an
     entry_order says how each trade entered; a market run has no such field). */
  const OPTIONAL = new Set(["entry_order"]);

  function outcome(trade) {
    if (trade.is_open) return "open";
    return trade.pnl_abs > 0 ? "win" : "loss";
  }

  const missing = (value) => value === null || value === undefined;

  /* Seconds a trade was held: entry to exit (an open trade: to its last mark). */
  function heldSeconds(trade) {
    if (!trade.entry_timestamp || !trade.exit_timestamp) return null;
    return BT.seconds(trade.exit_timestamp) - BT.seconds(trade.entry_timestamp);
  }

  /* A holding time in hours and minutes, with days when longer ("2d 3h 00m"). */
  function duration(seconds) {
    if (missing(seconds)) return BT.MISSING;
    const minutes = Math.round(seconds / 60);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const text = `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
    return days ? `${days}d ${text}` : text;
  }

  function compare(a, b) {
    if (a < b) return -1;
    return a > b ? 1 : 0;
  }

  function cell(column, trade, withTime) {
    const value = trade[column.key];
    const td = BT.el("td", { class: column.kind === "num" || column.kind === "held" ? "text-end" : "" });
    if (column.kind === "held") {
      // whole days for daily bars (holding_period); hours and minutes for intraday bars
      td.textContent = withTime ? duration(heldSeconds(trade)) : BT.fmt(value, column.digits);
    } else if (column.kind === "num") {
      td.textContent = BT.fmt(value, column.digits, column.unit);
      if (column.signed) td.className += " " + BT.tone(value);
    } else if (column.kind === "date") {
      td.textContent = value ? BT.when(BT.seconds(value), withTime) : BT.MISSING;
      td.title = value || "";
    } else if (column.kind === "bool") {
      td.textContent = value ? "yes" : "";
    } else if (column.kind === "reason") {
      // stop_loss → "stop loss"; results stored before engine 1.1.0 have no reason
      td.textContent = missing(value) ? BT.MISSING : String(value).replaceAll("_", " ");
    } else {
      td.textContent = value === null || value === undefined ? BT.MISSING : String(value);
    }
    return td;
  }

  function create(table, trades, controls) {
    const state = { key: "trade_no", direction: 1, side: "", outcome: "", page: 0 };
    const stamps = trades.flatMap((t) => [t.entry_timestamp, t.exit_timestamp]).filter(Boolean);
    const withTime = BT.intraday(stamps.map(BT.seconds)); // intraday: entry/exit show their time
    const headRow = table.tHead.rows[0];
    const body = table.tBodies[0];
    const columns = COLUMNS.filter((column) => !OPTIONAL.has(column.key) || trades.some((t) => !missing(t[column.key])));

    headRow.replaceChildren(
      ...columns.map((column) => {
        const label = column.kind === "held" && withTime ? "Held" : column.label;
        const th = BT.el("th", { scope: "col", class: column.kind === "num" || column.kind === "held" ? "text-end" : "", tabindex: "0" }, label);
        th.dataset.sort = column.key;
        const sortBy = () => {
          state.direction = state.key === column.key ? -state.direction : 1;
          state.key = column.key;
          state.page = 0;
          draw();
        };
        th.addEventListener("click", sortBy);
        th.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortBy();
          }
        });
        return th;
      }),
    );

    /* What a column sorts by: its value; an intraday holding time, its seconds. */
    const sortValue = (trade) => (state.key === "holding_period" && withTime ? heldSeconds(trade) : trade[state.key]);

    function rows() {
      const kept = trades.filter((t) => (!state.side || t.side === state.side) && (!state.outcome || outcome(t) === state.outcome));
      return kept
        .map((t, i) => [t, i])
        .sort(([a, i], [b, j]) => {
          const va = sortValue(a);
          const vb = sortValue(b);
          if (missing(va) || missing(vb)) return missing(va) === missing(vb) ? i - j : missing(va) ? 1 : -1;
          return state.direction * compare(va, vb) || i - j;
        })
        .map(([t]) => t);
    }

    function draw() {
      const all = rows();
      const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      const shown = all.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
      body.replaceChildren(
        ...shown.map((trade) => {
          const tr = BT.el("tr");
          tr.dataset.tradeNo = trade.trade_no;
          tr.append(...columns.map((column) => cell(column, trade, withTime)));
          return tr;
        }),
      );
      if (!shown.length) {
        const empty = BT.el("tr");
        empty.append(BT.el("td", { colspan: columns.length, class: "text-body-secondary" }, "No trades."));
        body.append(empty);
      }
      for (const th of headRow.cells) {
        if (th.dataset.sort === state.key) th.setAttribute("aria-sort", state.direction > 0 ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      }
      controls.count.textContent = `${all.length} of ${trades.length} trades`;
      controls.page.textContent = `page ${state.page + 1} / ${pages}`;
      controls.prev.disabled = state.page === 0;
      controls.next.disabled = state.page >= pages - 1;
    }

    controls.side.addEventListener("change", () => {
      state.side = controls.side.value;
      state.page = 0;
      draw();
    });
    controls.outcome.addEventListener("change", () => {
      state.outcome = controls.outcome.value;
      state.page = 0;
      draw();
    });
    controls.prev.addEventListener("click", () => {
      state.page -= 1;
      draw();
    });
    controls.next.addEventListener("click", () => {
      state.page += 1;
      draw();
    });
    draw();
    table.dataset.ready = "1";
    return { draw, state };
  }

  return { create, COLUMNS, PAGE_SIZE };
})();
