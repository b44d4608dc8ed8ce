"""The result document's schema version, separate from the engine's.

``RESULT_SCHEMA_VERSION`` versions the JSON a run stores (``RunResult.to_dict`` serialised
by ``kinds.runs.serialize.to_json``): its fields, their layout and what adapters derive into them.
``ENGINE_VERSION`` versions the engine's numbers. Adding, removing or reshaping a result field
bumps this version only (the engine did not change); a change of engine output bumps
``ENGINE_VERSION``. Either bump means regenerating the golden files with
``python -m tests.golden`` (the golden tests fail until then). It is deliberately not a field
of the result: stored results keep their bytes.
"""

RESULT_SCHEMA_VERSION = "1.3.1"
"""1.3.1: the PSR's skewness and kurtosis from products of the centred returns, the same bits
on every machine (numpy's ``power`` took them, whose AVX-512 loop and libm's ``pow`` differ
in the last bit); a long run's moments and PSR may move in their last digits. 1.3.0:
``metrics.psr`` and ``probabilistic_sharpe`` (the PSR of the bar returns and its inputs).
1.2.0: the benchmark at the run's exposure."""
