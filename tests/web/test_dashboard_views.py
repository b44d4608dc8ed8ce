"""Tests for web/pages/dashboard.py and web/api/runs/data.py with Flask's test client on a
temporary SQLite database and the real test Redis: every page and endpoint
(200/404/409/400), escaping, the exports, the queue panel's JSON, the run lookup and the
compare page."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import update

import data
from adapters.metrics import FEW_TRADES
from kinds.runs.python_request import describe as describe_python
from kinds.sweeps.status import SWEEP_FINISHED
from rules import describe_rules
from store.models import BacktestRun
from tests.web.support import (
    CLOSED_MYSQL,
    CLOSED_REDIS,
    TICKER,
    app_with_schema,
    build_app,
    close_app,
    serve,
    valid_request,
)
from tests.web.support_dashboard import (
    add_failed,
    add_pending,
    add_running,
    add_succeeded,
)
from web.db import get_database
from work.status import FINISHED, RunStatus

pytestmark = pytest.mark.redis


def script_json(page: str, element_id: str):
    """The JSON inside ``<script type="application/json" id=element_id>``."""
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match, f"no #{element_id} data in the page"
    return json.loads(match.group(1))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the form -----------------------------------------------------------------------------


def test_form_lists_catalog_tickers_marked_synthetic(client):
    """GET / is an HTML form whose ticker options come from the catalog, synthetic marked,
    each carrying the dates its data covers (the form keeps its dates inside them) and its
    timeframe (the form picks it)."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert re.search(
        rf'<option value="{TICKER}" data-first="2021-01-04" data-last="2021-06-18" '
        rf"data-timeframe=\"1d\">{TICKER} — Test Company \(synthetic\)",
        text(response),
    )


def test_form_carries_the_rule_registry(client):
    """The form's data holds every rule with its params exactly as /api/rules serves them,
    then the PYTHON rule (a strategy in code, which has no parameter specs to serve)."""
    data = script_json(text(client.get("/")), "form-data")
    assert data["rules"][:-1] == describe_rules()
    assert data["rules"][:-1] == client.get("/api/rules").get_json()
    assert data["rules"][-1] == describe_python()
    assert data["initial"] is None


def test_form_is_prefilled_from_an_existing_run(app, client):
    """/?from=<run_id> puts that run's request (without its run_id) into the form."""
    request = add_pending(app, params={"fast": 4, "slow": 9})
    data = script_json(text(client.get(f"/?from={request.run_id}")), "form-data")
    expected = request.to_dict()
    del expected["run_id"]
    assert data["initial"] == expected


@pytest.mark.parametrize("source", ["nope", str(uuid.uuid4())])
def test_form_ignores_an_unknown_source_run(client, source):
    """An unknown or malformed ?from= leaves the form at its defaults."""
    response = client.get(f"/?from={source}")
    assert response.status_code == 200
    assert script_json(text(response), "form-data")["initial"] is None


@pytest.mark.parametrize("path", ["/", "/runs", "/compare"])
def test_pages_forbid_inline_and_foreign_scripts(client, path):
    """Every page sends a CSP allowing scripts from this origin only."""
    policy = client.get(path).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in text(client.get(path)).replace("<script></script>", "")


# --- the run page -------------------------------------------------------------------------


def test_run_page_shows_kpis_from_the_stored_metrics(app, client):
    """A SUCCEEDED run's Stats tab is rendered from its metrics, with exports and provenance."""
    request, result = add_succeeded(app)
    response = client.get(f"/runs/{request.run_id}")
    assert response.status_code == 200
    page = text(response)
    metrics = result["metrics"]
    for key, shown in (
        ("total_return_pct", f"{metrics['total_return_pct']:,.2f}%"),
        ("sharpe_ratio", f"{metrics['sharpe_ratio']:,.2f}" if metrics["sharpe_ratio"] else "—"),
        ("num_trades", f"{metrics['num_trades']:,}"),
    ):
        card = re.search(rf'data-kpi="{key}">.*?bt-kpi-value[^>]*>([^<]*)<', page, re.S)
        assert card.group(1) == shown
    assert f"/runs/{request.run_id}/result.json" in page
    assert f"/runs/{request.run_id}/trades.csv" in page
    assert result["data_hash"] in page
    assert result["engine_version"] in page
    assert "test-tag" in page
    assert 'id="run-again"' in page


def test_run_page_warns_of_a_run_with_few_trades(app, client):
    """A SUCCEEDED run with fewer than FEW_TRADES trades shows the few_trades warning above
    its tabs, as its status document carries it."""
    request, result = add_succeeded(app)
    assert result["metrics"]["num_trades"] < FEW_TRADES, "the test run should trade little"
    page = text(client.get(f"/runs/{request.run_id}"))
    [warning] = client.get(f"/status/{request.run_id}?result=false").get_json()["warnings"]
    assert f'data-warning="few_trades">{escape(warning["message"])}</div>' in page


def test_run_page_does_not_inline_the_result(app, client):
    """The page stays small: curves, trades and PNG charts are fetched by the script."""
    request, result = add_succeeded(app)
    page = text(client.get(f"/runs/{request.run_id}"))
    assert len(json.dumps(result)) > 3 * len(page)
    assert "data:image/png" not in page
    assert "equity_curve" not in page


def test_failed_run_shows_its_error_as_text(app, client):
    """A FAILED run's message is shown plainly, HTML-escaped."""
    request = add_failed(app, "ticker: <b>bad</b> & worse")
    response = client.get(f"/runs/{request.run_id}")
    assert response.status_code == 200
    page = text(response)
    assert "ticker: &lt;b&gt;bad&lt;/b&gt; &amp; worse" in page
    assert "<b>bad</b>" not in page
    assert 'id="run-status"' in page
    assert 'id="export-json"' not in page


@pytest.mark.parametrize("add", [add_pending, add_running])
def test_unfinished_run_page_waits_and_refreshes(app, client, add):
    """PENDING and RUNNING runs show the waiting banner and the data the script polls with."""
    request = add(app)
    page = text(client.get(f"/runs/{request.run_id}"))
    assert 'id="run-waiting"' in page
    data = script_json(page, "run-data")
    assert data["finished"] is False
    assert data["lookup_url"] == "/api/runs/lookup"
    assert data["created_at"].endswith("+00:00")


@pytest.mark.parametrize("run_id", [str(uuid.uuid4()), "not-a-run", "<script>"])
def test_unknown_run_is_an_html_404(client, run_id):
    """An unknown or malformed run id answers an HTML 404 page (input escaped)."""
    response = client.get(f"/runs/{run_id}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "run not found" in text(response)
    assert "<script>" not in text(response).split("</nav>")[1].replace("<script src", "")


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
"""What a browser's Accept header says when it opens a URL."""


@pytest.mark.parametrize("path", ["/no/such/page", "/runs/a/b/c", "/<script>x"])
def test_a_browser_opening_a_missing_page_gets_the_html_404(client, path):
    """An unknown URL opened in a browser is the dashboard's HTML page "Page not found",
    naming the path (escaped) and linking home, not a JSON body."""
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = text(response)
    assert "Page not found" in page and 'href="/"' in page
    assert f"There is no page at {escape(path)}." in page and "<script>x" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_browser_using_the_wrong_method_on_a_page_gets_the_html_405(client):
    """GET /logout (a form's POST target) from a browser: an HTML 405 keeping Allow."""
    response = client.get("/logout", headers=BROWSER)
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "Method not allowed" in text(response)
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path", "headers", "code", "body"),
    [
        ("get", "/no/such/page", {}, 404, {"error": "not found"}),
        ("get", "/no/such/page", {"Accept": "*/*"}, 404, {"error": "not found"}),
        ("get", "/no/such/page", {"Accept": "application/json"}, 404, {"error": "not found"}),
        ("get", "/api/no/such/thing", BROWSER, 404, {"error": "not found"}),
        ("get", "/api/runs/x/y/z", BROWSER, 404, {"error": "not found"}),
        ("get", "/run_backtest", BROWSER, 405, {"error": "method not allowed"}),
        ("post", "/metrics", BROWSER, 405, {"error": "method not allowed"}),
        ("delete", "/api/rules", BROWSER, 405, {"error": "method not allowed"}),
        ("get", "/logout", {}, 405, {"error": "method not allowed"}),
    ],
)
def test_api_clients_and_json_routes_keep_the_json_404_and_405(
    client, method, path, headers, code, body
):
    """JSON for a client that does not prefer HTML, under /api/ and on the legacy JSON
    routes, whatever the Accept header: the body is the one API clients always had."""
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.get_json() == body
    if code == 405:
        assert response.headers["Allow"]


# --- exports ------------------------------------------------------------------------------


def test_result_json_is_the_stored_result_as_an_attachment(app, client):
    """result.json is the full result, downloadable under the run's name."""
    request, result = add_succeeded(app)
    response = client.get(f"/runs/{request.run_id}/result.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="run-{request.run_id}.json"'
    )
    assert json.loads(response.get_data()) == result


def test_trades_csv_holds_every_trade(app, client):
    """trades.csv has one row per trade whose values read back to the stored trades (to
    within the 10 decimal places an export keeps)."""
    request, result = add_succeeded(app)
    assert result["trades"], "the test data should trade"
    response = client.get(f"/runs/{request.run_id}/trades.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert len(rows) == len(result["trades"])
    for row, trade in zip(rows, result["trades"], strict=True):
        assert int(row["trade_no"]) == trade["trade_no"]
        assert row["side"] == trade["side"]
        assert float(row["pnl_abs"]) == pytest.approx(trade["pnl_abs"], rel=0, abs=1e-10)
        assert row["entry_timestamp"] == trade["entry_timestamp"]


@pytest.mark.parametrize("export", ["result.json", "trades.csv"])
def test_exports_need_a_succeeded_run(app, client, export):
    """An unfinished run has no result (409); an unknown run is a 404."""
    request = add_running(app)
    response = client.get(f"/runs/{request.run_id}/{export}")
    assert response.status_code == 409
    assert response.get_json()["status"] == "RUNNING"
    assert client.get(f"/runs/{uuid.uuid4()}/{export}").status_code == 404


@pytest.mark.parametrize(
    ("legacy", "twin"),
    [
        ("/runs/{id}/result.json", "/api/runs/{id}/result.json"),
        ("/runs/{id}/trades.csv", "/api/runs/{id}/trades.csv"),
        ("/compare/curves.json?ids={id}", "/api/runs/compare/curves.json?ids={id}"),
        ("/status/{id}", "/api/runs/{id}"),
    ],
)
def test_a_legacy_run_route_and_its_api_runs_twin_answer_alike(app, client, legacy, twin):
    """The /api/runs twin of an older route answers the same status, headers and body."""
    request, _ = add_succeeded(app)
    old = client.get(legacy.format(id=request.run_id))
    new = client.get(twin.format(id=request.run_id))
    assert old.status_code == new.status_code == 200
    assert old.get_data() == new.get_data()
    for header in ("Content-Type", "Content-Disposition", "ETag", "Cache-Control"):
        assert old.headers.get(header) == new.headers.get(header)


# --- history ------------------------------------------------------------------------------


def shift_created(app, run_id: str, minutes: int) -> None:
    with get_database(app).sessionmaker() as session:
        row = session.get(BacktestRun, run_id)
        created = row.created_at + timedelta(minutes=minutes)
        session.execute(
            update(BacktestRun).where(BacktestRun.run_id == run_id).values(created_at=created)
        )
        session.commit()


def test_history_lists_runs_newest_first_with_status(app, client):
    """/runs shows every run, the newest first, with its status badge."""
    ids = [add_pending(app).run_id for _ in range(3)]
    for offset, run_id in enumerate(ids):
        shift_created(app, run_id, offset)
    page = text(client.get("/runs"))
    positions = [page.index(f'data-run-id="{run_id}"') for run_id in ids]
    assert positions == sorted(positions, reverse=True)
    assert page.count('data-status="PENDING"') >= 3
    assert "3 total" in page


def test_history_paginates_and_filters(app, client):
    """50 runs a page; the status filter keeps only matching runs."""
    for _ in range(52):
        add_pending(app)
    failed = add_failed(app, "boom").run_id
    second = text(client.get("/runs?page=2"))
    assert second.count('<tr data-run-id="') == 3
    only_failed = text(client.get("/runs?status=FAILED"))
    assert only_failed.count('<tr data-run-id="') == 1
    assert f'data-run-id="{failed}"' in only_failed


@pytest.mark.parametrize("page", ["0", "abc", "-1", "1234567890", ""])
def test_history_shows_the_first_page_for_a_page_that_is_no_page_number(app, client, page):
    """A ``page`` that is no page number (0, text, too long) shows page 1, not an error."""
    add_pending(app)
    response = client.get(f"/runs?page={page}")
    assert response.status_code == 200
    assert text(response).count('<tr data-run-id="') == 1


def test_history_reports_an_invalid_filter(client):
    """An invalid filter is reported on the page (escaped) instead of failing."""
    response = client.get("/runs?status=<img>")
    assert response.status_code == 200
    assert "status: must be one of" in text(response)
    assert "<img>" not in text(response)


def test_lookup_answers_summaries_and_missing_ids(app, client):
    """/api/runs/lookup returns the named runs (no result) and lists unknown ids."""
    known = add_failed(app, "boom").run_id
    unknown = str(uuid.uuid4())
    body = client.get(f"/api/runs/lookup?ids={known},{unknown},{known}").get_json()
    assert [run["run_id"] for run in body["runs"]] == [known]
    assert body["runs"][0]["status"] == "FAILED"
    assert body["runs"][0]["error_message"] == "boom"
    assert "result" not in body["runs"][0]
    assert body["missing"] == [unknown]


@pytest.mark.parametrize(
    "ids", ["nope", ",".join(str(uuid.uuid4()) for _ in range(201))], ids=["bad", "too-many"]
)
def test_lookup_rejects_bad_ids(client, ids):
    """A malformed id or more than 200 ids is a 400 naming ``ids``."""
    response = client.get(f"/api/runs/lookup?ids={ids}")
    assert response.status_code == 400
    assert response.get_json()["field"] == "ids"


# --- queue panel --------------------------------------------------------------------------


def test_queue_endpoint_counts_the_waiting_runs_and_sweep_chunks_apart(client):
    """/api/queue has the documented keys; two submitted runs are two queued jobs on the runs'
    queue, and a sweep's chunks are counted under ``sweeps`` (their own queue) only."""
    for _ in range(2):
        assert client.post("/run_backtest", json=valid_request()).status_code == 202
    body = client.get("/api/queue").get_json()
    assert set(body) == {
        "queue",
        "queued",
        "running",
        "failed",
        "scheduled",
        "consumers",
        "workers",
        "starting",
        "starting_consumers",
        "sweeps",
        "checked_at",
    }
    assert body["queued"] == 2
    assert (body["running"], body["failed"], body["consumers"], body["workers"]) == (0, 0, 0, [])
    assert (body["starting"], body["starting_consumers"]) == (0, [])
    assert body["sweeps"]["queue"] == f"{body['queue']}-sweeps"
    assert body["sweeps"]["queued"] == 0
    dates = {k: valid_request()[k] for k in ("start_date", "end_date")}
    sweep = {"tickers": [TICKER], "rule_type": "SMA_CROSS", "grid": {"fast": [2], "slow": [5]}}
    sweep.update(dates)
    accepted = client.post("/api/sweeps", json=sweep)
    assert accepted.status_code == 202, accepted.get_json()
    after = client.get("/api/queue").get_json()
    assert (after["queued"], after["sweeps"]["queued"]) == (2, accepted.get_json()["chunks"])


def test_queue_endpoint_is_503_without_redis(sqlite_url, data_dir):
    """With Redis down the panel's endpoint answers 503 JSON."""
    for app in serve(app_with_schema(sqlite_url, CLOSED_REDIS, data_dir)):
        response = app.test_client().get("/api/queue")
        assert response.status_code == 503
        assert response.get_json() == {"error": "queue unavailable"}


def test_pages_without_a_database_are_html_503(redis_url, data_dir):
    """A database outage gives an HTML 503 on a page and JSON 503 on the lookup."""
    for app in serve(build_app(CLOSED_MYSQL, redis_url, data_dir)):
        client = app.test_client()
        page = client.get("/runs")
        assert page.status_code == 503
        assert page.mimetype == "text/html"
        assert "database unavailable" in text(page)
        lookup = client.get(f"/api/runs/lookup?ids={uuid.uuid4()}")
        assert lookup.status_code == 503
        assert lookup.get_json() == {"error": "database unavailable"}


# --- compare ------------------------------------------------------------------------------


def test_compare_shows_metrics_side_by_side_and_marks_the_best(app, client):
    """/compare lists each run's metrics; the best total return is highlighted."""
    first, first_result = add_succeeded(app, params={"fast": 3, "slow": 8})
    second, second_result = add_succeeded(app, params={"fast": 5, "slow": 20})
    response = client.get(f"/compare?ids={first.run_id},{second.run_id}")
    assert response.status_code == 200
    page = text(response)
    row = re.search(r'<tr data-metric="total_return_pct">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td class=\"([^\"]*)\">([^<]*)</td>", row)
    returns = [
        first_result["metrics"]["total_return_pct"],
        second_result["metrics"]["total_return_pct"],
    ]
    assert [value for _, value in cells] == [f"{v:,.2f}%" for v in returns]
    best = returns.index(max(returns))
    assert ["bt-best" in classes for classes, _ in cells] == [i == best for i in range(2)]


def test_compare_curves_are_the_stored_equity_curves(app, client):
    """/compare/curves.json returns each SUCCEEDED run's equity curve, in the order asked."""
    first, first_result = add_succeeded(app)
    second, second_result = add_succeeded(app, params={"fast": 4, "slow": 12})
    waiting = add_pending(app)
    ids = f"{second.run_id},{waiting.run_id},{first.run_id}"
    body = client.get(f"/compare/curves.json?ids={ids}").get_json()
    assert [run["run_id"] for run in body["runs"]] == [second.run_id, first.run_id]
    for run, result in zip(body["runs"], [second_result, first_result], strict=True):
        assert run["timestamps"] == result["equity_curve"]["timestamps"]
        assert run["equity"] == result["equity_curve"]["equity"]
        assert run["initial_capital"] == result["request"]["initial_capital"]


def test_compare_reports_unknown_and_malformed_ids(app, client):
    """Unknown ids are listed as not found; a malformed id is an HTML 400 page."""
    unknown = str(uuid.uuid4())
    page = text(client.get(f"/compare?ids={unknown}"))
    assert f"Not found: {unknown}" in page
    bad = client.get("/compare?ids=<x>")
    assert bad.status_code == 400
    assert bad.mimetype == "text/html"
    assert "&lt;x&gt;" in text(bad)
    assert "<x>" not in text(bad)


# --- static files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/uplot/uPlot.iife.min.js",
        "vendor/uplot/uPlot.min.css",
        "dashboard/common.js",
        "dashboard/dashboard.css",
    ],
)
def test_assets_are_served_locally(client, path):
    """Bootstrap, uPlot and the dashboard's own assets come from /static (no network)."""
    response = client.get(f"/static/{path}")
    assert response.status_code == 200
    assert len(response.get_data()) > 500
    response.close()


def test_vendored_libraries_keep_their_licenses():
    """Each vendored library ships with its LICENSE file."""
    vendor = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor"
    for library in ("bootstrap", "uplot"):
        assert "MIT License" in (vendor / library / "LICENSE").read_text()


def test_every_page_hands_its_scripts_the_statuses_from_the_server(client):
    """The scripts compare against ``BT.STATUS``, written from work.status and kinds.sweeps.status:
    no page script types a status of its own."""
    for path in ("/", "/runs", "/sweeps"):
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'<script type="application/json" id="bt-statuses">(.*?)</script>', page)
        statuses = json.loads(found.group(1))
        assert set(statuses["FINISHED"]) == set(FINISHED)
        assert statuses["WAITING"] == [RunStatus.PENDING, RunStatus.RUNNING]
        assert set(statuses["SWEEP_FINISHED"]) == set(SWEEP_FINISHED)
    scripts = Path(__file__).resolve().parents[2] / "web" / "static" / "dashboard"
    for script in scripts.glob("*.js"):
        assert not re.search(r'"(PENDING|RUNNING|SUCCEEDED|FAILED)"', script.read_text()), script


def test_the_ticker_lists_group_the_demo_universe_by_sector(sqlite_url, redis_url):
    """On the shipped data, the run and walk-forward forms list the tickers without a sector
    first, then one <optgroup> per sector of the demo universe holding its members; the
    sweep form still starts on ACME."""
    app = app_with_schema(sqlite_url, redis_url, Path(data.__file__).resolve().parent)
    try:
        for path in ("/", "/walkforward"):
            html = text(app.test_client().get(path))
            groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', html, re.S)
            assert [label for label, _ in groups] == sorted(label for label, _ in groups)
            assert len(groups) == 6, path
            energy = dict(groups)["Energy"]
            assert re.findall(r'<option value="([A-Z]+)"', energy) == [
                "BLKW", "GLFN", "NRGX", "PTRX", "SLRA"
            ]  # fmt: skip
            assert html.index('<option value="ACME"') < html.index("<optgroup")
        sweeps = text(app.test_client().get("/sweeps"))
        checked = re.findall(r'type="checkbox" id="s-t-([A-Z]+)"[^>]*checked', sweeps)
        assert checked == ["ACME"]  # the sweep form's default stays the first demo ticker
    finally:
        close_app(app)
