"""A version's identity: the hash of its type, content and model config."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def content_hash(type_: str, content: str | list[dict[str, Any]], config: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of type, content and config (keys sorted).

    Two versions with the same hash say the same thing; bundles carry it so an import can
    tell a damaged or edited bundle.
    """
    payload = orjson.dumps(
        {"type": type_, "content": content, "config": config}, option=orjson.OPT_SORT_KEYS
    )
    return "sha256:" + hashlib.sha256(payload).hexdigest()
