"""kinds/sweeps/grid.py parse_range: the one parser of "start:stop:step", used by the API's grids
and the bulk scripts (each words its errors its own way), and the dashboard script's reader
of the syntax agreeing with it."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from kinds.runs.contract import RequestError
from kinds.sweeps.grid import RangeError, expand_range, is_range_text, parse_range
from rules import RULES
from scripts.bulk_grid import GridError, parse_param, typed_values


@pytest.mark.parametrize(
    ("text", "count", "last"),
    [("10:30:2", 11, Decimal("30")), ("0.1:0.3:0.1", 3, Decimal("0.3")), ("5:5:1", 1, Decimal(5))],
)
def test_a_range_is_inclusive_and_exact_in_decimal(text, count, last):
    found = parse_range(text)
    assert found.count == count and found.values()[-1] == last


@pytest.mark.parametrize(
    ("text", "kind"),
    [("1:2", "parts"), ("1:x:1", "number"), ("1:inf:1", "finite"), ("1:5:0", "step"),
     ("9:5:1", "empty")],
)  # fmt: skip
def test_what_is_wrong_with_a_range_is_named(text, kind):
    with pytest.raises(RangeError) as caught:
        parse_range(text)
    assert caught.value.kind == kind


def test_the_api_and_the_bulk_script_expand_a_range_the_same_way():
    period = next(p for p in RULES["RSI"].params if p.name == "period")
    api = expand_range("10:20:5", period, "grid.period")
    spec = {"type": "int", "min": period.min, "max": period.max}
    assert typed_values(spec, parse_param("period=10:20:5"), "RSI") == api == [10, 15, 20]


def test_each_caller_words_a_bad_range_its_own_way():
    period = next(p for p in RULES["RSI"].params if p.name == "period")
    with pytest.raises(RequestError, match="step must be greater than 0"):
        expand_range("10:20:0", period, "grid.period")
    with pytest.raises(GridError, match="--param period: the step must be greater than 0"):
        parse_param("period=10:20:0")


def test_an_int_parameter_refuses_a_part_not_written_as_an_integer():
    """integers=True (an int parameter): "1.5" and even "1e1" are refused, naming the part;
    a text that is no range at all is still "parts"."""
    for text, part in (("1:5:1.5", "1.5"), ("a:10:1", "a"), ("1e1:20:1", "1e1")):
        with pytest.raises(RangeError) as caught:
            parse_range(text, integers=True)
        assert (caught.value.kind, caught.value.text) == ("integer", part)
    with pytest.raises(RangeError, match="parts"):
        parse_range("1:5", integers=True)
    assert parse_range(" +2 : 10 : 2 ", integers=True).count == 5


def test_only_a_text_with_the_separator_is_read_as_a_range():
    """Grid entries and --param values alike: "5:10:1" is a range, "5", 5 and lists are not."""
    assert is_range_text("5:10:1") and is_range_text("5:10")
    assert not any(is_range_text(value) for value in ("5", "5,10", 5, [5, 10], None))


RANGE_TEXTS = [
    "10:30:2", "0.1:0.3:0.1", "0.1:0.35:0.1", "5:5:1", " 2 : 10 : 2 ", "+2:+10:+2", "-5:10:5",
    "1e1:20:1", "1E+1:1e2:1e1", ".5:1.:.25", "1.5:2.0:0.1", "0.1:5:0.000000001", "1:2",
    "1:2:3:4", "1:x:1", "2::2", ":", "1:inf:1", "nan:1:1", "1:5:0", "1:5:-1", "9:5:1",
]  # fmt: skip

NODE_RANGES = """
const fs = require("fs"), vm = require("vm");
const context = { BT: { STATUS: {} }, document: { addEventListener() {} } };
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8") + ";globalThis.R = SweepRange;", context);
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(texts.map((t) => {
  const r = context.R.parse(t);
  return r && [r.count, r.integers, r.start, r.last];
})));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the dashboard script")
def test_the_dashboard_reads_a_range_as_the_server_does():
    """web/static/sweeps.js's SweepRange: the same count (exact decimal steps), ends and
    int-ness as parse_range, and no range where parse_range refuses one."""
    script = Path(__file__).resolve().parents[2] / "web" / "static" / "sweeps.js"
    answer = subprocess.run(
        ["node", "-e", NODE_RANGES, str(script)],
        input=json.dumps(RANGE_TEXTS),
        capture_output=True,
        text=True,
        check=True,
    )
    for text, got in zip(RANGE_TEXTS, json.loads(answer.stdout), strict=True):
        try:
            found = parse_range(text)
        except RangeError:
            assert got is None, text
            continue
        try:
            integers = bool(parse_range(text, integers=True))
        except RangeError:
            integers = False
        last = found.start + (found.count - 1) * found.step
        assert got == [found.count, integers, float(found.start), float(last)], text
