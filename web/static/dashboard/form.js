/* The run form: rule parameters built from the rule registry (/api/rules' data), client-side
   checks that mirror the server's validation, submission with progress polling, and
   presets (save / load / delete through /api/strategies). Text only: no innerHTML. */
"use strict";

(() => {
  const data = BT.readJSON("form-data");
  const RULES = Object.fromEntries(data.rules.map((rule) => [rule.rule_type, rule]));
  const FIELDS = Object.fromEntries(data.trading_fields.map((field) => [field.name, field]));
  const form = document.getElementById("run-form");
  const paramsBox = document.getElementById("params");
  const ruleSelect = document.getElementById("f-rule");
  const progress = document.getElementById("run-progress");
  const submitButton = document.getElementById("submit-run");

  /* The rule part of the form as data: {rule_type, params}; inputs write into it. */
  let model = { rule_type: ruleSelect.value, params: {} };

  const copy = (value) => JSON.parse(JSON.stringify(value));
  const nestable = (rule) => !rule.params.some((p) => p.type === "rules");

  function defaults(ruleType) {
    const out = {};
    for (const p of RULES[ruleType].params) out[p.name] = copy(p.default);
    return out;
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

  function paramControl(spec, path, value) {
    const id = "p-" + pathText(path).replace(/[^A-Za-z0-9_-]/g, "-");
    const col = BT.el("div", { class: spec.type === "rules" ? "col-12" : "col-6 col-md-4 col-lg-3" });
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
    const range = spec.type === "choice" ? spec.choices.join(" | ") : `${spec.min} … ${spec.max}`;
    col.append(BT.el("div", { class: "form-text" }, `${spec.description} [${range}]`));
    return col;
  }

  function paramsGrid(ruleType, path, values) {
    const grid = BT.el("div", { class: "row g-2" });
    for (const spec of RULES[ruleType].params) {
      grid.append(paramControl(spec, [...path, spec.name], values[spec.name]));
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
          required: true,
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
    for (const field of data.trading_fields) {
      const node = input(field.name);
      if (data.number_fields.includes(field.name)) {
        body[field.name] = node.value.trim() === "" ? null : Number(node.value);
      } else {
        body[field.name] = node.value;
      }
    }
    return body;
  }

  function setSelect(node, value) {
    if (value !== undefined && value !== null && [...node.options].some((o) => o.value === String(value))) {
      node.value = String(value);
    }
  }

  /* Fill the form from a request-shaped object (a preset payload or a run's request). */
  function apply(values) {
    setSelect(input("ticker"), values.ticker);
    for (const name of ["start_date", "end_date"]) if (typeof values[name] === "string") input(name).value = values[name];
    for (const field of data.trading_fields) {
      const node = input(field.name);
      const value = values[field.name];
      if (value === undefined) node.value = field.choices.length ? field.default : numberText(field.default);
      else if (field.choices.length) setSelect(node, value);
      else node.value = numberText(value);
    }
    const ruleType = RULES[values.rule_type] ? values.rule_type : ruleSelect.value;
    ruleSelect.value = ruleType;
    const params = defaults(ruleType);
    if (values.params && typeof values.params === "object") {
      for (const name of Object.keys(params)) if (name in values.params) params[name] = copy(values.params[name]);
    }
    model = { rule_type: ruleType, params };
    clearErrors();
    render();
  }

  function resetToDefaults() {
    apply({ ticker: input("ticker").value, start_date: input("start_date").value, end_date: input("end_date").value, rule_type: ruleSelect.value });
  }

  // ---------------------------------------------------------------- checks -------------
  const RELATION = { "<": "less than", "<=": "at most" };

  function checkParams(ruleType, params, path, errors) {
    const rule = RULES[ruleType];
    for (const spec of rule.params) {
      const at = pathText([...path, spec.name]);
      const value = params[spec.name];
      if (spec.type === "choice") {
        if (!spec.choices.includes(value)) errors.push([at, `${at} must be one of ${spec.choices.join(", ")}`]);
      } else if (spec.type === "rules") {
        if (!Array.isArray(value) || value.length < spec.min || value.length > spec.max) {
          errors.push([at, `${at} must hold ${spec.min} to ${spec.max} rules (got ${Array.isArray(value) ? value.length : 0})`]);
        } else {
          value.forEach((sub, i) => checkParams(sub.rule_type, sub.params, [...path, spec.name, i, "params"], errors));
        }
      } else if (!BT.isNumber(value)) {
        errors.push([at, `${at} is required (default ${spec.default})`]);
      } else if (spec.type === "int" && !Number.isInteger(value)) {
        errors.push([at, `${at} must be an integer, not ${value}`]);
      } else if (value < spec.min || value > spec.max) {
        errors.push([at, `${at} must be between ${spec.min} and ${spec.max} (got ${value})`]);
      }
    }
    for (const text of rule.constraints) {
      const [left, op, right] = text.split(" ");
      const a = params[left];
      const b = params[right];
      if (BT.isNumber(a) && BT.isNumber(b) && !(op === "<" ? a < b : a <= b)) {
        const at = pathText([...path, left]);
        errors.push([at, `${at} (${a}) must be ${RELATION[op]} ${right} (${b})`]);
      }
    }
  }

  /* [[field, message], ...] for what the server would refuse (the same checks and words). */
  function check(body) {
    const errors = [];
    if (!body.ticker) errors.push(["ticker", "is required"]);
    for (const name of ["start_date", "end_date"]) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(body[name])) errors.push([name, "must be a date YYYY-MM-DD"]);
    }
    if (!errors.length && body.end_date < body.start_date) errors.push(["end_date", "must be on or after start_date"]);
    for (const field of data.trading_fields) {
      const value = body[field.name];
      if (field.choices.length) {
        if (!field.choices.includes(value)) errors.push([field.name, `must be one of: ${field.choices.join(", ")}`]);
        continue;
      }
      if (!BT.isNumber(value)) errors.push([field.name, "must be a number"]);
      else if (field.gt !== null && !(value > field.gt)) errors.push([field.name, `must be greater than ${field.gt}`]);
      else if (field.min !== null && value < field.min) errors.push([field.name, `must be at least ${field.min}`]);
      else if (field.lt !== null && !(value < field.lt)) errors.push([field.name, `must be less than ${field.lt}`]);
      else if (field.max !== null && value > field.max) errors.push([field.name, `must be at most ${field.max}`]);
      else if (field.percent_max !== null && body.size_type === "percent" && value > field.percent_max) {
        errors.push([field.name, `a percent size must be at most ${field.percent_max}`]);
      }
    }
    checkParams(body.rule_type, body.params, ["params"], errors);
    return errors;
  }

  // ---------------------------------------------------------------- errors -------------
  function clearErrors() {
    for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
    for (const node of form.querySelectorAll(".invalid-feedback")) node.textContent = "";
    const top = document.getElementById("form-error");
    top.textContent = "";
    top.classList.add("d-none");
  }

  /* Show a message next to the input a field path names ("params.fast" -> the fast input);
     a path with no input of its own goes to its nearest named ancestor, else to the top. */
  function showError(field, message) {
    let path = String(field || "");
    while (path) {
      const node = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
      if (node) {
        node.classList.add("is-invalid");
        const box = node.matches("input, select")
          ? node.parentElement.querySelector(":scope > .invalid-feedback")
          : node.querySelector(":scope > .invalid-feedback") || document.getElementById("params-feedback");
        if (box) {
          box.textContent = message;
          box.classList.add("d-block");
        }
        if (node.focus) node.focus();
        return node;
      }
      const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      path = cut > 0 ? path.slice(0, cut) : "";
    }
    const top = document.getElementById("form-error");
    top.textContent = field ? `${field}: ${message}` : message;
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
    let status = "PENDING";
    showProgress(status, runId, started);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answer = await BT.fetchJSON(`${data.lookup_url}?ids=${encodeURIComponent(runId)}`).catch(() => null);
      const run = answer && answer.ok && answer.body.runs[0];
      if (run) status = run.status;
      showProgress(status, runId, started);
      if (status === "SUCCEEDED" || status === "FAILED") break;
    }
    window.location.assign(data.run_url.replace("RUN_ID", runId));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const body = collect();
    const errors = check(body);
    if (errors.length) {
      for (const [field, message] of errors.reverse()) showError(field, message);
      return;
    }
    submitButton.disabled = true;
    progress.textContent = "submitting…";
    let answer;
    try {
      answer = await BT.fetchJSON(data.submit_url, { method: "POST", json: body });
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
    model = { rule_type: ruleSelect.value, params: defaults(ruleSelect.value) };
    clearErrors();
    render();
  });
  document.getElementById("reset-form").addEventListener("click", resetToDefaults);

  // ---------------------------------------------------------------- presets ------------
  const presetSelect = document.getElementById("preset-select");
  const presetName = document.getElementById("preset-name");
  const presetError = document.getElementById("preset-error");
  const presetStatus = document.getElementById("preset-status");
  const deleteButton = document.getElementById("preset-delete");
  let presets = new Map();

  function presetMessage(text, isError) {
    presetName.classList.toggle("is-invalid", Boolean(isError));
    presetError.textContent = isError ? text : "";
    presetStatus.textContent = isError ? "" : text;
  }

  async function refreshPresets(selectId) {
    const answer = await BT.fetchJSON(data.presets_url);
    if (!answer.ok) {
      presetMessage((answer.body && answer.body.error) || "presets unavailable", true);
      return;
    }
    presets = new Map(answer.body.map((p) => [String(p.id), p]));
    presetSelect.replaceChildren(...answer.body.map((p) => BT.el("option", { value: p.id }, p.name)));
    if (!answer.body.length) presetSelect.append(BT.el("option", { value: "" }, "no presets yet"));
    if (selectId !== undefined) presetSelect.value = String(selectId);
  }

  document.getElementById("preset-save").addEventListener("click", async () => {
    const name = presetName.value.trim();
    if (!name) {
      presetMessage("name is required", true);
      return;
    }
    const payload = collect();
    const answer = await BT.fetchJSON(data.presets_url, { method: "POST", json: { name, payload } });
    if (answer.status === 201) {
      presetMessage(`saved "${answer.body.name}"`, false);
      presetName.value = "";
      await refreshPresets(answer.body.id);
    } else {
      presetMessage((answer.body && answer.body.error) || `HTTP ${answer.status}`, true);
    }
  });

  document.getElementById("preset-load").addEventListener("click", () => {
    const preset = presets.get(presetSelect.value);
    if (!preset) return;
    apply(preset.payload);
    document.getElementById("preset-loaded").textContent = preset.name;
    presetMessage(`loaded "${preset.name}"`, false);
  });

  let armed = null;
  deleteButton.addEventListener("click", async () => {
    const preset = presets.get(presetSelect.value);
    if (!preset) return;
    if (armed !== preset.id) {
      armed = preset.id;
      deleteButton.textContent = "Confirm";
      setTimeout(() => {
        armed = null;
        deleteButton.textContent = "Delete";
      }, 4000);
      return;
    }
    armed = null;
    deleteButton.textContent = "Delete";
    const answer = await BT.fetchJSON(`${data.presets_url}/${encodeURIComponent(preset.id)}`, { method: "DELETE" });
    if (answer.status === 204) presetMessage(`deleted "${preset.name}"`, false);
    else presetMessage((answer.body && answer.body.error) || `HTTP ${answer.status}`, true);
    await refreshPresets();
  });

  // ---------------------------------------------------------------- start --------------
  renderTrading();
  apply(data.initial || { rule_type: ruleSelect.value, ticker: input("ticker").value });
  refreshPresets();
  form.dataset.ready = "1";
})();
