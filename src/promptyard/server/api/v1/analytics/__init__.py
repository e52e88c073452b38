"""Routes of the analytics capability: dashboards, comparisons and trends."""
