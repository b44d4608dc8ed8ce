/* Walk-forward pages: the form that starts one and the list (/walkforward), and one
   walk-forward (/walkforward/<id>): progress, WFE and out-of-sample KPIs, the fold timeline,
   the stitched out-of-sample equity against buy & hold and the in-sample curves, the fold
   table and the parameter-stability charts. Reads GET/POST /api/walkforward (the contract in
   docs/walkforward.md); the form takes a request handed over in the URL's fragment
   (``#request=`` + its JSON: a study's "walk-forward this space"). Uses BT
   (dashboard/common.js), SweepForm and SweepRange (sweeps.js) and Charts
   (dashboard/charts.js, on the detail page). */
"use strict";

(() => {
  const FINISHED = [BT.STATUS.SUCCEEDED, BT.STATUS.FAILED];
  const byId = (id) => document.getElementById(id);

  /* A metric's value as text with its unit and decimals (metrics registry). */
  function metricText(metrics, key, value) {
    const m = metrics.find((x) => x.key === key) || { digits: 2, unit: "" };
    return BT.fmt(value, m.digits, m.unit);
  }

  function metricLabel(metrics, key) {
    const m = metrics.find((x) => x.key === key);
    return m ? m.label : key;
  }

  /* ---------------------------------------------------------------- the form */

  function startForm(data) {
    const form = byId("wf-form");
    const ruleSelect = byId("w-rule");
    const tickerSelect = byId("w-ticker");
    const paramsBox = byId("w-params");
    const tradingBox = byId("w-trading");
    const errorBox = byId("wf-error");
    const rules = Object.fromEntries(data.rules.map((r) => [r.rule_type, r]));

    for (const rule of data.rules) ruleSelect.append(BT.el("option", { value: rule.rule_type }, rule.rule_type));
    ruleSelect.value = rules.SMA_CROSS ? "SMA_CROSS" : data.rules[0].rule_type;

    function buildParams() {
      const rule = rules[ruleSelect.value];
      byId("w-rule-description").textContent = rule.description;
      SweepForm.paramInputs(paramsBox, rule, "w-p-");
    }
    SweepForm.tradingInputs(tradingBox, data.trading_fields, "w-f-");

    /* Dates and timeframe: the ticker's (SweepForm.followTicker), the dates until typed. */
    const startInput = byId("w-start");
    const endInput = byId("w-end");
    const dates = SweepForm.followTicker(tickerSelect, startInput, endInput, byId("w-ticker-range"), "w-f-timeframe");

    const integer = (id) => SweepForm.integer(byId(id));

    function body() {
      const { grid, params, stops } = SweepForm.readGrid(rules[ruleSelect.value], paramsBox, tradingBox);
      const payload = {
        ticker: tickerSelect.value,
        rule_type: ruleSelect.value,
        start_date: startInput.value,
        end_date: endInput.value,
        params,
        grid,
        train_bars: integer("w-train_bars"),
        test_bars: integer("w-test_bars"),
        anchored: byId("w-anchored").checked,
        metric: byId("w-metric").value,
        min_trades: integer("w-min_trades"),
      };
      const step = integer("w-step_bars");
      if (step !== null) payload.step_bars = step; // empty: the server steps by test_bars
      return Object.assign(payload, SweepForm.tradingValues(tradingBox), stops);
    }

    /* The input a 400's field names: "grid.fast" / "params.fast" -> the fast input, a stop
       -> its input, "tickers" -> the ticker, a window or trading field -> its input. */
    function inputFor(field) {
      const path = String(field || "");
      const name = CSS.escape(path.replace(/^(grid|params)\./, "").split(".")[0]);
      const param = paramsBox.querySelector(`[data-param="${name}"]`);
      if (param) return param;
      if (name === "tickers") return tickerSelect;
      return form.querySelector(`[data-name="${name}"]`)
        || tradingBox.querySelector(`[data-field="${name}"], [data-stop="${name}"]`);
    }

    function clearErrors() {
      errorBox.classList.add("d-none");
      for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
      SweepForm.clearTextErrors(paramsBox);
    }

    /* The message under the input the field names (an expression text's with a caret under
       its column); at the top when it names none. ``focus``: move the focus there (a
       submission's answer; not a live check's, which must not take it from the typing). */
    function showError(field, message, focus = true) {
      if (SweepForm.textError(paramsBox, field, message)) return;
      const node = inputFor(field);
      if (!node) {
        errorBox.textContent = (field ? field + ": " : "") + message;
        errorBox.classList.remove("d-none");
        return;
      }
      BT.markInvalid(node, message, focus);
    }

    /* The server checks the form as it changes (POST /api/schema/walkforward/validate: the
       400 POST /api/walkforward would answer), its first problem shown where it belongs. */
    const live = BT.liveCheck(form.dataset.validateUrl, body, (problem) => {
      clearErrors();
      if (problem) showError(problem.field, problem.error, false);
    });
    for (const type of ["input", "change"]) form.addEventListener(type, live.schedule);

    /* A walk-forward request another page hands over (``#request=`` + its JSON, as the study
       page's "walk-forward this space" opens it): its fields in their inputs, for the user to
       check and submit. What the form has no input for is left out; the server names the rest. */
    function prefill(request) {
      const choose = (select, value) => {
        if ([...select.options].some((o) => o.value === value)) select.value = value;
      };
      if (request.ticker) choose(tickerSelect, request.ticker);
      if (request.rule_type) choose(ruleSelect, request.rule_type);
      buildParams();
      dates.follow();
      if (request.start_date) startInput.value = request.start_date;
      if (request.end_date) endInput.value = request.end_date;
      if (request.start_date || request.end_date) dates.touch();
      const grid = request.grid || {};
      const params = request.params || {};
      const entryText = (entry) => (Array.isArray(entry) ? entry.map((v) => (v === null ? "off" : String(v))).join(",") : String(entry));
      const specs = Object.fromEntries(rules[ruleSelect.value].params.map((p) => [p.name, p]));
      const values = {}; // EXPR's $names: fixed or swept
      for (const [name, value] of Object.entries(params)) {
        const input = paramsBox.querySelector(`[data-param="${CSS.escape(name)}"]`);
        if (input && specs[name]) input.value = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
        else if (!specs[name]) values[name] = value;
      }
      for (const [name, entry] of Object.entries(grid)) {
        const input = paramsBox.querySelector(`[data-param="${CSS.escape(name)}"]`)
          || tradingBox.querySelector(`[data-stop="${CSS.escape(name)}"]`);
        if (input && (specs[name] || input.dataset.stop)) input.value = entryText(entry);
        else values[name] = entry;
      }
      const valuesInput = paramsBox.querySelector('[data-param="$values"]');
      if (valuesInput && Object.keys(values).length) valuesInput.value = JSON.stringify(values);
      for (const input of tradingBox.querySelectorAll("[data-field], [data-stop]")) {
        const name = input.dataset.field || input.dataset.stop;
        if (request[name] !== undefined && request[name] !== null) input.value = String(request[name]);
      }
      for (const flag of tradingBox.querySelectorAll("input[data-flag]")) flag.checked = request[flag.dataset.flag] === true;
      for (const name of ["train_bars", "test_bars", "step_bars", "min_trades", "metric"]) {
        const input = byId(`w-${name}`);
        if (request[name] !== undefined && request[name] !== null) input.value = String(request[name]);
      }
      if (request.anchored !== undefined) byId("w-anchored").checked = Boolean(request.anchored);
      live.schedule();
    }

    ruleSelect.addEventListener("change", () => { clearErrors(); buildParams(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      live.cancel();
      clearErrors();
      const progress = byId("wf-progress");
      progress.textContent = "submitting…";
      const result = await BT.postJSON(data.submit_url, body());
      if (result.status === 202) {
        progress.textContent = `${result.body.folds} folds × ${result.body.combos_per_fold} combos`;
        window.location.assign(data.page_url.replace("WF_ID", result.body.walkforward_id));
        return;
      }
      progress.textContent = "";
      const error = result.body || {};
      showError(result.status === 400 ? error.field : null, error.error || `HTTP ${result.status || "error"}`);
    });
    buildParams();
    const handed = /^#request=(.+)$/.exec(window.location.hash);
    if (handed) {
      try {
        prefill(JSON.parse(decodeURIComponent(handed[1])));
      } catch (_) {
        showError(null, "the request handed to this form cannot be read", false);
      }
    }
    form.dataset.ready = "1";
  }

  /* ---------------------------------------------------------------- the list */

  function startList(data) {
    const table = byId("wf-table").querySelector("tbody");
    const empty = [9, "No walk-forwards yet: start one with the form."];
    BT.pollTable(data.list_url, "walkforwards", table, byId("wf-list-state"), empty, (w) => {
      const tr = BT.el("tr", { "data-walkforward-id": w.walkforward_id });
      const link = BT.el("td");
      link.append(BT.el("a", { class: "font-monospace", href: w.url }, w.walkforward_id.slice(0, 8)));
      const badge = BT.el("span");
      BT.setBadge(badge, w.status);
      const status = BT.el("td");
      status.append(badge);
      tr.append(
        BT.el("td", { class: "text-nowrap" }, (w.created_at || "").slice(0, 19).replace("T", " ")),
        link,
        BT.el("td", {}, w.ticker),
        BT.el("td", {}, w.rule_type),
        BT.el("td", {}, metricLabel(data.metrics, w.metric)),
        BT.el("td", { class: "text-end" }, `${w.folds_done} / ${w.folds}`),
        status,
        BT.el("td", { class: "text-end " + BT.tone(w.oos_return_pct) }, BT.fmt(w.oos_return_pct, 2, "%")),
        BT.el("td", { class: "text-end" }, BT.fmt(w.wfe, 2)),
      );
      return tr;
    });
  }

  /* ------------------------------------------------------- the walk-forward page */

  const TRAIN_COLOR = "#58a6ff";
  const TEST_COLOR = "#f0883e";

  /* A bar time as the table shows it: the day (daily bars), with the time otherwise. */
  function when(iso, timeframe) {
    if (!iso) return BT.MISSING;
    return timeframe && timeframe !== "1d" ? iso.slice(0, 16).replace("T", " ") : iso.slice(0, 10);
  }

  /* The chart's axis titles, drawn on its canvas, also as the element's data-axes. */
  function named(el, chart) {
    el.dataset.axes = chart.axes.map((a) => a.label || "").join(" | ");
    return chart;
  }

  const kpi = BT.kpi;

  /* Fold timeline: one row per fold, its train and test windows as bars on a shared time
     axis, each labelled with its bar count; a pending fold is drawn faded. */
  function drawTimeline(el, folds) {
    const n = folds.length;
    const row = (i) => n - 1 - i; // fold 0 at the top
    const spans = folds.map((f) => ({
      fold: f,
      train: [BT.barSeconds(f.train.start), BT.barSeconds(f.train.end)],
      test: [BT.barSeconds(f.test.start), BT.barSeconds(f.test.end)],
    }));
    const xs = [Math.min(...spans.map((s) => s.train[0])), Math.max(...spans.map((s) => s.test[1]))];
    const bars = {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            const ratio = devicePixelRatio;
            ctx.save();
            ctx.font = `${10 * ratio}px ui-monospace, monospace`;
            ctx.textAlign = "center";
            ctx.textBaseline = "middle";
            spans.forEach((s, i) => {
              const middle = u.valToPos(row(i), "y", true);
              const half = Math.min(u.valToPos(row(i) - 0.32, "y", true) - middle, 12 * ratio);
              const top = middle - half;
              const bottom = middle + half;
              const done = s.fold.status === BT.STATUS.SUCCEEDED;
              for (const [span, color, bars_] of [[s.train, TRAIN_COLOR, s.fold.train.bars], [s.test, TEST_COLOR, s.fold.test.bars]]) {
                const x0 = u.valToPos(span[0], "x", true);
                const x1 = Math.max(u.valToPos(span[1], "x", true), x0 + ratio);
                ctx.globalAlpha = done ? 0.9 : 0.45;
                ctx.fillStyle = s.fold.status === BT.STATUS.FAILED ? "#f85149" : color;
                ctx.fillRect(x0, top, x1 - x0, bottom - top);
                const text = `${bars_}`;
                if (ctx.measureText(text).width + 4 * ratio < x1 - x0) {
                  ctx.globalAlpha = 1;
                  ctx.fillStyle = "#0b0e13";
                  ctx.fillText(text, (x0 + x1) / 2, (top + bottom) / 2);
                }
              }
            });
            ctx.restore();
          },
        ],
      },
    };
    const yAxis = Charts.labelled(Charts.axis((v) => `fold ${n - 1 - v}`, 60), "fold");
    const every = Math.ceil(n / 20); // at most about 20 fold labels
    yAxis.splits = () => folds.map((_, i) => i).filter((i) => i % every === 0).map(row);
    const legendSeries = (label, color) => ({ label, stroke: color, fill: color, paths: () => null, points: { show: false } });
    const opts = {
      height: Math.max(300, 90 + n * (n <= 8 ? 30 : 16)),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      cursor: { show: false },
      scales: { x: { time: true }, y: { auto: false, range: [-0.6, n - 0.4] } },
      axes: [Charts.labelled(Charts.axis(), "time (UTC)"), yAxis],
      series: [{}, legendSeries("train window (bars)", TRAIN_COLOR), legendSeries("test window (bars)", TEST_COLOR)],
      legend: { live: false },
      plugins: [bars],
    };
    return named(el, Charts.mount(el, opts, [xs, [null, null], [null, null]]));
  }

  /* The stitched out-of-sample equity, buy & hold over the same bars and each fold's
     in-sample curve (dashed), on the union of their bar times (``daily``: a portfolio's
     daily bars, stamped at midnight UTC, drawn as a run's daily bars are: BT.barSeconds). */
  function drawEquity(el, oos, daily) {
    const stamp = daily ? (t) => BT.barSeconds(t.slice(0, 10)) : BT.seconds;
    const curves = [
      { label: "out-of-sample (stitched)", curve: oos.equity_curve, color: Charts.COLORS.pos, width: 2 },
      { label: "buy & hold", curve: oos.benchmark, color: Charts.COLORS.muted, width: 1.5 },
      ...(oos.in_sample || []).map((c, k) => ({
        label: `in-sample fold ${c.fold}`, curve: c, dash: [5, 4], width: 1,
        color: Charts.COLORS.palette[(k + 2) % Charts.COLORS.palette.length],
      })),
    ];
    const times = new Set();
    for (const { curve } of curves) for (const t of curve.timestamps) times.add(stamp(t));
    const x = [...times].sort((a, b) => a - b);
    const at = new Map(x.map((t, i) => [t, i]));
    const lines = curves.map(({ label, curve, color, width, dash }) => {
      const values = new Array(x.length).fill(null);
      curve.timestamps.forEach((t, i) => { values[at.get(stamp(t))] = curve.equity[i]; });
      return { label, values, color, width, dash };
    });
    return named(el, Charts.line(el, x, lines, { height: 340, digits: 2, xLabel: "time (UTC)", yLabel: "equity ($)" }));
  }

  /* The y range a grid entry spans: [low, high] of a list's numbers or a range's start and
     last value; null for a list of choices. */
  function gridSpan(entry) {
    if (Array.isArray(entry)) {
      const numbers = entry.filter(BT.isNumber);
      return numbers.length === entry.length && numbers.length ? [Math.min(...numbers), Math.max(...numbers)] : null;
    }
    const range = typeof entry === "string" ? SweepRange.parse(entry) : null;
    return range ? [range.start, range.last] : null;
  }

  /* One small chart per swept parameter: the value each fold chose (points joined by a
     line), the most common one (dotted), the y axis spanning the grid's range. */
  function drawStability(box, wf) {
    const grid = (wf.request && wf.request.grid) || {};
    const stability = wf.stability || {};
    const names = [...new Set([...Object.keys(grid), ...Object.keys(stability)])];
    box.replaceChildren();
    const foldNumbers = wf.folds.map((f) => f.fold);
    names.forEach((name, k) => {
      const entry = grid[name];
      const stats = stability[name] || {};
      // undefined: the fold chose nothing (yet); null: it chose "off" (a swept stop)
      const chosen = wf.folds.map((f, i) => (!f.params ? undefined : stats.values ? stats.values[i] : f.params[name]));
      const span = gridSpan(entry);
      // choices (text values or "off" stops) are drawn as their position in the grid's list
      const category = (v) => (v === null ? "off" : String(v)); // a stop's null is "off"
      const categories = span ? null : [...new Set([...(Array.isArray(entry) ? entry : []), ...chosen].filter((v) => v !== undefined).map(category))];
      const toY = (v) => (v === undefined || (v === null && !categories) ? null : categories ? categories.indexOf(category(v)) : v);
      const [lo, hi] = span || [0, Math.max(categories.length - 1, 0)];
      const pad = (hi - lo) * 0.08 || 0.5;
      const col = BT.el("div", { class: "col-md-6 col-xl-4", "data-param": name });
      const chart = BT.el("div", { class: "bt-chart", id: `wf-stability-${name}` });
      col.append(chart);
      box.append(col);
      const color = Charts.COLORS.palette[k % Charts.COLORS.palette.length];
      const yText = (v) => (categories ? (Number.isInteger(v) ? categories[v] ?? "" : "") : Charts.compact(v));
      const yAxis = Charts.labelled(Charts.axis(yText, 56), span ? `${name} (grid ${lo} … ${hi})` : name);
      if (categories) yAxis.splits = () => categories.map((_, i) => i);
      const xAxis = Charts.labelled(Charts.axis((v) => (Number.isInteger(v) ? String(v) : "")), "fold");
      xAxis.splits = () => foldNumbers;
      const show = (u, v) => (v === null || v === undefined ? BT.MISSING : categories ? categories[v] : String(v));
      const common = toY(stats.most_common);
      const opts = {
        height: 200,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: [Math.min(...foldNumbers) - 0.5, Math.max(...foldNumbers) + 0.5] }, y: { auto: false, range: [lo - pad, hi + pad] } },
        axes: [xAxis, yAxis],
        series: [
          { label: "fold", value: (u, v) => (v === null || v === undefined ? BT.MISSING : String(v)) },
          { label: `${name} chosen`, stroke: color, width: 1.5, points: { show: true, size: 7, fill: color }, value: show },
          { label: "most common", stroke: Charts.COLORS.muted, width: 1, dash: [2, 3], points: { show: false }, value: show },
        ],
        legend: { live: true },
      };
      named(chart, Charts.mount(chart, opts, [foldNumbers, chosen.map(toY), foldNumbers.map(() => common)]));
      if (stats.distinct !== undefined) {
        col.append(BT.el("div", { class: "bt-stability-note" },
          `${stats.distinct} distinct value${stats.distinct === 1 ? "" : "s"}; most common ${stats.most_common} in ${BT.fmt(100 * stats.share, 0, "%")} of folds`));
      }
    });
    if (!names.length) box.append(BT.el("div", { class: "text-body-secondary small" }, "No swept parameter."));
  }

  /* The fold table: windows (first → last bar, bars), chosen parameters, the selection
     metric in training and test, the test's return and drawdown, trades, and the fold's
     training sweep. */
  function drawFolds(table, wf, data) {
    const metric = wf.request.metric;
    const timeframe = wf.request.timeframe;
    const names = Object.keys(wf.request.grid || {});
    const label = (key) => metricLabel(data.metrics, key);
    const testKeys = [...new Set([metric, "total_return_pct", "max_drawdown_pct"])];
    const columns = [["fold", true], ["status"], ["train window · bars"], ["test window · bars"],
      ...names.map((name) => [name]), [`${label(metric)} (train)`, true],
      ...testKeys.map((key) => [`${label(key)} (test)`, true]), ["trades", true], ["sweep"]];
    table.querySelector("thead tr").replaceChildren(...columns.map(([h, right]) => BT.el("th", { scope: "col", class: right ? "text-end" : "" }, h)));
    const window_ = (w) => `${when(w.start, timeframe)} → ${when(w.end, timeframe)} · ${w.bars}`;
    table.querySelector("tbody").replaceChildren(...wf.folds.map((f) => {
      const tr = BT.el("tr", { "data-fold": f.fold, class: f.status === BT.STATUS.FAILED ? "bt-fold-failed" : "" });
      const badge = BT.el("span");
      BT.setBadge(badge, f.status);
      const status = BT.el("td");
      status.append(badge);
      const sweep = BT.el("td");
      if (f.sweep_id) sweep.append(BT.el("a", { class: "font-monospace", href: data.sweep_url.replace("SWEEP_ID", f.sweep_id) }, f.sweep_id.slice(0, 8)));
      tr.append(
        BT.el("td", { class: "text-end" }, f.fold), status,
        BT.el("td", { class: "text-nowrap" }, window_(f.train)),
        BT.el("td", { class: "text-nowrap" }, window_(f.test)),
        ...names.map((name) => BT.el("td", {}, !f.params || !(name in f.params) ? BT.MISSING : f.params[name] === null ? "off" : String(f.params[name]))),
        BT.el("td", { class: "text-end" }, metricText(data.metrics, metric, f.train_metric)),
        ...testKeys.map((key) => {
          const value = f.test_metrics ? f.test_metrics[key] : null;
          return BT.el("td", { class: "text-end " + (key === "max_drawdown_pct" ? "" : BT.tone(value)) }, metricText(data.metrics, key, value));
        }),
        BT.el("td", { class: "text-end" }, f.test_trades ?? BT.MISSING),
        sweep,
      );
      if (f.error_message) tr.title = f.error_message;
      return tr;
    }));
  }

  function drawHeader(wf, data) {
    BT.setBadge(byId("wf-status"), wf.status);
    const p = wf.progress;
    // one unit of work per training combo and one per fold's out-of-sample run
    const units = p.combos_total + p.folds;
    const percent = units ? Math.floor((100 * (p.combos_done + p.folds_done)) / units) : 0;
    const bar = byId("wf-bar");
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.closest(".progress").setAttribute("aria-valuenow", String(percent));
    byId("wf-folds-done").textContent = `${p.folds_done} / ${p.folds} folds tested`;
    byId("wf-combos-done").textContent = `${p.combos_done.toLocaleString("en-US")} / ${p.combos_total.toLocaleString("en-US")} training combos`;
    byId("wf-provenance").textContent = `data ${String(wf.data_hash || "").slice(0, 12)} · engine ${wf.engine_version || BT.MISSING}`;
    const message = byId("wf-message");
    message.textContent = wf.error_message || "";
    message.classList.toggle("d-none", !wf.error_message);
    const csv = byId("folds-csv");
    csv.href = wf.folds_csv_url;
    csv.classList.remove("d-none");
    const r = wf.request;
    const head = BT.overBase(r) // a walk-forward over a portfolio: its base says what is walked
      ? [[r.kind, BT.baseText(r.base)], ["Tickers", r.base.tickers.join(", ")], ["Dates", `${r.base.start_date} → ${r.base.end_date}`]]
      : [["Ticker", r.ticker], ["Rule", r.rule_type], ["Dates", `${r.start_date} → ${r.end_date}`]];
    const setup = [
      ...head,
      ["Windows", `train ${r.train_bars} · test ${r.test_bars} · step ${r.step_bars} bars, ${r.anchored ? "anchored" : "rolling"}`],
      ["Select by", `${metricLabel(data.metrics, r.metric)}, at least ${r.min_trades} trade${r.min_trades === 1 ? "" : "s"}`],
      ["Combos per fold", String(wf.progress.folds ? Math.round(p.combos_total / p.folds) : BT.MISSING)],
    ];
    byId("wf-setup").replaceChildren(...setup.map(([label, value]) => {
      const col = BT.el("div", { class: "col-md-4" });
      col.append(BT.el("span", { class: "text-body-secondary" }, label + " "), document.createTextNode(value));
      return col;
    }));
    byId("wf-request").textContent = JSON.stringify(r, null, 1);
  }

  function drawKpis(wf, data) {
    const cards = [kpi("WFE", BT.fmt(wf.wfe, 2), "", "walk-forward efficiency")];
    const deflated = wf.oos && wf.oos.deflated_sharpe;
    if (deflated) {
      cards.push(kpi("OOS deflated Sharpe", BT.fmt(deflated.dsr, 3), deflated.dsr >= 0.95 ? "text-success" : "",
        `${deflated.n_trials_per_fold.toLocaleString("en-US")} trials per fold`));
    }
    const metrics = (wf.oos && wf.oos.metrics) || {};
    for (const m of data.metrics) {
      if (!(m.key in metrics)) continue;
      cards.push(kpi(`OOS ${m.label}`, metricText(data.metrics, m.key, metrics[m.key]), m.better > 0 ? BT.tone(metrics[m.key]) : "", null));
    }
    if (!wf.oos) cards.push(kpi("OOS metrics", BT.MISSING, "", "once every fold has succeeded"));
    byId("wf-kpis").replaceChildren(...cards);
  }

  function startDetail(data) {
    let stopped = false;
    let drawn = "";
    BT.every(2000, async () => {
      if (stopped) return;
      const result = await BT.fetchJSON(data.status_url);
      const message = byId("wf-message");
      if (result.status === 404) {
        stopped = true;
        message.textContent = `There is no walk-forward with id ${data.walkforward_id}.`;
        message.classList.remove("d-none");
        document.body.dataset.wfStatus = "NOT_FOUND";
        return;
      }
      if (!result.ok || !result.body) {
        message.textContent = `${(result.body && result.body.error) || "status unavailable"} (HTTP ${result.status}); retrying`;
        message.classList.remove("d-none");
        return;
      }
      const wf = result.body;
      drawHeader(wf, data);
      // redraw the charts and the table only when a fold moved on
      const key = JSON.stringify([wf.status, wf.folds.map((f) => [f.status, f.params, f.test_trades]), Boolean(wf.oos)]);
      if (key !== drawn) {
        drawn = key;
        drawKpis(wf, data);
        if (wf.folds.length) drawTimeline(byId("wf-timeline"), wf.folds);
        drawFolds(byId("wf-folds"), wf, data);
        drawStability(byId("wf-stability"), wf);
        if (wf.oos) {
          drawEquity(byId("wf-equity"), wf.oos, BT.overBase(wf.request));
          byId("wf-equity-note").textContent = "Drag to zoom, double-click to reset. In-sample curves: each fold's chosen parameters on its training window.";
        }
      }
      document.body.dataset.wfStatus = wf.status;
      if (FINISHED.includes(wf.status)) stopped = true;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const formData = BT.readJSON("wf-form-data");
    if (formData) {
      startForm(formData);
      startList(formData);
    }
    const pageData = BT.readJSON("wf-data");
    if (pageData) startDetail(pageData);
  });
})();
