"""The engine's contract version, recorded with every stored result.

Bump it whenever the numbers the engine produces for the same input could change: fills,
sizing, fees, slippage, bankruptcy, metric definitions. On a bump:

1. change ``ENGINE_VERSION`` (semantic: patch for a fix, minor/major for new conventions);
2. run ``python -m tests.golden``: it rewrites the engine golden matrix
   (tests/engine/golden/) and the run-level golden (tests/golden/) with their version
   sidecars; review the diff — only the intended numbers may move;
3. commit the bump and the golden files together.

The golden tests fail both ways: output that changes while the version stays ("engine output
changed without an ENGINE_VERSION bump") and a bump whose golden files were not regenerated.
A change to the result document alone bumps ``kinds.runs.result_version.RESULT_SCHEMA_VERSION``.
"""

ENGINE_VERSION = "2.2.2"
