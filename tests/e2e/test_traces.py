"""The traces list and a trace's tree and timeline (issue 10), against the real API:
an agent run sent as OTLP/JSON to POST /v1/traces (a root span, a tool span and an LLM
call below it), then opened in the console."""

from __future__ import annotations

import time

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, TOOL, LLM = "eee19b7ec3c1b174", "eee19b7ec3c1b175", "eee19b7ec3c1b176"


def _span(
    span_id: str, parent: str | None, name: str, start: int, ms: int, **attrs: object
) -> dict:  # type: ignore[type-arg]
    values = [
        {"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}}
        for k, v in attrs.items()
    ]
    span = {
        "traceId": TRACE,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + ms * 1_000_000),
        "attributes": values,
    }
    if parent:
        span["parentSpanId"] = parent
    return span


@pytest.fixture(scope="module")
def seeded(api, base_url):  # type: ignore[no-untyped-def]
    start = time.time_ns() - 120 * 1_000_000_000
    export = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "e2e-agent"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            _span(ROOT, None, "agent.run", start, 1200),
                            _span(TOOL, ROOT, "tool.search", start + 100_000_000, 300),
                            _span(
                                LLM,
                                TOOL,
                                "openai.chat",
                                start + 500_000_000,
                                600,
                                **{
                                    "gen_ai.operation.name": "chat",
                                    "gen_ai.provider.name": "openai",
                                    "gen_ai.request.model": "gpt-4o-mini",
                                    "gen_ai.usage.input_tokens": 1500,
                                    "gen_ai.usage.output_tokens": 120,
                                },
                            ),
                        ]
                    }
                ],
            }
        ]
    }
    response = api.post(f"{base_url}/v1/traces", json=export)
    assert response.status_code == 200, response.text
    return TRACE


def test_a_trace_opens_as_a_tree_with_a_timeline(page, seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto("/p/default/traces")
    row = page.get_by_test_id(f"trace-{seeded}")
    expect(row).to_contain_text("agent.run")
    expect(row).to_contain_text("1,500")
    check_page(page, "the traces list", "traces")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Trace {seeded}")).to_be_visible()
    llm = page.get_by_test_id(f"node-{LLM}")
    expect(llm).to_contain_text("openai.chat")
    expect(llm).to_contain_text("1,500 → 120")
    expect(llm).to_contain_text("600")
    expect(page.get_by_test_id(f"node-{TOOL}")).to_contain_text("tool.search")
    check_page(page, "a trace", "trace")
    # collapsing the tool hides the call below it; the generation link opens the call
    page.get_by_role("button", name="Collapse tool.search").click()
    expect(page.get_by_test_id(f"node-{LLM}")).to_have_count(0)
    page.get_by_role("button", name="Expand tool.search").click()
    page.get_by_test_id(f"node-{LLM}").get_by_role("link", name="gpt-4o-mini").click()
    expect(page.get_by_role("heading", name=f"Generation {LLM}")).to_be_visible()
    expect(page.get_by_role("link", name=seeded)).to_be_visible()


def test_a_trace_reads_at_390_px(mobile_page, seeded) -> None:  # type: ignore[no-untyped-def]
    mobile_page.goto(f"/p/default/traces/{seeded}")
    expect(mobile_page.get_by_test_id(f"node-{LLM}")).to_contain_text("openai.chat")
    check_page(mobile_page, "a trace at 390 px")
