"""Routes of the alerts capability: budgets, alert rules, channels and fired alerts."""
