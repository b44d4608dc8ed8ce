/* The strategy language's reference panel, shared by the run, sweep and walk-forward forms:
   a collapsible <details> built from EXPR's ``language`` entry of /api/rules (the server's
   own function table, series, operators and examples: the page keeps no copy). Clicking an
   example hands it to the form (``onExample``), which fills its texts and values; clicking a
   function's signature or a series inserts it at the cursor of the expression text last
   focused. Text only: no innerHTML. */
"use strict";

const ExprHelp = (() => {
  let opened = false; // the panel stays open across the form's re-renders
  let lastText = null; // the expression text (textarea or input) last focused

  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("[data-expr-text]")) lastText = event.target;
  });

  /* Insert ``text`` at the cursor of the last focused expression text and tell its form
     (an "input" event, as typing would). */
  function insert(text) {
    if (!lastText || !lastText.isConnected) lastText = document.querySelector("[data-expr-text]");
    if (!lastText) return;
    const start = lastText.selectionStart ?? lastText.value.length;
    const end = lastText.selectionEnd ?? start;
    lastText.setRangeText(text, start, end, "end");
    lastText.focus();
    lastText.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function codeButton(text, title, onClick) {
    const button = BT.el("button", { type: "button", class: "btn btn-link btn-sm p-0 font-monospace text-start bt-expr-insert", title }, text);
    button.addEventListener("click", onClick);
    return button;
  }

  function section(title) {
    return BT.el("div", { class: "fw-semibold small mt-2 mb-1" }, title);
  }

  /* The panel of ``language`` (the reference); ``onExample(example)`` fills the form. */
  function panel(language, onExample) {
    const details = BT.el("details", { class: "bt-expr-help small mt-2", open: opened });
    details.addEventListener("toggle", () => (opened = details.open));
    details.append(BT.el("summary", {}, "Strategy language: functions, series, operators, examples"));

    details.append(section("Examples (click to use)"));
    const examples = BT.el("div", { class: "d-flex flex-column gap-1" });
    language.examples.forEach((example, index) => {
      const button = BT.el("button", { type: "button", class: "btn btn-outline-info btn-sm text-start bt-expr-example", "data-example": index });
      button.append(BT.el("div", { class: "fw-semibold" }, example.title));
      button.append(BT.el("div", { class: "font-monospace" }, `entry: ${example.entry}`));
      button.append(BT.el("div", { class: "font-monospace" }, `exit:  ${example.exit}`));
      button.addEventListener("click", () => onExample(example));
      examples.append(button);
    });
    details.append(examples);

    details.append(section("Series (click to insert)"));
    const series = BT.el("div", { class: "d-flex flex-wrap gap-2" });
    for (const name of language.series) series.append(codeButton(name, "the bar series", () => insert(name)));
    details.append(series);

    details.append(section("Operators (loosest first)"));
    const operators = BT.el("table", { class: "table table-sm mb-0 bt-expr-operators" });
    const opBody = BT.el("tbody");
    for (const op of language.operators) {
      const row = BT.el("tr");
      row.append(BT.el("td", { class: "font-monospace text-nowrap" }, op.syntax), BT.el("td", {}, op.summary));
      opBody.append(row);
    }
    operators.append(opBody);
    details.append(operators);

    details.append(section("Functions (click to insert)"));
    const functions = BT.el("table", { class: "table table-sm mb-0 bt-expr-functions" });
    const fnBody = BT.el("tbody");
    for (const fn of language.functions) {
      const row = BT.el("tr", { "data-function": fn.name });
      const cell = BT.el("td", { class: "text-nowrap" });
      cell.append(codeButton(fn.signature, `insert ${fn.signature}`, () => insert(fn.signature.replace(/[[\]]/g, ""))));
      row.append(cell, BT.el("td", {}, fn.summary));
      fnBody.append(row);
    }
    functions.append(fnBody);
    details.append(functions);

    details.append(section("Parameters"));
    details.append(BT.el("div", {}, language.parameters));
    return details;
  }

  return Object.freeze({ panel, insert });
})();
