/* The "log scale" switches of the run page (equity, price): the choice is remembered in
   localStorage per chart ("bt.logscale.<name>") and applied by redrawing the chart. */
"use strict";

const LogScale = (() => {
  const storageKey = (name) => `bt.logscale.${name}`;

  function remembered(name) {
    try {
      return window.localStorage.getItem(storageKey(name)) === "1";
    } catch (_) {
      return false; // storage may be off; the switch still works for this page
    }
  }

  function remember(name, on) {
    try {
      window.localStorage.setItem(storageKey(name), on ? "1" : "0");
    } catch (_) {
      /* storage may be off */
    }
  }

  /* Set the switch input from the remembered choice, draw(on) now and on every change. */
  function bind(input, name, draw) {
    input.checked = remembered(name);
    input.addEventListener("change", () => {
      remember(name, input.checked);
      draw(input.checked);
    });
    draw(input.checked);
  }

  return { bind };
})();
