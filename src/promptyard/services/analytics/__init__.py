"""Analytics: rollups counted after ingest, dashboard queries, comparisons and trends."""
