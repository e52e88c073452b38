"""The Promptyard Python SDK: a thin, typed client of the HTTP API, and cached prompt
delivery for agents (docs/agents.md).

    from promptyard import Client
    with Client("http://127.0.0.1:8000", api_key="py_...") as client:
        prompt = client.get_prompt("greeting", label="production")
        print(prompt.compile(name="Ada"))

It imports nothing from the server side of the package but the template engine.
"""

from promptyard.client._async import AsyncClient
from promptyard.client._client import Client
from promptyard.client._errors import (
    CompileError,
    ForbiddenError,
    MissingVariablesError,
    NotFoundError,
    PromptTypeError,
    PromptyardConnectionError,
    PromptyardError,
    ServerError,
    UnauthenticatedError,
)
from promptyard.client._fetch import DEFAULT_URL
from promptyard.client._observe import Span, current_observation
from promptyard.client._prompt import ChatPrompt, TextPrompt
from promptyard.client._reporting import ReportingSettings
from promptyard.client._wrappers import wrap_anthropic, wrap_openai

__all__ = [
    "DEFAULT_URL",
    "AsyncClient",
    "ChatPrompt",
    "Client",
    "CompileError",
    "ForbiddenError",
    "MissingVariablesError",
    "NotFoundError",
    "PromptTypeError",
    "PromptyardConnectionError",
    "PromptyardError",
    "ReportingSettings",
    "ServerError",
    "Span",
    "TextPrompt",
    "UnauthenticatedError",
    "current_observation",
    "wrap_anthropic",
    "wrap_openai",
]
