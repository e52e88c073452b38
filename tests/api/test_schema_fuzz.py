"""Schemathesis over every API operation, with a fixed seed, on each database.

Each operation gets a fresh database seeded with the objects the OpenAPI schema's
examples name (prompt ``greeting`` with two versions, label ``production``, branch
``experiment``, change request 1, webhook 1, the ``default`` project), so generated
requests reach the logic instead of bouncing off 404s. Half the cases come from those
examples, half from free generation within the schema's constraints. The property: no
answer is a 5xx (but a deliberate 503 with Retry-After), and every error has the
documented shape.

Every operation must also be *reached*: at least one generated request gets past
validation and the 404s into the route's logic, so the schema stays good enough for a
fuzzer to test something.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from promptyard.server.app import create_app
from promptyard.server.permissions import ROUTE_PERMISSIONS
from promptyard.services.alerts import evaluate as alert_evaluate
from promptyard.services.context import Core
from tests.conftest import API_KEY

SEED = 20261201
REVIEW = json.dumps({"summary": "Greets by name.", "suggestions": [], "content": "Hi {{ name }}."})
REVIEWER = {"output": REVIEW}
EXAMPLES = 24
ROUTES = sorted(key for key in ROUTE_PERMISSIONS if key[1].startswith("/api/"))
#: Operations no generated request can get past the door of, and why.
UNREACHABLE = {
    ("POST", "/api/v1/auth/invitations/accept"): "a token exists only in its creator's answer",
    ("POST", "/api/v1/analytics/feedback/public"): "a feedback key exists only in its "
    "creator's answer",
}
#: Answers that mean a request was turned away before the route's logic ran.
AT_THE_DOOR = {401, 404, 422}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def seed_examples(client: TestClient) -> None:
    """The objects that the schema's examples name."""
    client.app.state.core.settings.mcp_allow_private = True  # type: ignore[attr-defined]
    for method, path, body in (
        ("POST", "/api/v1/prompts", {"name": "greeting", "content": "Hello {{ name }}"}),
        ("PATCH", "/api/v1/prompts/greeting", {"content": "Hi {{ name }}!"}),
        ("PUT", "/api/v1/prompts/greeting/labels/production", {"version": 1}),
        ("POST", "/api/v1/prompts/greeting/branches", {"name": "experiment", "from_version": 1}),
        (
            "POST",
            "/api/v1/change-requests",
            {
                "prompt": "greeting",
                "version": 2,
                "label": "staging",
                "sample_variables": {"name": "Ada"},
            },
        ),
        ("POST", "/api/v1/invitations", {"email": "ada@example.com", "role": "editor"}),
        ("PUT", "/api/v1/projects/default/members/1", {"role": "editor"}),
        (
            "POST",
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/hook", "events": ["change_request.opened"]},
        ),
        ("POST", "/api/v1/generations/batch", {"generations": [{"id": "gen-0001"}]}),
        (  # the trace the OpenAPI example of GET /traces/{trace_id} names (OTLP/JSON)
            "POST",
            "/v1/traces",
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                                        "spanId": "00f067aa0ba902b7",
                                        "name": "run",
                                        "startTimeUnixNano": "1764547200000000000",
                                        "endTimeUnixNano": "1764547201000000000",
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
        ),
        ("POST", "/api/v1/providers", {"name": "local", "kind": "fake", "models": ["echo"]}),
        # the review example's reviewer: answers a proposal of the greeting
        (
            "POST",
            "/api/v1/providers",
            {"name": "fake", "kind": "fake", "options": {"output": REVIEW}},
        ),
        # refused at once: a refresh records the error instead of waiting on a network
        ("POST", "/api/v1/mcp-servers", {"name": "tools", "url": "http://127.0.0.1:9/mcp"}),
        (
            "POST",
            "/api/v1/providers/prices",
            {"model": "gpt-4o", "input_per_mtok": 2.5, "output_per_mtok": 10.0},
        ),
    ):
        response = client.request(method, path, json=body)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
    # alerts: budget 1, channel 1, rule 1 and the alert 1 it fires (on gen-0001)
    for path, body in (
        ("/api/v1/budgets", {"name": "b", "project": "default", "amount": 500}),
        (
            "/api/v1/alert-channels",
            {"name": "c", "kind": "slack", "url": "https://hooks.example.com/services/x"},
        ),
        (
            "/api/v1/alert-rules",
            {"name": "r", "kind": "cost", "threshold": 0, "comparison": "gte"},
        ),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 201, f"POST {path}: {response.text}"
    assert alert_evaluate.evaluate(client.app.state.core).fired == 1  # type: ignore[attr-defined]
    # evaluation runs: run 1 of greeting v1 and v2 over dataset greetings (its example)
    if client.get("/api/v1/datasets/greetings").status_code == 404:
        cases = [{"id": "q1", "input": {"name": "Ada"}, "expected": "Hello, Ada!"}]
        created = client.post("/api/v1/datasets", json={"name": "greetings", "cases": cases})
        assert created.status_code == 201, created.text
    run = {
        "prompt": "greeting",
        "versions": [1, 2],
        "models": ["fake/echo"],
        "dataset": "greetings",
        "evaluators": [{"kind": "exact_match"}],
    }
    response = client.post("/api/v1/evaluations", json=run)
    assert response.status_code == 201, f"POST /api/v1/evaluations: {response.text}"
    # online evaluator reply-length on greeting (the examples' name)
    online = {"name": "reply-length", "prompt": "greeting", "kind": "length", "sample_rate": 0.2}
    response = client.post("/api/v1/online-evaluators", json=online)
    assert response.status_code == 201, f"POST /api/v1/online-evaluators: {response.text}"
    # experiment 1 (the examples' id), on greeting@production vs staging
    staging = client.put("/api/v1/prompts/greeting/labels/staging", json={"version": 2})
    assert staging.status_code == 200, staging.text
    experiment = {
        "name": "greeting-tone",
        "prompt": "greeting",
        "variants": [
            {"name": "control", "label": "production"},
            {"name": "friendly", "label": "staging"},
        ],
    }
    response = client.post("/api/v1/experiments", json=experiment)
    assert response.status_code == 201, f"POST /api/v1/experiments: {response.text}"
    # annotation queue 1 (its examples' rubric) with item 1 (gen-0001)
    queue = {
        "name": "support-replies",
        "annotators_required": 2,
        "rubric": {
            "criteria": [
                {"name": "correctness", "description": "Answers the question."},
                {"name": "tone", "description": "Warm and concise."},
            ]
        },
    }
    response = client.post("/api/v1/annotation-queues", json=queue)
    assert response.status_code == 201, f"POST /api/v1/annotation-queues: {response.text}"
    response = client.post(
        "/api/v1/annotation-queues/1/items", json={"generation_ids": ["gen-0001"]}
    )
    assert response.status_code == 201, f"POST /api/v1/annotation-queues/1/items: {response.text}"


def _check_error_shape(path: str, body: Any) -> None:
    """Promptyard's error shape; on /api/public, Langfuse's (what its SDK reads)."""
    if path.startswith("/api/public/"):
        assert isinstance(body["error"], str) and body["error"], body
        assert isinstance(body["message"], str) and body["message"], body
        return
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]


#: Streams answer until the client goes away; the fuzzer has them end after this long.
STREAMS = {"/api/v1/prompts/changes": 0.05}


def _send(client: TestClient, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    wanted = ("method", "url", "params", "json", "content", "data")
    request = {key: value for key, value in kwargs.items() if key in wanted}
    if case.operation.path in STREAMS:
        params = dict(request.get("params") or {})
        params["timeout"] = STREAMS[case.operation.path]  # whatever was generated
        request["params"] = params
    return client.request(**request)


_SCHEMAS: list[Any] = []


def _schema(app: Any) -> Any:
    """The loaded OpenAPI schema, built once per process: every test's app has the same
    routes, and generating and loading the document costs more than most tests' requests."""
    if not _SCHEMAS:
        _SCHEMAS.append(schemathesis.openapi.from_dict(app.openapi()))
    return _SCHEMAS[0]


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_operation_answers_within_its_contract(route: tuple[str, str], core: Core) -> None:
    method, path = route
    app = create_app(core, static_dir=None)
    with TestClient(
        app, headers={"Authorization": f"Bearer {API_KEY}"}, raise_server_exceptions=False
    ) as client:
        seed_examples(client)
        operation = _schema(app)[path][method]
        strategy = st.one_of(*operation.get_strategies_from_examples(), operation.as_strategy())
        counts: Counter[int] = Counter()

        @given(case=strategy)
        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = _send(client, case)
            counts[response.status_code] += 1
            assert response.status_code < 500 or response.status_code == 503, response.text
            if response.status_code == 503:
                assert "retry-after" in response.headers
            if response.status_code >= 400:
                _check_error_shape(path, response.json())

        run()
    reached = sum(n for status, n in counts.items() if status not in AT_THE_DOOR)
    if route in UNREACHABLE:
        assert not reached, f"{route} is reachable now: drop it from UNREACHABLE"
    else:
        assert reached, f"no request got past validation or the 404s: {dict(counts)}"
