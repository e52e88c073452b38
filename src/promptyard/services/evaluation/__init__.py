"""Evaluation: datasets (versioned cases), evaluators and scores, evaluation runs.

``datasets`` keeps versioned datasets of cases; ``evaluators`` scores one output with a
built-in or plugin evaluator; ``scores`` stores scores; ``sweeps`` expands parameter
sweeps; ``runs`` runs prompt versions x models over a dataset version.
"""
