"""Studies whose base is another kind's request (``{"kind": "portfolio", "base": {...}}``;
any kind that declares a search): the same samplers, objectives, budgets, batches and
deflated Sharpe ratio as a run study, over the names the base's kind declares searchable
and evaluated by that kind's own computation, through the search protocol (``work.search``:
the kind's ``space``, ``apply``, evaluator — point by point where it has no vectorised one —
and the data it reads) on a run study's path (``kinds.studies.evaluate``). A run study keeps
its own request shape (``kinds.studies.contract``); its base is its stored request
(``study_base``).

The stored request of such a study carries ``kind`` and the normalised ``base``; a trial's
request is ``apply(base, trial params)`` and its metrics are the kind's registry metrics
(``Outcome.metrics``), so a trial equals the same request submitted alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinds.runs.contract import RequestError, new_run_id
from kinds.studies.contract import StudyRequest, own_stored
from kinds.studies.fields import STUDY_OWN_FIELDS
from kinds.sweeps.search_sweep import is_search_request as is_base_study
from kinds.sweeps.search_sweep import searchable_kind
from work.errors import unknown_field
from work.search import NO_DATA

if TYPE_CHECKING:  # pragma: no cover
    from work.search import Domain, Search

BASE_FIELDS = ("kind", "base", *STUDY_OWN_FIELDS)
"""Every field a study over another kind's request may carry."""

NUMERIC = ("int", "float")


def search_for(kind: object) -> Search:
    """The search protocol (``work.search``) of the kind named ``kind`` (None: a run study,
    ``kinds.sweeps.search_sweep.searchable_kind``).

    :raise RequestError: naming ``kind`` when no kind of that name can be searched.
    """
    return searchable_kind(kind)[1]


def study_base(stored: dict[str, Any]) -> dict[str, Any]:
    """The base request a stored study's trials vary: a base study's ``base``; a run
    study's stored request itself (its run fields and fixed params; the study's own fields
    are ignored by the run kind)."""
    return stored["base"] if is_base_study(stored) else stored


def _bounds(domain: Domain, name: str, entry: Any) -> dict[str, Any]:
    """A space entry over a searchable name of the base, its bounds held to its domain."""
    path = f"space.{name[:40]}"
    if domain.type not in NUMERIC:
        raise RequestError(path, f"{path} is not a number (int or float) to search")
    low = domain.check(entry.low, f"{path}.low")
    high = domain.check(entry.high, f"{path}.high")
    step = entry.step
    if domain.type == "int" and step is not None:
        if step != int(step):
            raise RequestError(f"{path}.step", f"{path}.step must be an integer")
        step = int(step)
    return {"type": domain.type, "low": low, "high": high, "step": step, "log": entry.log}


def _base(search: Search, payload: dict[str, Any]) -> dict[str, Any]:
    """The base request normalised by its kind (``apply`` with no point).

    :raise RequestError: ``base`` missing, or naming ``base.<field>``.
    """
    base = payload.get("base")
    if not isinstance(base, dict):
        raise RequestError("base", f"must be a {search.kind} request (a JSON object)")
    try:
        return search.apply(base, {})
    except RequestError as exc:  # the kind may say the field again in its message
        message = exc.message.removeprefix(f"{exc.field} ")
        raise RequestError(f"base.{exc.field}", message) from None


def parse_base_study(payload: dict[str, Any]) -> StudyRequest:
    """Validate a study over another kind's base request (module docstring).

    :raise RequestError: naming the first offending field: an unknown field, the study's own
        fields, ``kind``, ``base.<field>``, then each ``space.<name>`` (a name the base does
        not declare, bounds outside its domain, bounds the kind refuses).
    """
    from kinds.studies.request_model import check_study_fields

    unknown = sorted(set(payload) - set(BASE_FIELDS))
    if unknown:
        raise RequestError(*unknown_field(unknown[0], f"{payload.get('kind')} study request"))
    body = check_study_fields(payload)
    search = search_for(payload["kind"])
    base = _base(search, payload)
    declared = search.space(base)
    space = {}
    for name, entry in body.space.items():
        if name not in declared:
            numeric = (n for n, domain in declared.items() if domain.type in NUMERIC)
            known = ", ".join(sorted(numeric)) or "none"
            path = f"space.{name[:40]}"
            raise RequestError(path, f"is not searchable here (searchable: {known})")
        space[name] = _bounds(declared[name], name, entry)
    for corner in ("low", "high"):
        point = {name: entry[corner] for name, entry in space.items()}
        try:
            search.apply(base, point)
        except RequestError as exc:  # named grid.<name> when the kind knows which name
            name = exc.field.removeprefix("grid.")
            field = f"space.{name}.{corner}" if name in space else f"space.{corner}"
            raise RequestError(field, exc.message) from None
    stored = {
        "kind": search.kind,
        "base": base,
        "ticker": f"{len(base['tickers'])} tickers" if "tickers" in base else search.kind,
        "rule_type": search.kind,
        "params": {},
        "space": space,
        "constraints": [],
        **own_stored(body),
    }
    return StudyRequest(new_run_id(), None, stored)


def trial_request(stored: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The base kind's request of one trial: the base with the trial's values.

    :raise RequestError: the kind refuses the point.
    """
    return search_for(stored["kind"]).apply(stored["base"], params)


def base_data_hash(stored: dict[str, Any], data_dir: Path | str | None = None) -> str:
    """The hash of the data the study's base reads (its kind's ``Search.data``; ``NO_DATA``
    for a kind that reads none): every batch checks its trials were computed on it.

    :raise RequestError: naming ``base.<field>`` when the data cannot serve the base.
    """
    data = search_for(stored["kind"]).base_data(stored["base"], data_dir)
    return NO_DATA if data is None else str(data.data_hash)


def base_returns(stored: dict[str, Any], params: dict[str, Any]) -> tuple[Any, float]:
    """(bar returns, bars per year) of the trial ``params`` computed alone by its kind
    (``Outcome.returns``): the moments the deflated Sharpe ratio of a best trial needs
    (``kinds.studies.deflated``).

    :raise RequestError: naming ``kind`` when the kind gives no returns.
    """
    import numpy as np

    outcome = search_for(stored["kind"]).evaluate_one(trial_request(stored, params))
    if outcome.returns is None or outcome.bars_per_year is None:
        raise RequestError("kind", f"a {stored['kind']} gives no returns to judge")
    return np.asarray(list(outcome.returns), dtype=np.float64), float(outcome.bars_per_year)


def base_trial_key(stored: dict[str, Any], params: dict[str, Any], data_hash: str) -> str | None:
    """The reuse key (``kinds.studies.reuse``) of a trial of a base study: its kind, its
    request without id or name, the data's hash and the engine's version; None when the
    kind refuses the point (it is evaluated, and fails, as before)."""
    from engine import ENGINE_VERSION

    kind, search = searchable_kind(stored["kind"])
    try:
        request = search.apply(stored["base"], params)
    except RequestError:
        return None
    identity = {k: v for k, v in request.items() if k not in (kind.id_field, "name")}
    text = json.dumps(
        [stored["kind"], identity, data_hash, ENGINE_VERSION], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = [
    "BASE_FIELDS",
    "base_data_hash",
    "base_returns",
    "base_trial_key",
    "is_base_study",
    "parse_base_study",
    "search_for",
    "study_base",
    "trial_request",
]
