"""Promptyard: self-hosted prompt management and LLM operations.

The public Python API is the HTTP client::

    from promptyard import Client
    client = Client("http://127.0.0.1:8000", api_key="...")
    prompt = client.get_prompt("greeting", label="production")
    text = prompt.compile(name="Ada")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from promptyard.version import __version__

__all__ = ["AsyncClient", "Client", "PromptyardError", "__version__"]

if TYPE_CHECKING:
    from promptyard.client import AsyncClient, Client, PromptyardError


def __getattr__(name: str) -> Any:
    # The client is imported lazily so the server never pays for it and vice versa.
    if name in ("AsyncClient", "Client", "PromptyardError"):
        from promptyard import client

        return getattr(client, name)
    raise AttributeError(name)
