"""The store: SQLAlchemy models and the guarded run transitions, in MySQL (or SQLite locally).

Its own package because web/ (INSERT PENDING, reads) and consumer/ (RUNNING, SUCCEEDED,
FAILED, reaper) both write through it and neither may import the other. MySQL is the
source of truth for a run's status; Redis is only transport.
"""
