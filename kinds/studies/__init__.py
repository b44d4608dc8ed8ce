"""Optimisation studies (issue 28, docs/studies.md): a search over a rule's parameter space
by an Optuna sampler, spread over the queue as batches of trials (``kinds.studies.kind``)."""
