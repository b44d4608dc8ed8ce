"""Operator scripts: the local stack launcher, demos, benchmarks' helpers, set-up shells."""
