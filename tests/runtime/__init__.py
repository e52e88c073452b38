"""Model providers and calling them (tests/runtime)."""
