"""Token counts when a provider reports none: tiktoken, offline.

tiktoken downloads its encodings on first use; these machines have no internet. The
``bpe-openai`` package ships the same files (``o200k_base``, ``cl100k_base``, their
sha256 equal to what tiktoken expects). We unpack them where tiktoken looks for its
cache (``$TIKTOKEN_CACHE_DIR``, else ``$DATA_GYM_CACHE_DIR``, else
``<tmp>/data-gym-cache``, named by the sha1 of the official URL) before the first
``get_encoding``, so tiktoken finds them and never reaches for the network.

Counts from here are estimates for non-OpenAI models (their tokenizers differ); rows
counted here carry the ``estimated_tokens`` flag.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

ESTIMATED = "estimated_tokens"
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
#: Models known to use cl100k_base; everything else is counted with o200k_base.
_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_lock = threading.Lock()


def _cache_dir() -> Path:
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _install(name: str) -> None:
    """Unpack ``name``'s BPE file from bpe-openai into tiktoken's cache (atomic)."""
    import bpe_openai

    source = Path(bpe_openai.__file__).parent / "data" / f"{name}.tiktoken.gz"
    folder = _cache_dir()
    target = folder / hashlib.sha1(_URL.format(name=name).encode()).hexdigest()
    if target.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(gzip.decompress(source.read_bytes()))
    os.replace(partial, target)


@lru_cache(maxsize=4)
def _encoding(name: str) -> Any | None:
    try:
        import tiktoken

        with _lock:
            _install(name)
            return tiktoken.get_encoding(name)
    except Exception:  # a missing package or unwritable cache means: estimate by length
        return None


def encoding_name(model: str | None) -> str:
    base = (model or "").rsplit("/", 1)[-1].lower()
    if base.startswith(_CL100K_PREFIXES) and not base.startswith(("gpt-4o", "gpt-4.1")):
        return "cl100k_base"
    return "o200k_base"


def exact_counter(model: str | None) -> Callable[[str], int] | None:
    """tiktoken's count for ``model``'s encoding, or None when it cannot be loaded."""
    encoding = _encoding(encoding_name(model))
    if encoding is None:
        return None
    # disallowed_special=(): a user's text that spells "<|endoftext|>" is just text
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def counter(model: str | None) -> Callable[[str], int]:
    """:func:`exact_counter`, else an estimate of four characters a token."""
    return exact_counter(model) or (lambda text: (len(text) + 3) // 4)


def count_text(model: str | None, text: str) -> int:
    return counter(model)(text)


def count_input(model: str | None, value: str | list[dict[str, Any]]) -> int:
    """Tokens of a prompt: text, or chat messages (content plus ~4 tokens a message for
    the role and separators, as OpenAI's cookbook counts them)."""
    count = counter(model)
    if isinstance(value, str):
        return count(value)
    total = 3
    for message in value:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, default=str)
        total += 4 + count(text) + count(str(message.get("role", "")))
    return total
