"""The sweep result cache's key: what makes two sweep requests the same (docs/execution.md
"The result cache"). Pure: no I/O.

Two sweeps are the same when their normalised requests (``SweepRequest.to_dict``: the
tickers, rule, fixed params, the expanded grid, the run fields, the chunk size and
``cscv_blocks`` — every field that changes a stored byte) are equal apart from
``sweep_id``, on the same data (each ticker's file hash, in ticker order), engine version
and result schema version: the run key's recipe (``kinds.runs.cache.key_of``) over the
sweep's canonical text. Labels, the ``cache`` flag, the owner and the id are not part of it.
"""

from __future__ import annotations

from kinds.runs.cache import canonical_json, key_of
from kinds.sweeps.contract import SweepRequest


def sweep_cache_key(sweep: SweepRequest, data_hashes: dict[str, str]) -> str:
    """The SHA-256 hex key of ``sweep`` on the files whose hashes ``data_hashes`` gives per
    ticker."""
    fields = {name: value for name, value in sweep.to_dict().items() if name != "sweep_id"}
    data = "\n".join(f"{ticker}:{data_hashes[ticker]}" for ticker in sweep.tickers)
    return key_of(canonical_json(fields), data)
