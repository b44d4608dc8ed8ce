#!/usr/bin/env bash
# Install what the platform needs (a .venv with requirements.txt) and run it on its embedded
# default: an embedded real Redis, SQLite, the web on $PORT (5000) and the local scaler.
# Ctrl-C stops everything. Set REDIS_URL / DATABASE_URL to use real servers instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
. scripts/venv.sh
install_venv .venv requirements.txt --compile-bytecode
exec .venv/bin/python -m scripts.local_stack
