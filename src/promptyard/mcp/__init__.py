"""The MCP server of Promptyard, defined once over a small "prompt source" protocol.

``promptyard mcp`` (stdio, ``cli/delivery``) serves it over the Python SDK;
``/mcp`` (streamable HTTP, ``server/mcp``) over the services, as the request's actor.
This package imports neither: only the ``mcp`` SDK and the plain objects of
:mod:`promptyard.mcp.source`.
"""

from promptyard.mcp.changes import ChangeHub
from promptyard.mcp.server import build_server, initialization_options
from promptyard.mcp.source import PromptEntry, PromptSource, Rendered, Selector, SourceError

__all__ = [
    "ChangeHub",
    "PromptEntry",
    "PromptSource",
    "Rendered",
    "Selector",
    "SourceError",
    "build_server",
    "initialization_options",
]
