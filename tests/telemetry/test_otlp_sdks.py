"""Real senders against a real server: the OpenTelemetry SDK with its OTLP/HTTP exporter
(plain and gzip), ``opentelemetry-instrumentation-openai`` instrumenting the ``openai``
SDK calling a local OpenAI-compatible server, and the Langfuse SDK with tracing on."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

from promptyard.config import Settings
from tests._server import LiveServer
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY
from tests.runtime._wire import Reply, WireServer, wire_server

API = "/api/v1"
SECRET = "sk-lf-test-secret-0123456789"


@pytest.fixture
def public_key() -> str:
    # The Langfuse SDK keeps one client per public key in the process: one key per test.
    return f"pk-lf-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(tmp_path: Path, db_url: str, public_key: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        init_api_key=API_KEY,
        init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD,
        init_public_key=public_key,
        init_secret_key=SECRET,
    )


@pytest.fixture
def wire() -> Iterator[WireServer]:
    with wire_server() as server:
        yield server


def _provider(server: LiveServer, *, gzip: bool = False) -> tuple[TracerProvider, Any]:
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces",
        headers={"Authorization": f"Bearer {server.api_key}"},
        compression=Compression.Gzip if gzip else Compression.NoCompression,
        timeout=10,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "agent-app"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, exporter


def _api(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10
    )


def _trace(server: LiveServer, trace_id: str) -> dict[str, Any]:
    with _api(server) as client:
        response = client.get(f"{API}/traces/{trace_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.mark.parametrize("gzip", [False, True])
def test_the_otel_sdk_exports_an_agent_run(live_server: LiveServer, gzip: bool) -> None:
    provider, _ = _provider(live_server, gzip=gzip)
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("agent.run") as root:
        trace_id = format(root.get_span_context().trace_id, "032x")
        with tracer.start_as_current_span("tool.lookup") as tool:
            tool.set_attribute("tool.name", "lookup")
            tool.set_status(Status(StatusCode.ERROR, "not found"))
        with tracer.start_as_current_span("chat gpt-4o-mini") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.system", "openai")
            llm.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            llm.set_attribute("gen_ai.usage.prompt_tokens", 50)
            llm.set_attribute("gen_ai.usage.completion_tokens", 10)
            llm.set_attribute("gen_ai.prompt.0.role", "user")
            llm.set_attribute("gen_ai.prompt.0.content", "What is 2+2?")
            llm.set_attribute("gen_ai.completion.0.role", "assistant")
            llm.set_attribute("gen_ai.completion.0.content", "4")
            llm.set_attribute("promptyard.prompt.name", "math")
            llm.set_attribute("promptyard.prompt.version", 3)
    assert provider.force_flush(10_000)
    provider.shutdown()

    trace = _trace(live_server, trace_id)
    assert trace["span_count"] == 2 and trace["generation_count"] == 1
    nodes = {n["name"]: n for n in trace["nodes"]}
    assert nodes["agent.run"]["depth"] == 0
    assert nodes["tool.lookup"]["status"] == "error"
    assert nodes["tool.lookup"]["status_message"] == "not found"
    assert nodes["tool.lookup"]["service_name"] == "agent-app"
    llm_node = nodes["chat gpt-4o-mini"]
    assert llm_node["type"] == "generation" and llm_node["depth"] == 1
    assert llm_node["input_tokens"] == 50 and llm_node["output_tokens"] == 10
    assert llm_node["prompt"] == {"name": "math", "version": 3, "label": None}
    with _api(live_server) as client:
        gen = client.get(f"{API}/generations/{llm_node['id']}").json()
    assert gen["input"] == [{"role": "user", "content": "What is 2+2?"}]
    assert gen["output"] == "4"
    assert gen["provider"] == "openai"


def _completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-otel-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Bonjour!"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25},
    }


def test_the_openai_instrumentation_over_a_local_server(
    live_server: LiveServer, wire: WireServer
) -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    wire.app.add("/v1/chat/completions", Reply(body=_completion()))
    provider, _ = _provider(live_server)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        tracer = provider.get_tracer("tests")
        with tracer.start_as_current_span("translate") as root:
            trace_id = format(root.get_span_context().trace_id, "032x")
            client = openai.OpenAI(base_url=f"{wire.url}/v1", api_key="sk-local", max_retries=0)
            answer = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello in French"}]
            )
            assert answer.choices[0].message.content == "Bonjour!"
    finally:
        instrumentor.uninstrument()
    assert provider.force_flush(10_000)
    provider.shutdown()

    trace = _trace(live_server, trace_id)
    assert trace["generation_count"] == 1, trace
    gen_node = next(n for n in trace["nodes"] if n["type"] == "generation")
    assert gen_node["model"] == "gpt-4o-mini-2024-07-18"
    assert gen_node["input_tokens"] == 21 and gen_node["output_tokens"] == 4
    assert gen_node["cost"] is not None and gen_node["cost"] > 0
    assert gen_node["depth"] == 1
    with _api(live_server) as api:
        gen = api.get(f"{API}/generations/{gen_node['id']}").json()
    assert gen["output"] == "Bonjour!"
    assert gen["input"][-1]["content"] == "Say hello in French"


def _basic(public: str) -> dict[str, str]:
    token = base64.b64encode(f"{public}:{SECRET}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_the_langfuse_sdk_with_tracing_on(
    live_server: LiveServer, public_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langfuse import Langfuse, propagate_attributes

    with httpx.Client(base_url=live_server.url, headers=_basic(public_key)) as client:
        created = client.post(
            "/api/public/v2/prompts",
            json={"name": "welcome", "prompt": "Hello {{name}}", "type": "text"},
        )
        assert created.status_code == 201, created.text
    monkeypatch.setenv("LANGFUSE_TRACING_ENABLED", "true")
    lf = Langfuse(
        public_key=public_key,
        secret_key=SECRET,
        host=live_server.url,
        tracing_enabled=True,
        environment="staging",
    )
    try:
        prompt = lf.get_prompt("welcome", version=1)
        with lf.start_as_current_observation(name="handle-request", as_type="span") as root:
            trace_id = root.trace_id
            with (
                propagate_attributes(user_id="user-9", session_id="sess-9"),
                lf.start_as_current_observation(
                    name="llm-call",
                    as_type="generation",
                    model="gpt-4o-mini",
                    input=[{"role": "user", "content": prompt.compile(name="Ada")}],
                    prompt=prompt,
                ) as generation,
            ):
                generation.update(output="Hi Ada!", usage_details={"input": 11, "output": 3})
        lf.flush()
    finally:
        lf.shutdown()

    trace = _trace(live_server, trace_id)
    assert trace["span_count"] == 1 and trace["generation_count"] == 1, trace
    gen_node = next(n for n in trace["nodes"] if n["type"] == "generation")
    assert gen_node["name"] == "llm-call"
    assert gen_node["prompt"]["name"] == "welcome" and gen_node["prompt"]["version"] == 1
    assert gen_node["input_tokens"] == 11 and gen_node["output_tokens"] == 3
    with _api(live_server) as api:
        gen = api.get(f"{API}/generations/{gen_node['id']}").json()
    assert gen["output"] == "Hi Ada!"
    assert gen["user_id"] == "user-9" and gen["session_id"] == "sess-9"
    assert gen["environment"] == "staging"
    assert "unknown_prompt" not in gen["flags"]
