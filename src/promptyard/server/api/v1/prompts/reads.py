"""What ``GET /api/v1/prompts/{name}`` and its fast path (``server/middleware.py``) share.

The route and :class:`~promptyard.server.middleware.PromptReadFastPath` must answer a
read with the same bytes and headers, so both look the read cache up and build the
headers here. Plain functions on bytes and tuples: the fast path stays free of pydantic.
"""

from __future__ import annotations

import hashlib

from promptyard.services.context import Core
from promptyard.services.prompts.lookup import prompt_key
from promptyard.services.prompts.registry import PromptJson

_DEPRECATION = (b"deprecation", b"true")


def cached_prompt(
    core: Core, project_id: int, name: str, version: int | None, label: str | None
) -> PromptJson | None:
    """The :class:`PromptJson` of a read already in the cache, else ``None``.

    The key and view are those :func:`~promptyard.services.prompts.registry.get_prompt_json`
    fills the cache with.
    """
    entry: PromptJson | None = core.cache.get(prompt_key(project_id, name), (version, label))
    return entry


def assigned_label(
    core: Core, project_id: int, name: str, label: str | None, unit: str
) -> tuple[str, list[tuple[bytes, bytes]]] | None:
    """The label a read by ``unit`` serves when an experiment runs on ``name@label`` (the
    ``core.prompt_assigners`` experiments install), and the headers naming the
    experiment and variant; else ``None``."""
    for assigner in core.prompt_assigners:
        found = assigner(project_id, name, label, unit)
        if found is not None:
            served, experiment_id, variant = found
            headers = [
                (b"x-promptyard-experiment", str(experiment_id).encode()),
                (b"x-promptyard-variant", variant.encode("latin-1")),
            ]
            return served, headers
    return None


def read_etag(body: bytes, number: int) -> bytes:
    """The ``ETag`` of a prompt read: ``"<version number>-<digest of the answer>"``.

    The number leads, so the tag still names the version served (``If-Match`` takes it
    back, see ``parse_if_match``); the digest changes with anything else in the answer
    (labels, tags, lifecycle, description), so a ``304`` never hides such a change.
    """
    digest = hashlib.blake2b(body, digest_size=6).hexdigest().encode()
    return b'"%d-%s"' % (number, digest)


def prompt_read_headers(read: PromptJson) -> list[tuple[bytes, bytes]]:
    """The headers of a prompt read besides its content type: the :func:`read_etag`, and
    ``Deprecation: true`` when the prompt is deprecated."""
    headers = [(b"etag", read_etag(read.body, read.number))]
    if read.deprecated:
        headers.append(_DEPRECATION)
    return headers


def etag_matches(if_none_match: str | None, etag: bytes) -> bool:
    """Whether an ``If-None-Match`` value names the read's ETag (also weak ``W/"..."``,
    in a list, or ``*``): then the answer is ``304 Not Modified``."""
    if not if_none_match:
        return False
    wanted = etag.decode("ascii")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False
