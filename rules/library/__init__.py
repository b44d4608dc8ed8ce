"""The rule families, one module each. Every module defines ``SPEC`` (its RuleSpec, with the
signal and overlay functions) and ``batch`` (the same signals for N parameter sets);
``composite`` is built by the registry from the others."""
