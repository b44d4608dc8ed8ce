"""``python -m tests.golden``: rewrite the golden files from the current code.

Three sets, each pinned to the versions it was made with:

* the engine matrix, ``tests/engine/golden/<case>.json`` (tests/engine/test_engine_golden.py):
  the engine's own output, each file recording ``ENGINE_VERSION``;
* the portfolio core's cases, ``tests/engine/golden_portfolio/<case>.json``
  (tests/engine/test_portfolio_golden.py), each recording ``PORTFOLIO_ENGINE_VERSION``;
* the run-level result, ``tests/golden/acme_sma_cross_longshort.json`` (the stored result
  bytes, tests/runs/test_runs_execute.py) with its sidecar ``….versions.json`` recording
  ``ENGINE_VERSION`` and ``RESULT_SCHEMA_VERSION``.

Run it only for an intended change of results, after bumping ``ENGINE_VERSION``
(engine/version.py), ``PORTFOLIO_ENGINE_VERSION`` (engine/portfolio/version.py) or
``RESULT_SCHEMA_VERSION`` (kinds/runs/result_version.py), or after the input data changed
(``python -m data.generate``: the run-level result's ``data_hash`` moves, the versions stay;
the engine matrix and the portfolio cases read no demo data), and review the diff.
``--only engine``, ``--only portfolio`` or ``--only runs`` rewrites one set. The helpers
below are shared by the golden tests: they say why a golden file no longer holds.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REGENERATE = "regenerate golden files with `python -m tests.golden`"
VERSION_NAMES = {
    "engine_version": "ENGINE_VERSION",
    "portfolio_engine_version": "PORTFOLIO_ENGINE_VERSION",
    "result_schema_version": "RESULT_SCHEMA_VERSION",
}
"""Keys a golden file records its versions under → the constants they pin."""


def dumps(doc: Mapping[str, Any]) -> str:
    """Stable JSON text of a golden document: the top two levels of objects one key per line,
    a list of objects one object per line, everything else compact (floats as exact repr)."""

    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    def block(value: Any, depth: int) -> str:
        pad = "  " * (depth + 1)
        if isinstance(value, Mapping) and value and depth < 2:
            items = (
                f"{pad}{compact(key)}: {block(item, depth + 1)}" for key, item in value.items()
            )
            return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
        if isinstance(value, list) and value and all(isinstance(x, Mapping) for x in value):
            return "[\n" + ",\n".join(pad + compact(x) for x in value) + "\n" + "  " * depth + "]"
        return compact(value)

    return block(doc, 0) + "\n"


def version_problem(recorded: Mapping[str, Any], current: Mapping[str, str]) -> str | None:
    """The first version in ``current`` that differs from the one a golden file recorded:
    the code was bumped (or the file is older than the pin) and the golden must be rewritten."""
    for key, now in current.items():
        name = VERSION_NAMES.get(key, key)
        was = recorded.get(key)
        if was is None:
            return f"the golden file records no {name}: {REGENERATE}"
        if was != now:
            return f"{name} bumped: {REGENERATE} (golden made with {was}, code is {now})"
    return None


def case_problem(
    golden_text: str, current: Mapping[str, Any], version_key: str, changed: str
) -> str | None:
    """Why a golden case file (``case``, the version under ``version_key``, ``inputs``,
    ``output``) no longer holds for the current document, or None; ``changed`` says what a
    different output under the same version is."""
    recorded = json.loads(golden_text)
    name = current["case"]
    problem = version_problem(recorded, {version_key: current[version_key]})
    if problem:
        return f"{name}: {problem}"
    if recorded["inputs"] != current["inputs"]:
        return (
            f"{name}: the case's inputs changed (the inputs of this test, not the code under "
            f"test): {REGENERATE}"
        )
    if dumps(current) == golden_text:
        return None
    where = first_difference(recorded["output"], current["output"]) or "layout of the file"
    return f"{name}: {changed}: {where}"


def first_difference(expected: Any, got: Any, path: str = "") -> str | None:
    """Where two decoded JSON values first differ, or None when equal (floats compared by
    exact repr, so one ulp, 0.0 vs -0.0 and 1 vs 1.0 all count)."""
    where = path or "(document)"
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        if list(expected) != list(got):
            missing = [k for k in expected if k not in got]
            added = [k for k in got if k not in expected]
            return f"{where}: keys differ (missing {missing}, added {added}, or reordered)"
        for key in expected:
            found = first_difference(expected[key], got[key], f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if not isinstance(got, Sequence) or isinstance(got, str):
            return f"{where}: golden {_short(expected)}, now {_short(got)}"
        for i, (a, b) in enumerate(zip(expected, got, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(expected) != len(got):
            return f"{where}: golden has {len(expected)} items, now {len(got)}"
        return None
    if type(expected) is not type(got) or _repr(expected) != _repr(got):
        return f"{where}: golden {_short(expected)}, now {_short(got)}"
    return None


def _repr(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return json.dumps(value)


def _short(value: Any) -> str:
    text = _repr(value) if not isinstance(value, (Mapping, list, tuple)) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds exactly it; say which."""
    if path.exists() and path.read_text() == text:
        print(f"unchanged {path}")
        return
    path.write_text(text)
    print(f"wrote {path}")


def regenerate_cases(module: Any) -> None:
    """Rewrite every case of a golden test module (its ``CASES``, ``GOLDEN_DIR``,
    ``golden_path`` and ``build_document``); delete golden files of removed cases."""
    module.GOLDEN_DIR.mkdir(exist_ok=True)
    for name in module.CASES:
        _write(module.golden_path(name), dumps(module.build_document(name)))
    for path in sorted(module.GOLDEN_DIR.glob("*.json")):
        if path.stem not in module.CASES:
            path.unlink()
            print(f"deleted {path} (no such case)")


def regenerate_engine() -> None:
    """Rewrite every case of the engine matrix."""
    from tests.engine import test_engine_golden

    regenerate_cases(test_engine_golden)


def regenerate_portfolio() -> None:
    """Rewrite every portfolio golden case."""
    from tests.engine import test_portfolio_golden, test_portfolio_signals_golden

    regenerate_cases(test_portfolio_golden)
    regenerate_cases(test_portfolio_signals_golden)


def regenerate_runs() -> None:
    """Rewrite the run-level golden result bytes and its versions sidecar."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute
    from kinds.runs.serialize import to_json
    from tests.runs import test_runs_execute as golden_run

    _write(golden_run.GOLDEN_FILE, to_json(execute(parse_request(golden_run.GOLDEN_REQUEST))))
    _write(golden_run.GOLDEN_VERSIONS, dumps(golden_run.current_versions()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    parser.add_argument(
        "--only", choices=("engine", "portfolio", "runs"), help="rewrite one set only"
    )
    args = parser.parse_args(argv)
    if args.only in (None, "engine"):
        regenerate_engine()
    if args.only in (None, "portfolio"):
        regenerate_portfolio()
    if args.only in (None, "runs"):
        regenerate_runs()


if __name__ == "__main__":
    main()
