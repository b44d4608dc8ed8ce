#!/usr/bin/env bash
# Install everything the tests need and run the whole suite: the real services (Redis,
# MariaDB), a .venv with requirements-dev.txt, a .venv-bench with requirements-bench.txt (the
# vectorbt of the portfolio parity test), a .venv-zipline with requirements-zipline.txt (the
# zipline of the volume-share slippage parity test), Debian's chromium for the browser tests,
# Debian's promtool (package prometheus) for the alert rules and the offline validators,
# binutils' objdump for bench.perf_map's disassembly; then
# lint and pytest. CI runs exactly this (.ci/run).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k engine`. pytest runs the test
# files in parallel (pytest-xdist), two workers per core, each file whole on one worker (the
# slowest files first, tests/conftest.py); each worker has a Redis server of its own
# (tests/servers.py), its own MySQL databases and its own SQLite files.
# `bash scripts/test.sh -n 0` runs them in this one process instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

bash scripts/services.sh
missing=()  # Debian packages the tests need, installed in one apt-get run
command -v chromium >/dev/null || missing+=(chromium)  # the browser tests
command -v promtool >/dev/null || missing+=(prometheus)  # checks the alert rules (tests/deploy)
command -v objdump >/dev/null || missing+=(binutils)  # bench.perf_map's disassembly (tests/bench)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The app image of the container tests (tests/deploy/conftest.py) builds in the background
# from here on, beside the installs, the lint, the kernels' warm-up and the first test files,
# holding an exclusive lock on .tools/image-build.lock until it ends (its output in
# .tools/image-build.log); with it the compose file's mysql and redis stand-ins. Those tests
# take that lock shared first (tests/background.py), then build the Dockerfile again and find
# every layer built: the build's CPU (the code layer's bytecode and bars, the kernels' layer when
# engine/ changed; on a new machine podman's installation and the base image too) falls in the
# cores' idle time before pytest instead of holding a worker. It runs at the lowest priority
# (nice 19, which its containers inherit), so it takes only that idle time: the kernels'
# warm-up below, whose longer half is what pytest waits for, gets the cores first. Its failure fails nothing here:
# the tests' own build then fails and says why. A run given a selection of tests (a path,
# -k, -m) builds nothing ahead.
prebuild=1
for arg in "$@"; do
  case "$arg" in
    -k* | -m* | --deselect* | --lf | --last-failed | tests* | *.py | *::*) prebuild=0 ;;
  esac
done
if [ "$prebuild" = 1 ] && { [ "$(id -u)" = 0 ] || command -v podman >/dev/null; }; then
  mkdir -p .tools
  exec 8>.tools/image-build.lock
  flock -x 8
  (
    nice -n 19 "$PYTHON" -m scripts.container build "test-$(git rev-parse --short HEAD 2>/dev/null || echo dev)"
    if "$PYTHON" -c "import yaml" 2>/dev/null; then "$PYTHON" -m scripts.container standins; fi
  ) >.tools/image-build.log 2>&1 &
  building_image=$!
  exec 8>&-  # the lock is now the background build's alone
fi

# The parity tests' peers live in venvs of their own so .venv stays exactly
# requirements-dev.txt: .venv-bench (requirements-bench.txt: vectorbt, quantstats, skfolio) and
# .venv-zipline (requirements-zipline.txt: zipline-reloaded, which needs pandas < 3). Every
# venv is made and filled by uv (scripts/venv.sh). The peers' installs run in the background,
# beside .venv's, the lint, the kernels' warm-up and the first test files, each holding an
# exclusive lock on its install.lock until it ends: the tests that need a peer take that lock
# shared first (tests/peer_venv.py), so they wait for it and nothing else does. Their bytecode
# is not compiled at install: the peers' first process compiles and writes what it imports.
# .venv's is (--compile-bytecode): the strategy sandbox's children import from it where they
# cannot write.
. scripts/venv.sh
ensure_uv
installing_peers=()
install_peer() {  # install_peer VENV REQUIREMENTS
  local venv=$1 requirements=$2
  mkdir -p "$venv"
  exec 9>"$venv/install.lock"
  flock -x 9
  (install_venv "$venv" "$requirements" && "$PYTHON" -m scripts.kernel_store restore "$venv") \
    >"$venv/install.log" 2>&1 &
  installing_peers+=("$!:$venv:$requirements")
  exec 9>&-  # the lock is now the background install's alone
}
install_peer .venv-bench requirements-bench.txt
install_peer .venv-zipline requirements-zipline.txt
export VECTORBT_PYTHON="$PWD/.venv-bench/bin/python"
export ZIPLINE_PYTHON="$PWD/.venv-zipline/bin/python"
# numpy's math on one thread in every test process and every process they start (the peers'
# children too), as a Job runs it (consumer/__main__.py): four workers already share the two
# cores, and a BLAS pool per process only oversubscribes them, its threads spinning while they
# wait (three portfolio test files, one process: 138 CPU-s with the default pool, 129 with
# one thread; the skfolio oracle child alone 20.5 against 14.3). A value the shell set stays.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}

install_venv .venv requirements-dev.txt --compile-bytecode
# numpy's loops and OpenBLAS's kernels as a Job runs them (config/numerics.py: the same bits on
# every node), so that a test's own computation of a figure matches the Job's. A value the
# shell set stays.
while IFS='=' read -r name value; do
  if [ -z "${!name:-}" ]; then export "$name=$value"; fi
done < <(.venv/bin/python -m config.numerics)
if [ -f scripts/install-validators.sh ]; then bash scripts/install-validators.sh; fi

export TEST_DATABASE_URL=${TEST_DATABASE_URL:-mysql+pymysql://root@127.0.0.1:3306/test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
export PATH="$PWD/.venv/bin:$PWD/.tools/bin:$PATH"
# Bytecode is cached in the checkout's (git-ignored) __pycache__ folders even where the shell
# sets PYTHONDONTWRITEBYTECODE: otherwise every process the suite starts (the CLI tests, the
# stacks' web, scaler and consumer processes) compiles each project module it imports again,
# and each pytest worker rewrites every test module's assertions again (collection 19 s
# instead of 4.5 s). The project's packages are compiled once below, beside the kernels.
unset PYTHONDONTWRITEBYTECODE

# numba's kernels compiled by an earlier run on this machine (scripts/kernel_store.py: a
# store of whole __pycache__ snapshots keyed by their sources, as uv keeps wheels and podman
# layers): a fresh clone restores them instead of compiling the engine's (about 130 CPU-s)
# and vectorbt's again; the peer venvs restore theirs after their install, above. What this
# run compiled is saved at its end.
"$PYTHON" -m scripts.kernel_store restore

# The engine's kernels compiled into numba's cache (engine.compiled.warm, as the image does),
# so the pytest workers load them instead of each compiling: its two halves on the two cores,
# the broker's step (60–90 CPU-s cold by the machine) beside the lint, the run and portfolio kernels
# (about 30 CPU-s) and a collection after it, which leaves every test module's
# assertion-rewritten bytecode in __pycache__ so each xdist worker's own collection loads it
# instead of rewriting them all. That collection runs as two processes, each over every other
# test file, one a core: with the kernels restored from the store it is the longest step
# before pytest (19 s of wall in one process).
(
  .venv/bin/python -m compileall -q -x '/[.](venv|venv-bench|venv-zipline|tools)/' . >/dev/null
  .venv/bin/python -c "from engine.compiled import warm_steps; warm_steps()"
) &
warming=$!
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports  # the layer contracts ([tool.importlinter] in pyproject.toml)
.venv/bin/python -c "from engine.compiled import warm_runs_and_portfolios as w; w()"
mapfile -t test_files < <(find tests -name 'test_*.py' -not -path '*/__pycache__/*' | sort)
halves=("" "")
for i in "${!test_files[@]}"; do halves[i % 2]+="${test_files[i]} "; done
collecting=()
for half in "${halves[@]}"; do
  # shellcheck disable=SC2086  # the file names hold no spaces
  .venv/bin/python -m pytest --collect-only -q -p no:cacheprovider $half >/dev/null &
  collecting+=("$!")
done
wait "${collecting[@]}" || true  # errors: below, in the run itself
wait "$warming"
status=0
# Two workers per core: about half of a worker's wall is spent waiting (on the processes and
# servers it starts, chromium, the consumers' heartbeats, podman), and a second worker on the
# same core runs its files in that time (docs/testing.md, "Parallel files").
# (nproc counts the cores this process may use, but also honours OMP_NUM_THREADS, set to 1
# above for numpy's math: asked without it, or the suite would run on two workers.)
workers=$((2 * $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)))
.venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@" || status=$?
for peer in "${installing_peers[@]}"; do
  IFS=: read -r pid venv requirements <<<"$peer"
  if ! wait "$pid"; then
    echo "installing $venv ($requirements) failed; the end of $venv/install.log:" >&2
    tail -n 20 "$venv/install.log" >&2
    status=1
  fi
done
"$PYTHON" -m scripts.kernel_store save
if [ -n "${building_image:-}" ]; then wait "$building_image" || true; fi  # the tests said
exit "$status"
