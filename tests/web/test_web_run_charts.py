"""GET /api/runs/<run_id>/charts/<name>.png with Flask's test client on a temporary SQLite
database and the real test Redis: each PNG is drawn on demand from the stored curves, byte
for byte the PNG a run with charts stores, and a run submitted with ``charts: false`` (no
PNG stored) downloads the same charts; an unknown chart is a 404, a run without a result
a 409."""

from __future__ import annotations

import base64

import pytest

from adapters import CHART_NAMES
from adapters.charts import DATA_URI_PREFIX
from tests.web.support_dashboard import add_pending, add_succeeded

pytestmark = pytest.mark.redis


def stored_png(result: dict, name: str) -> bytes:
    """The PNG bytes a run with charts stored for ``name``."""
    uri = result["chart_base64"] if name == "equity" else result["charts"][f"{name}_base64"]
    assert uri.startswith(DATA_URI_PREFIX)
    return base64.b64decode(uri.removeprefix(DATA_URI_PREFIX))


def test_each_chart_is_drawn_on_demand_as_the_run_stored_it(app, client):
    """All six charts (SMA_CROSS: the candles carry its two SMAs, recomputed from the data
    file): image/png attachments equal to the stored PNGs; a run without stored PNGs
    downloads the very same bytes."""
    request, charted = add_succeeded(app)
    bare, plain = add_succeeded(app, charts=False)
    assert plain["charts"] == {} and plain["chart_base64"] is None
    for name in CHART_NAMES:
        answer = client.get(f"/api/runs/{request.run_id}/charts/{name}.png")
        assert answer.status_code == 200, name
        assert answer.mimetype == "image/png"
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="{name}-{request.run_id}.png"'
        )
        assert answer.data == stored_png(charted, name), name
        without = client.get(f"/api/runs/{bare.run_id}/charts/{name}.png")
        assert without.status_code == 200
        assert without.data == answer.data, name


def test_an_unknown_chart_or_run_is_a_404_and_a_run_without_result_a_409(app, client):
    """The chart names are CHART_NAMES; a PENDING run has nothing to draw."""
    request, _ = add_succeeded(app, charts=False)
    answer = client.get(f"/api/runs/{request.run_id}/charts/nope.png")
    assert answer.status_code == 404
    assert "equity" in answer.get_json()["error"]
    missing = client.get("/api/runs/00000000-0000-4000-8000-000000000000/charts/equity.png")
    assert missing.status_code == 404
    pending = add_pending(app)
    assert client.get(f"/api/runs/{pending.run_id}/charts/equity.png").status_code == 409
