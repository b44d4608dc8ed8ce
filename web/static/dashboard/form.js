/* The run form: rule parameters built from the rule registry (/api/rules' data), live checks
   by the server as the form changes (POST /api/schema/run/validate: its messages are the
   400s POST /run_backtest answers, shown next to the field they name; the page holds no
   copy of the limits or the messages), submission with progress polling, and presets (save
   / overwrite / update / load / delete through /api/strategies). The entry order inputs
   are entry_order.js'. Text only: no innerHTML. */
"use strict";

(() => {
  const data = BT.readJSON("form-data");
  const RULES = Object.fromEntries(data.rules.map((rule) => [rule.rule_type, rule]));
  const FIELDS = Object.fromEntries(data.trading_fields.map((field) => [field.name, field]));
  const { form, paramsBox, ruleSelect, progress, submitButton } = BT.byIds({
    form: "run-form", paramsBox: "params", ruleSelect: "f-rule", progress: "run-progress",
    submitButton: "submit-run"
  });

  /* The rule part of the form as data: {rule_type, params}; inputs write into it. */
  let model = { rule_type: ruleSelect.value, params: {} };

  const copy = (value) => JSON.parse(JSON.stringify(value));
  const nestable = (rule) => !rule.params.some((p) => p.type === "rules");

  function defaults(ruleType) {
    const out = {};
    for (const p of RULES[ruleType].params) out[p.name] = copy(p.default);
    return out;
  }

  /* A rule's model with its defaults; PYTHON's holds its code and class too (its editor
     starts with the example strategy). */
  function freshModel(ruleType, values = {}) {
    const python = RULES[ruleType].python;
    if (!python) return { rule_type: ruleType, params: defaults(ruleType) };
    const params = values.params && typeof values.params === "object" && !Array.isArray(values.params) ? copy(values.params) : {};
    return {
      rule_type: ruleType,
      params,
      strategy_code: typeof values.strategy_code === "string" ? values.strategy_code : python.example_code,
      strategy_class: typeof values.strategy_class === "string" ? values.strategy_class : python.example_class,
      refs: Array.isArray(values.refs) ? values.refs.filter((t) => typeof t === "string") : [],
    };
  }

  /* ["params", "rules", 1, "params", "fast"] -> "params.rules[1].params.fast" */
  function pathText(path) {
    return path.reduce((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${key}` : key), "");
  }

  function setAt(path, value) {
    let node = model;
    for (const key of path.slice(0, -1)) node = node[key];
    node[path[path.length - 1]] = value;
  }

  function numberText(value) {
    return BT.isNumber(value) ? String(value) : "";
  }

  // ---------------------------------------------------------------- rendering ----------
  function feedback() {
    return BT.el("div", { class: "invalid-feedback" });
  }

  /* EXPR's condition texts: a textarea whose server-side error is drawn under the text, a
     caret at the column the message names; and its $names' values, one number input each,
     added as the texts name them (the server says which are missing or out of range). */
  const NAME = /\$([A-Za-z_][A-Za-z0-9_]*)/g;
  const OWN = ["entry", "exit", "bounds"];

  function textControl(spec, path, value, col, id) {
    const input = BT.el("textarea", { class: "form-control form-control-sm font-monospace bt-expr", id, rows: 2, spellcheck: "false", "data-expr-text": true });
    input.value = typeof value === "string" ? value : "";
    input.addEventListener("input", () => {
      setAt(path, input.value);
      refreshValues(path.slice(0, -1));
    });
    return input;
  }

  function boundsControl(spec, path, value, id) {
    const input = BT.el("input", { class: "form-control form-control-sm font-monospace", id, type: "text", placeholder: '{"n": [2, 50]}' });
    input.value = value && Object.keys(value).length ? JSON.stringify(value) : "";
    input.addEventListener("input", () => {
      const text = input.value.trim();
      let parsed = text;
      try {
        parsed = text === "" ? {} : JSON.parse(text);
      } catch (error) {
        parsed = text; // sent as it is: the server names params.bounds
      }
      setAt(path, parsed);
    });
    return input;
  }

  function namesOf(params) {
    const names = [];
    for (const side of ["entry", "exit"]) {
      for (const match of String(params[side] || "").matchAll(NAME)) if (!names.includes(match[1])) names.push(match[1]);
    }
    return names;
  }

  function refreshValues(path) {
    const box = paramsBox.querySelector(".bt-expr-values");
    if (!box) return;
    let params = model;
    for (const key of path) params = params[key];
    const names = namesOf(params);
    if (box.dataset.names === names.join(",")) return;
    box.dataset.names = names.join(",");
    box.replaceChildren();
    for (const name of names) {
      const id = "p-params-" + name;
      const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
      const input = BT.el("input", { class: "form-control form-control-sm", id, type: "number", step: "any", inputmode: "decimal" });
      input.value = numberText(params[name]);
      input.dataset.field = pathText([...path, name]);
      input.addEventListener("input", () => {
        params[name] = input.value.trim() === "" ? null : Number(input.value);
      });
      col.append(BT.el("label", { class: "form-label", for: id }, `$${name}`), input, feedback());
      box.append(col);
    }
  }

  function caret(node, message) {
    BT.drawCaret(node.parentElement.querySelector(":scope > .bt-expr-caret"), node.value, message);
  }

  function paramControl(spec, path, value) {
    const id = "p-" + pathText(path).replace(/[^A-Za-z0-9_-]/g, "-");
    const wide = spec.type === "rules" || spec.type === "text";
    const col = BT.el("div", { class: wide ? "col-12" : "col-6 col-md-4 col-lg-3" });
    if (spec.type === "rules") {
      col.append(subRulesEditor(spec, path, value));
      return col;
    }
    col.append(BT.el("label", { class: "form-label", for: id, title: spec.description }, spec.name));
    let input;
    if (spec.type === "choice") {
      input = BT.el("select", { class: "form-select form-select-sm", id, required: true });
      for (const choice of spec.choices) input.append(BT.el("option", { value: choice }, choice));
      input.value = value;
      input.addEventListener("change", () => setAt(path, input.value));
    } else if (spec.type === "text") {
      input = textControl(spec, path, value, col, id);
    } else if (spec.type === "bounds") {
      input = boundsControl(spec, path, value, id);
    } else {
      input = BT.el("input", {
        class: "form-control form-control-sm",
        id,
        type: "number",
        required: true,
        min: spec.min,
        max: spec.max,
        step: spec.type === "int" ? "1" : "any",
        inputmode: spec.type === "int" ? "numeric" : "decimal",
      });
      input.value = numberText(value);
      input.addEventListener("input", () => setAt(path, input.value.trim() === "" ? null : Number(input.value)));
    }
    input.dataset.field = pathText(path);
    col.append(input, feedback());
    if (spec.type === "text") col.append(BT.el("pre", { class: "bt-expr-caret small text-danger mb-0" }));
    const range = spec.type === "choice" ? spec.choices.join(" | ") : `${spec.min} … ${spec.max}`;
    const help = spec.type === "text" || spec.type === "bounds" ? spec.description : `${spec.description} [${range}]`;
    col.append(BT.el("div", { class: "form-text" }, help));
    return col;
  }

  /* PYTHON's editor: the strategy module in a monospace textarea with line numbers (a
     syntax error from the server is drawn under it, a caret at its line and column), the
     class to run, its class attributes as a JSON object and the other catalog tickers it
     may self.ref (``refs``: a multiple select of the ticker select's own options). */
  function pythonEditor() {
    const grid = BT.el("div", { class: "row g-2" });
    const classCol = BT.el("div", { class: "col-6 col-md-4 col-lg-3" });
    const classInput = BT.el("input", { class: "form-control form-control-sm font-monospace", id: "p-strategy-class", type: "text", spellcheck: "false" });
    classInput.value = model.strategy_class;
    classInput.dataset.field = "strategy_class";
    classInput.addEventListener("input", () => (model.strategy_class = classInput.value));
    classCol.append(BT.el("label", { class: "form-label", for: "p-strategy-class" }, "strategy_class"), classInput, feedback());

    const paramsCol = BT.el("div", { class: "col-6 col-md-8 col-lg-9" });
    const paramsInput = BT.el("input", { class: "form-control form-control-sm font-monospace", id: "p-strategy-params", type: "text", placeholder: '{"n1": 10, "n2": 20}' });
    paramsInput.value = Object.keys(model.params).length ? JSON.stringify(model.params) : "";
    paramsInput.addEventListener("input", () => {
      const text = paramsInput.value.trim();
      try {
        model.params = text === "" ? {} : JSON.parse(text);
      } catch (error) {
        model.params = text; // sent as it is: the server names params
      }
    });
    paramsCol.append(BT.el("label", { class: "form-label", for: "p-strategy-params" }, "params (class attributes)"), paramsInput, feedback());

    const codeCol = BT.el("div", { class: "col-12" });
    const { box } = BT.codeBox(
      { id: "p-strategy-code", maxlength: RULES.PYTHON.python.code_max, "data-field": "strategy_code" },
      model.strategy_code,
      (text) => (model.strategy_code = text),
    );
    codeCol.append(BT.el("label", { class: "form-label", for: "p-strategy-code" }, "strategy_code"), box);
    const ignored = RULES.PYTHON.python.not_applied.join(", ");
    codeCol.append(BT.el("div", { class: "form-text" }, `Runs in a sandbox on the window's bars with the capital, fees, borrow rate and price adjustment below and the ticker's corporate actions; the strategy sizes and stops its own orders, so ${ignored} keep their defaults.`));
    grid.append(classCol, paramsCol, refsSelect(), codeCol);
    return grid;
  }

  /* ``refs``: every catalog ticker the ticker select lists, any number selected. */
  function refsSelect() {
    const col = BT.el("div", { class: "col-12 col-md-6" });
    const select = BT.el("select", { class: "form-select form-select-sm", id: "p-strategy-refs", multiple: "", size: "4" });
    select.dataset.field = "refs";
    for (const option of input("ticker").options) {
      const copied = BT.el("option", { value: option.value }, option.textContent);
      copied.selected = model.refs.includes(option.value);
      select.append(copied);
    }
    select.addEventListener("change", () => {
      model.refs = [...select.selectedOptions].map((option) => option.value);
    });
    col.append(
      BT.el("label", { class: "form-label", for: "p-strategy-refs" }, "refs (other tickers for self.ref)"),
      select,
      feedback(),
      BT.el("div", { class: "form-text" }, "Ctrl- or Cmd-click to pick several; each is read on this run's calendar, last bar at or before each bar."),
    );
    return col;
  }

  function paramsGrid(ruleType, path, values) {
    if (RULES[ruleType].python) return pythonEditor();
    const grid = BT.el("div", { class: "row g-2" });
    for (const spec of RULES[ruleType].params) {
      grid.append(paramControl(spec, [...path, spec.name], values[spec.name]));
    }
    if (RULES[ruleType].params.some((p) => p.type === "text")) {
      grid.append(BT.el("div", { class: "row g-2 bt-expr-values" }));
    }
    if (RULES[ruleType].language) {
      // the language's reference; an example replaces the texts and the $names' values
      const help = BT.el("div", { class: "col-12" });
      help.append(ExprHelp.panel(RULES[ruleType].language, (example) => {
        setAt(path, Object.assign({ entry: example.entry, exit: example.exit, bounds: {} }, copy(example.params)));
        clearErrors();
        render();
        live.schedule();
      }));
      grid.append(help);
    }
    return grid;
  }

  function subRulesEditor(spec, path, list) {
    const box = BT.el("div", { class: "bt-subrules" });
    box.dataset.field = pathText(path);
    box.append(BT.el("div", { class: "form-label" }, `${spec.name} (${spec.min} to ${spec.max} sub-rules)`));
    list.forEach((sub, index) => {
      const here = [...path, index];
      const block = BT.el("div", { class: "bt-subrule" });
      block.dataset.field = pathText(here);
      const head = BT.el("div", { class: "d-flex gap-2 align-items-end mb-1" });
      const selectId = "p-" + pathText([...here, "rule_type"]).replace(/[^A-Za-z0-9_-]/g, "-");
      const wrap = BT.el("div");
      wrap.append(BT.el("label", { class: "form-label", for: selectId }, `rule ${index + 1}`));
      const select = BT.el("select", { class: "form-select form-select-sm", id: selectId });
      for (const rule of data.rules.filter(nestable)) select.append(BT.el("option", { value: rule.rule_type }, rule.rule_type));
      select.value = sub.rule_type;
      select.dataset.field = pathText([...here, "rule_type"]);
      select.addEventListener("change", () => {
        setAt(here, { rule_type: select.value, params: defaults(select.value) });
        render();
      });
      wrap.append(select, feedback());
      const remove = BT.el("button", { type: "button", class: "btn btn-sm btn-outline-danger", disabled: list.length <= spec.min }, "remove");
      remove.addEventListener("click", () => {
        list.splice(index, 1);
        render();
      });
      head.append(wrap, remove);
      block.append(head, paramsGrid(sub.rule_type, [...here, "params"], sub.params));
      box.append(block);
    });
    const add = BT.el("button", { type: "button", class: "btn btn-sm btn-outline-info", id: "add-subrule", disabled: list.length >= spec.max }, "+ add rule");
    add.addEventListener("click", () => {
      const first = data.rules.find(nestable).rule_type;
      list.push({ rule_type: first, params: defaults(first) });
      render();
    });
    box.append(add, BT.el("div", { class: "invalid-feedback" }));
    return box;
  }

  function render() {
    const rule = RULES[model.rule_type];
    document.getElementById("rule-description").textContent = rule.description;
    paramsBox.replaceChildren(paramsGrid(model.rule_type, ["params"], model.params));
    refreshValues(["params"]);
  }

  function renderTrading() {
    const row = document.getElementById("trading");
    for (const field of data.trading_fields) {
      if (field.name === "timeframe") {
        const select = document.getElementById("f-timeframe");
        for (const choice of field.choices) select.append(BT.el("option", { value: choice }, choice));
        continue;
      }
      const id = "f-" + field.name;
      const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
      col.append(BT.el("label", { class: "form-label", for: id }, field.label));
      let input;
      if (field.choices.length) {
        input = BT.el("select", { class: "form-select form-select-sm", id, name: field.name });
        for (const choice of field.choices) input.append(BT.el("option", { value: choice }, choice));
      } else {
        input = BT.el("input", {
          class: "form-control form-control-sm",
          id,
          name: field.name,
          type: "number",
          step: field.step,
          min: field.min ?? field.gt,
          max: field.max ?? field.lt,
          required: !field.optional,
          placeholder: field.optional ? "off" : null,
          inputmode: "decimal",
        });
      }
      input.dataset.field = field.name;
      col.append(input, feedback());
      if (field.help) col.append(BT.el("div", { class: "form-text" }, field.help));
      row.append(col);
    }
  }

  // ---------------------------------------------------------------- values -------------
  function input(name) {
    return form.querySelector(`[data-field="${name}"]`);
  }

  /* The request body the form describes (what POST /run_backtest takes). */
  function collect() {
    const body = {
      ticker: input("ticker").value,
      start_date: input("start_date").value,
      end_date: input("end_date").value,
      rule_type: model.rule_type,
      params: copy(model.params),
    };
    if (RULES[model.rule_type].python) {
      body.strategy_code = model.strategy_code;
      body.strategy_class = model.strategy_class;
      if (model.refs.length) body.refs = [...model.refs];
    }
    for (const field of data.trading_fields) {
      const node = input(field.name);
      if (field.optional && node.value.trim() === "") {
        continue; // an optional field left empty is not sent (a stop that is off)
      } else if (data.number_fields.includes(field.name)) {
        body[field.name] = node.value.trim() === "" ? null : Number(node.value);
      } else {
        body[field.name] = node.value;
      }
    }
    return EntryOrderForm.collect(body); // entry_order, size_expr, the ticked flags
  }
  window.RunForm = Object.freeze({ collect }); // read by signals_form.js (the validator)

  function setSelect(node, value) {
    if (value !== undefined && value !== null && [...node.options].some((o) => o.value === String(value))) {
      node.value = String(value);
    }
  }

  /* A rule's params for the editor: its defaults, overwritten by the given values it has;
     a sub-rules list is checked entry by entry (a preset saved before a rule was renamed or
     removed, or edited by hand, may name a rule this server does not know). What could not
     be used is described in `problems` instead of breaking the editor. */
  function usableParams(ruleType, given, where, problems) {
    const params = defaults(ruleType);
    if (!given || typeof given !== "object") return params;
    for (const spec of RULES[ruleType].params) {
      if (!(spec.name in given)) continue;
      params[spec.name] = spec.type === "rules" ? usableSubRules(spec, given[spec.name], `${where}.${spec.name}`, problems, params[spec.name]) : copy(given[spec.name]);
    }
    if (RULES[ruleType].params.some((p) => p.type === "text")) {
      for (const name of namesOf(params)) if (name in given && !OWN.includes(name)) params[name] = copy(given[name]);
    }
    return params;
  }

  function usableSubRules(spec, list, where, problems, fallback) {
    if (!Array.isArray(list)) {
      problems.push(`${where} is not a list of sub-rules (the defaults are shown)`);
      return fallback;
    }
    const first = data.rules.find(nestable).rule_type;
    return list.slice(0, spec.max).map((sub, index) => {
      const here = `${where}[${index}]`;
      const known = sub && typeof sub === "object" && RULES[sub.rule_type] && nestable(RULES[sub.rule_type]);
      if (!known) {
        const shown = sub && typeof sub === "object" ? JSON.stringify(sub.rule_type) : typeof sub;
        problems.push(`${here}: ${shown} is not a rule that can be nested here (replaced by ${first})`);
        return { rule_type: first, params: defaults(first) };
      }
      return { rule_type: sub.rule_type, params: usableParams(sub.rule_type, sub.params, `${here}.params`, problems) };
    });
  }

  /* Fill the form from a request-shaped object (a preset payload or a run's request);
     returns what could not be used, as sentences (empty when everything was). */
  function apply(values) {
    const problems = [];
    setSelect(input("ticker"), values.ticker);
    for (const name of ["start_date", "end_date"]) {
      if (typeof values[name] === "string") {
        input(name).value = values[name];
        datesTouched = true; // a preset's or a run's dates are kept
      }
    }
    for (const field of data.trading_fields) {
      const node = input(field.name);
      const value = values[field.name];
      if (field.optional && (value === undefined || value === null)) node.value = "";
      else if (value === undefined) node.value = field.choices.length ? field.default : numberText(field.default);
      else if (field.choices.length) setSelect(node, value);
      else node.value = numberText(value);
    }
    EntryOrderForm.apply(values);
    const ruleType = RULES[values.rule_type] ? values.rule_type : ruleSelect.value;
    if (values.rule_type !== undefined && !RULES[values.rule_type]) {
      problems.push(`rule_type ${JSON.stringify(values.rule_type)} is not a known rule (${ruleType} is shown)`);
    }
    ruleSelect.value = ruleType;
    model = RULES[ruleType].python
      ? freshModel(ruleType, values)
      : { rule_type: ruleType, params: usableParams(ruleType, values.params, "params", problems) };
    clearErrors();
    render();
    return problems;
  }

  /* Dates follow the ticker (BT.dateWindow of its data) until the user types one or a
     preset / run sets them; the ticker's data range is shown under it. */
  let datesTouched = false;
  for (const name of ["start_date", "end_date"]) input(name).addEventListener("input", () => (datesTouched = true));
  function followTicker() {
    const option = input("ticker").selectedOptions[0];
    const range = option ? BT.commonRange([option]) : null;
    document.getElementById("f-ticker-range").textContent = range ? `data: ${range.first} … ${range.last}` : "";
    const window_ = range && BT.dateWindow(range.first, range.last);
    if (window_ && !datesTouched) {
      input("start_date").value = window_.start;
      input("end_date").value = window_.end;
    }
  }
  input("ticker").addEventListener("change", followTicker);

  function resetToDefaults() {
    apply({ ticker: input("ticker").value, start_date: input("start_date").value, end_date: input("end_date").value, rule_type: ruleSelect.value });
  }

  // ---------------------------------------------------------------- errors -------------
  function clearErrors() {
    for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
    for (const node of form.querySelectorAll(".invalid-feedback")) node.textContent = "";
    for (const node of form.querySelectorAll(".bt-expr-caret")) node.textContent = "";
    const top = document.getElementById("form-error");
    top.textContent = "";
    top.classList.add("d-none");
  }

  /* Show a message next to the input a field path names ("params.fast" -> the fast input);
     a path with no input of its own goes to its nearest named ancestor, else to the top.
     ``focus``: move the focus there (a submission's answer; not a live check's, which must
     not take the focus from the input being typed in). */
  function showError(field, message, focus = true) {
    let path = String(field || "");
    while (path) {
      const node = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
      if (node) {
        node.classList.add("is-invalid");
        if (node.matches("textarea")) caret(node, message);
        const box = node.matches("input, select, textarea")
          ? node.parentElement.querySelector(":scope > .invalid-feedback")
          : node.querySelector(":scope > .invalid-feedback") || document.getElementById("params-feedback");
        if (box) {
          box.textContent = message;
          box.classList.add("d-block");
        }
        if (focus && node.focus) node.focus();
        return node;
      }
      const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      path = cut > 0 ? path.slice(0, cut) : "";
    }
    const top = document.getElementById("form-error");
    top.textContent = BT.fieldMessage(field, message);
    top.classList.remove("d-none");
    return top;
  }

  // ---------------------------------------------------------------- submit -------------
  function showProgress(status, runId, started) {
    progress.replaceChildren();
    const badge = BT.el("span", { id: "progress-status" });
    BT.setBadge(badge, status);
    progress.append(badge, document.createTextNode(` ${BT.elapsed((Date.now() - started) / 1000)} `));
    if (runId) progress.append(BT.el("a", { href: data.run_url.replace("RUN_ID", runId) }, runId.slice(0, 8)));
  }

  async function track(runId) {
    const started = Date.now();
    let status = BT.STATUS.PENDING;
    showProgress(status, runId, started);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answer = await BT.fetchJSON(`${data.lookup_url}?ids=${encodeURIComponent(runId)}`).catch(() => null);
      const run = answer && answer.ok && answer.body.runs[0];
      if (run) status = run.status;
      showProgress(status, runId, started);
      if (BT.STATUS.FINISHED.includes(status)) break;
    }
    window.location.assign(data.run_url.replace("RUN_ID", runId));
  }

  /* The server's check of the form as it changes (its first problem, in its words). */
  const live = BT.liveCheck(data.validate_url, collect, (problem) => {
    clearErrors();
    if (problem) showError(problem.field, problem.error, false);
  });
  for (const type of ["input", "change", "click"]) form.addEventListener(type, live.schedule);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    live.cancel();
    clearErrors();
    const body = collect();
    submitButton.disabled = true;
    // checked first (the validation route is not rate-limited): a refused form spends no
    // submission; the submission checks again, and its own 400 is shown the same way
    const problem = await BT.serverCheck(data.validate_url, body);
    if (problem) {
      submitButton.disabled = false;
      showError(problem.field, problem.error);
      return;
    }
    progress.textContent = "submitting…";
    let answer;
    try {
      // the run page draws interactive charts and draws a PNG when one is downloaded, so
      // the Job renders none (charts: false; the API's default stays true);
      // "use cached result" (on by default) lets an identical run already computed answer
      const cache = document.getElementById("use-cache").checked;
      answer = await BT.fetchJSON(data.submit_url, { method: "POST", json: Object.assign({}, body, { charts: false, cache }) });
    } catch (error) {
      answer = { ok: false, status: 0, body: { error: "the server cannot be reached" } };
    }
    if (answer.status === 202) {
      track(answer.body.run_id);
      return;
    }
    submitButton.disabled = false;
    progress.textContent = "";
    const error = answer.body || { error: `HTTP ${answer.status}` };
    showError(error.field, error.error);
  });

  ruleSelect.addEventListener("change", () => {
    model = freshModel(ruleSelect.value);
    clearErrors();
    render();
  });
  document.getElementById("reset-form").addEventListener("click", resetToDefaults);

  // ---------------------------------------------------------------- presets ------------
  /* The presets card (presets.js): run presets, loaded through ``apply`` and then checked. */
  const presetsCard = Presets.manage({
    url: data.presets_url,
    kind: "run",
    collect,
    apply: (payload) => {
      const problems = apply(payload);
      live.schedule();
      return problems;
    },
  });

  // ---------------------------------------------------------------- start --------------
  renderTrading();
  apply(data.initial || { rule_type: ruleSelect.value, ticker: input("ticker").value });
  followTicker();
  presetsCard.refresh();
  form.dataset.ready = "1";
})();
