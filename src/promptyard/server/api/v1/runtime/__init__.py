"""Routes of the runtime capability: a workspace's provider connections and prices."""
