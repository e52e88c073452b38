"""The generation record: every LLM call, run here or reported by an app, with its tokens,
cost, latency, outcome and feedback, written through one ingest path."""
