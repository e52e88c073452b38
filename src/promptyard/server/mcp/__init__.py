"""MCP over streamable HTTP at ``/mcp``: :mod:`promptyard.mcp`'s server over the services."""
