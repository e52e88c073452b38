"""Fetching a prompt with the prompts it includes, free of I/O.

:func:`fetch_plan` is a generator: it yields the reads it needs (:class:`Get`) and is
sent their answers (:class:`Reply`); the sync client answers with ``httpx.Client``, the
async one with ``httpx.AsyncClient``, so both follow the same steps. The server has no
route that answers a prompt with its includes resolved, so they are read one by one
through ``GET /api/v1/prompts/{name}`` (with ``If-None-Match`` on a refresh), at fetch
time; compiling later needs no network.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from promptyard.client._cache import Entry, Include, entry_from
from promptyard.client._errors import PromptyardError
from promptyard.domain.templating import PromptRef, TemplateEngine
from promptyard.domain.templating.content import DomainError, template_sources
from promptyard.version import __version__

DEFAULT_URL = "http://127.0.0.1:8000"


def server_url(base_url: str | None) -> str:
    """The server's root URL: ``base_url``, else ``PROMPTYARD_URL``, else the local default
    (a trailing ``/`` or ``/api/v1`` is dropped)."""
    url = (base_url or os.environ.get("PROMPTYARD_URL") or DEFAULT_URL).rstrip("/")
    return url.removesuffix("/api/v1")


def api_key_from(api_key: str | None) -> str | None:
    """``api_key``, else ``PROMPTYARD_API_KEY``."""
    return api_key if api_key is not None else os.environ.get("PROMPTYARD_API_KEY")


def request_headers(api_key: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers of every SDK request (sync and async alike), plus ``extra``."""
    headers = {"Accept": "application/json", "User-Agent": f"promptyard-python/{__version__}"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    if extra:
        headers.update(extra)
    return headers


@dataclass(frozen=True)
class Get:
    """Read one prompt version: by ``label`` or ``version``."""

    name: str
    label: str | None
    version: int | None
    etag: str | None = None

    def params(self, project: str) -> list[tuple[str, str]]:
        params = [("project", project)]
        if self.version is not None:
            params.append(("version", str(self.version)))
        elif self.label is not None:
            params.append(("label", self.label))
        return params

    def headers(self) -> dict[str, str]:
        return {"If-None-Match": self.etag} if self.etag else {}


@dataclass(frozen=True)
class Reply:
    """``200`` with ``body``, ``304``, or ``404`` with ``error``."""

    status: int
    body: Any = None
    etag: str | None = None
    error: PromptyardError | None = None


def reply_from(response: httpx.Response) -> Reply:
    """A 200, 304 or 404 as a :class:`Reply`; any other error raises (typed)."""
    status = response.status_code
    if status == 304:
        return Reply(304, etag=response.headers.get("etag"))
    if status == 404:
        return Reply(404, error=PromptyardError.from_response(response))
    if status >= 400:
        raise PromptyardError.from_response(response)
    try:
        body = response.json()
    except ValueError:
        raise PromptyardError(
            "the server answered a prompt read with something that is not JSON; is "
            "PROMPTYARD_URL pointing at a Promptyard server?",
            status=status,
            code="invalid_response",
        ) from None
    return Reply(status, body=body, etag=response.headers.get("etag"))


FetchPlan = Generator[Get, Reply, Entry]


def fetch_plan(engine: TemplateEngine, request: Get, old: Entry | None, now: float) -> FetchPlan:
    """Read ``request`` (revalidating ``old``), then every prompt it includes."""
    reply = yield Get(request.name, request.label, request.version, old.etag if old else None)
    if reply.status == 304 and old is not None:
        raw: dict[str, Any] = old.prompt.raw
        etag = old.etag
    elif reply.error is not None:
        raise reply.error
    else:
        raw, etag = reply.body, reply.etag
    previous = old.includes if old is not None else {}
    includes: dict[str, Include] = {}
    pending = _references(engine, raw.get("version") or {})
    while pending and len(includes) < engine.limits.max_includes:
        ref = pending.pop(0)
        key = str(ref)
        if key in includes:
            continue
        before = previous.get(key)
        if before is not None and ref.version is not None:
            include = before  # a pinned version never changes
        else:
            answer = yield Get(ref.name, ref.label, ref.version, before.etag if before else None)
            include = _include(answer, before)
        includes[key] = include
        if include.source is not None:
            pending.extend(_references(engine, {"type": "text", "content": include.source}))
    return entry_from(raw, includes, engine, etag=etag, now=now, pinned=request.version is not None)


def _include(answer: Reply, before: Include | None) -> Include:
    if answer.status == 304 and before is not None:
        return before
    if answer.error is not None:  # missing: compile says so (or skips "ignore missing")
        return Include(etag=None, source=None)
    version = answer.body.get("version") or {}
    if version.get("type") != "text":  # only text prompts can be included
        return Include(etag=answer.etag, source=None)
    return Include(etag=answer.etag, source=str(version.get("content", "")))


def _references(engine: TemplateEngine, version: dict[str, Any]) -> list[PromptRef]:
    refs: list[PromptRef] = []
    content = version.get("content")
    if content is None:
        return refs
    try:
        for _field, source in template_sources(str(version.get("type", "text")), content):
            refs.extend(engine.analyze(source).references)
    except (DomainError, TypeError, KeyError):
        pass  # compile reports a broken template in its own words
    return refs


#: The label read when ``get_prompt`` is given neither a label nor a version (as the
#: Langfuse SDK does).
DEFAULT_LABEL = "production"


def selector(label: str | None, version: int | None) -> tuple[str | None, int | None]:
    """Check ``label``/``version`` and apply the default label."""
    if label is not None and version is not None:
        raise ValueError("pass a label or a version, not both")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version must be an int, not {type(version).__name__}")
        return None, version
    return (label if label is not None else DEFAULT_LABEL), None


def request_for(key: tuple[str, str, str]) -> Get:
    """The read that refreshes cache key ``key``."""
    kind, _, value = key[2].partition(":")
    if kind == "version":
        return Get(key[1], None, int(value))
    return Get(key[1], value, None)


def parse_spec(spec: str | tuple[str, str | int]) -> tuple[str, str | None, int | None]:
    """A ``prefetch`` item: ``"name"``, ``"name@label"``, ``"name@v3"``, or a tuple
    ``(name, label)`` / ``(name, 3)``."""
    if isinstance(spec, tuple):
        name, pin = spec
        if isinstance(pin, int):
            return name, None, pin
        return name, pin, None
    name, sep, pin = spec.rpartition("@")
    if not sep:
        return spec, None, None
    if pin[:1] == "v" and pin[1:].isdigit():
        return name, None, int(pin[1:])
    return name, pin, None
