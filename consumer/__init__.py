"""The consumer: the process a Kubernetes Job runs for one queued work item.

Modules, one concept each: ``oneshot`` (execute a request file without Redis or a
database), ``worker`` (take one item from the queue, record it, exit), ``reaper``
(abandoned items), ``scaler`` (KEDA's ScaledJob rules on one machine), ``kinds`` (the
registry of work kinds, the only module naming them; see docs/work-kinds.md), ``queue``
(the queue and its one enqueue policy). ``jobs`` and ``sweep_jobs`` only keep the dotted
names queued messages call.
"""
