"""The consumer: the process a Kubernetes Job runs for one queued backtest.

Modules, one concept each: ``oneshot`` (execute a request file without Redis or a
database), ``worker`` (take one run from the queue, record it, exit), ``reaper``
(abandoned runs), ``scaler`` (KEDA's ScaledJob rules on one machine).
"""
