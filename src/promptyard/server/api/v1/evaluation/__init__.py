"""Routes of the evaluation capability: datasets, evaluators, evaluation runs."""
