"""`promptyard dataset` and `promptyard eval`: datasets and evaluation runs."""
