"""The Promptyard Python SDK: a thin, typed client of the HTTP API.

    from promptyard import Client
    with Client("http://127.0.0.1:8000", api_key="py_...") as client:
        prompt = client.get_prompt("greeting", label="production")
        print(prompt["version"]["content"])

It imports nothing from the server side of the package.
"""

from promptyard.client._client import DEFAULT_URL, Client
from promptyard.client._errors import PromptyardConnectionError, PromptyardError

__all__ = ["DEFAULT_URL", "Client", "PromptyardConnectionError", "PromptyardError"]
