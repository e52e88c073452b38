"""Routes that speak another product's dialect under ``/api/public`` (Langfuse's)."""
