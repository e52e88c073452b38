"""The package version, importable without the rest of Promptyard."""

__version__ = "0.1.0"
