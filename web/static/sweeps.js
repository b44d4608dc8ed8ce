/* Parameter sweeps: the form that starts one (/sweeps) and the sweep page (/sweeps/<id>):
   live progress, the top combos, a heatmap and a line view drawn on canvas. Clicking a combo
   or a heatmap cell runs that combo on its own (POST /run_backtest) and opens its run page.
   Uses BT (dashboard/common.js): el, readJSON, fetchJSON, serverCheck, liveCheck,
   fieldMessage, fmt, isNumber, setBadge, every. */
"use strict";

/* "start:stop:step" ranges (stop included), the dashboard's one reader of the syntax: the
   same rules and exact decimal steps as the server's parser (kinds.sweeps.grid.parse_range), so
   the form counts a range as the server will expand it. */
const SweepRange = (() => {
  const SEPARATOR = ":";
  const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

  /* Is this entry meant as a range (parse() then says whether it is a valid one)? */
  function isRange(text) {
    return typeof text === "string" && text.includes(SEPARATOR);
  }

  /* A decimal text as [digits, exponent] (value = digits × 10^exponent), or null. */
  function decimal(text) {
    const m = NUMBER.exec(text.trim());
    if (!m || !(m[2] || m[3])) return null;
    const fraction = m[3] || "";
    const digits = BigInt(m[1] + (m[2] || "0") + fraction);
    return [digits, Number(m[4] || 0) - fraction.length];
  }

  /* {count, integers, start, last, step} of a range text (``last``: its last value, stop
     or below; ``integers``: every part written as an integer), or null when it is none (not
     three numbers, a step <= 0, stop below start): the server then says which. */
  function parse(text) {
    const parts = String(text).split(SEPARATOR);
    if (parts.length !== 3) return null;
    const numbers = parts.map(decimal);
    if (numbers.includes(null)) return null;
    const exponent = Math.min(...numbers.map(([, e]) => e));
    const [a, b, s] = numbers.map(([d, e]) => d * 10n ** BigInt(e - exponent));
    if (s <= 0n || b < a) return null;
    const count = (b - a) / s + 1n;
    const value = (scaled) => Number(`${scaled}e${exponent}`);
    return {
      count: Number(count),
      integers: parts.every((part) => /^[+-]?\d+$/.test(part.trim())),
      start: value(a),
      last: value(a + (count - 1n) * s),
      step: value(s),
    };
  }

  return { SEPARATOR, isRange, parse };
})();

/* The inputs a grid form is made of, shared by the sweep form and the walk-forward form
   (walkforward.js): one input per rule parameter (one value, a comma list or a range), the
   trading fields (a stop or a scaling field may be swept too), and reading them back as a request's
   ``params``, ``grid``, stops and trading values; and what the one-ticker forms (walk-forward
   and study, studies.js, which also takes its trading inputs and text errors) share: dates
   and timeframe following the ticker, integer inputs, a message under an input, the
   submission and the list kept fresh. */
const SweepForm = (() => {
  /* A typed value: a number, or a choice in its canonical case (as the server matches it). */
  function parseValue(text, param) {
    const t = text.trim();
    if (param.type === "choice") return param.choices.find((c) => c.toUpperCase() === t.toUpperCase()) || t;
    const n = Number(t);
    return t === "" || Number.isNaN(n) ? t : n;
  }

  function sample(param) {
    if (param.type === "bounds") return JSON.stringify(param.default);
    if (param.type === "int" && param.name === "fast") return "5:50:5";
    if (param.type === "int" && param.name === "slow") return "20:200:10";
    return String(param.default);
  }

  /* One input per parameter of ``rule`` in ``box`` (ids ``prefix`` + name), with its range. */
  function paramInputs(box, rule, prefix) {
    box.replaceChildren();
    if (rule.python) {
      pythonInputs(box, rule.python, prefix);
      return;
    }
    for (const param of rule.params) {
      const col = BT.el("div", { class: "col-md-4" });
      const id = prefix + param.name;
      const range = param.type === "choice" ? param.choices.join(" | ")
        : param.type === "rules" ? "fixed: the defaults" : `${param.min} … ${param.max}`;
      col.append(BT.el("label", { class: "form-label", for: id }, `${param.name} (${param.type})`));
      const input = BT.el("input", {
        class: "form-control form-control-sm", id, "data-param": param.name, "data-type": param.type,
        value: param.type === "rules" ? "" : sample(param), disabled: param.type === "rules",
      });
      if (param.type === "text" || param.type === "bounds") {
        col.className = param.type === "text" ? "col-12" : "col-md-4";
        input.classList.add("font-monospace");
        col.append(input, BT.el("div", { class: "invalid-feedback" }));
        if (param.type === "text") {
          // an expression text: the server's error under it, a caret at its column (textError)
          input.setAttribute("data-expr-text", "");
          input.setAttribute("spellcheck", "false");
          col.append(BT.el("pre", { class: "bt-expr-caret small text-danger mb-0" }));
        }
        col.append(BT.el("div", { class: "form-text" }, param.description));
      } else {
        col.append(input, BT.el("div", { class: "form-text" }, range));
      }
      box.append(col);
    }
    if (rule.params.some((p) => p.type === "text")) {
      // EXPR: its $names' values, each a number (fixed), a list or a "start:stop:step" range (swept)
      const col = BT.el("div", { class: "col-12" });
      const id = prefix + "values";
      col.append(BT.el("label", { class: "form-label", for: id }, "$name values (JSON)"));
      col.append(BT.el("input", {
        class: "form-control form-control-sm font-monospace", id, "data-param": "$values", "data-type": "values",
        placeholder: '{"n": "2:20:1", "low": [10, 20], "high": 90}',
      }));
      col.append(BT.el("div", { class: "form-text" }, "One entry per $name of the texts: a number, a list or a range."));
      box.append(col);
    }
    if (rule.language) {
      // the language's reference; an example fills the texts and the $names' values (its grid swept)
      const col = BT.el("div", { class: "col-12" });
      col.append(ExprHelp.panel(rule.language, (example) => {
        const set = (name, value) => {
          const input = box.querySelector(`[data-param="${name}"]`);
          if (input) input.value = value;
        };
        set("entry", example.entry);
        set("exit", example.exit);
        set("bounds", "{}");
        set("$values", JSON.stringify(Object.assign({}, example.params, example.grid)));
        box.dispatchEvent(new Event("input", { bubbles: true }));
      }));
      box.append(col);
    }
  }

  /* PYTHON: the strategy module in the run form's code editor (BT.codeBox), the class to run
     and its class attributes as JSON, each a value (fixed: ``params``) or a list or a
     "start:stop:step" range (swept: ``grid``), read back by ``readValues`` and
     ``pythonFields``. */
  function pythonInputs(box, python, prefix) {
    const classCol = BT.el("div", { class: "col-md-4" });
    const classId = prefix + "strategy-class";
    classCol.append(
      BT.el("label", { class: "form-label", for: classId }, "strategy_class"),
      BT.el("input", { class: "form-control form-control-sm font-monospace", id: classId, "data-strategy": "class", value: python.example_class, spellcheck: "false" }),
    );
    const valuesCol = BT.el("div", { class: "col-md-8" });
    const valuesId = prefix + "values";
    valuesCol.append(
      BT.el("label", { class: "form-label", for: valuesId }, "class attributes (JSON)"),
      BT.el("input", {
        class: "form-control form-control-sm font-monospace", id: valuesId, "data-param": "$values", "data-type": "values",
        value: '{"n1": "5:20:5", "n2": [30, 60]}',
      }),
      BT.el("div", { class: "form-text" }, "A value is fixed; a list or a range is swept."),
    );
    const codeCol = BT.el("div", { class: "col-12" });
    const { box: editor } = BT.codeBox(
      { id: prefix + "strategy-code", maxlength: python.code_max, "data-strategy": "code" },
      python.example_code,
      () => box.dispatchEvent(new Event("input", { bubbles: true })),
    );
    codeCol.append(BT.el("label", { class: "form-label", for: prefix + "strategy-code" }, "strategy_code"), editor);
    box.append(classCol, valuesCol, codeCol);
  }

  /* A PYTHON form's ``strategy_code`` and ``strategy_class`` ({} for another rule). */
  function pythonFields(box) {
    const code = box.querySelector('[data-strategy="code"]');
    const name = box.querySelector('[data-strategy="class"]');
    return code && name ? { strategy_code: code.value, strategy_class: name.value.trim() } : {};
  }

  /* A server's error about an expression text ("params.entry …"): its message under the
     text and a caret under the column it names (BT.drawCaret, as the run form). Returns
     whether ``field`` named a text of ``box``; ``clearTextErrors`` undoes it. */
  function textError(box, field, message) {
    const match = /^params\.(entry|exit)$/.exec(String(field || ""));
    const input = field === "strategy_code"
      ? box.querySelector('[data-strategy="code"]')
      : match && box.querySelector(`[data-param="${match[1]}"][data-expr-text]`);
    if (!input) return false;
    input.classList.add("is-invalid");
    input.parentElement.querySelector(":scope > .invalid-feedback").textContent = message;
    BT.drawCaret(input.parentElement.querySelector(":scope > .bt-expr-caret"), input.value, message);
    return true;
  }

  function clearTextErrors(box) {
    for (const input of box.querySelectorAll('[data-expr-text], [data-strategy="code"]')) {
      input.classList.remove("is-invalid");
      input.parentElement.querySelector(":scope > .invalid-feedback").textContent = "";
      input.parentElement.querySelector(":scope > .bt-expr-caret").textContent = "";
    }
  }

  /* EXPR's $name values: a number is a base param, a list or a range a grid entry (text that
     is no JSON object is sent as it is: the server names it). */
  function readValues(text, grid, params) {
    let values;
    try {
      values = JSON.parse(text);
    } catch (error) {
      values = null;
    }
    if (!values || typeof values !== "object" || Array.isArray(values)) {
      params.values = text;
      return;
    }
    for (const [name, value] of Object.entries(values)) {
      if (Array.isArray(value) || (typeof value === "string" && SweepRange.isRange(value))) grid[name] = value;
      else params[name] = value;
    }
  }

  /* One input per trading field in ``box`` (ids ``prefix`` + name); a boolean field is a
     checkbox (``data-flag``), sent by ``tradingValues`` only when ticked. */
  function tradingInputs(box, fields, prefix) {
    for (const field of fields) {
      const col = BT.el("div", { class: "col-md-4" });
      const id = prefix + field.name;
      col.append(BT.el("label", { class: "form-label", for: id }, field.label));
      let input;
      if (typeof field.default === "boolean") {
        // a request's boolean (close_open_trades_at_end, exit_priority): sent only when ticked
        // (the run form's help line is its tooltip here, as the other inputs show none)
        const check = BT.el("div", { class: "form-check small mt-md-4", title: field.help });
        input = BT.el("input", { class: "form-check-input", type: "checkbox", id, "data-flag": field.name, checked: field.default });
        check.append(input, BT.el("label", { class: "form-check-label", for: id }, field.label));
        col.replaceChildren(check);
        box.append(col);
        continue;
      }
      if (field.choices.length) {
        input = BT.el("select", { class: "form-select form-select-sm", id, "data-field": field.name });
        for (const choice of field.choices) input.append(BT.el("option", { value: choice, selected: choice === field.default }, choice));
      } else if (field.sweepable) {
        // a stop (empty = off) or a scaling field (empty = its default): one value, or swept
        // like a parameter (a range or a comma list; "off" in a stop's list)
        const placeholder = field.optional ? "off, 5, 2:10:2 or off,2,5" : field.step === "1" ? "1, 1:4:1 or 1,2,4" : "1, 0.25:1:0.25 or 0.5,1";
        input = BT.el("input", { class: "form-control form-control-sm", id, "data-stop": field.name, value: field.optional ? "" : field.default, placeholder });
      } else {
        // empty: not sent (an optional cost: none; any other field: the server's default)
        input = BT.el("input", { class: "form-control form-control-sm", type: "number", step: "any", id, "data-field": field.name, value: field.default ?? "", placeholder: field.optional ? "none" : "" });
      }
      col.append(input);
      box.append(col);
    }
  }

  /* Each parameter input: a range (swept), a comma list (swept) or one value (a base param). */
  function readGrid(rule, paramsBox, tradingBox) {
    const grid = {};
    const params = {};
    const specs = Object.fromEntries(rule.params.map((p) => [p.name, p]));
    for (const input of paramsBox.querySelectorAll("input[data-param]")) {
      if (input.disabled) continue;
      const param = specs[input.dataset.param];
      const text = input.value.trim();
      if (!text || (!param && input.dataset.type !== "values")) continue; // an input of the rule before a switch
      if (input.dataset.type === "values") {
        readValues(text, grid, params);
        continue;
      }
      if (param.type === "text") {
        params[param.name] = input.value;
        continue;
      }
      if (param.type === "bounds") {
        try {
          params[param.name] = JSON.parse(text);
        } catch (error) {
          params[param.name] = text; // the server names params.bounds
        }
        continue;
      }
      if (SweepRange.isRange(text)) grid[param.name] = text;
      else if (text.includes(",")) grid[param.name] = text.split(",").filter((v) => v.trim()).map((v) => parseValue(v, param));
      else params[param.name] = parseValue(text, param);
    }
    const stops = {};
    for (const input of tradingBox.querySelectorAll("input[data-stop]")) {
      const name = input.dataset.stop;
      const text = input.value.trim();
      const number = (v) => (/^(off|null)$/i.test(v.trim()) ? null : Number(v));
      if (!text || /^(off|null)$/i.test(text)) continue;
      if (SweepRange.isRange(text)) grid[name] = text;
      else if (text.includes(",")) grid[name] = text.split(",").filter((v) => v.trim()).map(number);
      else stops[name] = number(text);
    }
    return { grid, params, stops };
  }

  /* The other trading fields' values: {name: value}, numbers as numbers (an empty input: not
     sent). */
  function tradingValues(tradingBox) {
    const values = {};
    for (const input of tradingBox.querySelectorAll("[data-field]")) {
      if (input.tagName !== "SELECT" && input.value.trim() === "") continue;
      values[input.dataset.field] = input.tagName === "SELECT" ? input.value : Number(input.value);
    }
    for (const flag of tradingBox.querySelectorAll("input[data-flag]")) if (flag.checked) values[flag.dataset.flag] = true;
    return values;
  }

  /* How many values a grid entry (a list or a range text) stands for; 0 when invalid. */
  function valueCount(entry) {
    if (Array.isArray(entry)) return entry.length;
    const range = SweepRange.parse(entry);
    return range ? range.count : 0;
  }

  /* A one-ticker form's dates and timeframe following its ticker (the walk-forward and study
     forms): the ticker's data range in ``rangeBox``, the run form's default window
     (BT.dateWindow) in the date inputs until the user types a date (or ``touch()`` says a
     date was set), the ticker's catalog timeframe in the input of id ``timeframeId`` (its
     windows count that timeframe's bars). Returns {follow, touch}. */
  function followTicker(select, start, end, rangeBox, timeframeId) {
    let touched = false;
    for (const input of [start, end]) input.addEventListener("input", () => (touched = true));
    function follow() {
      const chosen = select.selectedOptions[0];
      const range = BT.commonRange([chosen].filter(Boolean));
      rangeBox.textContent = range ? `· data: ${range.first} … ${range.last}` : "";
      const window_ = range && BT.dateWindow(range.first, range.last);
      if (window_ && !touched) {
        start.value = window_.start;
        end.value = window_.end;
      }
      const timeframe = document.getElementById(timeframeId);
      if (timeframe && chosen && chosen.dataset.timeframe) timeframe.value = chosen.dataset.timeframe;
    }
    select.addEventListener("change", follow);
    follow();
    return { follow, touch: () => (touched = true) };
  }

  /* An integer input's value: a number, or null when empty (the server then names what is
     missing). */
  function integer(input) {
    const text = input.value.trim();
    return text === "" ? null : Number(text);
  }

  return {
    paramInputs, pythonFields, tradingInputs, readGrid, tradingValues, valueCount, textError,
    clearTextErrors, followTicker, integer,
  };
})();

/* The "is the best luck?" card of the sweep and the study pages (the luck_card macro of
   dashboard/_macros.html): its verdict and a table of [label, value] rows, all set as text;
   and the rows of a deflated Sharpe ratio (adapters.deflated.deflated_sharpe_of_best's
   answer: a sweep's best combination's, a study's best trial's). */
const LuckCard = (() => {
  function dsrRows(dsr) {
    return [
      ["deflated Sharpe ratio (DSR)", BT.fmt(dsr.dsr, 3)],
      ["probabilistic Sharpe ratio (PSR, vs 0)", BT.fmt(dsr.psr, 3)],
      ["trials · expected max Sharpe of luck", `${BT.fmt(dsr.n_trials, 0)} · ${BT.fmt(dsr.expected_max_sharpe_annual, 2)}`],
      ["trials' Sharpe variance (annualised)", BT.fmt(dsr.trials_variance_annual, 3)],
      ["best's skewness · kurtosis", `${BT.fmt(dsr.skewness, 2)} · ${BT.fmt(dsr.kurtosis, 2)}`],
    ];
  }

  /* Show the card ``prefix`` with ``verdict`` over ``rows``. */
  function draw(prefix, verdict, rows) {
    document.getElementById(`${prefix}-card`).hidden = false;
    say(prefix, verdict);
    fill(prefix, rows);
  }

  /* Set the card's verdict only (the line it shows while its statistics are pending). */
  function say(prefix, verdict) {
    document.getElementById(`${prefix}-verdict`).textContent = verdict || "";
  }

  /* Set the card's table only: a card pending from the first paint (the luck_card macro's
     ``pending``) holds its rows with their values not yet known, so the figures arriving
     later change no height. */
  function fill(prefix, rows) {
    document.querySelector(`#${prefix}-table tbody`).replaceChildren(...rows.map(([label, value]) => {
      const tr = BT.el("tr", { "data-row": label });
      tr.append(BT.el("td", {}, label), BT.el("td", { class: "text-end font-monospace" }, value));
      return tr;
    }));
  }

  return { dsrRows, draw, say, fill };
})();

(() => {
  const FINISHED = BT.STATUS.SWEEP_FINISHED;

  /* ---------------------------------------------------------------- the form */

  function startForm(data) {
    const { form, ruleSelect, paramsBox, tradingBox, errorBox, countBox } = BT.byIds({
      form: "sweep-form", ruleSelect: "s-rule", paramsBox: "s-params", tradingBox: "s-trading",
      errorBox: "sweep-error", countBox: "s-count"
    });
    const rules = Object.fromEntries(data.rules.map((r) => [r.rule_type, r]));

    for (const rule of data.rules) ruleSelect.append(BT.el("option", { value: rule.rule_type }, rule.rule_type));
    ruleSelect.value = rules.SMA_CROSS ? "SMA_CROSS" : data.rules[0].rule_type;

    function buildParams() {
      const rule = rules[ruleSelect.value];
      document.getElementById("s-rule-description").textContent = rule.description;
      SweepForm.paramInputs(paramsBox, rule, "s-p-");
      updateCount();
    }

    SweepForm.tradingInputs(tradingBox, data.trading_fields, "s-f-");

    function readGrid() {
      return SweepForm.readGrid(rules[ruleSelect.value], paramsBox, tradingBox);
    }

    function updateCount() {
      const { grid } = readGrid();
      const tickers = form.querySelectorAll("#s-tickers input:checked").length || 1;
      let count = tickers;
      for (const entry of Object.values(grid)) count *= SweepForm.valueCount(entry);
      countBox.textContent = Object.keys(grid).length
        ? `${count.toLocaleString("en-US")} combinations before constraints (at most ${data.max_combos.toLocaleString("en-US")} run)`
        : "sweep at least one parameter: a list or a range";
    }

    function body() {
      const { grid, params, stops } = readGrid();
      const payload = {
        rule_type: ruleSelect.value,
        start_date: document.getElementById("s-start").value,
        end_date: document.getElementById("s-end").value,
        tickers: [...form.querySelectorAll("#s-tickers input:checked")].map((i) => i.value),
        params,
        grid,
      };
      const chunk = document.getElementById("s-chunk").value.trim();
      if (chunk !== "") payload.chunk_size = Number(chunk); // empty: the server sizes the chunks
      return Object.assign(payload, SweepForm.pythonFields(paramsBox), SweepForm.tradingValues(tradingBox), stops);
    }

    /* -------------------------------------------------------------- server checks */
    /* The server checks the form as it changes (POST /api/schema/sweep/validate, the 400
       POST /api/sweeps would answer): its first problem is shown in its words, above the
       form. The page holds no copy of the limits or the messages. */
    const live = BT.liveCheck(form.dataset.validateUrl, body, (problem) => {
      errorBox.classList.add("d-none");
      SweepForm.clearTextErrors(paramsBox);
      if (problem) showError(problem.field, problem.error);
    });
    for (const type of ["input", "change"]) form.addEventListener(type, live.schedule);

    /* Above the form; an expression text's error also under the text, a caret at its column. */
    function showError(field, message) {
      errorBox.textContent = BT.fieldMessage(field, message || "");
      errorBox.classList.remove("d-none");
      SweepForm.textError(paramsBox, field, message || "");
    }

    /* Dates: the run form's default window (BT.dateWindow) of where every checked ticker
       has data, until the user types a date; the range is shown beside the tickers. */
    const startInput = document.getElementById("s-start");
    const endInput = document.getElementById("s-end");
    let datesTouched = false;
    for (const input of [startInput, endInput]) input.addEventListener("input", () => (datesTouched = true));
    function followTickers() {
      const range = BT.commonRange(form.querySelectorAll("#s-tickers input:checked"));
      document.getElementById("s-ticker-range").textContent = range ? `· data: ${range.first} … ${range.last}` : "";
      const window_ = range && BT.dateWindow(range.first, range.last);
      if (window_ && !datesTouched) {
        startInput.value = window_.start;
        endInput.value = window_.end;
      }
      // One timeframe per sweep: the first checked ticker's (its catalog timeframe).
      const timeframe = document.getElementById("s-f-timeframe");
      const checked = form.querySelector("#s-tickers input:checked");
      if (timeframe && checked && checked.dataset.timeframe) timeframe.value = checked.dataset.timeframe;
    }
    document.getElementById("s-tickers").addEventListener("change", followTickers);
    followTickers();

    ruleSelect.addEventListener("change", buildParams);
    form.addEventListener("input", updateCount);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errorBox.classList.add("d-none");
      SweepForm.clearTextErrors(paramsBox);
      const progress = document.getElementById("sweep-progress");
      live.cancel();
      const payload = body();
      // checked first (not rate-limited): a refused form spends no submission
      const problem = await BT.serverCheck(form.dataset.validateUrl, payload);
      if (problem) {
        showError(problem.field, problem.error);
        return;
      }
      progress.textContent = "submitting…";
      const result = await BT.fetchJSON(data.submit_url, { method: "POST", json: payload });
      if (result.status === 202) {
        progress.textContent = `${result.body.combos} combos in ${result.body.chunks} chunks`;
        window.location.assign(data.sweep_url.replace("SWEEP_ID", result.body.sweep_id));
        return;
      }
      progress.textContent = "";
      const error = result.body || {};
      showError(error.field, error.error || `HTTP ${result.status}`);
    });
    buildParams();
  }

  /* ------------------------------------------------------------- the sweep page */

  function metricFormat(metrics, key, value) {
    const m = metrics.find((x) => x.key === key) || { digits: 2, unit: "" };
    return BT.fmt(value, m.digits, m.unit);
  }

  /* The smallest heatmap cell (canvas pixels) that shows its value as text. */
  const CELL_TEXT = { width: 34, height: 14 };

  /* A perceptual-ish ramp (dark blue → teal → yellow) for t in [0, 1]. */
  function color(t) {
    const stops = [[20, 30, 70], [30, 110, 140], [60, 170, 110], [230, 210, 60]];
    const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
    const i = Math.min(Math.floor(x), stops.length - 2);
    const f = x - i;
    const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  async function runCombo(data, comboNo, note) {
    note.textContent = `starting combo #${comboNo}…`;
    const combo = await BT.fetchJSON(data.combo_url + comboNo);
    if (!combo.ok) { note.textContent = (combo.body && combo.body.error) || "combo not found"; return; }
    // the run page draws its charts itself (a PNG is drawn on demand): no server PNGs
    // a point of a sweep over another kind's base is that kind's request (its id included):
    // run it alone under a new id
    const body = combo.body.run_request
      ? Object.assign({}, combo.body.run_request, { charts: false })
      : Object.assign({}, combo.body.request);
    if (!combo.body.run_request) delete body[data.id_field];
    const submitted = await BT.fetchJSON(data.submit_url, { method: "POST", json: body });
    if (submitted.status !== 202) {
      note.textContent = (submitted.body && submitted.body.error) || `HTTP ${submitted.status}`;
      return;
    }
    const id = submitted.body[data.id_field];
    window.location.assign(data.run_url.replace("RUN_ID", id));
  }

  function fillSelect(select, options, selected) {
    select.replaceChildren(...options.map(([value, label]) => BT.el("option", { value, selected: value === selected }, label)));
  }

  function startSweepPage(data) {
    const dims = Object.keys(data.dimensions);
    const metricOptions = data.metrics.map((m) => [m.key, m.label]);
    const hover = document.getElementById("hm-hover");
    const state = { sort: "sharpe_ratio", order: "", done: -1, finished: false, stopped: false };

    /* progress */
    async function poll() {
      const result = await BT.fetchJSON(data.status_url);
      if (!result.ok) return;
      const s = result.body;
      BT.setBadge(document.getElementById("sweep-status"), s.status);
      const bar = document.getElementById("sweep-bar");
      bar.style.width = s.progress.percent + "%";
      bar.textContent = s.progress.percent + "%";
      bar.closest(".progress").setAttribute("aria-valuenow", String(s.progress.percent));
      document.getElementById("sweep-done").textContent =
        `${s.progress.done.toLocaleString("en-US")} / ${s.progress.total.toLocaleString("en-US")} combos` +
        (s.progress.failed ? ` (${s.progress.failed.toLocaleString("en-US")} failed)` : "");
      const c = s.chunk_states;
      document.getElementById("sweep-chunks").textContent =
        `chunks: ${c.SUCCEEDED} done, ${c.RUNNING} running, ${c.PENDING} queued, ${c.FAILED} failed`;
      const t = s.timings;
      if (t.chunks_timed) {
        document.getElementById("sweep-timings").textContent =
          `summed over chunks: start-up ${BT.fmt(t.startup_ms / 1000, 1)} s, compute ${BT.fmt(t.compute_ms / 1000, 2)} s, writes ${BT.fmt(t.write_ms / 1000, 2)} s`;
      } else if (s.cached_from) {
        const timings = document.getElementById("sweep-timings");
        timings.replaceChildren("served from the result cache: the results of sweep ",
          BT.el("a", { href: `/sweeps/${encodeURIComponent(s.cached_from)}`, class: "font-monospace", "data-role": "cached-from" }, s.cached_from.slice(0, 8)),
          " (no chunk ran)");
      }
      document.getElementById("sweep-errors").textContent = t.errors.join("; ");
      const finished = FINISHED.includes(s.status);
      if (finished && s.status === "SUCCEEDED" && s.overfitting_url && !state.overfit) {
        state.overfit = true;
        loadOverfitting(s.overfitting_url);
      } else if (finished && s.status !== "SUCCEEDED") {
        LuckCard.say("overfit", `No statistics: they need every combination, and this sweep ended ${s.status}.`);
      }
      if (s.progress.done !== state.done || finished !== state.finished) {
        state.done = s.progress.done;
        state.finished = finished;
        await Promise.all([loadTop(), loadHeatmap(), loadLine()]);
      }
      document.body.dataset.sweepStatus = s.status;
      return finished;
    }

    /* top combos */
    const topTable = document.getElementById("top-table");
    function headers() {
      const row = topTable.querySelector("thead tr");
      const cols = [["combo_no", "#"], ...(dims.includes("ticker") ? [["ticker", "ticker"]] : []),
        ...dims.filter((d) => d !== "ticker").map((d) => [null, d]), ...metricOptions];
      row.replaceChildren(...cols.map(([key, label]) => {
        const th = BT.el("th", { scope: "col", class: key && key !== "ticker" ? "text-end" : "" }, label);
        if (key && key !== "ticker") {
          th.dataset.sort = key;
          if (key === state.sort) th.setAttribute("aria-sort", state.order === "asc" ? "ascending" : "descending");
          th.addEventListener("click", () => {
            state.order = state.sort === key && state.order !== "asc" ? "asc" : "desc";
            state.sort = key;
            headers();
            loadTop();
          });
        }
        return th;
      }));
    }
    async function loadTop() {
      const n = document.getElementById("top-n").value;
      const minTrades = Number(document.getElementById("top-min-trades").value) || 0;
      const url = `${data.results_url}?sort=${state.sort}&order=${state.order || "desc"}&per_page=${n}&top=${n}` +
        (minTrades > 0 ? `&min.num_trades=${minTrades}` : "");
      const result = await BT.fetchJSON(url);
      if (!result.ok) return;
      const body = topTable.querySelector("tbody");
      body.replaceChildren(...result.body.results.map((r) => {
        const tr = BT.el("tr", { class: "bt-click", "data-combo": r.combo_no, title: "run this combo with charts" });
        tr.append(BT.el("td", { class: "text-end" }, r.combo_no));
        if (dims.includes("ticker")) tr.append(BT.el("td", {}, r.ticker));
        for (const d of dims.filter((x) => x !== "ticker")) tr.append(BT.el("td", {}, r.params[d]));
        for (const [key] of metricOptions) {
          tr.append(BT.el("td", { class: "text-end " + BT.tone(key.endsWith("_ratio") || key.includes("return") || key === "cagr_pct" ? r.metrics[key] : 0) }, metricFormat(data.metrics, key, r.metrics[key])));
        }
        tr.addEventListener("click", () => runCombo(data, r.combo_no, hover));
        return tr;
      }));
    }
    document.getElementById("top-n").addEventListener("change", loadTop);
    document.getElementById("top-min-trades").addEventListener("change", loadTop);

    /* heatmap */
    const hm = {
      metric: document.getElementById("hm-metric"), x: document.getElementById("hm-x"),
      y: document.getElementById("hm-y"), agg: document.getElementById("hm-agg"),
    };
    fillSelect(hm.metric, metricOptions, "sharpe_ratio");
    fillSelect(hm.x, dims.map((d) => [d, "x: " + d]), dims[0]);
    fillSelect(hm.y, dims.map((d) => [d, "y: " + d]), dims[1] || dims[0]);
    fillSelect(hm.agg, data.aggregates.map((a) => [a, "others: " + a]), "max");
    const fixedBox = document.getElementById("hm-fixed");
    function buildFixed() {
      fixedBox.replaceChildren();
      for (const d of dims) {
        if (d === hm.x.value || d === hm.y.value) continue;
        const select = BT.el("select", { class: "form-select form-select-sm w-auto", "data-dim": d, "aria-label": "fix " + d });
        fillSelect(select, [["", d + ": " + hm.agg.value], ...data.dimensions[d].map((v) => [String(v), `${d} = ${v}`])], "");
        select.addEventListener("change", loadHeatmap);
        fixedBox.append(select);
      }
    }
    function fixedQuery() {
      return [...fixedBox.querySelectorAll("select")].filter((s) => s.value !== "")
        .map((s) => `&fix.${encodeURIComponent(s.dataset.dim)}=${encodeURIComponent(s.value)}`).join("");
    }
    const canvas = document.getElementById("heatmap");
    const combos = (n) => `${n} combo${n === 1 ? "" : "s"}`;
    let cells = null;
    async function loadHeatmap() {
      if (dims.length < 2) { canvas.closest(".card").classList.add("d-none"); return; }
      const q = `?metric=${hm.metric.value}&x=${hm.x.value}&y=${hm.y.value}&agg=${hm.agg.value}${fixedQuery()}`;
      const result = await BT.fetchJSON(data.heatmap_url + q);
      if (!result.ok) { hover.textContent = (result.body && result.body.error) || "cannot draw"; return; }
      drawHeatmap(result.body);
    }
    function drawHeatmap(view) {
      const ctx = canvas.getContext("2d");
      const W = canvas.width, H = canvas.height, left = 60, bottom = 40, top = 24, right = 84;
      ctx.fillStyle = "#0b0e13"; ctx.fillRect(0, 0, W, H);
      const xs = view.x.values, ys = view.y.values;
      const cw = (W - left - right) / xs.length, ch = (H - top - bottom) / ys.length;
      const values = view.z.flat().filter((v) => v !== null);
      const lo = Math.min(...values), hi = Math.max(...values);
      const meta = data.metrics.find((m) => m.key === view.metric);
      const scale = (v) => { const t = hi > lo ? (v - lo) / (hi - lo) : 0.5; return meta.lower_is_better ? 1 - t : t; };
      for (let j = 0; j < ys.length; j++) {
        for (let i = 0; i < xs.length; i++) {
          const v = view.z[j][i];
          ctx.fillStyle = v === null ? "#161b22" : color(scale(v));
          ctx.fillRect(left + i * cw, top + (ys.length - 1 - j) * ch, Math.ceil(cw), Math.ceil(ch));
        }
      }
      canvas.dataset.cellValues = cw >= CELL_TEXT.width && ch >= CELL_TEXT.height ? "shown" : "hidden";
      if (canvas.dataset.cellValues === "shown") {  // each cell's value, where it fits
        ctx.font = "10px monospace"; ctx.textAlign = "center";
        for (let j = 0; j < ys.length; j++) {
          for (let i = 0; i < xs.length; i++) {
            const v = view.z[j][i];
            if (v === null) continue;
            ctx.fillStyle = scale(v) > 0.6 ? "#0b0e13" : "#e6edf3";  // dark on the yellow end
            ctx.fillText(BT.fmt(v, 2), left + (i + 0.5) * cw, top + (ys.length - 1 - j + 0.5) * ch + 3);
          }
        }
      }
      ctx.fillStyle = "#8b97a6"; ctx.font = "11px monospace"; ctx.textAlign = "center";
      const stepX = Math.max(1, Math.ceil(xs.length / 15)), stepY = Math.max(1, Math.ceil(ys.length / 12));
      for (let i = 0; i < xs.length; i += stepX) ctx.fillText(String(xs[i]), left + (i + 0.5) * cw, H - bottom + 14);
      ctx.fillText(view.x.name, left + (W - left - right) / 2, H - 6);
      ctx.textAlign = "right";
      for (let j = 0; j < ys.length; j += stepY) ctx.fillText(String(ys[j]), left - 6, top + (ys.length - 1 - j + 0.5) * ch + 4);
      ctx.save(); ctx.translate(12, top + (H - top - bottom) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
      ctx.fillText(view.y.name, 0, 0); ctx.restore();
      for (let k = 0; k <= 50; k++) {  // colour bar: lo at the bottom, hi at the top
        ctx.fillStyle = color(meta.lower_is_better ? 1 - k / 50 : k / 50);
        ctx.fillRect(W - right + 10, top + (H - top - bottom) * (1 - k / 50) - 3, 12, 4);
      }
      ctx.fillStyle = "#c9d1d9"; ctx.textAlign = "right";
      ctx.fillText(meta.label, W - 4, 12);  // what the colours mean
      ctx.fillStyle = "#8b97a6"; ctx.textAlign = "left";
      if (values.length) {
        for (let k = 0; k <= 4; k++) {  // five ticks, each a value of the metric
          const y = top + (H - top - bottom) * (1 - k / 4);
          ctx.fillRect(W - right + 22, y - 0.5, 3, 1);
          ctx.fillText(BT.fmt(lo + ((hi - lo) * k) / 4, 2), W - right + 27, y + 4);
        }
      }
      cells = { view, left, top, cw, ch, rows: ys.length };
      canvas.dataset.bestCell = JSON.stringify(bestCell(view));
    }
    function bestCell(view) {
      const meta = data.metrics.find((m) => m.key === view.metric);
      let found = null;
      view.z.forEach((row, j) => row.forEach((v, i) => {
        if (v === null) return;
        if (!found || (meta.lower_is_better ? v < found.v : v > found.v)) found = { i, j, v };
      }));
      return found;
    }
    function cellAt(event) {
      if (!cells) return null;
      const rect = canvas.getBoundingClientRect();
      const px = (event.clientX - rect.left) * (canvas.width / rect.width);
      const py = (event.clientY - rect.top) * (canvas.height / rect.height);
      const i = Math.floor((px - cells.left) / cells.cw);
      const j = cells.rows - 1 - Math.floor((py - cells.top) / cells.ch);
      if (i < 0 || j < 0 || i >= cells.view.x.values.length || j >= cells.rows) return null;
      return { i, j };
    }
    const tip = document.getElementById("hm-tip");
    canvas.addEventListener("mousemove", (event) => {
      const c = cellAt(event);
      if (!c) { tip.hidden = true; return; }
      const v = cells.view;
      hover.textContent = `${v.x.name}=${v.x.values[c.i]} ${v.y.name}=${v.y.values[c.j]}: ` +
        `${metricFormat(data.metrics, v.metric, v.z[c.j][c.i])} (${combos(v.count[c.j][c.i])}; best #${v.best[c.j][c.i] ?? "—"})`;
      tip.textContent = hover.textContent;  // the same words beside the pointer
      const box = canvas.parentElement.getBoundingClientRect();
      tip.style.left = `${event.clientX - box.left + 14}px`;
      tip.style.top = `${event.clientY - box.top + 14}px`;
      tip.hidden = false;
    });
    canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
    canvas.addEventListener("click", (event) => {
      const c = cellAt(event);
      if (c && cells.view.best[c.j][c.i] !== null) runCombo(data, cells.view.best[c.j][c.i], hover);
    });
    for (const select of Object.values(hm)) select.addEventListener("change", () => { buildFixed(); loadHeatmap(); });
    buildFixed();

    /* line */
    const ln = { metric: document.getElementById("ln-metric"), x: document.getElementById("ln-x"), agg: document.getElementById("ln-agg") };
    fillSelect(ln.metric, metricOptions, "sharpe_ratio");
    fillSelect(ln.x, dims.map((d) => [d, d]), dims[0]);
    fillSelect(ln.agg, data.aggregates.map((a) => [a, "others: " + a]), "max");
    for (const select of Object.values(ln)) select.addEventListener("change", loadLine);
    const lineCanvas = document.getElementById("line");
    async function loadLine() {
      const result = await BT.fetchJSON(`${data.line_url}?metric=${ln.metric.value}&x=${ln.x.value}&agg=${ln.agg.value}`);
      if (result.ok) drawLine(result.body);
    }
    function drawLine(view) {
      const ctx = lineCanvas.getContext("2d");
      const W = lineCanvas.width, H = lineCanvas.height, left = 70, bottom = 30, top = 10, right = 10;
      ctx.fillStyle = "#0b0e13"; ctx.fillRect(0, 0, W, H);
      const values = view.z.filter((v) => v !== null);
      if (!values.length) return;
      const lo = Math.min(...values), hi = Math.max(...values);
      const n = view.x.values.length;
      const px = (i) => left + (n > 1 ? i / (n - 1) : 0.5) * (W - left - right);
      const py = (v) => top + (hi > lo ? (hi - v) / (hi - lo) : 0.5) * (H - top - bottom);
      ctx.strokeStyle = "#262c36"; ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, H - bottom); ctx.lineTo(W - right, H - bottom); ctx.stroke();
      ctx.strokeStyle = "#58a6ff"; ctx.lineWidth = 2; ctx.beginPath();
      let pen = false;
      view.z.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        if (pen) ctx.lineTo(px(i), py(v)); else ctx.moveTo(px(i), py(v));
        pen = true;
      });
      ctx.stroke();
      ctx.fillStyle = "#8b97a6"; ctx.font = "11px monospace"; ctx.textAlign = "right";
      ctx.fillText(BT.fmt(hi, 2), left - 6, top + 8); ctx.fillText(BT.fmt(lo, 2), left - 6, H - bottom);
      ctx.textAlign = "center";
      const step = Math.max(1, Math.ceil(n / 15));
      for (let i = 0; i < n; i += step) ctx.fillText(String(view.x.values[i]), px(i), H - bottom + 14);
      ctx.fillText(view.x.name, W / 2, H - 2);
    }

    /* The statistics card's rows for the best ticker's figures (``{}``: none known yet,
       every value a dash: the rows the card holds from the first paint). */
    function overfitRows(ticker) {
      const pbo = ticker.pbo || {}, st = ticker.stability || {};
      return [
        ["ticker", ticker.ticker || BT.MISSING],
        ["PBO (probability of backtest overfitting)", BT.fmt(pbo.pbo, 3)],
        ["CSCV splits", pbo.splits === undefined ? BT.MISSING : pbo.splits.toLocaleString("en-US") + ` of ${ticker.blocks} blocks`],
        ["performance degradation (OOS on IS slope)", BT.fmt(pbo.degradation_slope, 3)],
        ["probability of out-of-sample loss", BT.fmt(pbo.prob_oos_loss, 3)],
        ...LuckCard.dsrRows(ticker.dsr || {}),
        ["neighbours' median Sharpe / best's", `${BT.fmt(st.neighbour_median, 3)} / ${BT.fmt(st.best, 3)}`],
      ];
    }

    /* overfitting statistics: the verdict, their figures and the logit histogram */
    async function loadOverfitting(url) {
      const result = await BT.fetchJSON(url);
      if (!result.ok) {  // the pending line would otherwise stay, after every combination ran
        const why = (result.body && result.body.error) || "the server did not answer them";
        LuckCard.say("overfit", `No statistics: ${why} (HTTP ${result.status}). Reload the page to ask again.`);
        return;
      }
      const stats = result.body;
      const ticker = (stats.tickers || []).find((t) => t.best) || null;
      LuckCard.draw("overfit", stats.verdict || stats.unavailable, overfitRows(ticker || {}));
      if (!ticker) return;
      if (ticker.pbo && ticker.pbo.logit_histogram) drawLogits(ticker.pbo.logit_histogram);
      document.body.dataset.overfitting = "shown";
    }
    function drawLogits(hist) {
      const canvas = document.getElementById("overfit-logits");
      const ctx = canvas.getContext("2d");
      const W = canvas.width, H = canvas.height, left = 40, bottom = 24, top = 8, right = 8;
      ctx.fillStyle = "#0b0e13"; ctx.fillRect(0, 0, W, H);
      const n = hist.counts.length, hi = Math.max(1, ...hist.counts);
      const lo = hist.edges[0], span = hist.edges[n] - lo;
      const px = (x) => left + ((x - lo) / span) * (W - left - right);
      hist.counts.forEach((count, i) => {
        const x0 = px(hist.edges[i]), x1 = px(hist.edges[i + 1]);
        const h = (count / hi) * (H - top - bottom);
        ctx.fillStyle = hist.edges[i + 1] <= 0 ? "#f85149" : "#3fb950";
        ctx.fillRect(x0 + 1, H - bottom - h, x1 - x0 - 2, h);
      });
      ctx.strokeStyle = "#8b97a6"; ctx.beginPath(); ctx.moveTo(px(0), top); ctx.lineTo(px(0), H - bottom); ctx.stroke();
      ctx.fillStyle = "#8b97a6"; ctx.font = "11px monospace"; ctx.textAlign = "center";
      for (let x = lo; x <= hist.edges[n]; x += 2) ctx.fillText(String(x), px(x), H - bottom + 14);
      ctx.textAlign = "right"; ctx.fillText(String(hi), left - 4, top + 10); ctx.fillText("0", left - 4, H - bottom);
    }

    LuckCard.fill("overfit", overfitRows({}));
    headers();
    BT.every(1000, async () => {
      if (state.stopped) return;  // finished: the last poll drew the final views
      if (await poll()) state.stopped = true;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const formData = BT.readJSON("sweep-form-data");
    if (formData) startForm(formData);
    const sweepData = BT.readJSON("sweep-data");
    if (sweepData) startSweepPage(sweepData);
  });
})();
