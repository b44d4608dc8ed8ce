/* Portfolio list page (/portfolios): the form that starts a portfolio backtest (universe
   picker with whole-sector buttons, allocation equal / fixed / rank with score and filter
   expressions and the strategy language's help panel, a long-short book with its borrow
   rate, a sector ranking, risk lookback, caps per ticker and sector, volatility target, rebalance schedule,
   drift and minimum trade, the fee model (fixed, per share with its min and max), capital,
   costs and cash rate, the liquidity (volume limit, ADV cap, impact model, spread); or a portfolio of rules: a rule,
   its parameters or EXPR texts, the entry size and the stops) POSTing JSON to /api/portfolios, and the list of recent portfolios
   (GET /api/portfolios). A 400 names a field (dotted path): its message is shown under that
   input. The presets card (presets.js) saves the form's request as a portfolio preset and
   fills the form from one (``fill``). Uses BT (common.js), ExprHelp (expr_help.js) and
   Presets (presets.js). */
"use strict";

const PortfolioForm = (() => {
  const byId = (id) => document.getElementById(id);

  /* "a=1, b=2.5" -> {a: 1, b: 2.5} (a value that is not a number is sent as typed, for
     the server to name); empty -> {}. */
  function pairs(text) {
    const out = {};
    for (const part of String(text || "").split(/[,;\n]/)) {
      const item = part.trim();
      if (!item) continue;
      const at = item.search(/[=:\s]/);
      const key = (at < 0 ? item : item.slice(0, at)).trim();
      const raw = (at < 0 ? "" : item.slice(at + 1)).replace(/^[=:\s]+/, "").trim();
      out[key] = raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    return out;
  }

  /* The fee model beyond the fee rate, top-level fields of a rebalancing portfolio. */
  const FEES = ["fee_fixed", "fee_per_share", "fee_min", "fee_max"];

  /* The liquidity fields of a rebalancing portfolio (numbers, then the two models). */
  const LIQUIDITY = ["volume_limit", "max_adv_participation", "price_impact", "impact_k",
    "impact_window", "spread_bps", "spread_window"];
  const MODELS = { slippage_model: "fixed", spread_model: "" };

  const number = (id) => {
    const text = byId(id).value.trim();
    return text === "" ? null : Number(text);
  };

  /* ``target[key]`` = the number in field ``id``, when one is given. */
  const optional = (target, key, id) => {
    const value = number(id);
    if (value !== null) target[key] = value;
  };

  /* The request the form describes (docs/portfolios.md, "Submitting"). */
  function body() {
    const method = byId("pf-method").value;
    const allocation = { method };
    let params = {};
    if (method === "rank") {
      allocation.score = byId("pf-score").value;
      const filter = byId("pf-filter").value.trim();
      if (filter) allocation.filter = filter;
      allocation.top_n = number("pf-top_n");
      allocation.weighting = byId("pf-weighting").value;
      optional(allocation, "short_n", "pf-short_n");
      if (allocation.short_n !== undefined) {
        optional(allocation, "gross_exposure", "pf-gross");
        optional(allocation, "net_exposure", "pf-net");
      }
      optional(allocation, "top_groups", "pf-top_groups");
      if (allocation.top_groups !== undefined) {
        optional(allocation, "per_group", "pf-per_group");
        allocation.group_score = byId("pf-group_score").value;
      }
      params = pairs(byId("pf-params").value);
    } else if (method === "fixed") {
      allocation.weights = pairs(byId("pf-weights").value);
    }
    const strategy = method === "rules" ? rules() : null;
    const rebalance = { schedule: byId("pf-schedule").value };
    if (method !== "rules") { // a portfolio of rules has no weights to cap or rebalance
      optional(allocation, "target_volatility", "pf-vol");
      if (allocation.target_volatility !== undefined) optional(allocation, "max_leverage", "pf-leverage");
      optional(allocation, "max_weight", "pf-max_weight");
      optional(allocation, "max_sector_weight", "pf-max_sector_weight");
      optional(allocation, "risk_lookback", "pf-risk_lookback");
      if (rebalance.schedule === "bars") rebalance.every_n_bars = number("pf-every");
      optional(rebalance, "drift_threshold", "pf-drift");
      optional(rebalance, "min_trade", "pf-min_trade");
    }
    const request = {
      tickers: chosen(),
      start_date: byId("pf-start").value,
      end_date: byId("pf-end").value,
      initial_capital: number("pf-capital"),
      fee_rate: number("pf-fee"),
      slippage_bps: number("pf-slippage"),
      allocation,
      rebalance,
    };
    optional(request, "cash_rate", "pf-cash_rate");
    if (method !== "rules") { // a portfolio of rules takes its fees in the strategy block
      for (const name of FEES) optional(request, name, `pf-${name}`);
      for (const name of LIQUIDITY) optional(request, name, `pf-${name}`);
      for (const [name, none] of Object.entries(MODELS)) {
        const model = byId(`pf-${name}`).value;
        if (model !== none) request[name] = model;
      }
    }
    if (allocation.short_n !== undefined) optional(request, "borrow_rate", "pf-borrow");
    if (Object.keys(params).length) request.params = params;
    if (strategy) request.strategy = strategy;
    const membership = byId("pf-membership").value;
    if (membership) request.membership = membership;
    if (byId("pf-survivorship").checked) request.survivorship_audit = true;
    if (byId("pf-capacity").checked) request.capacity = true;
    const adjustment = byId("pf-adjustment").value;
    if (adjustment) request.price_adjustment = adjustment;
    const name = byId("pf-name").value.trim();
    if (name) request.name = name;
    return request;
  }

  /* A portfolio of rules' strategy block (docs/portfolios.md, "A portfolio of rules"): the
     rule, its parameters (an EXPR's entry and exit texts), the entry size and the stops. */
  function rules() {
    const strategy = { rule_type: byId("pf-rule_type").value.trim() };
    const entry = byId("pf-rule_entry").value.trim();
    const exit = byId("pf-rule_exit").value.trim();
    const params = pairs(byId("pf-rule_params").value);
    if (entry || exit) Object.assign(params, { entry, exit });
    if (Object.keys(params).length) strategy.params = params;
    strategy.size_type = byId("pf-rule_size_type").value;
    optional(strategy, "position_size", "pf-rule_size");
    optional(strategy, "stop_loss_pct", "pf-rule_sl");
    optional(strategy, "take_profit_pct", "pf-rule_tp");
    optional(strategy, "trailing_stop_pct", "pf-rule_trail");
    optional(strategy, "fee_fixed", "pf-rule_fixed");
    optional(strategy, "fee_per_share", "pf-rule_per_share");
    optional(strategy, "fee_min", "pf-rule_fee_min");
    optional(strategy, "fee_max", "pf-rule_fee_max");
    return strategy;
  }

  /* "a=1, b=2" from {a: 1, b: 2}: the inverse of ``pairs``. */
  const unpairs = (object) => Object.entries(object || {}).map(([k, v]) => `${k}=${v}`).join(", ");

  /* Fill the form from a portfolio request (a preset's payload); the messages of what it
     could not use (a ticker this catalog does not list). */
  function fill(request) {
    const problems = [];
    const wanted = new Set(request.tickers || []);
    for (const box of boxes()) box.checked = wanted.has(box.value);
    const missing = [...wanted].filter((t) => !boxes().some((b) => b.value === t));
    if (missing.length) problems.push(`no data for ${missing.join(", ")}`);
    const set = (id, value) => { byId(id).value = value === undefined || value === null ? "" : String(value); };
    const allocation = request.allocation || {};
    const rebalance = request.rebalance || {};
    set("pf-start", request.start_date);
    set("pf-end", request.end_date);
    set("pf-capital", request.initial_capital);
    set("pf-fee", request.fee_rate);
    set("pf-slippage", request.slippage_bps);
    set("pf-method", allocation.method || "rank");
    set("pf-score", allocation.score);
    set("pf-filter", allocation.filter);
    set("pf-top_n", allocation.top_n);
    set("pf-weighting", allocation.weighting || "equal");
    set("pf-short_n", allocation.short_n);
    set("pf-gross", allocation.gross_exposure);
    set("pf-net", allocation.net_exposure);
    set("pf-top_groups", allocation.top_groups);
    set("pf-per_group", allocation.per_group);
    set("pf-group_score", allocation.group_score || "mean");
    set("pf-vol", allocation.target_volatility);
    set("pf-leverage", allocation.target_volatility ? allocation.max_leverage : null);
    set("pf-max_weight", allocation.max_weight);
    set("pf-max_sector_weight", allocation.max_sector_weight);
    set("pf-risk_lookback", allocation.risk_lookback);
    set("pf-min_trade", rebalance.min_trade || null);
    set("pf-cash_rate", request.cash_rate || null);
    set("pf-borrow", request.borrow_rate);
    for (const name of FEES) set(`pf-${name}`, request[name]);
    for (const name of LIQUIDITY) set(`pf-${name}`, request[name]);
    for (const [name, none] of Object.entries(MODELS)) set(`pf-${name}`, request[name] || none);
    set("pf-params", unpairs(request.params));
    set("pf-weights", unpairs(allocation.weights));
    set("pf-schedule", rebalance.schedule || "monthly");
    set("pf-every", rebalance.every_n_bars === undefined ? 21 : rebalance.every_n_bars);
    set("pf-drift", rebalance.drift_threshold);
    set("pf-name", request.name);
    set("pf-membership", request.membership);
    byId("pf-survivorship").checked = Boolean(request.survivorship_audit);
    byId("pf-capacity").checked = Boolean(request.capacity);
    set("pf-adjustment", request.price_adjustment === "raw" ? null : request.price_adjustment);
    const strategy = request.strategy || {};
    const { entry, exit, ...ruleParams } = strategy.params || {};
    set("pf-rule_type", strategy.rule_type || "SMA_CROSS");
    set("pf-rule_params", request.strategy ? unpairs(ruleParams) : "fast=10, slow=40");
    set("pf-rule_entry", entry);
    set("pf-rule_exit", exit);
    set("pf-rule_size_type", strategy.size_type || "percent");
    set("pf-rule_size", strategy.position_size);
    set("pf-rule_sl", strategy.stop_loss_pct);
    set("pf-rule_tp", strategy.take_profit_pct);
    set("pf-rule_trail", strategy.trailing_stop_pct);
    set("pf-rule_fixed", strategy.fee_fixed);
    set("pf-rule_per_share", strategy.fee_per_share);
    set("pf-rule_fee_min", strategy.fee_min);
    set("pf-rule_fee_max", strategy.fee_max);
    showUniverse();
    showMode();
    return problems;
  }

  const boxes = () => [...byId("pf-universe").querySelectorAll("input[type=checkbox]")];
  const chosen = () => boxes().filter((b) => b.checked).map((b) => b.value);

  /* The count and the span of the chosen tickers' data. */
  function showUniverse() {
    const picked = boxes().filter((b) => b.checked);
    byId("pf-count").textContent = `${picked.length} ticker${picked.length === 1 ? "" : "s"}`;
    const firsts = picked.map((b) => b.dataset.first).filter(Boolean).sort();
    const lasts = picked.map((b) => b.dataset.last).filter(Boolean).sort();
    byId("pf-range").textContent = picked.length
      ? `data: first listing ${firsts[0]}, last listing ${firsts[firsts.length - 1]}, until ${lasts[lasts.length - 1]} (a ticker is eligible from its first bar)`
      : "pick at least two tickers, or a sector";
  }

  /* A group button: "*" every ticker with a sector (the demo universe), a sector its
     members (added to the choice), "" none. */
  function pickGroup(group) {
    for (const box of boxes()) {
      if (group === "") box.checked = false;
      else if (group === "*") box.checked = box.dataset.sector !== "";
      else if (box.dataset.sector === group) box.checked = true;
    }
    showUniverse();
  }

  /* Show the inputs of the chosen allocation method and schedule. */
  function showMode() {
    const method = byId("pf-method").value;
    const schedule = byId("pf-schedule").value;
    for (const node of document.querySelectorAll("[data-when]")) {
      const when = node.dataset.when;
      node.classList.toggle("d-none", when !== method && when !== schedule);
    }
    for (const node of document.querySelectorAll("[data-unless]")) {
      node.classList.toggle("d-none", node.dataset.unless === method);
    }
    byId("pf-schedule").parentElement.classList.toggle("d-none", method === "rules");
  }

  function inputFor(field) {
    const path = String(field || "");
    if (path === "tickers" || path.startsWith("tickers[")) return byId("pf-universe");
    if (path.startsWith("allocation.weights")) return byId("pf-weights");
    if (path === "params" || path.startsWith("params.")) return byId("pf-params");
    const form = byId("pf-form");
    return form.querySelector(`[data-name="${CSS.escape(path)}"]`)
      || form.querySelector(`[data-name="${CSS.escape(path.split(".").slice(0, 2).join("."))}"]`);
  }

  function clearErrors() {
    byId("pf-error").classList.add("d-none");
    for (const box of byId("pf-form").querySelectorAll(".bt-expr-caret")) box.textContent = "";
    for (const node of byId("pf-form").querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
    for (const node of byId("pf-form").querySelectorAll(".invalid-feedback.d-block")) node.classList.remove("d-block");
  }

  function showError(field, message) {
    const node = inputFor(field);
    if (!node) {
      const box = byId("pf-error");
      box.textContent = BT.fieldMessage(field, message);
      box.classList.remove("d-none");
      return;
    }
    BT.markInvalid(node, BT.fieldMessage(field, message));
    const feedback = node.nextElementSibling;
    feedback.classList.add("d-block"); // the universe box is a <div>, not an input
    if (node.dataset.exprText !== undefined) BT.drawCaret(caretOf(node), node.value, message);
  }

  /* The <pre> under an expression input where a message's column is marked. */
  function caretOf(node) {
    let box = node.parentElement.querySelector(".bt-expr-caret");
    if (!box) {
      box = BT.el("pre", { class: "bt-expr-caret small text-danger mb-0" });
      node.nextElementSibling.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function start(data) {
    byId("pf-groups").addEventListener("click", (event) => {
      const button = event.target.closest("[data-group]");
      if (button) pickGroup(button.dataset.group);
    });
    byId("pf-universe").addEventListener("change", showUniverse);
    byId("pf-method").addEventListener("change", showMode);
    byId("pf-schedule").addEventListener("change", showMode);
    if (data.language) {
      byId("pf-help").append(ExprHelp.panel(data.language, (example) => {
        byId("pf-filter").value = example.entry;
      }));
    }
    pickGroup("*");
    showMode();

    /* The server checks the form as it changes (POST /api/schema/portfolio/validate: the
       submission's very 400, so the message is the server's). */
    const form = byId("pf-form");
    const live = form.dataset.validateUrl
      ? BT.liveCheck(form.dataset.validateUrl, body, (problem) => {
        clearErrors();
        if (problem) showError(problem.field, problem.error);
      })
      : { schedule() {}, cancel() {} };
    for (const type of ["input", "change"]) form.addEventListener(type, live.schedule);

    if (data.presets_url && typeof Presets !== "undefined") {
      Presets.manage({
        url: data.presets_url,
        kind: "portfolio",
        collect: body,
        apply: (payload) => {
          clearErrors();
          const problems = fill(payload);
          live.schedule();
          return problems;
        },
      }).refresh();
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      live.cancel();
      clearErrors();
      const progress = byId("pf-progress");
      progress.textContent = "submitting…";
      const result = await BT.postJSON(data.submit_url, body());
      if (result.status === 202 && result.body && result.body.portfolio_id) {
        window.location.assign(data.page_url.replace("PORTFOLIO_ID", result.body.portfolio_id));
        return;
      }
      progress.textContent = "";
      const error = result.body || {};
      showError(result.status === 400 ? error.field : null, error.error || `HTTP ${result.status || "error"}`);
    });
  }

  /* The list: polled every 3 s. */
  function startList(data) {
    const empty = [9, "No portfolios yet: start one with the form."];
    const table = byId("pf-table").querySelector("tbody");
    BT.pollTable(data.list_url, "portfolios", table, byId("pf-list-state"), empty, (p) => listRow(data, p));
  }

  /* One portfolio of the list (GET /api/portfolios: a summary with its label and
     parameters, no request or result). */
  function listRow(data, p) {
    const tr = BT.el("tr", { "data-portfolio-id": p.portfolio_id });
    const link = BT.el("td");
    link.append(BT.el("a", { class: "font-monospace", href: p.url || data.page_url.replace("PORTFOLIO_ID", p.portfolio_id) }, p.portfolio_id.slice(0, 8)));
    const label = p.label || p.name;
    if (label) link.append(BT.el("div", { class: "small text-body-secondary", "data-label": "" }, label));
    const badge = BT.el("span");
    BT.setBadge(badge, p.status);
    const status = BT.el("td", { title: p.error || "" });
    status.append(badge);
    const shown = p.parameters || {};
    tr.append(
      BT.el("td", { class: "text-nowrap" }, (p.created_at || "").slice(0, 19).replace("T", " ")),
      link,
      BT.el("td", { class: "text-end" }, BT.fmt(p.tickers, 0)),
      allocationCell(p.method, shown),
      BT.el("td", { "data-schedule": "" }, scheduleText(shown)),
      status,
      BT.el("td", { class: "text-end " + BT.tone(p.total_return_pct) }, BT.fmt(p.total_return_pct, 2, "%")),
      BT.el("td", { class: "text-end" }, BT.fmt(p.sharpe_ratio, 2)),
      BT.el("td", { class: "text-end neg" }, BT.fmt(p.max_drawdown_pct, 2, "%")),
    );
    return tr;
  }

  /* The allocation: the method, for a ranking top N, the score (shortened by the server)
     and the $name values, then the construction (weighting, long-short book, caps,
     volatility target, rates: the server's phrases). */
  function allocationCell(method, shown) {
    const cell = BT.el("td", { "data-allocation": "" });
    const built = (shown.construction || []).join(" · ");
    const construction = built ? BT.el("div", { class: "small text-body-secondary", "data-construction": "" }, built) : null;
    if (method !== "rank" || !shown.top_n) {
      cell.append(method || BT.MISSING);
      if (construction) cell.append(construction);
      return cell;
    }
    cell.append(`top ${shown.top_n}`);
    if (shown.score) cell.append(BT.el("div", { class: "small font-monospace text-body-secondary" }, shown.score));
    const values = Object.entries(shown.params || {}).map(([k, v]) => `$${k}=${v}`).join(", ");
    if (values) cell.append(BT.el("div", { class: "small font-monospace text-body-secondary" }, values));
    if (construction) cell.append(construction);
    return cell;
  }

  function scheduleText(shown) {
    if (!shown.schedule) return BT.MISSING;
    const every = shown.schedule === "bars" ? `every ${shown.every_n_bars} bars` : shown.schedule;
    return shown.drift_threshold ? `${every}, drift ${shown.drift_threshold}` : every;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = BT.readJSON("pf-form-data");
    if (data) {
      start(data);
      startList(data);
    }
  });

  return Object.freeze({ body, pairs, fill });
})();
