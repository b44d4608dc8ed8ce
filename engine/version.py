"""The engine's contract version, recorded with every stored result.

Bump it (and regenerate the golden files in tests/golden/) whenever the numbers the engine
produces for the same input could change: fills, sizing, fees, metric definitions.
"""

ENGINE_VERSION = "1.0.0"
