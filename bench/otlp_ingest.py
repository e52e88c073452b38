"""OTLP trace ingest: ``POST /v1/traces`` (protobuf) into SQLite.

Starts ``promptyard serve`` on a fresh SQLite data folder in its own process; a separate
client process builds ``--total`` LLM spans as an OpenTelemetry instrumentation sends them
(``gen_ai.*`` attributes, chat messages as JSON, a parent span id) in batches of 500, then
sends them from ``--senders`` concurrent connections. Reports spans/s acknowledged, the
time from the last acknowledgement until every span is queryable (the generation count
and the last trace through the API), and the server's resident memory at the end.

    python bench/otlp_ingest.py                 # 50,000 spans, 2 senders
    python bench/otlp_ingest.py --total 200000

Prints a table. Targets (issue 10): >= 20,000 spans/s, <= 2 s, <= 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ingest import cpu_seconds, rollups_caught_up, rss_mb
from registry_write import API_KEY, serve

BATCH = 500


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def batch_body(number: int) -> tuple[bytes, str]:
    """One export of ``BATCH`` LLM spans (five agent runs of 100 calls); the body and the
    last trace id."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(_kv("service.name", "support-bot"))
    resource_spans.resource.attributes.append(_kv("deployment.environment", "production"))
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.openai.v1"
    now = time.time_ns() - 60_000_000_000
    trace_id = b""
    for index in range(BATCH):
        if index % 100 == 0:
            trace_id = os.urandom(16)
            parent = os.urandom(8)
        n = number * BATCH + index
        span = Span(
            trace_id=trace_id,
            span_id=os.urandom(8),
            parent_span_id=parent,
            name="openai.chat",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=now + index * 1_000_000,
            end_time_unix_nano=now + index * 1_000_000 + (300 + n % 900) * 1_000_000,
        )
        question = f"Ticket {n}: my order has not arrived."
        span.attributes.extend(
            [
                _kv("gen_ai.operation.name", "chat"),
                _kv("gen_ai.provider.name", "openai"),
                _kv("gen_ai.request.model", "gpt-4o-mini"),
                _kv("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
                _kv("gen_ai.response.id", f"chatcmpl-{n}"),
                _kv("gen_ai.usage.input_tokens", 400 + n % 300),
                _kv("gen_ai.usage.output_tokens", 80 + n % 120),
                _kv("gen_ai.usage.total_tokens", 480 + n % 420),
                _kv("gen_ai.request.temperature", "0.2"),
                _kv("gen_ai.response.finish_reasons", "stop"),
                _kv("user.id", f"user-{n % 500}"),
                _kv("session.id", f"session-{n % 2000}"),
                _kv("promptyard.prompt.name", "support-reply"),
                _kv("promptyard.prompt.version", 1 + n % 4),
                _kv(
                    "gen_ai.input.messages",
                    json.dumps(
                        [
                            {
                                "role": "system",
                                "parts": [{"type": "text", "content": "Answer politely."}],
                            },
                            {"role": "user", "parts": [{"type": "text", "content": question}]},
                        ]
                    ),
                ),
                _kv(
                    "gen_ai.output.messages",
                    json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [{"type": "text", "content": f"Sorry about ticket {n}."}],
                            }
                        ]
                    ),
                ),
            ]
        )
        scope.spans.append(span)
    return request.SerializeToString(), trace_id.hex()


def _client(port: int, total: int, senders: int, queue: mp.Queue) -> None:
    bodies = [batch_body(number) for number in range(total // BATCH)]

    async def main() -> tuple[int, list[float], float, float]:
        latencies: list[float] = []
        acknowledged = 0
        pending = list(bodies)
        started = time.perf_counter()

        async def sender(client: httpx.AsyncClient) -> None:
            nonlocal acknowledged
            while pending:
                body, _ = pending.pop()
                sent = time.perf_counter()
                response = await client.post(
                    "/v1/traces",
                    content=body,
                    headers={"Content-Type": "application/x-protobuf"},
                )
                latencies.append(time.perf_counter() - sent)
                assert response.status_code == 200, response.text[:500]
                acknowledged += BATCH

        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=120,
        ) as client:
            await asyncio.gather(*(sender(client) for _ in range(senders)))
            last_ack = time.perf_counter()
            # queryable: the last batch's last trace answers with all its calls
            _, trace_id = bodies[0]
            while True:
                response = await client.get(f"/api/v1/traces/{trace_id}")
                if response.status_code == 200 and response.json()["generation_count"] == 100:
                    break
                await asyncio.sleep(0.01)
            queryable = time.perf_counter() - last_ack
        return acknowledged, latencies, last_ack - started, queryable

    queue.put(asyncio.run(main()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=50_000)
    parser.add_argument("--senders", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="promptyard-otlp-"))
    server, port = serve(workdir)
    try:
        queue: mp.Queue = mp.Queue()
        warm = mp.Process(target=_client, args=(port, BATCH, 1, queue))  # prices, encodings
        warm.start()
        queue.get()
        warm.join()
        cpu_before = cpu_seconds(server.pid)
        process = mp.Process(target=_client, args=(port, args.total, args.senders, queue))
        process.start()
        acknowledged, latencies, elapsed, queryable = queue.get()
        process.join()
        lag = rollups_caught_up(workdir / "promptyard.db")
        cpu = cpu_seconds(server.pid) - cpu_before
        started = time.perf_counter()
        db = sqlite3.connect(workdir / "promptyard.db")
        rows = db.execute("SELECT count(*) FROM generations").fetchone()[0]
        counted = time.perf_counter() - started
        rss = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(workdir, ignore_errors=True)
    latencies.sort()
    table = [
        ("spans acknowledged", f"{acknowledged:,}"),
        ("generations stored (incl. warm-up)", f"{rows:,}"),
        ("spans/s acknowledged", f"{acknowledged / elapsed:,.0f}"),
        ("rollups counted all, after the last acknowledgement", f"{lag:.1f} s"),
        ("server CPU per span, rollups included", f"{cpu / acknowledged * 1e6:.0f} µs"),
        ("batch of 500: p50", f"{statistics.median(latencies) * 1000:.1f} ms"),
        ("batch of 500: p95", f"{latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000:.1f} ms"),
        ("last ack -> last trace queryable", f"{queryable * 1000:.0f} ms"),
        ("count of every row (SQL)", f"{counted * 1000:.0f} ms"),
        ("server RSS at the end", f"{rss:.0f} MB"),
    ]
    width = max(len(name) for name, _ in table)
    print(f"OTLP protobuf ingest into SQLite, {args.senders} sender(s), batches of {BATCH}")
    for name, value in table:
        print(f"  {name:<{width}}  {value:>12}")
    if rows != acknowledged + BATCH:
        raise SystemExit(f"lost spans: {acknowledged + BATCH} acknowledged, {rows} stored")


if __name__ == "__main__":
    main()
