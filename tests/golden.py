"""``python -m tests.golden``: rewrite the golden result files from the current code.

Run it only for an intended change of results, together with an ENGINE_VERSION bump.
"""

from __future__ import annotations

from runs.contract import parse_request
from runs.execute import execute
from runs.serialize import to_json
from tests.runs.test_runs_execute import GOLDEN, GOLDEN_REQUEST


def main() -> None:
    path = GOLDEN / "acme_sma_cross_longshort.json"
    path.write_text(to_json(execute(parse_request(GOLDEN_REQUEST))))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
