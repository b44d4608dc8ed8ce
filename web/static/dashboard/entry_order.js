/* The run form's order and position inputs (form.html's #entry-order and #size-expr): the
   entry order's type shows the price texts it uses (limit, stop: strategy-language
   expressions) and valid_bars; the size expression (size_expr) has its text, unit and cap;
   each $name a text uses gets a number input (entry_order.params.<name>,
   size_expr.params.<name>). ``collect(body)`` adds what the inputs describe to a request
   body (a market order sends no entry_order, an empty size text no size_expr, an unticked
   box of #flags — close_open_trades_at_end, exit_priority — nothing: the request is then
   the one the form sent before these inputs existed); ``apply(values)`` shows a request's. The server checks everything (its
   messages are shown by form.js next to the field named). Text only: no innerHTML. */
"use strict";

/* The number inputs of the $names some texts use, drawn into ``box`` as
   ``<prefix>.params.<name>`` (element ids ``<ids><name>``); the values typed are kept when a
   name leaves the texts and comes back. */
function ValueInputs(box, prefix, ids, texts) {
  const NAME = /\$([A-Za-z_][A-Za-z0-9_]*)/g;
  const values = {};

  /* The $names of ``texts()`` in order of first appearance. */
  function names() {
    const out = [];
    for (const node of texts()) {
      for (const match of node.value.matchAll(NAME)) if (!out.includes(match[1])) out.push(match[1]);
    }
    return out;
  }

  function refresh() {
    const wanted = names();
    if (box.dataset.names === wanted.join(",")) return;
    box.dataset.names = wanted.join(",");
    box.replaceChildren(BT.el("div", { class: "invalid-feedback" }));
    for (const name of wanted) {
      const id = ids + name;
      const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
      const input = BT.el("input", { class: "form-control form-control-sm", id, type: "number", step: "any", inputmode: "decimal" });
      input.value = BT.isNumber(values[name]) ? String(values[name]) : "";
      input.dataset.field = `${prefix}.params.${name}`;
      input.addEventListener("input", () => {
        values[name] = input.value.trim() === "" ? null : Number(input.value);
      });
      col.append(BT.el("label", { class: "form-label", for: id }, `$${name}`), input, BT.el("div", { class: "invalid-feedback" }));
      box.append(col);
    }
  }

  /* {name: value} of the names the texts use now, or null when they use none. */
  function collect() {
    const wanted = names();
    return wanted.length ? Object.fromEntries(wanted.map((name) => [name, values[name] ?? null])) : null;
  }

  /* Show a request's values (``given``: its params object, if any). */
  function apply(given) {
    for (const name of Object.keys(values)) delete values[name];
    Object.assign(values, given && typeof given === "object" ? given : {});
    box.dataset.names = "-";
    refresh();
  }

  return Object.freeze({ refresh, collect, apply });
}

const EntryOrderForm = (() => {
  const formData = BT.readJSON("form-data");
  const spec = formData.entry_order;
  const sizeSpec = formData.size_expr;
  const { box, type, validBars, flagsBox, valuesBox, sizeText, sizeUnit, sizeMax, sizeValuesBox } = BT.byIds({
    box: "entry-order", type: "f-entry-type", validBars: "f-entry-valid-bars",
    flagsBox: "flags", valuesBox: "entry-order-values",
    sizeText: "f-size-expr", sizeUnit: "f-size-unit", sizeMax: "f-size-max", sizeValuesBox: "size-expr-values",
  });
  const flags = [...flagsBox.querySelectorAll("input[type=checkbox][data-field]")];
  const texts = { limit: document.getElementById("f-entry-limit"), stop: document.getElementById("f-entry-stop") };

  const needs = () => spec.needs[type.value] || [];
  const part = (name) => box.querySelector(`[data-entry-part="${name}"]`);
  const orderValues = ValueInputs(valuesBox, "entry_order", "f-entry-params-", () => needs().map((side) => texts[side]));
  const sizeValues = ValueInputs(sizeValuesBox, "size_expr", "f-size-params-", () => [sizeText]);

  /* Show the inputs the type uses: its texts; valid_bars unless it fills at once. */
  function show() {
    for (const side of Object.keys(texts)) part(side).hidden = !needs().includes(side);
    part("valid_bars").hidden = type.value === "market" || type.value === "on_close";
    orderValues.refresh();
  }

  /* ``body`` with the entry order, the size expression and the ticked flags the inputs
     describe. */
  function collect(body) {
    if (type.value !== spec.default) {
      const order = { type: type.value };
      // a text left empty is not sent: the server then says the type requires it
      for (const side of needs()) if (texts[side].value.trim() !== "") order[side] = texts[side].value;
      const params = orderValues.collect();
      if (params) order.params = params;
      if (!part("valid_bars").hidden) order.valid_bars = validBars.value.trim() === "" ? null : Number(validBars.value);
      body.entry_order = order;
    }
    if (sizeText.value.trim() !== "") {
      const size = { expr: sizeText.value, unit: sizeUnit.value };
      if (sizeMax.value.trim() !== "") size.max_size = Number(sizeMax.value);
      const params = sizeValues.collect();
      if (params) size.params = params;
      body.size_expr = size;
    }
    for (const flag of flags) if (flag.checked) body[flag.dataset.field] = true;
    return body;
  }

  /* Show a request's entry order, size expression and flags (absent: market,
     position_size, unticked). */
  function apply(request) {
    const order = request.entry_order && typeof request.entry_order === "object" ? request.entry_order : {};
    type.value = spec.types.includes(order.type) ? order.type : spec.default;
    for (const side of Object.keys(texts)) texts[side].value = typeof order[side] === "string" ? order[side] : "";
    validBars.value = String(BT.isNumber(order.valid_bars) ? order.valid_bars : spec.valid_bars.default);
    orderValues.apply(order.params);
    const size = request.size_expr && typeof request.size_expr === "object" ? request.size_expr : {};
    sizeText.value = typeof size.expr === "string" ? size.expr : "";
    sizeUnit.value = sizeSpec.units.includes(size.unit) ? size.unit : sizeSpec.default_unit;
    sizeMax.value = BT.isNumber(size.max_size) ? String(size.max_size) : "";
    sizeValues.apply(size.params);
    for (const flag of flags) flag.checked = request[flag.dataset.field] === true;
    show();
  }

  type.addEventListener("change", show);
  for (const node of Object.values(texts)) node.addEventListener("input", orderValues.refresh);
  sizeText.addEventListener("input", sizeValues.refresh);
  show();
  return Object.freeze({ collect, apply });
})();
