"""CLI of the runtime capability: ``promptyard provider``."""
