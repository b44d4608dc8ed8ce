"""Run requests read from a file for bulk submission: JSON or CSV.

JSON: a list of request objects (or ``{"requests": [...]}``), exactly as ``POST
/run_backtest`` takes them. CSV: one request per row; the header names request fields
(``ticker``, ``rule_type``, ``start_date``, ``end_date``, ``initial_capital``, ...); rule
parameters go in a ``params`` column holding a JSON object or in ``params.<name>``
columns. Empty cells are left out. Numbers are read as int when they look like one, else
float; ``charts`` and ``cache`` take true/false. A ``run_id`` in the input is dropped: the script
chooses run ids itself.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from engine.param_specs import REQUEST_NUMBERS

NUMBER_FIELDS = tuple(spec.name for spec in REQUEST_NUMBERS)
"""Request fields a CSV cell is read as a number for: the run request's numbers (capital,
fee, slippage, size, the stops; ``engine.param_specs``)."""

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class InputError(ValueError):
    """The input file cannot be read as requests; the message names the row or item."""


def cell_value(text: str) -> int | float | str:
    """A CSV cell as a number when it is one, else the stripped text.

    >>> cell_value(" 14 "), cell_value("2.5"), cell_value("AND")
    (14, 2.5, 'AND')
    """
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


BOOLEAN_FIELDS = ("charts", "cache")
"""Request fields a CSV cell is read as true/false for."""


def _boolean(text: str, where: str, name: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InputError(f"{where}: {name} must be true or false, not {text!r}")


def _csv_row(row: dict[str, str], where: str) -> dict[str, Any]:
    request: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for column, raw in row.items():
        if column is None:
            raise InputError(f"{where}: more cells than header columns")
        name = column.strip()
        if raw is None or not raw.strip():
            continue
        if name == "params":
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: params is not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise InputError(f"{where}: params must be a JSON object")
            params.update(value)
        elif name.startswith("params."):
            params[name.removeprefix("params.")] = cell_value(raw)
        elif name in NUMBER_FIELDS:
            request[name] = cell_value(raw)
        elif name in BOOLEAN_FIELDS:
            request[name] = _boolean(raw, where, name)
        else:
            request[name] = raw.strip()
    if params:
        request["params"] = params
    return request


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Requests from a CSV file with a header row."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise InputError(f"{path}: no header row")
        return [_csv_row(row, f"{path} row {i}") for i, row in enumerate(reader, start=2)]


def read_json(path: Path) -> list[dict[str, Any]]:
    """Requests from a JSON file: a list of objects or ``{"requests": [...]}``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(document, dict) and isinstance(document.get("requests"), list):
        document = document["requests"]
    if not isinstance(document, list):
        raise InputError(f"{path}: expected a list of request objects")
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise InputError(f"{path} item {index}: a request must be a JSON object")
    return [dict(item) for item in document]


def read_requests(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """(requests, how many carried a run_id that was dropped) from a .json or .csv file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        requests = read_csv(path)
    elif path.suffix.lower() == ".json":
        requests = read_json(path)
    else:
        raise InputError(f"{path}: use a .json or .csv file")
    dropped = 0
    for request in requests:
        if request.pop("run_id", None) not in (None, ""):
            dropped += 1
    return requests, dropped
