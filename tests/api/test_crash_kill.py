"""SIGKILL a real ``promptyard serve`` in the middle of concurrent writes.

Writers create prompts, add versions and move labels over HTTP while the server process
is killed (no shutdown handler, no flush, no rollback runs in it). Each writer records
what the server acknowledged (a 2xx received) and the one request it had in flight when
the connection died. The server is then started again on the same database, and:

- every acknowledged write is there, with the content that was sent;
- the in-flight write is there entirely or not at all, and nothing else is;
- each label points at the version of its last acknowledged move (or of the move in
  flight), a version that exists;
- every write left exactly one audit event, and the audit chain verifies;
- ``promptyard db check`` finds nothing to report, and on SQLite the file passes
  ``PRAGMA integrity_check`` and ``foreign_key_check``.

On SQLite (a fresh file) and, when ``PROMPTYARD_TEST_POSTGRES_URL`` is set, on a fresh
PostgreSQL database of its own.
"""

from __future__ import annotations

import itertools
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from tests._server import ServerProcess, running_server, server_env
from tests.api._helpers import API, PROMPTS, ok

WRITERS = 4
PROMPTS_PER_WRITER = 3
LABEL = "production"
#: Kill once this many writes were acknowledged (at least), so the storm is well under
#: way; the writers are still sending when the signal lands.
ACKNOWLEDGED_BEFORE_KILL = 60
MIN_STORM_SECONDS = 1.0
MAX_STORM_SECONDS = 10.0

#: The audit action each kind of write leaves.
ACTIONS = {"create": "prompt.create", "version": "prompt.update", "label": "label.move"}


@dataclass
class Write:
    kind: str  # "create", "version" or "label"
    prompt: str
    content: str = ""  # create, version: the text sent
    version: int = 0  # label: the version the label was moved to


@dataclass
class Ledger:
    """One writer's view: what the server acknowledged, and what it did not answer."""

    versions: dict[str, dict[int, str]] = field(default_factory=dict)  # prompt -> n -> text
    labels: dict[str, int] = field(default_factory=dict)  # prompt -> acknowledged position
    acknowledged: Counter[str] = field(default_factory=Counter)  # kind -> count
    in_flight: Write | None = None  # sent, never answered: the server died
    refused: list[tuple[Write, int, str]] = field(default_factory=list)  # non-2xx answers


def _next_write(writer: int, step: int, ledger: Ledger) -> Write:
    """Create each prompt once, then alternate new versions and label moves."""
    prompt = f"w{writer}-p{step % PROMPTS_PER_WRITER}"
    content = f"writer {writer}, step {step}: hello {{{{ name }}}}"
    versions = ledger.versions.get(prompt)
    if versions is None:
        return Write("create", prompt, content=content)
    latest = max(versions)
    if (step // PROMPTS_PER_WRITER) % 2 == 0 and ledger.labels.get(prompt) != latest:
        return Write("label", prompt, version=latest)
    return Write("version", prompt, content=content)


def _send(client: httpx.Client, write: Write) -> httpx.Response:
    if write.kind == "create":
        return client.post(PROMPTS, json={"name": write.prompt, "content": write.content})
    if write.kind == "version":
        return client.patch(f"{PROMPTS}/{write.prompt}", json={"content": write.content})
    return client.put(f"{PROMPTS}/{write.prompt}/labels/{LABEL}", json={"version": write.version})


def _record(ledger: Ledger, write: Write, body: dict[str, Any]) -> None:
    if write.kind == "label":
        assert body["version"] == write.version, body
        ledger.labels[write.prompt] = write.version
    else:
        assert body["version"]["content"] == write.content, body
        number = body["latest_version"]
        assert number == body["version"]["number"], body
        ledger.versions.setdefault(write.prompt, {})[number] = write.content
    ledger.acknowledged[write.kind] += 1


def _writer(server: ServerProcess, writer: int, ledger: Ledger, stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        for step in itertools.count():
            if stop.is_set():
                return
            write = _next_write(writer, step, ledger)
            ledger.in_flight = write
            try:
                response = _send(client, write)
            except httpx.TransportError:
                return  # killed: ``in_flight`` may or may not have been committed
            ledger.in_flight = None
            if response.is_success:
                _record(ledger, write, response.json())
            else:
                ledger.refused.append((write, response.status_code, response.text[:300]))


def _storm_then_kill(server: ServerProcess) -> list[Ledger]:
    ledgers = [Ledger() for _ in range(WRITERS)]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(server, index, ledger, stop), daemon=True)
        for index, ledger in enumerate(ledgers)
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < MAX_STORM_SECONDS:
            done = sum(sum(ledger.acknowledged.values()) for ledger in ledgers)
            if done >= ACKNOWLEDGED_BEFORE_KILL and time.monotonic() - started >= MIN_STORM_SECONDS:
                break
            assert all(thread.is_alive() for thread in threads), "a writer stopped early"
            time.sleep(0.01)
        assert all(thread.is_alive() for thread in threads), "the kill must land mid-storm"
        server.kill()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return ledgers


@pytest.fixture
def crash_db(fresh_db_url: str) -> str:
    """A fresh, empty database: ``serve`` migrates and bootstraps it, as in production."""
    return fresh_db_url


def _check_files_and_data(db_url: str, base_dir: Path) -> None:
    """The database as the crash left it, before anything opens it for writing."""
    if db_url.startswith("sqlite"):
        engine = create_engine(db_url)
        try:
            with engine.connect() as connection:
                integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                assert integrity == ["ok"]
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        finally:
            engine.dispose()
    checked = subprocess.run(
        [sys.executable, "-m", "promptyard", "db", "check", "--database-url", db_url],
        env=server_env(base_dir / "data"),
        cwd=base_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every stored JSON value can be served back" in checked.stdout


def _stored_versions(client: httpx.Client, prompt: str) -> dict[int, str] | None:
    response = client.get(f"{PROMPTS}/{prompt}/versions", params={"limit": 500})
    if response.status_code == 404:
        return None
    body = ok(response)
    assert body["total"] == len(body["items"])
    return {item["number"]: item["content"] for item in body["items"]}


def _check_prompt(client: httpx.Client, ledger: Ledger, prompt: str) -> None:
    acknowledged = ledger.versions.get(prompt, {})
    pending = ledger.in_flight if ledger.in_flight and ledger.in_flight.prompt == prompt else None
    stored = _stored_versions(client, prompt)
    if stored is None:
        assert not acknowledged, f"{prompt}: acknowledged versions lost, the prompt is gone"
        assert pending is not None and pending.kind == "create", prompt
        return
    # Every acknowledged version, with its content; at most the in-flight one besides.
    for number, content in acknowledged.items():
        assert stored.get(number) == content, (prompt, number, stored.get(number), content)
    extra = {number: stored[number] for number in set(stored) - set(acknowledged)}
    if extra:
        assert pending is not None and pending.kind in ("create", "version"), (prompt, extra)
        assert list(extra.values()) == [pending.content], (prompt, extra, pending)
        assert set(extra) == {max(acknowledged, default=0) + 1}, (prompt, extra)
    assert set(stored) == set(range(1, len(stored) + 1)), (prompt, sorted(stored))
    # The label: where the last acknowledged move put it, or where the one in flight did.
    labels = ok(client.get(f"{PROMPTS}/{prompt}"))["labels"]
    allowed = {ledger.labels.get(prompt)}
    if pending is not None and pending.kind == "label":
        allowed.add(pending.version)
    assert labels.get(LABEL) in allowed, (prompt, labels, allowed)
    if LABEL in labels:
        assert labels[LABEL] in stored, (prompt, labels, sorted(stored))


def _check_audit(client: httpx.Client, ledgers: list[Ledger]) -> None:
    verify = ok(client.get(f"{API}/audit/verify"))
    assert verify["ok"] is True, verify
    for kind, action in ACTIONS.items():
        events = ok(client.get(f"{API}/audit", params={"action": action, "limit": 1}))["total"]
        acknowledged = sum(ledger.acknowledged[kind] for ledger in ledgers)
        in_flight = sum(
            1 for ledger in ledgers if ledger.in_flight and ledger.in_flight.kind == kind
        )
        assert acknowledged <= events <= acknowledged + in_flight, (action, events, acknowledged)


def test_acknowledged_writes_survive_sigkill(crash_db: str, tmp_path: Path) -> None:
    api_key = "py_test_" + secrets.token_urlsafe(16)
    with running_server(tmp_path, database_url=crash_db, api_key=api_key) as server:
        ledgers = _storm_then_kill(server)
        assert server.process.returncode == -9
    for ledger in ledgers:
        assert ledger.refused == [], ledger.refused
    assert sum(sum(ledger.acknowledged.values()) for ledger in ledgers) >= (
        ACKNOWLEDGED_BEFORE_KILL
    )
    assert all(ledger.acknowledged["label"] for ledger in ledgers)

    _check_files_and_data(crash_db, tmp_path)

    with (
        running_server(tmp_path, database_url=crash_db, api_key=api_key) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        ) as client,
    ):
        names = set()
        for writer, ledger in enumerate(ledgers):
            for index in range(PROMPTS_PER_WRITER):
                prompt = f"w{writer}-p{index}"
                _check_prompt(client, ledger, prompt)
                if _stored_versions(client, prompt) is not None:
                    names.add(prompt)
        listed = ok(client.get(PROMPTS, params={"limit": 100}))
        assert {item["name"] for item in listed["items"]} == names
        _check_audit(client, ledgers)
