"""The result cache's key: what makes two run requests the same (docs/execution.md "The
result cache"). Pure: no I/O, importable by a Job (no SQLAlchemy).

Two requests are the same when their normalised requests (``parse_request``: defaults
filled, ticker upper-cased, params checked and filled by the rule's model, numbers as
floats) are equal field by field, apart from ``run_id``, on the same data file bytes
(``data_hash``), engine version and result schema version. The key is the SHA-256 of one
canonical JSON text of those: keys sorted, no spaces, floats as Python's shortest repr
(``0.001`` and ``1e-3`` are one number). Labels (name, tags, notes), the ``cache`` flag, the
owner and the id are not part of it: none of them changes a result's bytes except the id,
which a cached copy carries as its own (``kinds.runs.store.insert_cached``).
"""

from __future__ import annotations

import hashlib
import json

from engine import ENGINE_VERSION
from kinds.runs.contract import RunRequest
from kinds.runs.result_version import RESULT_SCHEMA_VERSION
from metrics import curve_functions


def canonical_json(fields: dict) -> str:
    """One canonical JSON text of a normalised request's fields: keys sorted at every level,
    compact separators, floats as Python's shortest repr."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical_request(request: RunRequest) -> str:
    """The request's canonical JSON text: its ``to_dict()`` without ``run_id``."""
    return canonical_json({n: v for n, v in request.to_dict().items() if n != "run_id"})


def key_of(canonical: str, data_hash: str) -> str:
    """The SHA-256 hex key of a ``canonical`` request text on the data whose bytes hash to
    ``data_hash``, under this code's ``ENGINE_VERSION`` and ``RESULT_SCHEMA_VERSION`` (the
    key of runs, trials and sweeps: ``kinds.sweeps.cache``) and the registry's metrics
    computed by a named function (none: the key is as before they existed), so a result
    stored before a metric was added is not served without it."""
    named = (f"{m.key}={m.function}" for m in curve_functions())
    versions = (ENGINE_VERSION, RESULT_SCHEMA_VERSION, *named)
    text = "\n".join((canonical, data_hash, *versions))
    return hashlib.sha256(text.encode()).hexdigest()


def cache_key(request: RunRequest, data_hash: str) -> str:
    """The key of the run ``request`` on the data whose bytes hash to ``data_hash``."""
    return key_of(canonical_request(request), data_hash)
