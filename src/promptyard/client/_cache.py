"""The SDK's prompt cache: stale-while-revalidate in memory, last good copies on disk.

Keys are ``(project, name, "label:L" | "version:N")``. An entry keyed by a version never
expires (versions are immutable); a label's entry past the caller's TTL is still served
while one background refresh per key brings a new copy. Reads take no lock (a dict
lookup is atomic); writes and the refresh bookkeeping do. Nothing here does network I/O:
the clients fetch, this module remembers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptyard.client._prompt import AnyPrompt, make_prompt
from promptyard.domain.templating import TemplateEngine

logger = logging.getLogger("promptyard.client")

#: ``(project, name, "label:L" | "version:N")``
Key = tuple[str, str, str]
Clock = Callable[[], float]

#: How long a key whose refresh failed waits before the next try (a label's TTL may be
#: shorter; then the TTL wins).
RETRY_AFTER_FAILURE = 5.0


def make_key(project: str, name: str, label: str | None, version: int | None) -> Key:
    if version is not None:
        return (project, name, f"version:{int(version)}")
    return (project, name, f"label:{label}")


@dataclass(frozen=True)
class Include:
    """A prompt a cached one includes: its ETag and text (``None``: missing or not text)."""

    etag: str | None
    source: str | None


@dataclass
class Entry:
    prompt: AnyPrompt
    #: The clock's time of the last good answer (a 200 or a 304).
    fetched_at: float
    etag: str | None
    includes: dict[str, Include] = field(default_factory=dict)
    #: Versions are immutable: such an entry never expires by age.
    pinned: bool = False
    #: Refresh at the next read whatever its age (a change event, a reset, a copy from
    #: disk). Stays served meanwhile.
    stale: bool = False
    #: After a failed refresh, no new try before this time.
    retry_at: float = 0.0

    def included_names(self) -> set[str]:
        return {key.removeprefix("prompt:").rpartition("@")[0] for key in self.includes}

    def due(self, now: float, ttl: float) -> bool:
        """Should a read start a background refresh?"""
        if now < self.retry_at:
            return False
        return self.stale or (not self.pinned and now - self.fetched_at >= ttl)


class PromptCache:
    """Entries, the keys being refreshed, and the warn-once state. Thread-safe."""

    def __init__(
        self, engine: TemplateEngine, *, clock: Clock, cache_dir: str | os.PathLike[str] | None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.entries: dict[Key, Entry] = {}
        self._refreshing: set[Key] = set()
        self._again: set[Key] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._warned = False
        self.disk = _Disk(Path(cache_dir)) if cache_dir is not None else None

    # ---- entries

    def put(self, key: Key, entry: Entry, *, persist: bool = True) -> None:
        with self._lock:
            self.entries[key] = entry
        if persist and self.disk is not None:
            self.disk.save(key, entry)

    def touch(self, key: Key, entry: Entry) -> None:
        """A ``304``: the copy is still good; its age starts again."""
        with self._lock:
            entry.fetched_at = self.clock()
            entry.stale = False
            entry.retry_at = 0.0

    def failed(self, key: Key, entry: Entry) -> None:
        """A refresh failed: keep the copy, try again in a while."""
        entry.retry_at = self.clock() + RETRY_AFTER_FAILURE

    def drop(self, keys: Iterable[Key]) -> None:
        with self._lock:
            for key in keys:
                self.entries.pop(key, None)
        if self.disk is not None:
            for key in keys:
                self.disk.remove(key)

    def mark_stale(self, match: Callable[[Key, Entry], bool]) -> list[Key]:
        """Flag the matching entries for a refresh; return their keys."""
        with self._lock:
            keys = [key for key, entry in self.entries.items() if match(key, entry)]
            for key in keys:
                self.entries[key].stale = True
                self.entries[key].retry_at = 0.0
        return keys

    def load(self, key: Key) -> Entry | None:
        """The last good copy saved in ``cache_dir``, if any (flagged stale)."""
        if self.disk is None:
            return None
        entry = self.disk.load(key, self.engine)
        if entry is not None:
            with self._lock:
                entry = self.entries.setdefault(key, entry)
        return entry

    # ---- refreshes: one per key at a time

    def begin_refresh(self, key: Key, *, again: bool = False) -> bool:
        """Claim ``key`` for a refresh; ``False`` if one already runs. With ``again`` (a
        change event), a running refresh is asked to run once more when it ends, since
        it may have read the server before the change."""
        with self._lock:
            if key in self._refreshing:
                if again:
                    self._again.add(key)
                return False
            self._refreshing.add(key)
            return True

    def end_refresh(self, key: Key) -> bool:
        """Release ``key``; ``True`` if it was claimed again meanwhile (then it stays
        claimed and the caller runs the refresh once more)."""
        with self._lock:
            if key in self._again:
                self._again.discard(key)
                return True
            self._refreshing.discard(key)
            if not self._refreshing:
                self._idle.notify_all()
            return False

    def abandon_refresh(self, key: Key) -> None:
        with self._lock:
            self._again.discard(key)
            self._refreshing.discard(key)
            if not self._refreshing:
                self._idle.notify_all()

    def wait_for_idle(self, timeout: float | None = None) -> bool:
        """Wait until no refresh runs; ``False`` if ``timeout`` passed first."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._refreshing, timeout)

    # ---- warn once per outage

    def warn_unavailable(self, what: str, exc: BaseException) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        logger.warning(
            "promptyard: %s failed (%s); serving the last good copies (or fallbacks) "
            "until the server answers again",
            what,
            exc,
        )

    def recovered(self) -> None:
        if self._warned:
            with self._lock:
                self._warned = False
            logger.info("promptyard: the server answers again")


def entry_from(
    raw: dict[str, Any],
    includes: dict[str, Include],
    engine: TemplateEngine,
    *,
    etag: str | None,
    now: float,
    pinned: bool,
) -> Entry:
    sources = {key: inc.source for key, inc in includes.items() if inc.source is not None}
    return Entry(
        prompt=make_prompt(raw, sources, engine),
        fetched_at=now,
        etag=etag,
        includes=includes,
        pinned=pinned,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _Disk:
    """One JSON file per key in ``cache_dir``, written atomically (temp file + rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: Key) -> Path:
        readable = _UNSAFE.sub("_", "--".join(key))[:80]
        digest = hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:16]
        return self.folder / f"{readable}-{digest}.json"

    def save(self, key: Key, entry: Entry) -> None:
        payload = {
            "key": list(key),
            "etag": entry.etag,
            "prompt": entry.prompt.raw,
            "includes": {k: [i.etag, i.source] for k, i in entry.includes.items()},
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(payload, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            logger.warning("promptyard: could not save %s to %s: %s", key, self.folder, exc)

    def load(self, key: Key, engine: TemplateEngine) -> Entry | None:
        try:
            payload = json.loads(self.path(key).read_text(encoding="utf-8"))
            if payload.get("key") != list(key):
                return None
            includes = {k: Include(etag=v[0], source=v[1]) for k, v in payload["includes"].items()}
            entry = entry_from(
                payload["prompt"],
                includes,
                engine,
                etag=payload.get("etag"),
                now=float("-inf"),
                pinned=key[2].startswith("version:"),
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        entry.stale = True
        return entry

    def remove(self, key: Key) -> None:
        with contextlib.suppress(OSError):
            self.path(key).unlink()
