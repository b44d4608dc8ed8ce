"""Walk-forward optimisation: a sweep of each fold's training window (an ordinary sweep, as
queued chunks), the best parameters by a metric run on the following test window, the test
windows stitched into one out-of-sample curve (docs/walkforward.md)."""
