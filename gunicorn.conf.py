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

Why our own subclass of it (``serving.worker.Worker``): a greenlet per connection still has a
ceiling, ``worker_connections`` per worker, and 2,100 sockets dripping a 100,000-byte body one
byte every 2 s from one address filled both workers' slots and ``/health`` failed every probe.
The subclass gives a request WEB_REQUEST_READ_TIMEOUT (30 s) to arrive, headers and body (then
408 and the connection is closed), and closes at once a new connection from an address that
already holds WEB_MAX_CLIENT_CONNECTIONS (100) in the worker. Both are environment variables
read by the worker through ``config.process``; tests/deploy/test_deploy_slow_clients.py floods
the CMD with twice the ceiling from one address.
"""

worker_class = "serving.worker.Worker"
"""gunicorn's gevent worker (one greenlet per connection: a stalled client costs memory, not a
worker) with a read deadline per request and a cap on one address's connections."""

worker_connections = 1000
"""Connections one worker keeps at once (gunicorn's default, stated): beyond it the kernel's
backlog queues them. Far past it is a flood, for the ingress/proxy in front to cut off."""

timeout = 30
"""A worker whose hub is blocked (CPU-bound code, no I/O) this long is killed and replaced."""

keepalive = 2
"""Seconds gunicorn waits for the next request line and headers on a connection, the first
included (gunicorn's default, stated: the worker bounds that wait by it, never by more than
WEB_REQUEST_READ_TIMEOUT). Keep it above 0: 0 would leave the headers' wait unbounded."""
