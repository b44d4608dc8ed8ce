/* The run form's entry order and close_open_trades_at_end (form.html's #entry-order): the
   type shows the price texts it uses (limit, stop: strategy-language expressions) and
   valid_bars; each $name the texts use gets a number input (entry_order.params.<name>).
   ``collect(body)`` adds what the inputs describe to a request body (a market order sends
   no entry_order, an unticked box no close_open_trades_at_end: the request is then the one
   the form sent before these inputs existed); ``apply(values)`` shows a request's. The
   server checks everything (its messages are shown by form.js next to the field named).
   Text only: no innerHTML. */
"use strict";

const EntryOrderForm = (() => {
  const spec = BT.readJSON("form-data").entry_order;
  const NAME = /\$([A-Za-z_][A-Za-z0-9_]*)/g;
  const { box, type, validBars, closeAtEnd, valuesBox } = BT.byIds({
    box: "entry-order", type: "f-entry-type", validBars: "f-entry-valid-bars",
    closeAtEnd: "f-close-at-end", valuesBox: "entry-order-values",
  });
  const texts = { limit: document.getElementById("f-entry-limit"), stop: document.getElementById("f-entry-stop") };
  /* The $names' values typed so far, kept when a name leaves the texts and comes back. */
  const values = {};

  const needs = () => spec.needs[type.value] || [];
  const part = (name) => box.querySelector(`[data-entry-part="${name}"]`);

  /* The $names of the texts the type uses, in order of first appearance. */
  function names() {
    const out = [];
    for (const side of needs()) {
      for (const match of texts[side].value.matchAll(NAME)) if (!out.includes(match[1])) out.push(match[1]);
    }
    return out;
  }

  function refreshValues() {
    const wanted = names();
    if (valuesBox.dataset.names === wanted.join(",")) return;
    valuesBox.dataset.names = wanted.join(",");
    valuesBox.replaceChildren(BT.el("div", { class: "invalid-feedback" }));
    for (const name of wanted) {
      const id = "f-entry-params-" + name;
      const col = BT.el("div", { class: "col-6 col-md-4 col-lg-2" });
      const input = BT.el("input", { class: "form-control form-control-sm", id, type: "number", step: "any", inputmode: "decimal" });
      input.value = BT.isNumber(values[name]) ? String(values[name]) : "";
      input.dataset.field = `entry_order.params.${name}`;
      input.addEventListener("input", () => {
        values[name] = input.value.trim() === "" ? null : Number(input.value);
      });
      col.append(BT.el("label", { class: "form-label", for: id }, `$${name}`), input, BT.el("div", { class: "invalid-feedback" }));
      valuesBox.append(col);
    }
  }

  /* Show the inputs the type uses: its texts; valid_bars unless it fills at once. */
  function show() {
    for (const side of Object.keys(texts)) part(side).hidden = !needs().includes(side);
    part("valid_bars").hidden = type.value === "market" || type.value === "on_close";
    refreshValues();
  }

  /* ``body`` with the entry order and close_open_trades_at_end the inputs describe. */
  function collect(body) {
    if (type.value !== spec.default) {
      const order = { type: type.value };
      // a text left empty is not sent: the server then says the type requires it
      for (const side of needs()) if (texts[side].value.trim() !== "") order[side] = texts[side].value;
      const wanted = names();
      if (wanted.length) order.params = Object.fromEntries(wanted.map((name) => [name, values[name] ?? null]));
      if (!part("valid_bars").hidden) order.valid_bars = validBars.value.trim() === "" ? null : Number(validBars.value);
      body.entry_order = order;
    }
    if (closeAtEnd.checked) body.close_open_trades_at_end = true;
    return body;
  }

  /* Show a request's entry order and close_open_trades_at_end (absent: market, unticked). */
  function apply(request) {
    const order = request.entry_order && typeof request.entry_order === "object" ? request.entry_order : {};
    type.value = spec.types.includes(order.type) ? order.type : spec.default;
    for (const side of Object.keys(texts)) texts[side].value = typeof order[side] === "string" ? order[side] : "";
    validBars.value = String(BT.isNumber(order.valid_bars) ? order.valid_bars : spec.valid_bars.default);
    for (const name of Object.keys(values)) delete values[name];
    Object.assign(values, order.params && typeof order.params === "object" ? order.params : {});
    valuesBox.dataset.names = "-";
    closeAtEnd.checked = request.close_open_trades_at_end === true;
    show();
  }

  type.addEventListener("change", show);
  for (const node of Object.values(texts)) node.addEventListener("input", refreshValues);
  show();
  return Object.freeze({ collect, apply });
})();
