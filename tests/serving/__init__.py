"""Tests of serving/: the web's gunicorn worker."""
