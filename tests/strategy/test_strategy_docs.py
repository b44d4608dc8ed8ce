"""The example of docs/strategies.md runs as shown (on GOOG as its ``df``) and gives the
quick start's run: the doc cannot drift from the API."""

from __future__ import annotations

import re

from tests.bars import goog_frame
from tests.docs.test_docs import ROOT


def test_the_strategies_doc_example_runs():
    text = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    block = re.search(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert block, "docs/strategies.md shows no python block"
    scope = {"df": goog_frame()}
    exec(compile(block.group(1), "docs/strategies.md", "exec"), scope)
    stats = scope["stats"]
    assert str(stats["_strategy"]) == "SmaCross(fast=5)"
    assert stats["# Trades"] == len(stats["_trades"]) > 0
