"""Analytics: rollups kept at ingest, dashboard queries, comparisons and trends."""
