"""Delivery to agents from the command line: ``promptyard mcp`` (MCP over stdio)."""
