"""A sweep of a PYTHON strategy: its grid varies the strategy class's attributes, as
backtesting.py's ``Backtest.optimize(**kwargs)`` does (docs/sweeps.md, "Python
strategies").

The request is a run sweep's (``ticker`` or ``tickers``, the run fields, ``grid``,
``chunk_size``, ``cscv_blocks``) with ``rule_type: "PYTHON"``, ``strategy_code``,
``strategy_class`` and ``params`` (the attributes' base values), checked as a PYTHON run's
are (``kinds.runs.python_request``: the code's size and syntax, the class name, each
value, the fields a strategy decides itself) and each grid entry's name against the class's
attributes (``check_attributes``). A grid entry is a list of values, one value, or a
``"start:stop:step"`` range of numbers (whole numbers when all three parts are). Its
combinations are every product of the entries in name order, or with ``random``
(``{"points": n, "seed": s}``) n of them drawn without replacement, kept in that order.

Each chunk runs its combinations in one sandbox (``kinds.strategies.replayed``), through
the run kind's search (``kinds.sweeps.run_search``).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

from kinds.runs.python_request import (
    check_attributes,
    check_class,
    check_code,
    check_params,
    check_scalar,
)
from kinds.sweeps.grid import MAX_COMBOS, MAX_VALUES, Grid, is_range_text, range_count
from kinds.sweeps.sampling import check_random, sample
from work.errors import RequestError

if TYPE_CHECKING:  # pragma: no cover
    from kinds.sweeps.caps import RequestCaps
    from kinds.sweeps.request_model import SweepFields

_WHOLE = re.compile(r"\s*[+-]?\d+\s*")


class _Numbers:
    """What ``range_count`` reads of a parameter: its type."""

    def __init__(self, kind: str) -> None:
        self.type = kind


def grid_values(spec: object, path: str) -> list:
    """One grid entry's values: a list, a ``"start:stop:step"`` range or one value, each
    checked as a class attribute's value (``check_scalar``), repeats dropped.

    :raise RequestError: naming ``path`` (or ``path[i]``).
    """
    if is_range_text(spec):
        whole = all(_WHOLE.fullmatch(part) for part in str(spec).split(":"))
        start, step, count = range_count(str(spec), _Numbers("int" if whole else "float"), path)
        cast = int if whole else float
        spec = [cast(start + i * step) for i in range(count)]
    values = spec if isinstance(spec, list) else [spec]
    if not values:
        raise RequestError(path, "must hold at least one value")
    if len(values) > MAX_VALUES:
        raise RequestError(path, f"holds more than {MAX_VALUES:,} values")
    checked = [check_scalar(f"{path}[{at}]", value) for at, value in enumerate(values)]
    return list(dict.fromkeys(checked))


def python_grid(
    payload: dict[str, Any], fields: SweepFields, caps: RequestCaps | None
) -> tuple[dict[str, Any], Grid, dict[str, int] | None]:
    """A PYTHON sweep's (base params, grid, random) checked (module docstring), after its
    unknown fields and its tickers; ``kinds.sweeps.contract.parse_sweep_request`` checks the
    rest as a rule sweep's.

    :raise RequestError: naming the field: ``strategy_code``, ``params.n1``, ``grid.n1``,
        ``grid.n1[2]``, ``random.points``…
    """
    code = check_code(payload.get("strategy_code"))
    class_name = check_class(payload.get("strategy_class"))
    fields.raise_for("params")
    base = check_params(payload.get("params"))
    check_attributes(code, class_name, base, "params")
    fields.raise_for("grid")
    grid = payload["grid"]
    names = tuple(sorted(grid))
    check_params(dict.fromkeys(names))  # names only: identifiers, not private
    check_attributes(code, class_name, names, "grid")
    values = {name: grid_values(grid[name], f"grid.{name}") for name in names}
    total = 1
    for name in names:
        total *= len(values[name])
    if total > MAX_COMBOS * 10:
        raise RequestError("grid", f"describes {total:,} combinations; at most {MAX_COMBOS:,}")
    random = check_random(payload.get("random"), total)
    combos = sample(list(itertools.product(*(values[name] for name in names))), random)
    n_tickers = len(payload["tickers"]) if "tickers" in payload else 1
    if caps is not None:
        caps.check_combinations(len(combos), n_tickers)
    elif len(combos) * n_tickers > MAX_COMBOS:
        raise RequestError("grid", f"has {len(combos):,} combinations; at most {MAX_COMBOS:,}")
    return base, Grid(names, values, combos, 0), random
