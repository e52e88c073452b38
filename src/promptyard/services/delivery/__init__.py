"""Delivery to agents: the change stream of prompts and cross-process cache invalidation."""
