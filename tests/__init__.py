"""The test suite, by area (tests/<area>/test_*.py). A helper more than one test module needs
lives once, in a module that holds no tests; look there before writing one:

* tests/conftest.py: the real services (``redis_url``, ``mysql_url``, ``sqlite_url``, …), the
  ``stack`` of web + scaler processes, the browser; <area>/conftest.py: an area's fixtures.
* tests/bars.py: synthetic daily bars (``daily_bars``) and backtesting.py's GOOG.csv.
* tests/reference.py: textbook implementations to compare against (RSI, crossings).
* tests/stack.py: processes (``python_m``, ``LocalStack``), ports, ``wait_until`` and the
  status polls of the end-to-end tests; tests/loopback.py: serving on a loopback port.
* <area>/support*.py: an area's builders, e.g. web/support.py (the app, its data directory,
  valid requests), sweeps/support.py, consumer/support.py, deploy/support.py,
  adapters/support.py.
"""
