"""Routes of the quality capability: findings, scans, score trends and the rule catalogue."""
