/* Optimisation studies: the form that starts one and the list (/studies), and one study
   (/studies/<id>): status and progress, the optimisation history (each trial's value and
   the best so far), the Pareto front of two objectives, parameter importances, "is the best
   trial luck?", the trial table, pause / resume / extend, "run this trial as a backtest" and
   "walk-forward this space". Reads the studies API at the URLs the page data names
   (docs/studies.md has the contract). Uses BT (dashboard/common.js), SweepForm and LuckCard
   (sweeps.js: the trading inputs and the expression texts' errors; the luck card),
   ExprHelp (dashboard/expr_help.js) and Charts (dashboard/charts.js, on the study page). */
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);
  const DOLLAR = /\$([A-Za-z][A-Za-z0-9_]*)/g;
  const STOP_RANGE = [1, 20];

  function metricOf(metrics, key) {
    return metrics.find((m) => m.key === key) || { key, label: key, digits: 2, unit: "", better: 1 };
  }

  function metricText(metrics, key, value) {
    const m = metricOf(metrics, key);
    return BT.fmt(value, m.digits, m.unit);
  }

  /* A trial's parameter value as the trial table and the best trial's line show it: an
     integer as is, a float to 4 decimals (the stored value keeps every digit). */
  function paramText(value) {
    if (BT.isNumber(value)) return BT.fmt(value, Number.isInteger(value) ? 0 : 4);
    return value === null || value === undefined ? BT.MISSING : String(value);
  }

  /* ---------------------------------------------------------------- the form */

  /* One row of the search space: ``name`` (of type ``kind``: int, float, or "" when the
     server decides, an EXPR $name's) searched between low and high (a step, or a log
     scale) or fixed at one value (empty = off, for a stop). */
  function spaceRow(name, kind, fixed, low, high, options) {
    const o = Object.assign({ search: true, optional: false, label: name }, options || {});
    const row = BT.el("div", { class: "row g-1 align-items-end bt-space-row", "data-space": name });
    const cell = (width, label, node) => {
      const col = BT.el("div", { class: width });
      node.id = `st-${name}-${label}`;
      col.append(BT.el("label", { class: "form-label", for: node.id }, label), node);
      return col;
    };
    const mode = BT.el("select", { class: "form-select form-select-sm", "data-role": "mode" });
    mode.append(BT.el("option", { value: "search", selected: o.search }, "search"), BT.el("option", { value: "fixed", selected: !o.search }, "fixed"));
    const number = (role, value, placeholder) => BT.el("input", { class: "form-control form-control-sm", type: "number", step: "any", "data-role": role, value: value ?? "", placeholder });
    const log = BT.el("input", { class: "form-check-input", type: "checkbox", "data-role": "log", id: `st-${name}-log` });
    const logCell = BT.el("div", { class: "col-2 col-md-1 pb-1" });
    logCell.append(BT.el("label", { class: "form-label d-block", for: log.id }, "log"), log);
    const title = BT.el("div", { class: "col-12 small font-monospace text-truncate bt-space-name", title: o.label }, o.label);
    if (kind) title.append(BT.el("span", { class: "text-body-secondary" }, ` (${kind})`));
    row.append(
      title,
      cell("col-4 col-md-3", "mode", mode),
      cell("col-4 col-md-3", "low", number("low", low)),
      cell("col-4 col-md-3", "high", number("high", high)),
      cell("col-4 col-md-2", "step", number("step", "", kind === "int" ? "1" : "none")),
      logCell,
      cell("col-4 col-md-3", "value", number("value", fixed, o.optional ? "off" : "")),
      BT.el("div", { class: "col-12 small text-danger", "data-role": "error", "aria-live": "polite" }),
    );
    const sync = () => {
      const searched = mode.value === "search";
      for (const role of ["low", "high", "step"]) row.querySelector(`[data-role="${role}"]`).parentElement.classList.toggle("d-none", !searched);
      logCell.classList.toggle("d-none", !searched);
      row.querySelector('[data-role="value"]').parentElement.classList.toggle("d-none", searched);
    };
    mode.addEventListener("change", sync);
    sync();
    return row;
  }

  /* The space rows: {space, params} of the request (a row's numbers as numbers). */
  function readSpace(box) {
    const space = {};
    const params = {};
    for (const row of box.querySelectorAll("[data-space]")) {
      const get = (role) => row.querySelector(`[data-role="${role}"]`);
      const num = (role) => {
        const text = get(role).value.trim();
        return text === "" ? null : Number(text);
      };
      const name = row.dataset.space;
      if (get("mode").value === "fixed") {
        const value = num("value");
        if (value !== null) params[name] = value;
        continue;
      }
      const entry = { low: num("low"), high: num("high") };
      const step = num("step");
      if (step !== null) entry.step = step;
      if (get("log").checked) entry.log = true;
      space[name] = entry;
    }
    return { space, params };
  }

  function startForm(data) {
    const form = byId("study-form");
    const ruleSelect = byId("st-rule");
    const tickerSelect = byId("st-ticker");
    const textsBox = byId("st-texts");
    const spaceBox = byId("st-space");
    const stopsBox = byId("st-stops");
    const tradingBox = byId("st-trading");
    const errorBox = byId("study-error");
    const rules = Object.fromEntries(data.rules.map((r) => [r.rule_type, r]));
    const metrics = data.metrics;

    for (const rule of data.rules) ruleSelect.append(BT.el("option", { value: rule.rule_type }, rule.rule_type));
    ruleSelect.value = rules.SMA_CROSS ? "SMA_CROSS" : data.rules[0].rule_type;
    for (const id of ["st-objective-1", "st-objective-2"]) {
      const select = byId(id);
      if (id.endsWith("2")) select.append(BT.el("option", { value: "" }, "— none —"));
      for (const m of metrics) select.append(BT.el("option", { value: m.key }, m.label));
    }
    byId("st-objective-1").value = data.defaults.objective;
    byId("st-sampler").append(BT.el("option", { value: "" }, data.default_sampler_label));
    for (const sampler of data.samplers) byId("st-sampler").append(BT.el("option", { value: sampler }, sampler));
    const followObjective = (n) => {
      const key = byId(`st-objective-${n}`).value;
      if (key) byId(`st-direction-${n}`).value = metricOf(metrics, key).better < 0 ? "minimize" : "maximize";
      byId(`st-direction-${n}`).disabled = !key;
    };
    for (const n of [1, 2]) {
      byId(`st-objective-${n}`).addEventListener("change", () => followObjective(n));
      followObjective(n);
    }

    /* The stops and the scaling fields are searchable like a rule's parameters (a stop
       fixed and empty: off; a scaling field fixed at its default). */
    SweepForm.tradingInputs(tradingBox, data.trading_fields.filter((f) => !f.sweepable), "st-f-");
    for (const field of data.trading_fields.filter((f) => f.sweepable)) {
      if (field.optional) {
        // searched, a stop starts on 1% … 20% (inside every stop's bounds)
        stopsBox.append(spaceRow(field.name, "float", "", STOP_RANGE[0], STOP_RANGE[1], { search: false, optional: true }));
      } else {
        // searched, units from 1 to 5, a fraction from 0.25 to 1
        const whole = field.step === "1";
        stopsBox.append(spaceRow(field.name, whole ? "int" : "float", field.default, whole ? 1 : 0.25, whole ? 5 : 1, { search: false }));
      }
    }

    /* EXPR: its texts; each $name in them gets a space row (an example's range fills it). */
    function dollarNames() {
      const names = new Set();
      for (const input of textsBox.querySelectorAll("[data-expr-text]")) for (const m of input.value.matchAll(DOLLAR)) names.add(m[1]);
      return [...names];
    }
    function syncDollars(example) {
      const names = dollarNames();
      for (const row of spaceBox.querySelectorAll("[data-space][data-dollar]")) {
        if (!names.includes(row.dataset.space)) row.remove();
      }
      for (const name of names) {
        let row = spaceBox.querySelector(`[data-space="${CSS.escape(name)}"]`);
        const seed = example && example.params ? example.params[name] : undefined;
        const range = example && example.grid && typeof example.grid[name] === "string" ? example.grid[name].split(":").map(Number) : null;
        if (!row || example) {
          const low = range ? range[0] : seed !== undefined ? seed : 2;
          const high = range ? range[1] : seed !== undefined ? seed * 2 || 1 : 50;
          const fresh = spaceRow(name, "", seed ?? "", low, high, { search: Boolean(range) || seed === undefined, label: `$${name}` });
          fresh.dataset.dollar = "";
          if (row) row.replaceWith(fresh);
          else spaceBox.append(fresh);
        }
      }
    }

    function buildParams() {
      const rule = rules[ruleSelect.value];
      byId("st-rule-description").textContent = rule.description;
      textsBox.replaceChildren();
      spaceBox.replaceChildren();
      for (const param of rule.params) {
        if (param.type === "int" || param.type === "float") {
          spaceBox.append(spaceRow(param.name, param.type, param.default, param.min, param.max));
        } else if (param.type === "text" || param.type === "bounds") {
          const col = BT.el("div", { class: "col-12" });
          const id = `st-p-${param.name}`;
          const input = BT.el("input", { class: "form-control form-control-sm font-monospace", id, "data-param": param.name, value: param.type === "bounds" ? JSON.stringify(param.default) : param.default });
          if (param.type === "text") Object.assign(input.dataset, { exprText: "" });
          input.setAttribute("spellcheck", "false");
          col.append(BT.el("label", { class: "form-label", for: id }, `${param.name} (${param.type})`), input, BT.el("div", { class: "invalid-feedback" }));
          if (param.type === "text") col.append(BT.el("pre", { class: "bt-expr-caret small text-danger mb-0" }));
          col.append(BT.el("div", { class: "form-text" }, param.description));
          textsBox.append(col);
        } else if (param.type === "choice") {
          const col = BT.el("div", { class: "col-md-4" });
          const select = BT.el("select", { class: "form-select form-select-sm", id: `st-p-${param.name}`, "data-param": param.name });
          for (const c of param.choices) select.append(BT.el("option", { value: c, selected: c === param.default }, c));
          col.append(BT.el("label", { class: "form-label", for: select.id }, param.name), select);
          textsBox.append(col);
        }
      }
      if (rule.language) {
        const col = BT.el("div", { class: "col-12" });
        col.append(ExprHelp.panel(rule.language, (example) => {
          textsBox.querySelector('[data-param="entry"]').value = example.entry;
          textsBox.querySelector('[data-param="exit"]').value = example.exit;
          textsBox.querySelector('[data-param="bounds"]').value = "{}";
          syncDollars(example);
          form.dispatchEvent(new Event("input"));
        }));
        textsBox.append(col);
        syncDollars(null);
      }
    }
    textsBox.addEventListener("input", () => syncDollars(null));

    const startInput = byId("st-start");
    const endInput = byId("st-end");
    SweepForm.followTicker(tickerSelect, startInput, endInput, byId("st-ticker-range"), "st-f-timeframe");
    const integer = (id) => SweepForm.integer(byId(id));

    function body() {
      const params = {};
      for (const input of textsBox.querySelectorAll("[data-param]")) {
        if (input.dataset.param === "bounds") {
          try { params.bounds = JSON.parse(input.value); } catch (_) { params.bounds = input.value; }
        } else {
          params[input.dataset.param] = input.value;
        }
      }
      const rule = readSpace(spaceBox);
      const stops = readSpace(stopsBox);
      const objectives = [1, 2].map((n) => ({ metric: byId(`st-objective-${n}`).value, direction: byId(`st-direction-${n}`).value })).filter((o) => o.metric);
      const payload = {
        ticker: tickerSelect.value,
        rule_type: ruleSelect.value,
        start_date: startInput.value,
        end_date: endInput.value,
        params: Object.assign(params, rule.params),
        space: Object.assign(rule.space, stops.space),
        objectives,
        n_trials: integer("st-n_trials"),
      };
      if (byId("st-sampler").value) payload.sampler = byId("st-sampler").value; // empty: the server's default
      const timeout = integer("st-timeout");
      if (timeout !== null) payload.timeout_s = timeout;
      return Object.assign(payload, SweepForm.tradingValues(tradingBox), stops.params);
    }

    /* The input a 400's field names: "space.fast.low" -> that row's low, "params.fast" ->
       the fast row's value (or an expression text), a trading field or a form field. */
    function inputFor(field) {
      const parts = String(field || "").split(".");
      const [head, name, role] = parts;
      const row = (key) => form.querySelector(`[data-space="${CSS.escape(key || "")}"]`);
      if (head === "space" && row(name)) return row(name).querySelector(`[data-role="${role || "low"}"]`) || row(name).querySelector('[data-role="low"]');
      if (head === "params" && row(name)) return row(name).querySelector('[data-role="value"]');
      if (head === "params") return textsBox.querySelector(`[data-param="${CSS.escape(name || "")}"]`);
      if (head === "objectives") return byId(`st-objective-${Number(name || 0) + 1}`);
      if (row(head)) return row(head).querySelector('[data-role="value"]');
      return form.querySelector(`[data-name="${CSS.escape(head)}"]`) || tradingBox.querySelector(`[data-field="${CSS.escape(head)}"]`);
    }

    function clearErrors() {
      errorBox.classList.add("d-none");
      for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
      for (const node of form.querySelectorAll('[data-space] [data-role="error"]')) node.textContent = "";
      SweepForm.clearTextErrors(textsBox);
    }

    /* The message under the input the field names (a space row's: under the row, which is
       too narrow for it under one input); above the form when it names none. */
    function showError(field, message, focus = true) {
      if (SweepForm.textError(textsBox, field, message)) return;
      const node = inputFor(field);
      if (!node || node.closest(".d-none")) {
        errorBox.textContent = BT.fieldMessage(field, message);
        errorBox.classList.remove("d-none");
        return;
      }
      const row = node.closest("[data-space]");
      if (!row) {
        BT.markInvalid(node, BT.fieldMessage(field, message), focus);
        return;
      }
      row.querySelector('[data-role="error"]').textContent = BT.fieldMessage(field, message);
      node.classList.add("is-invalid");
      if (focus) node.focus();
    }

    const live = form.dataset.validateUrl
      ? BT.liveCheck(form.dataset.validateUrl, body, (problem) => {
        clearErrors();
        if (problem) showError(problem.field, problem.error, false);
      })
      : { schedule() {}, cancel() {} };
    for (const type of ["input", "change"]) form.addEventListener(type, live.schedule);

    ruleSelect.addEventListener("change", () => { clearErrors(); buildParams(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      live.cancel();
      clearErrors();
      const progress = byId("study-progress");
      progress.textContent = "submitting…";
      const result = await BT.postJSON(data.submit_url, body());
      if (result.status === 202) {
        window.location.assign(data.page_url.replace("STUDY_ID", result.body.study_id));
        return;
      }
      progress.textContent = "";
      const error = result.body || {};
      showError(result.status === 400 ? error.field : null, error.error || `HTTP ${result.status || "error"}`);
    });
    buildParams();
    form.dataset.ready = "1";
  }

  /* ---------------------------------------------------------------- the list */

  function startList(data) {
    const table = byId("studies-table").querySelector("tbody");
    const empty = [9, "No studies yet: start one with the form."];
    BT.pollTable(data.list_url, "studies", table, byId("studies-list-state"), empty, (s) => {
      const tr = BT.el("tr", { "data-study-id": s.study_id });
      const link = BT.el("td");
      link.append(BT.el("a", { class: "font-monospace", href: s.url }, s.name || s.study_id.slice(0, 8)));
      const badge = BT.el("span");
      BT.setBadge(badge, s.status);
      const status = BT.el("td");
      status.append(badge);
      const objectives = (s.objectives || []).map((o) => metricOf(data.metrics, o.metric).label).join(" · ");
      const c = s.counts;
      tr.append(
        BT.el("td", { class: "text-nowrap" }, (s.created_at || "").slice(0, 19).replace("T", " ")),
        link,
        BT.el("td", {}, s.ticker),
        BT.el("td", {}, s.rule_type),
        BT.el("td", {}, objectives),
        BT.el("td", {}, s.sampler),
        BT.el("td", { class: "text-end" }, `${c.complete + c.pruned} / ${c.n_trials}`),
        status,
        BT.el("td", {}, s.paused ? "paused" : ""),
      );
      return tr;
    });
  }

  /* ------------------------------------------------------------ the study page */

  /* The chart's axis titles, also as the element's data-axes (a test reads them). */
  function named(el, chart) {
    el.dataset.axes = chart.axes.map((a) => a.label || "").join(" | ");
    return chart;
  }


  /* A trial number's tick: whole numbers only. */
  const whole = (v) => (Number.isInteger(v) ? String(v) : "");

  /* The optimisation history (the API's: each complete trial's values and the best so far
     per objective, at most its history_limit points: a sample of a long one) of objective
     ``k``, by trial number. */
  function drawHistory(el, history, objective, k, metrics) {
    const m = metricOf(metrics, objective.metric);
    const value = (u, v) => BT.fmt(v, m.digits, m.unit);
    const opts = {
      height: 300,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [Charts.labelled(Charts.axis(whole), "trial"), Charts.labelled(Charts.axis(Charts.compact, 64), `${m.label} (${objective.direction})`)],
      series: [
        { label: "trial", value: (u, v) => (v === null || v === undefined ? BT.MISSING : String(v)) },
        { label: "trial value", stroke: Charts.COLORS.accent, fill: Charts.COLORS.accent, paths: () => null, points: { show: true, size: 5, fill: Charts.COLORS.accent }, value },
        { label: "best so far", stroke: Charts.COLORS.pos, width: 2, points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }), value },
      ],
      legend: { live: true },
    };
    const data = [history.map((h) => h.number), history.map((h) => h.values[k]), history.map((h) => h.best_so_far[k])];
    return named(el, Charts.mount(el, opts, data));
  }

  /* The complete trials' two objectives (muted dots: the history's, a sample of a long
     study's) and the Pareto front (the API's: the trials no other beats on both), joined in
     the order of the first objective. */
  function drawPareto(el, history, objectives, front, metrics) {
    const onFront = new Set(front.map((t) => t.number));
    const done = [...history].sort((a, b) => a.values[0] - b.values[0] || a.number - b.number);
    const x = done.map((t) => t.values[0]);
    const all = done.map((t) => (onFront.has(t.number) ? null : t.values[1]));
    const best = done.map((t) => (onFront.has(t.number) ? t.values[1] : null));
    const [m0, m1] = objectives.map((o) => metricOf(metrics, o.metric));
    const opts = {
      height: 300,
      cursor: { drag: { x: true, y: true } },
      scales: { x: { time: false } },
      axes: [
        Charts.labelled(Charts.axis(Charts.compact), `${m0.label} (${objectives[0].direction})`),
        Charts.labelled(Charts.axis(Charts.compact, 64), `${m1.label} (${objectives[1].direction})`),
      ],
      series: [
        { label: m0.label, value: (u, v) => BT.fmt(v, m0.digits, m0.unit) },
        { label: "trials", stroke: Charts.COLORS.muted, paths: () => null, points: { show: true, size: 5, fill: Charts.COLORS.muted }, value: (u, v) => BT.fmt(v, m1.digits, m1.unit) },
        { label: "Pareto front", stroke: Charts.COLORS.neg, width: 1.5, spanGaps: true, points: { show: true, size: 8, fill: Charts.COLORS.neg }, value: (u, v) => BT.fmt(v, m1.digits, m1.unit) },
      ],
      legend: { live: true },
    };
    return named(el, Charts.mount(el, opts, [x, all, best]));
  }

  /* The parameters' importances (fANOVA or whatever the API computed) as horizontal bars. */
  function drawImportances(box, importances) {
    const entries = Object.entries(importances || {}).sort((a, b) => b[1] - a[1]);
    if (!entries.length) {
      box.replaceChildren(BT.el("div", { class: "text-body-secondary small" }, "Computed once enough trials are complete."));
      return;
    }
    const top = Math.max(...entries.map(([, v]) => v)) || 1;
    box.replaceChildren(...entries.map(([name, value], k) => {
      const row = BT.el("div", { class: "bt-importance", "data-param": name });
      const bar = BT.el("div", { class: "bt-importance-bar" });
      const fill = BT.el("div", { class: "bt-importance-fill" });
      fill.style.width = `${(100 * value) / top}%`;
      fill.style.background = Charts.COLORS.palette[k % Charts.COLORS.palette.length];
      bar.append(fill);
      row.append(BT.el("span", { class: "font-monospace text-truncate", title: name }, name), bar, BT.el("span", { class: "text-end" }, BT.fmt(value, 3)));
      return row;
    }));
  }

  /* "Is the best trial luck?": the deflated Sharpe ratio of the best trial (the API's
     ``deflated``, null until a batch computed it), drawn as the sweep page's card. */
  function drawLuck(deflated) {
    if (!deflated) return;
    const rows = deflated.unavailable ? [] : [
      ["best trial", `#${deflated.best_trial} of ${BT.fmt(deflated.complete, 0)} complete`],
      ...LuckCard.dsrRows(deflated),
      ["best's bar returns", BT.fmt(deflated.n_returns, 0)],
    ];
    LuckCard.draw("study-luck", deflated.verdict || `Unavailable: ${deflated.unavailable}.`, rows);
    document.body.dataset.studyLuck = deflated.unavailable ? "unavailable" : "shown";
  }

  function startDetail(data) {
    const state = { trials: [], total: 0, page: 0, sort: "number", order: "asc", key: "", objective: 0, stopped: false, study: null };
    const message = byId("study-message");
    const note = byId("study-note");
    const say = (text) => {
      message.textContent = text || "";
      message.classList.toggle("d-none", !text);
    };

    async function runTrial(number) {
      note.textContent = `starting trial #${number} as a backtest…`;
      const url = data.run_trial_url.replace("TRIAL_NO", String(number));
      const answer = await BT.fetchJSON(url, { method: "POST", json: {} }).catch(() => ({ status: 0, body: null }));
      const body = answer.body || {};
      if (!answer.ok || !body.run_id) {
        note.textContent = body.error || `HTTP ${answer.status || "error"}`;
        return;
      }
      window.location.assign(data.run_url.replace("RUN_ID", body.run_id));
    }

    /* The trial table: one page of GET …/trials (25 trials, sorted by the server by a
       header's column: the page never holds a large study's every trial). */
    const PER_PAGE = 25;
    /* A column's key as the API's ``sort`` names it. */
    const apiSort = (key) => {
      if (key.startsWith("value")) return `values.${key.slice(5)}`;
      if (key.startsWith("param:")) return `params.${key.slice(6)}`;
      if (key === "trades") return "metrics.num_trades";
      return key;
    };

    /* The table's page in its order (false when the API did not answer it). */
    async function loadTrials() {
      const query = new URLSearchParams({ page: String(state.page + 1), per_page: String(PER_PAGE), sort: apiSort(state.sort), order: state.order });
      const answer = await BT.fetchJSON(`${data.trials_url}?${query}`).catch(() => ({ ok: false, body: null }));
      if (!answer.ok || !answer.body) return false;
      state.trials = answer.body.trials;
      state.total = answer.body.total;
      if (!state.trials.length && state.page > 0 && answer.body.total) {
        state.page = Math.max(0, answer.body.pages - 1); // past the end (fewer trials now): the last page
        return loadTrials();
      }
      return true;
    }

    /* Another page or order: read it, then draw it. */
    async function turn(change) {
      change();
      if (await loadTrials()) drawTable(state.study);
    }

    function drawTable(study) {
      const table = byId("study-trials");
      const objectives = study.objectives;
      const names = Object.keys(study.request.space || {});
      const columns = [["number", "#", true], ["state", "state", false],
        ...objectives.map((o, k) => [`value${k}`, metricOf(data.metrics, o.metric).label, true]),
        ...names.map((n) => [`param:${n}`, n, true]), ["trades", "trades", true], [null, "", false]];
      table.querySelector("thead tr").replaceChildren(...columns.map(([key, label, right]) => {
        const th = BT.el("th", { scope: "col", class: right ? "text-end" : "" }, label);
        if (key) {
          th.dataset.sort = key;
          if (key === state.sort) th.setAttribute("aria-sort", state.order === "asc" ? "ascending" : "descending");
          th.addEventListener("click", () => turn(() => {
            state.order = state.sort === key && state.order === "asc" ? "desc" : "asc";
            state.sort = key;
            state.page = 0; // a new order starts on its first page
          }));
        }
        return th;
      }));
      const pages = Math.max(1, Math.ceil(state.total / PER_PAGE));
      const best = new Set((study.best_trials || []).map((b) => b.number));
      table.querySelector("tbody").replaceChildren(...state.trials.map((t) => {
        const tr = BT.el("tr", { "data-trial": t.number, class: best.has(t.number) ? "bt-best" : "" });
        const run = BT.el("td", { class: "text-end" });
        if (t.state === "COMPLETE" && !BT.overBase(study.request)) {
          const button = BT.el("button", { type: "button", class: "btn btn-outline-success btn-sm py-0", "data-run-trial": t.number, title: "run this trial as a backtest" }, "run");
          button.addEventListener("click", () => runTrial(t.number));
          run.append(button);
        }
        tr.append(
          BT.el("td", { class: "text-end" }, t.number),
          BT.el("td", { title: t.state === "FAIL" ? "its batch died: its parameters were asked again" : t.reused_from ? `not evaluated again: the metrics of trial ${t.reused_from}` : null },
            (t.retried_as === null || t.retried_as === undefined ? t.state : `${t.state} → #${t.retried_as}`) + (t.reused_from ? " ↺" : "")),
          ...objectives.map((o, k) => BT.el("td", { class: "text-end" }, metricText(data.metrics, o.metric, t.values ? t.values[k] : null))),
          ...names.map((n) => BT.el("td", { class: "text-end" }, t.params && n in t.params ? paramText(t.params[n]) : BT.MISSING)),
          BT.el("td", { class: "text-end" }, t.metrics ? t.metrics.num_trades : BT.MISSING),
          run,
        );
        return tr;
      }));
      byId("trials-page").textContent = `page ${state.page + 1} / ${pages} · ${state.total} trials`;
      byId("trials-prev").disabled = state.page === 0;
      byId("trials-next").disabled = state.page >= pages - 1;
    }
    byId("trials-prev").addEventListener("click", () => turn(() => { state.page -= 1; }));
    byId("trials-next").addEventListener("click", () => turn(() => { state.page += 1; }));

    function drawHeader(study) {
      BT.setBadge(byId("study-status"), study.status);
      const c = study.counts;
      const done = c.complete + c.pruned;
      const percent = c.n_trials ? Math.min(100, Math.floor((100 * done) / c.n_trials)) : 0;
      const bar = byId("study-bar");
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      bar.closest(".progress").setAttribute("aria-valuenow", String(percent));
      byId("study-done").textContent = `${done} / ${c.n_trials} trials done`;
      byId("study-other").textContent = [
        c.pruned ? `${c.pruned} pruned (no value or a broken constraint)` : "",
        study.trials_reused ? `${study.trials_reused} reused ↺ (metrics of the same backtest evaluated before)` : "",
        c.running ? `${c.running} running` : "",
        c.failed ? `${c.failed} failed (asked again)` : "",
        study.paused ? "paused" : "",
      ].filter(Boolean).join(" · ");
      byId("study-provenance").textContent = `data ${String(study.data_hash || "").slice(0, 12)} · engine ${study.engine_version || BT.MISSING}`;
      say(study.error_message);
      const r = study.request;
      const space = Object.entries(r.space || {}).map(([n, e]) => `${n} ${e.low}…${e.high}${e.step ? ` step ${e.step}` : ""}${e.log ? " log" : ""}`).join(", ");
      const head = BT.overBase(r)
        ? [[r.kind, BT.baseText(r.base)], ...(r.base.start_date ? [["Dates", `${r.base.start_date} → ${r.base.end_date}`]] : [])]
        : [["Ticker", r.ticker], ["Rule", r.rule_type], ["Dates", `${r.start_date} → ${r.end_date}`]];
      const setup = [
        ...head,
        ["Objectives", r.objectives.map((o) => `${o.direction} ${metricOf(data.metrics, o.metric).label}`).join(", ")],
        ["Sampler", study.sampler], ["Budget", `${c.n_trials} trials${r.timeout_s ? `, ${r.timeout_s} s` : ""}`],
        ["Space", space || BT.MISSING],
      ];
      byId("study-setup").replaceChildren(...setup.map(([label, value]) => {
        const col = BT.el("div", { class: label === "Space" ? "col-12" : "col-md-4" });
        col.append(BT.el("span", { class: "text-body-secondary" }, label + " "), document.createTextNode(value));
        return col;
      }));
      byId("study-request").textContent = JSON.stringify(r, null, 1);
      const controls = byId("study-controls");
      if (controls) {
        // an ended study takes no steering (the API answers 409)
        const open = !BT.STATUS.FINISHED.includes(study.status);
        byId("study-pause").classList.toggle("d-none", !open || study.paused);
        byId("study-resume").classList.toggle("d-none", !open || !study.paused);
        byId("study-extend-box").classList.toggle("d-none", !open);
      }
      // one objective: the best trial; two: the Pareto trial best on the first objective
      const sign = r.objectives[0].direction === "minimize" ? -1 : 1;
      const front = study.pareto_front || [];
      const best = study.best || front.reduce((a, b) => (!a || sign * (b.values[0] - a.values[0]) > 0 ? b : a), null);
      const what = study.best ? "best trial" : `Pareto trial best on ${metricOf(data.metrics, r.objectives[0].metric).label}`;
      byId("study-best").textContent = best && best.values
        ? `${what} #${best.number}: ` + best.values.map((v, k) => metricText(data.metrics, r.objectives[k].metric, v)).join(" · ")
          + " · " + Object.entries(best.params).map(([n, v]) => `${n}=${paramText(v)}`).join(" ")
        : "no complete trial yet";
      const bestButton = byId("study-run-best");
      // a study over a portfolio: its trials are portfolios, not runs (no run, no walk-forward)
      bestButton.classList.toggle("d-none", BT.overBase(r));
      byId("study-walkforward").classList.toggle("d-none", BT.overBase(r));
      bestButton.disabled = !(best && best.values);
      bestButton.dataset.trial = best ? String(best.number) : "";
    }

    /* A steering POST; the page is read again at once (the charts too). */
    async function act(url, json) {
      const answer = await BT.fetchJSON(url, { method: "POST", json: json || {} }).catch(() => ({ ok: false, status: 0, body: null }));
      note.textContent = answer.ok ? "" : (answer.body && answer.body.error) || `HTTP ${answer.status || "error"}`;
      state.key = "";
      state.stopped = false;
      await refresh();
    }
    if (byId("study-controls")) {
      byId("study-pause").addEventListener("click", () => act(data.pause_url));
      byId("study-resume").addEventListener("click", () => act(data.resume_url));
      byId("study-extend").addEventListener("click", () => act(data.extend_url, { n_trials: Number(byId("study-extend-n").value) }));
    }
    byId("study-run-best").addEventListener("click", (event) => runTrial(Number(event.currentTarget.dataset.trial)));
    /* The walk-forward form, prefilled with the request the API makes of the space (a few
       values per searched parameter: docs/studies.md), handed over in the URL. */
    byId("study-walkforward").addEventListener("click", async () => {
      const answer = await BT.fetchJSON(data.walkforward_request_url).catch(() => ({ ok: false, status: 0, body: null }));
      if (!answer.ok || !answer.body) {
        note.textContent = (answer.body && answer.body.error) || `HTTP ${answer.status || "error"}`;
        return;
      }
      window.location.assign(`${data.walkforward_url}#request=${encodeURIComponent(JSON.stringify(answer.body.request))}`);
    });
    const objectivePicker = byId("history-objective");
    objectivePicker.addEventListener("change", () => {
      state.objective = Number(objectivePicker.value);
      const study = state.study;
      drawHistory(byId("study-history"), study.history, study.objectives[state.objective], state.objective, data.metrics);
    });

    async function refresh() {
      const result = await BT.fetchJSON(data.status_url);
      if (result.status === 404) {
        state.stopped = true;
        say(`There is no study with id ${data.study_id}.`);
        document.body.dataset.studyStatus = "NOT_FOUND";
        return;
      }
      if (!result.ok || !result.body) {
        say(`${(result.body && result.body.error) || "status unavailable"} (HTTP ${result.status}); retrying`);
        return;
      }
      const study = result.body;
      state.study = study;
      drawHeader(study);
      const c = study.counts;
      const key = JSON.stringify([study.status, c.complete, c.pruned, c.failed, c.running, c.n_trials]);
      if (key !== state.key && (await loadTrials())) {
        state.key = key;
        const objectives = study.objectives;
        if (objectivePicker.options.length !== objectives.length) {
          objectivePicker.replaceChildren(...objectives.map((o, k) => BT.el("option", { value: k }, metricOf(data.metrics, o.metric).label)));
        }
        drawHistory(byId("study-history"), study.history, objectives[state.objective], state.objective, data.metrics);
        const paretoCard = byId("study-pareto-card");
        paretoCard.classList.toggle("d-none", objectives.length < 2);
        if (objectives.length === 2) drawPareto(byId("study-pareto"), study.history, objectives, study.pareto_front || [], data.metrics);
        drawImportances(byId("study-importances"), study.importances);
        drawLuck(study.deflated);
        drawTable(study);
      }
      document.body.dataset.studyStatus = study.status;
      if (BT.STATUS.FINISHED.includes(study.status)) state.stopped = true;
    }
    BT.every(2000, async () => {
      if (!state.stopped) await refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const formData = BT.readJSON("study-form-data");
    if (formData) {
      startForm(formData);
      startList(formData);
    }
    const pageData = BT.readJSON("study-data");
    if (pageData) startDetail(pageData);
  });
})();
