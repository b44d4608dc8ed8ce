"""gunicorn settings of the web (the image's CMD passes ``--config gunicorn.conf.py``).

The one place the web's worker model is set: the image, compose and Kubernetes all run the
image's CMD, and tests/deploy/test_deploy_slow_clients.py starts that same CMD. Bind address and
worker count stay in the CMD (``PORT``, ``WEB_CONCURRENCY``); ``GUNICORN_CMD_ARGS`` (e.g. the
Kubernetes graceful timeout) overrides this file, command-line flags override both.

Why gevent workers (docs/ops-guide.md, "Slow clients"): a sync worker serves one connection at a
time, so two clients that send ``Content-Length: 1000`` and then stall held both workers and
``/health`` waited 36 s. gthread only moves the limit (one thread per stalled connection; gunicorn
defers idle new connections, but not a half-sent header or body). A gevent worker parks each
connection in a greenlet that costs a few KB and no thread, so a stalled client holds nothing the
next request needs. The web's I/O is pure-Python sockets (PyMySQL, redis-py), which gevent's
monkeypatching makes cooperative; the test checks ``/ready`` (MySQL and Redis) under it. A
CPU-bound request still holds its worker's hub while it runs, as it held a sync worker.
"""

worker_class = "gevent"
"""One greenlet per connection: a stalled client costs memory, not a worker."""

worker_connections = 1000
"""Connections one worker keeps at once (gunicorn's default, stated): beyond it the kernel's
backlog queues them. Far past it is a flood, for the ingress/proxy in front to cut off."""

timeout = 30
"""A worker whose hub is blocked (CPU-bound code, no I/O) this long is killed and replaced."""
