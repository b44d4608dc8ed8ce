"""The adversary's campaign: each high-severity attack found against the token-mode stack,
replayed against the real platform, with the figure that says whether it still works.

    .venv/bin/python -m bench.adversary [--only NAME ...]

Each scenario is a module of this package with a ``run(args) -> ScenarioReport`` function;
it starts the servers it needs (a private ``redis-server`` on a free port, a scratch database
on the MariaDB of CAMPAIGN_DATABASE_URL, ``tests.stack.LocalStack``) and stops them before it
returns. ``bench.adversary.__main__`` runs them one after another and prints every goal next
to its limit; the exit code is 0 when every goal holds.
"""
