"""Python strategies run on the platform: the user's ``Strategy`` class in the sandbox, the
broker's order book here in the consumer (``sandboxed``)."""
