"""The Python the client's documentation shows runs, as written, against the real platform
(the ``stack`` fixture: web and local scaler on MariaDB and Redis): every ``python`` block of
docs/client.md, in order, in one namespace (a later block uses what an earlier one made),
with the documented URL of the local platform pointed at the stack's. A line commented
``# raises Name`` must raise that exception. matplotlib draws off screen
(``result.equity.plot()``: the client's ``plot`` extra)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text

import backtest_client
from scripts.local_stack import DEFAULT_PORT
from tests.docs.test_docs import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

DOC = ROOT / "docs" / "client.md"
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
RAISES = re.compile(r"^(?P<indent>\s*)(?P<code>\S.*?)\s*#\s*raises (?P<name>\w+)")
DOCUMENTED_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def runnable(block: str) -> str:
    """``block`` with each ``# raises Name`` line run inside ``pytest.raises`` of the
    client's exception ``Name``."""
    out = []
    for line in block.splitlines():
        match = RAISES.match(line)
        if match:
            indent = match["indent"]
            out.append(f"{indent}with __raises__({match['name']!r}):")
            out.append(f"{indent}    {match['code']}")
        else:
            out.append(line)
    return "\n".join(out)


def test_the_client_doc_has_python_to_run():
    assert len(blocks()) >= 2
    assert any(DOCUMENTED_URL in block for block in blocks())


def test_every_python_block_of_the_client_doc_runs_against_the_platform(
    stack, mysql_url, monkeypatch
):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.delenv("BACKTEST_URL", raising=False)
    namespace: dict = {"__raises__": lambda name: pytest.raises(getattr(backtest_client, name))}
    try:
        for number, block in enumerate(blocks(), 1):
            code = runnable(block).replace(DOCUMENTED_URL, stack.base_url)
            try:
                exec(compile(code, f"docs/client.md python block {number}", "exec"), namespace)
            except Exception as exc:  # the block's number and the error, not a bare traceback
                pytest.fail(f"docs/client.md python block {number} failed: {exc!r}")
    finally:
        _forget_portfolios(mysql_url, namespace)
        import matplotlib.pyplot as plt

        plt.close("all")  # the blocks' plots: later tests count the process's open figures


def _forget_portfolios(database_url: str, namespace: dict) -> None:
    """Delete the portfolios the blocks made from the session's shared database (later tests
    list the portfolios there and expect their own alone)."""
    made = [v.item_id for v in namespace.values() if isinstance(v, backtest_client.Item)]
    if not made:
        return
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            for item_id in made:
                connection.execute(
                    text("DELETE FROM portfolios WHERE portfolio_id = :id"), {"id": item_id}
                )
    finally:
        engine.dispose()
