"""How the web's processes hold connections: the gunicorn worker class of the image's CMD
(``gunicorn.conf.py`` names ``serving.worker.Worker``).

A package of its own, outside ``web``: gunicorn's master imports the worker class before it
forks, and before each worker's gevent patches the standard library, so this package imports
gunicorn, gevent and ``config.process`` only (importing ``web`` would load Flask, Redis and
SQLAlchemy, and ``ssl``, unpatched in the master). The app is loaded by each worker after it
has patched, as gunicorn always does.
"""
