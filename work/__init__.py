"""Queued work: the protocol every kind of queued work item (runs, sweep chunks, …) follows,
and the states those items move through. The consumer, the reaper and the local scaler know
only this protocol, never a particular kind."""
