"""Token counts for the context-window rule, offline.

A small self-contained helper (the runtime capability may grow its own): ``o200k_base``
from the ``bpe-openai`` package, which ships the encoding's data, so nothing is
downloaded. Without the package, :func:`counter` is ``None`` and the rules estimate four
characters a token (and say so).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def counter() -> Callable[[str], int] | None:
    try:
        with warnings.catch_warnings():  # its loader uses a deprecated importlib call
            warnings.simplefilter("ignore", DeprecationWarning)
            import bpe_openai

            encoding = bpe_openai.get_encoding("o200k_base")
            encoding.encode("loaded")  # the data is read on first use
    except Exception:  # a missing or broken install means: estimate
        return None

    def count(text: str) -> int:
        return len(encoding.encode(text))

    return count
