#!/usr/bin/env bash
# The fixed end-to-end scenario on the embedded local stack: start it, submit one backtest,
# follow /status to SUCCEEDED, print the result, stop. (BACKTEST_URL=… uses a running platform.)
# The queue-depth autoscaling demo: `.venv/bin/python -m scripts.demo autoscale --runs 40`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
. scripts/venv.sh
install_venv .venv requirements.txt --compile-bytecode
exec .venv/bin/python -m scripts.demo run
