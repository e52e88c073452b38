"""Reporting from the SDK: ``log_generation``, ``feedback`` and the background sender,
against the real app (a live server over the test's own store)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.client import Client, ReportingSettings
from tests._server import LiveServer, free_port
from tests.runtime._wire import Reply, WireServer, wire_server

BATCH = "/api/v1/generations/batch"
FAST = ReportingSettings(backoff=0.01, max_backoff=0.05, shutdown_timeout=2.0)


def stored(app_client: TestClient, generation_id: str) -> dict[str, Any]:
    response = app_client.get(f"/api/v1/generations/{generation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def batch_answer(count: int) -> dict[str, Any]:
    items = [{"index": i, "id": f"g{i}", "status": "created"} for i in range(count)]
    return {"created": count, "duplicates": 0, "rejected": 0, "items": items}


@pytest.fixture
def wire() -> Any:
    with wire_server() as server:
        yield server


def test_generations_arrive_with_their_fields(
    live_server: LiveServer, app_client: TestClient
) -> None:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as client:
        started = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        gid = client.log_generation(
            provider="openai",
            model="gpt-4o-mini",
            input_tokens=120,
            output_tokens=40,
            cached_tokens=20,
            latency_ms=812.5,
            ttft_ms=90.0,
            start_time=started,
            user_id="user-42",
            session_id="s-1",
            feature="onboarding",
            agent="helper",
            environment="prod",
            tags=["a", "b"],
            metadata={"k": 1},
            input=[{"role": "user", "content": "Hi Ada!"}],
            output="Hello!",
        )
        failed = client.log_generation(model="gpt-4o", status="error", error="boom")
        assert client.flush(10)
        assert client.reporter.stats["sent"] == 2
    row = stored(app_client, gid)
    assert row["model"] == "gpt-4o-mini" and row["provider"] == "openai"
    assert row["usage"]["input_tokens"] == 120 and row["usage"]["output_tokens"] == 40
    assert row["usage"]["cached_tokens"] == 20
    assert row["latency_ms"] == 812.5 and row["ttft_ms"] == 90.0
    assert row["start_time"].startswith("2026-11-30T12:00")
    assert (row["user_id"], row["session_id"], row["feature"]) == ("user-42", "s-1", "onboarding")
    assert (row["agent"], row["environment"], row["tags"]) == ("helper", "prod", ["a", "b"])
    assert row["metadata"] == {"k": 1}
    assert row["input"] == [{"role": "user", "content": "Hi Ada!"}]
    assert row["output"] == "Hello!"
    assert row["metadata"] == {"k": 1}
    error_row = stored(app_client, failed)
    began = datetime.fromisoformat(error_row["start_time"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - began.astimezone(UTC)).total_seconds()) < 60
    assert (error_row["status"], error_row["error"]) == ("error", "boom")


def test_feedback_is_sent_after_the_generation_it_rates(
    live_server: LiveServer, app_client: TestClient
) -> None:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as client:
        gid = client.log_generation(model="gpt-4o", output="hi")
        # queued right after its generation, in the same batch: must not 404
        client.feedback("thumbs", True, generation_id=gid, comment="spot on")
        client.feedback("score", 4, generation_id=gid, scale="1-5")
        client.feedback("nps", 9, generation_id=gid, user_id="u1")
        assert client.flush(10)
        assert client.reporter.stats["rejected"] == 0
    feedback = stored(app_client, gid)["feedback"]
    kinds = sorted((f["kind"], f["value"]) for f in feedback)
    assert kinds == [("nps", 9.0), ("score", 4.0), ("thumbs", 1.0)]


def test_feedback_refuses_a_call_the_server_would_refuse(live_server: LiveServer) -> None:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as client:
        with pytest.raises(ValueError, match="generation_id"):
            client.feedback("thumbs", True)
        with pytest.raises(ValueError, match="kind"):
            client.feedback("stars", 5, generation_id="g1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="comment"):
            client.feedback("comment", generation_id="g1")


def test_a_rejected_item_does_not_sink_its_batch(
    live_server: LiveServer, app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as client:
        good = client.log_generation(model="gpt-4o", input_tokens=3)
        client.log_generation(model="gpt-4o", input_tokens=-5)  # refused by the server
        cycle: dict[str, Any] = {}
        cycle["self"] = cycle
        client.log_generation(model="gpt-4o", metadata=cycle)  # not JSON
        with caplog.at_level(logging.WARNING, "promptyard.client.reporting"):
            assert client.flush(10)
        stats = client.reporter.stats
        assert (stats["sent"], stats["rejected"]) == (1, 2)
    assert stored(app_client, good)["usage"]["input_tokens"] == 3
    assert "rejected" in caplog.text and "not JSON" in caplog.text


def test_the_same_id_twice_is_stored_once(live_server: LiveServer, app_client: TestClient) -> None:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as client:
        client.log_generation(id="gen-twice", model="gpt-4o")
        client.flush(10)
        client.log_generation(id="gen-twice", model="gpt-4o")
        client.flush(10)
        assert client.reporter.stats["duplicates"] == 1
    page = app_client.get("/api/v1/generations", params={"limit": 200}).json()
    assert [g["id"] for g in page["items"]].count("gen-twice") == 1


def test_a_dead_server_does_not_block_the_caller() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = ReportingSettings(backoff=0.05, max_retries=2, shutdown_timeout=0.5)
    client = Client(url, "key", reporting=settings)
    client.log_generation(model="warm-up")  # starts the sender thread
    began = time.perf_counter()
    for index in range(2000):
        client.log_generation(model="gpt-4o", input_tokens=index)
    spent = time.perf_counter() - began
    assert spent < 0.5, f"{spent * 1e6 / 2000:.1f} us per event"
    assert not client.flush(0.2)  # not drained in time: the server is gone
    began = time.perf_counter()
    client.close()  # bounded by shutdown_timeout
    assert time.perf_counter() - began < 2.0
    stats = client.reporter.stats
    assert stats["retries"] >= 1 and stats["sent"] == 0


def test_a_slow_server_does_not_block_the_caller(wire: WireServer) -> None:
    wire.app.add(BATCH, *[Reply(body=batch_answer(1), delay=1.0) for _ in range(5)])
    settings = ReportingSettings(batch_size=1, shutdown_timeout=0.2)
    client = Client(wire.url, "key", reporting=settings)
    client.log_generation(model="first")
    assert wire.wait_for(lambda: wire.app.in_flight == 1)  # the sender is stuck on it
    began = time.perf_counter()
    for _ in range(1000):
        client.log_generation(model="gpt-4o")
    assert time.perf_counter() - began < 0.5
    began = time.perf_counter()
    client.close()
    assert time.perf_counter() - began < 2.5


def test_429_then_success_is_retried_honouring_retry_after(wire: WireServer) -> None:
    wire.app.add(
        BATCH,
        Reply(429, {"error": {"code": "rate_limited"}}, headers={"Retry-After": "0.2"}),
        Reply(503, {"error": {"code": "unavailable"}}),
        Reply(body=batch_answer(2)),
    )
    with Client(wire.url, "key", reporting=FAST) as client:
        began = time.perf_counter()
        client.log_generation(id="g0", model="m")
        client.log_generation(id="g1", model="m")
        assert client.flush(10)
        assert time.perf_counter() - began >= 0.2
        stats = client.reporter.stats
    seen = wire.app.seen(BATCH)
    assert len(seen) == 3
    assert seen[0].body == seen[1].body == seen[2].body  # the same batch each time
    assert [g["id"] for g in seen[2].body["generations"]] == ["g0", "g1"]
    assert seen[0].headers["authorization"] == "Bearer key"
    assert (stats["retries"], stats["sent"], stats["failed"]) == (2, 2, 0)


@pytest.mark.parametrize("status", [400, 401, 403, 413, 422])
def test_a_4xx_is_not_retried(wire: WireServer, status: int) -> None:
    wire.app.add(BATCH, Reply(status, {"error": {"code": "bad", "message": "no"}}))
    with Client(wire.url, "key", reporting=FAST) as client:
        client.log_generation(model="m")
        assert client.flush(10)
        stats = client.reporter.stats
    assert len(wire.app.seen(BATCH)) == 1
    assert (stats["retries"], stats["rejected"]) == (0, 1)


def test_a_refused_key_against_the_real_app_is_not_retried(live_server: LiveServer) -> None:
    with Client(live_server.url, "py_wrong_key", reporting=FAST) as client:
        client.log_generation(model="m")
        assert client.flush(10)
        stats = client.reporter.stats
    assert (stats["requests"], stats["retries"], stats["rejected"]) == (1, 0, 1)


def test_retries_give_up_after_max_retries(wire: WireServer) -> None:
    wire.app.add(BATCH, *[Reply(500, {"error": {"code": "internal"}}) for _ in range(3)])
    settings = ReportingSettings(backoff=0.01, max_retries=2)
    with Client(wire.url, "key", reporting=settings) as client:
        client.log_generation(model="m")
        assert client.flush(10)
        stats = client.reporter.stats
    assert len(wire.app.seen(BATCH)) == 3
    assert (stats["retries"], stats["failed"]) == (2, 1)


def test_a_full_queue_drops_with_one_warning(
    live_server: LiveServer, app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    settings = ReportingSettings(max_queue=5, batch_size=100, flush_interval=60)
    with Client(live_server.url, live_server.api_key, reporting=settings) as client:
        with caplog.at_level(logging.WARNING, "promptyard.client.reporting"):
            ids = [client.log_generation(model="m") for _ in range(8)]
        warnings = [r for r in caplog.records if "queue is full" in r.getMessage()]
        assert len(warnings) == 1
        assert client.reporter.stats["dropped"] == 3
        assert client.flush(10)
    assert stored(app_client, ids[4])["model"] == "m"
    assert app_client.get(f"/api/v1/generations/{ids[5]}").status_code == 404


def test_events_are_sent_every_n_events_and_every_t_seconds(wire: WireServer) -> None:
    wire.app.add(BATCH, Reply(body=batch_answer(3)), Reply(body=batch_answer(1)))
    sent = lambda count: lambda: len(wire.app.seen(BATCH)) == count  # noqa: E731
    # N events: a full batch goes at once, long before the interval
    settings = ReportingSettings(batch_size=3, flush_interval=60)
    with Client(wire.url, "key", reporting=settings) as client:
        for _ in range(3):
            client.log_generation(model="m")
        assert wire.wait_for(sent(1), timeout=10)
    # T seconds: a lone event waits for the interval
    settings = ReportingSettings(batch_size=100, flush_interval=0.5)
    with Client(wire.url, "key", reporting=settings) as client:
        began = time.monotonic()
        client.log_generation(model="alone")
        assert wire.wait_for(sent(2), timeout=10)
        assert time.monotonic() - began >= 0.45
    assert [len(s.body["generations"]) for s in wire.app.seen(BATCH)] == [3, 1]


def test_reporting_off_sends_nothing(wire: WireServer) -> None:
    with Client(wire.url, "key", reporting=False) as client:
        client.log_generation(model="m")
        client.feedback("thumbs", 1, generation_id="g1")
        assert client.flush(1)
    assert wire.app.requests == []


def test_queued_events_are_flushed_at_exit(
    live_server: LiveServer, app_client: TestClient, tmp_path: Any
) -> None:
    script = textwrap.dedent(
        f"""
        from promptyard.client import Client, ReportingSettings
        client = Client({live_server.url!r}, {live_server.api_key!r},
                        reporting=ReportingSettings(flush_interval=60))
        for index in range(3):
            client.log_generation(id=f"at-exit-{{index}}", model="m", output="bye")
        # no flush, no close: the interpreter exits with the events queued
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for index in range(3):
        assert stored(app_client, f"at-exit-{index}")["output"] == "bye"


def test_large_batches_fit_the_servers_body_cap(
    live_server: LiveServer, app_client: TestClient
) -> None:
    settings = ReportingSettings(batch_size=1000, flush_interval=60, max_request_bytes=250_000)
    with Client(live_server.url, live_server.api_key, reporting=settings) as client:
        ids = [client.log_generation(model="m", output="x" * 3000) for _ in range(300)]
        huge = client.log_generation(model="m", output="y" * 1_000_000, input="z" * 600_000)
        assert client.flush(30)
        stats = client.reporter.stats
        assert (stats["sent"], stats["rejected"]) == (301, 0)
        assert stats["requests"] >= 4  # ~900 kB in requests of <= 250 kB
    assert stored(app_client, ids[-1])["output"] == "x" * 3000
    row = stored(app_client, huge)
    assert row["metadata"]["sdk_text_cut"] is True and set(row["output"]) == {"y"}


def test_a_413_halves_the_batch(wire: WireServer) -> None:
    wire.app.add(
        BATCH,
        Reply(413, {"error": {"code": "payload_too_large"}}),
        Reply(body=batch_answer(2)),
        Reply(body=batch_answer(2)),
    )
    with Client(wire.url, "key", reporting=FAST) as client:
        for index in range(4):
            client.log_generation(id=f"g{index}", model="m")
        assert client.flush(10)
        stats = client.reporter.stats
    sizes = [len(seen.body["generations"]) for seen in wire.app.seen(BATCH)]
    assert sizes == [4, 2, 2] and stats["sent"] == 4 and stats["retries"] == 0


def test_a_forked_child_sends_its_own_events(
    live_server: LiveServer, app_client: TestClient
) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from promptyard.client import Client
        client = Client({live_server.url!r}, {live_server.api_key!r})
        client.log_generation(id="before-fork", model="m")
        assert client.flush(10)
        client.log_generation(id="parent-queued", model="m")  # the parent's to send
        pid = os.fork()
        if pid == 0:
            client.log_generation(id="in-child", model="m")
            os._exit(0 if client.flush(10) else 3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        client.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for generation_id in ("before-fork", "parent-queued", "in-child"):
        assert stored(app_client, generation_id)["model"] == "m"


def test_the_sender_works_without_orjson() -> None:
    script = textwrap.dedent(
        """
        import sys

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == "orjson":
                    raise ModuleNotFoundError(name, name=name)
                return None

        sys.meta_path.insert(0, Blocker())
        from promptyard.client import _reporting
        assert "orjson" not in sys.modules
        body = _reporting.dumps({"id": "g1", "output": "é", "start_time": 1.5})
        assert body == '{"id": "g1", "output": "é", "start_time": 1.5}'.encode()
        try:
            _reporting.dumps({"value": float("nan")})
        except ValueError:
            print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
