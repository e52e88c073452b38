"""The pure parts of delivery: the SSE parser, change matching, backoff, cache files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from promptyard.client._cache import Entry, Include, PromptCache, make_key
from promptyard.client._fetch import parse_spec
from promptyard.client._prompt import make_prompt
from promptyard.client._watch import BACKOFF_CAP, Event, SSEParser, apply_event, backoff
from promptyard.domain.templating import TemplateEngine


def test_sse_parser_reads_events_ids_comments_and_multiline_data() -> None:
    lines = [
        ": ping",
        "event: ready",
        'data: {"last_id": 4}',
        "",
        "",
        "id: 5",
        "event: prompt",
        "data: line one",
        "data:line two",
        "",
        ": ping",
        "data: plain\r",
        "",
    ]
    parser = SSEParser()
    events = list(parser.events(lines))
    assert events == [
        Event("ready", '{"last_id": 4}', None),
        Event("prompt", "line one\nline two", "5"),
        Event("message", "plain", None),
    ]
    assert parser.last_id == "5"


def _entry(engine: TemplateEngine, name: str, includes: dict[str, Include] | None = None) -> Entry:
    raw = {"name": name, "version": {"number": 1, "type": "text", "content": "x"}}
    return Entry(make_prompt(raw, {}, engine), fetched_at=0.0, etag='"1"', includes=includes or {})


def test_change_events_flag_the_matching_entries() -> None:
    engine = TemplateEngine()
    cache = PromptCache(engine, clock=lambda: 0.0, cache_dir=None)
    keys = {
        "prod": make_key("default", "a", "production", None),
        "staging": make_key("default", "a", "staging", None),
        "v1": make_key("default", "a", None, 1),
        "other": make_key("default", "b", "production", None),
        "includer": make_key("default", "c", "production", None),
        "elsewhere": make_key("other", "a", "production", None),
    }
    for label, key in keys.items():
        includes = {"prompt:a@production": Include('"1"', "x")} if label == "includer" else None
        cache.put(key, _entry(engine, key[1], includes))

    def event(**change: object) -> Event:
        return Event("prompt", json.dumps({"project": "default", "name": "a", **change}), "1")

    moved = apply_event(cache, "default", event(kind="label", label="production", version=2))
    assert sorted(moved) == sorted([keys["prod"], keys["includer"]])
    version = apply_event(cache, "default", event(kind="version", version=3))
    assert keys["v1"] not in version and keys["staging"] in version
    deleted = apply_event(cache, "default", event(kind="deleted"))
    assert keys["v1"] in deleted and keys["elsewhere"] not in deleted
    assert apply_event(cache, "default", Event("prompt", "not json", None)) == []
    assert apply_event(cache, "default", Event("ready", "{}", None)) == []
    assert len(apply_event(cache, "default", Event("reset", "{}", "9"))) == len(keys)


def test_backoff_is_jittered_growing_and_capped() -> None:
    rng = random.Random(1)
    assert 0.25 <= backoff(1, rng) <= 0.5
    assert 2.0 <= backoff(4, rng) <= 4.0
    assert all(BACKOFF_CAP / 2 <= backoff(n, rng) <= BACKOFF_CAP for n in range(7, 60))


def test_cache_files_are_one_per_key_with_safe_names(tmp_path: Path) -> None:
    engine = TemplateEngine()
    cache = PromptCache(engine, clock=lambda: 0.0, cache_dir=tmp_path)
    key = make_key("default", "../../etc/passwd", "production", None)
    cache.put(key, _entry(engine, key[1]))
    (path,) = tmp_path.iterdir()
    assert path.parent == tmp_path and "/" not in path.name and ".." not in path.name[:3]
    fresh = PromptCache(engine, clock=lambda: 0.0, cache_dir=tmp_path)
    loaded = fresh.load(key)
    assert loaded is not None and loaded.stale and loaded.prompt.compile() == "x"
    path.write_text("{broken")
    assert PromptCache(engine, clock=lambda: 0.0, cache_dir=tmp_path).load(key) is None


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("a", ("a", None, None)),
        ("a@staging", ("a", "staging", None)),
        ("a@v3", ("a", None, 3)),
        (("a", 2), ("a", None, 2)),
        (("a", "dev"), ("a", "dev", None)),
    ],
)
def test_prefetch_specs(spec: str | tuple[str, str | int], parsed: tuple[object, ...]) -> None:
    assert parse_spec(spec) == parsed
