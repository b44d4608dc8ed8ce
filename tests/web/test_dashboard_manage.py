"""The dashboard's run-management views, server-rendered (SQLite + the test Redis): the
history's label, window, size and direction columns, its tag/name filters and sort menu, and
the run page's controls for each status (cancel only while PENDING, no delete while
RUNNING, a cancelled run says so)."""

from __future__ import annotations

import re

import pytest

from tests.web.support import valid_request
from tests.web.support_dashboard import add_running, add_with_metrics

pytestmark = pytest.mark.redis


def _submit(client, **fields) -> str:
    return client.post("/run_backtest", json=valid_request(**fields)).get_json()["run_id"]


def _row(html: str, run_id: str) -> str:
    match = re.search(rf'<tr data-run-id="{run_id}".*?</tr>', html, re.S)
    assert match, f"no row for {run_id}"
    return match.group(0)


def test_history_rows_show_labels_window_size_and_direction(client):
    run_id = _submit(
        client, name="My <b>run</b>", tags=["alpha"], size_type="percent", position_size=25,
        direction="longshort",
    )  # fmt: skip
    html = client.get("/runs").get_data(as_text=True)
    row = _row(html, run_id)
    assert "My &lt;b&gt;run&lt;/b&gt;" in row, "names are escaped"
    assert '<span class="badge bt-tag me-1">alpha</span>' in row
    assert 'title="2021-02-01 … 2021-05-31"' in row
    assert ">25%<" in row
    assert "long/short" in row


def test_history_names_an_expression_run_by_its_texts_not_their_hash(client):
    """The Rule cell of an EXPR run shows its entry → exit and values (escaped), its id on
    hover; a built-in rule's cell stays its id."""
    params = {"entry": "rsi(close, $n) < $lo", "exit": "rsi(close, $n) > 70", "n": 2, "lo": 10}
    expression = _submit(client, rule_type="EXPR", params=params)
    plain = _submit(client)
    html = client.get("/runs").get_data(as_text=True)
    cell = re.search(r'<td class="text-truncate bt-rule"[^>]*>(.*?)</td>', _row(html, expression))
    assert cell.group(1) == "rsi(close, $n) &lt; $lo → rsi(close, $n) &gt; 70 [lo=10 n=2]"
    assert "(expr-" in cell.group(0), "the id is in the title"
    plain_cell = re.search(r'bt-rule"[^>]*>(.*?)</td>', _row(html, plain)).group(1)
    assert plain_cell == client.get(f"/status/{plain}").get_json()["rule_id"]


def test_history_filters_by_tag_and_name_and_keeps_them_in_the_sort_menu(client):
    wanted = _submit(client, name="keep me", tags=["alpha"])
    other = _submit(client, name="other", tags=["beta"])
    html = client.get("/runs?tag=alpha&q=keep&sort=total_return_pct&order=asc").get_data(
        as_text=True
    )
    assert wanted in html and other not in html
    assert '<option value="total_return_pct" selected>' in html
    assert '<option value="asc" selected>' in html


def test_a_bad_sort_on_the_history_page_is_a_message_not_an_error(client):
    response = client.get("/runs?sort=nope")
    assert response.status_code == 200
    assert "sort: must be one of" in response.get_data(as_text=True)


def test_a_pending_run_page_offers_cancel_and_delete(client):
    html = client.get(f"/runs/{_submit(client)}").get_data(as_text=True)
    assert 'id="run-cancel"' in html and 'id="run-delete"' in html
    assert 'id="run-waiting"' in html


def test_a_running_run_page_offers_neither_cancel_nor_delete(app, client):
    html = client.get(f"/runs/{add_running(app).run_id}").get_data(as_text=True)
    assert 'id="run-cancel"' not in html and 'id="run-delete"' not in html


def test_a_cancelled_run_page_says_so_and_does_not_wait(client):
    run_id = _submit(client, tags=["x"], notes="why not")
    client.post(f"/api/runs/{run_id}/cancel")
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'id="run-cancelled"' in html and 'id="run-waiting"' not in html
    assert "bt-status-cancelled" in html
    assert 'id="run-cancel"' not in html and 'id="run-delete"' in html
    assert "why not" in html


def test_a_finished_run_page_shows_its_pin(app, client):
    run_id = add_with_metrics(app, {"total_return_pct": 1.0}).run_id
    client.patch(f"/api/runs/{run_id}", json={"pinned": True, "name": "kept"})
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert 'id="labels-pinned"' in html
    assert '<span id="run-name" class="me-1">kept</span>' in html


def test_a_metrics_label_says_on_hover_how_it_is_defined_and_how_peers_differ(app, client):
    """Stats cards and Overview figures: each label's title is the metric's note."""
    from markupsafe import escape

    from metrics import note

    run_id = add_with_metrics(app, {"sharpe_ratio": 1.0, "profit_factor": 2.0}).run_id
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    for key in ("sharpe_ratio", "profit_factor"):
        titled = f'title="{escape(note(key))}"'
        assert html.count(titled) == 2, key  # its Stats card and its Overview row
