"""The built-in provider kinds, registered like any outside plugin.

``openai`` and ``azure_openai`` (:mod:`.openai`), ``anthropic`` (:mod:`.anthropic`) and
``fake`` (:mod:`.fake`). The SDKs are imported on first use, not here. See
``docs/providers.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from promptyard.plugins.api import Provider
from promptyard.plugins.builtin.providers.anthropic import AnthropicProvider
from promptyard.plugins.builtin.providers.fake import FakeProvider
from promptyard.plugins.builtin.providers.openai import AzureOpenAIProvider, OpenAIProvider
from promptyard.plugins.hookspecs import hookimpl

__all__ = ["AnthropicProvider", "AzureOpenAIProvider", "FakeProvider", "OpenAIProvider"]


@hookimpl
def register_providers(register: Callable[[Provider], Any]) -> None:
    register(OpenAIProvider())
    register(AzureOpenAIProvider())
    register(AnthropicProvider())
    register(FakeProvider())
