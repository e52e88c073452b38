"""CLI of the analytics capability."""
