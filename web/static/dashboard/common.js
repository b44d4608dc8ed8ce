/* Shared helpers of the dashboard pages: DOM building (text only, never HTML), JSON
   fetches, number formatting, status badges and the queue panel, and the statuses the
   server names (BT.STATUS). */
"use strict";

const BT = (() => {
  const MISSING = "—";

  /* An element with attributes and text content (never innerHTML). */
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* The JSON in a <script type="application/json" id=...> element. */
  function readJSON(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  /* The page's elements by id, under the names given: byIds({ form: "run-form" }) ->
     { form: <the element with id "run-form"> } (null where the page has none). */
  function byIds(ids) {
    return Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, document.getElementById(id)]));
  }

  /* The statuses as the server names them (work.status, kinds.sweeps.status): PENDING … PARTIAL,
     FINISHED and WAITING (a run's), SWEEP_FINISHED. */
  const STATUS = Object.freeze(readJSON("bt-statuses") || {});

  /* The page's CSRF token (a <meta name="csrf-token"> when signed in; AUTH_MODE=token). */
  const CSRF_TOKEN = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

  /* fetch + JSON: resolves to {ok, status, body}; body is null when not JSON. A request
     that changes something carries the CSRF token (X-CSRF-Token). */
  async function fetchJSON(url, options) {
    const init = Object.assign({ headers: {} }, options || {});
    init.headers = Object.assign({ Accept: "application/json" }, init.headers);
    if (CSRF_TOKEN && !SAFE_METHODS.includes((init.method || "GET").toUpperCase())) {
      init.headers["X-CSRF-Token"] = CSRF_TOKEN;
    }
    if (init.json !== undefined) {
      init.body = JSON.stringify(init.json);
      init.headers["Content-Type"] = "application/json";
      delete init.json;
    }
    const response = await fetch(url, init);
    let body = null;
    const text = await response.text();
    if (text) {
      try { body = JSON.parse(text); } catch (_) { body = null; }
    }
    return { ok: response.ok, status: response.status, body };
  }

  /* POST ``body`` as JSON (fetchJSON); a request that got no answer at all (network down)
     is ``{ok: false, status: 0, body: null}``, for the form to show as such. */
  async function postJSON(url, body) {
    try {
      return await fetchJSON(url, { method: "POST", json: body });
    } catch (_) {
      return { ok: false, status: 0, body: null };
    }
  }

  function isNumber(value) {
    return typeof value === "number" && Number.isFinite(value);
  }

  /* The server's check of a request body: POST it to ``url``, a validation route (POST
     /api/schema/<run|sweep>/validate, which checks a body as its submission would).
     Resolves to null when the server would accept it, {field, error} from its 400 when not
     (the server's own words: the page keeps no copy of the limits or the messages), and
     undefined when it could not be asked (no network, a 5xx: the submission then answers). */
  async function serverCheck(url, body) {
    let answer;
    try {
      answer = await fetchJSON(url, { method: "POST", json: body });
    } catch (_) {
      return undefined;
    }
    if (answer.ok) return null;
    if (answer.status === 400 && answer.body) return { field: answer.body.field || null, error: answer.body.error };
    return undefined;
  }

  /* A server's error as one line: "field: message", or the message alone when it starts with
     its field already (a rule parameter's: "params.fast must be between …"). */
  function fieldMessage(field, message) {
    return field && !String(message).startsWith(`${field} `) ? `${field}: ${message}` : String(message);
  }

  /* ``message`` in the .invalid-feedback after ``node`` (made when missing), ``node``
     marked invalid and, with ``focus``, focused: where a form shows a 400 its field names. */
  function markInvalid(node, message, focus = true) {
    let feedback = node.nextElementSibling;
    if (!feedback || !feedback.classList.contains("invalid-feedback")) {
      feedback = el("div", { class: "invalid-feedback" });
      node.insertAdjacentElement("afterend", feedback);
    }
    feedback.textContent = message;
    node.classList.add("is-invalid");
    if (focus) node.focus();
  }

  /* A list page's table, read from ``url`` every 3 s: the rows of the answer's ``key``, each
     made by ``row(item)``, into ``tbody``; the count and time (or the failure) in ``state``;
     ``empty`` ([columns, text]) when there are none. */
  function pollTable(url, key, tbody, state, empty, row) {
    every(3000, async () => {
      const result = await fetchJSON(url);
      if (!result.ok || !result.body) {
        state.textContent = (result.body && result.body.error) || `unavailable (HTTP ${result.status})`;
        return;
      }
      const rows = result.body[key] || [];
      state.textContent = `${rows.length} shown · updated ${new Date().toLocaleTimeString("en-GB")}`;
      if (!rows.length) {
        const line = el("tr");
        line.append(el("td", { colspan: empty[0], class: "text-body-secondary" }, empty[1]));
        tbody.replaceChildren(line);
        return;
      }
      tbody.replaceChildren(...rows.map(row));
    });
  }

  /* A KPI card in its grid column: label, value (with its tone class) and an optional line
     under it; ``data-kpi`` is the label. */
  function kpi(label, value, tone, sub) {
    const col = el("div", { class: "col-6 col-md-3 col-xl-2" });
    const card = el("div", { class: "bt-kpi", "data-kpi": label });
    card.append(el("div", { class: "bt-kpi-label" }, label), el("div", { class: "bt-kpi-value " + tone }, value));
    if (sub) card.append(el("div", { class: "bt-kpi-sub" }, sub));
    col.append(card);
    return col;
  }

  /* Under an expression text: the line a server's message names ("… at line 2, column 5: …",
     or "at column 9" on line 1) and a caret under that column, drawn into ``box`` (a <pre>);
     emptied when the message names no column. The run, sweep and walk-forward forms share it. */
  function drawCaret(box, text, message) {
    const at = /(?:line (\d+), )?column (\d+)/.exec(message || "");
    if (!box) return;
    if (!at) {
      box.textContent = "";
      return;
    }
    const line = String(text || "").split("\n")[(Number(at[1]) || 1) - 1] || "";
    box.textContent = `${line}\n${" ".repeat(Math.max(0, Number(at[2]) - 1))}^`;
  }

  /* A code editor: a monospace textarea (``attrs``: its id, data-field, maxlength…) holding
     ``value``, its line numbers beside it, a tab indenting by four spaces, then a place for a
     server's message under it and one for the caret drawCaret draws at its line and column;
     ``onInput(text)`` on every edit. The run form's and the sweep form's PYTHON editors.
     Returns {box, code}. */
  function codeBox(attrs, value, onInput) {
    const box = el("div", { class: "bt-code" });
    const gutter = el("pre", { class: "bt-code-lines font-monospace", "aria-hidden": "true" });
    const code = el("textarea", {
      class: "form-control form-control-sm font-monospace bt-code-text", rows: 18, spellcheck: "false", wrap: "off", ...attrs,
    });
    code.value = value;
    const numbers = () => {
      const count = code.value.split("\n").length;
      gutter.textContent = Array.from({ length: count }, (_, i) => String(i + 1)).join("\n");
      gutter.scrollTop = code.scrollTop;
    };
    code.addEventListener("input", () => {
      onInput(code.value);
      numbers();
    });
    code.addEventListener("scroll", () => (gutter.scrollTop = code.scrollTop));
    code.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey) return;
      event.preventDefault(); // a tab indents by four spaces instead of leaving the editor
      code.setRangeText("    ", code.selectionStart, code.selectionEnd, "end");
      code.dispatchEvent(new Event("input", { bubbles: true }));
    });
    numbers();
    box.append(gutter, code, el("div", { class: "invalid-feedback" }), el("pre", { class: "bt-expr-caret small text-danger mb-0" }));
    return { box, code };
  }

  /* A form's live check: ``schedule()`` (on every change of the form) sends ``collect()`` to
     serverCheck ``ms`` after the last change and calls ``show(problem)`` (null: accepted).
     An answer overtaken by a later change or by ``cancel()`` (a submission, whose own
     answer is shown) is dropped, and so is one that could not be had. */
  function liveCheck(url, collect, show, ms) {
    let timer = null;
    let sequence = 0;
    let lastSent = "";
    async function check() {
      timer = null;
      const body = collect();
      const key = JSON.stringify(body);
      if (key === lastSent) return;
      lastSent = key;
      const mine = ++sequence;
      const problem = await serverCheck(url, body);
      if (mine !== sequence) return;
      if (problem === undefined) lastSent = ""; // not checked: ask again on the next change
      else show(problem);
    }
    return {
      schedule() {
        if (timer) clearTimeout(timer);
        timer = setTimeout(check, ms === undefined ? 500 : ms);
      },
      cancel() {
        if (timer) clearTimeout(timer);
        timer = null;
        sequence += 1;
        lastSent = "";
      },
    };
  }

  /* The dates a form starts with for data covering first..last (YYYY-MM-DD): its last ten
     years, all of it when shorter; null when the range is unknown. The run and sweep forms
     share it, and keep to it until the user types a date. */
  function dateWindow(first, last) {
    if (!first || !last) return null;
    const end = new Date(`${last}T00:00:00Z`);
    const tenYears = new Date(Date.UTC(end.getUTCFullYear() - 10, end.getUTCMonth(), end.getUTCDate() + 1));
    const start = tenYears.toISOString().slice(0, 10);
    return { start: start < first ? first : start, end: last };
  }

  /* The data range of the tickers whose <option>/<input> elements are given (their
     data-first / data-last): where all of them have bars, or null. */
  function commonRange(nodes) {
    const ranges = [...nodes].map((n) => [n.dataset.first, n.dataset.last]).filter(([a, b]) => a && b);
    if (!ranges.length) return null;
    const first = ranges.map((r) => r[0]).sort().pop();
    const last = ranges.map((r) => r[1]).sort()[0];
    return first <= last ? { first, last } : null;
  }

  /* 1234.5 -> "1,234.50" (+ unit); undefined -> an em dash. */
  function fmt(value, digits, unit) {
    if (!isNumber(value)) return MISSING;
    const d = digits === undefined ? 2 : digits;
    return value.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) + (unit || "");
  }

  /* "pos" / "neg" / "" for a signed value. */
  function tone(value) {
    if (!isNumber(value) || value === 0) return "";
    return value > 0 ? "pos" : "neg";
  }

  function setBadge(node, status) {
    node.textContent = status;
    node.dataset.status = status;
    node.className = "badge bt-status bt-status-" + String(status).toLowerCase();
  }

  /* Daily bars are stamped 21:00 UTC (data/loader.py): bars at any other time of day are
     intraday, and their times are shown (UTC) wherever a bar's date is. */
  function intraday(secondsList) {
    return secondsList.some((s) => ((s % 86400) + 86400) % 86400 !== 75600);
  }

  /* Unix seconds -> "YYYY-MM-DD", or "YYYY-MM-DD HH:MM" (UTC) with withTime. */
  function when(s, withTime) {
    const text = new Date(s * 1e3).toISOString();
    return withTime ? text.slice(0, 16).replace("T", " ") : text.slice(0, 10);
  }

  /* "2015-01-01T21:00:00+00:00" -> unix seconds. */
  function seconds(iso) {
    return Date.parse(iso) / 1000;
  }

  /* A bar's timestamp as unix seconds: a date alone ("YYYY-MM-DD", a portfolio's bar) at
     21:00 UTC, where a run's daily bars are stamped (data/loader.py), so the charts show
     dates, not times; anything else as ``seconds`` reads it. */
  function barSeconds(stamp) {
    return seconds(/^\d{4}-\d{2}-\d{2}$/.test(stamp) ? `${stamp}T21:00:00Z` : stamp);
  }

  /* 75 -> "1 min 15 s". */
  function elapsed(totalSeconds) {
    const s = Math.max(0, Math.floor(totalSeconds));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + (s % 60) + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  /* Call fn now and every ms milliseconds while the page is visible. */
  function every(ms, fn) {
    let timer = null;
    const tick = async () => {
      timer = null;
      if (!document.hidden) {
        try { await fn(); } catch (error) { console.warn(error); }
      }
      timer = setTimeout(tick, ms);
    };
    tick();
    return () => { if (timer) clearTimeout(timer); };
  }

  function startQueuePanel() {
    const panel = document.getElementById("queue-panel");
    if (!panel) return;
    const part = (name) => panel.querySelector(`[data-q="${name}"]`);
    every(3000, async () => {
      let result;
      try {
        result = await fetchJSON(panel.dataset.url);
      } catch (_) {
        result = { ok: false, body: null };
      }
      if (!result.ok || !result.body) {
        part("state").textContent = (result.body && result.body.error) || "unavailable";
        panel.dataset.state = "error";
        return;
      }
      const q = result.body;
      for (const name of ["queued", "running", "failed"]) part(name).textContent = String(q[name]);
      // consumers: registered with RQ plus those the scaler started that RQ does not list yet
      const starting = q.starting_consumers || [];
      part("consumers").textContent = String(q.consumers + starting.length);
      part("consumer-split").textContent = starting.length + " starting, " + q.consumers + " running";
      part("queue").textContent = q.queue;
      const s = q.sweeps;  // sweep chunks have their own queue and consumers
      part("sweeps").textContent = s ? `sweep chunks (${s.queue}): ${s.queued} queued · ${s.running} running · ${s.consumers} consumers` : "";
      part("state").textContent = "updated " + new Date().toLocaleTimeString("en-GB");
      panel.dataset.state = "ok";
      const line = (state, name, detail) => {
        const item = el("li", { class: "text-truncate" });
        item.append(el("span", { class: "bt-dot bt-dot-" + state }), document.createTextNode(" " + name + " "));
        item.append(el("span", { class: "text-body-secondary" }, detail));
        return item;
      };
      const now = Date.now() / 1000;
      part("workers").replaceChildren(
        ...starting.map((c) => line("starting", c.name, "starting " + elapsed(now - seconds(c.started_at)))),
        ...q.workers.map((w) => line(w.state, w.name, w.current_run_id ? "run " + w.current_run_id.slice(0, 8) : w.state)),
      );
    });
  }

  /* Does a search request (a sweep's, walk-forward's or study's) search another kind's base
     request (a portfolio) rather than a run? */
  function overBase(request) {
    return Boolean(request && request.kind && request.kind !== "run");
  }

  /* A base in a few words: a portfolio's universe, allocation and schedule; another
     kind's fields as name=value. */
  function baseText(base) {
    if (!base.allocation) {
      return Object.entries(base).map(([n, v]) => `${n}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
    }
    const a = base.allocation;
    const allocation = a.method === "rank" ? `top ${a.top_n} by ${a.score}` : a.method;
    const schedule = (base.rebalance || {}).schedule;
    return `${(base.tickers || []).length} tickers · ${allocation} · ${schedule}`;
  }

  document.addEventListener("DOMContentLoaded", startQueuePanel);

  /* Fill `tbody` with one row per report-depth metric (GET /api/runs/<id>/report's and
     GET /api/portfolios/<id>/report's `report_definitions`): its label, its note on hover,
     and each column's value (`columns`: objects of values by key). */
  function reportMetrics(tbody, definitions, columns) {
    tbody.replaceChildren(...definitions.map((d) => {
      const tr = el("tr", { dataset: { metric: d.key } });
      tr.append(el("td", { title: d.note, class: "bt-noted" }, d.label));
      for (const values of columns) tr.append(el("td", { class: "text-end" }, fmt(values[d.key], d.digits, d.unit)));
      return tr;
    }));
  }

  return { el, readJSON, byIds, fetchJSON, postJSON, fmt, tone, isNumber, serverCheck, liveCheck, fieldMessage, markInvalid, kpi, pollTable, drawCaret, codeBox, dateWindow, commonRange, setBadge, seconds, intraday, when, elapsed, every, barSeconds, overBase, baseText, MISSING, STATUS, reportMetrics };
})();
