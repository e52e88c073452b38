"""The generation record over the API: report in batches, idempotency, per-item results,
prices and flags, listing with filters and cursors, reading one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api._helpers import API, error, ok

BATCH = f"{API}/generations/batch"
GENERATIONS = f"{API}/generations"


def report(client: TestClient, items: list[dict[str, Any]], status: int = 200) -> Any:
    return ok(client.post(BATCH, json={"generations": items}), status)


def gen(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"gen-{index:04d}",
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 200,
        "latency_ms": 800.0 + index,
        "user_id": f"user-{index % 3}",
        "feature": "chat",
        "input": [{"role": "user", "content": f"question {index}"}],
        "output": f"answer {index}",
        **extra,
    }


def test_a_batch_is_stored_once_and_a_resent_batch_is_all_duplicates(
    app_client: TestClient,
) -> None:
    items = [gen(i) for i in range(5)]
    first = report(app_client, items)
    assert (first["created"], first["duplicates"], first["rejected"]) == (5, 0, 0)
    assert [item["status"] for item in first["items"]] == ["created"] * 5
    again = report(app_client, items)
    assert (again["created"], again["duplicates"]) == (0, 5)
    page = ok(app_client.get(GENERATIONS, params={"limit": 200}))
    assert len(page["items"]) == 5


def test_the_same_id_twice_in_one_batch_and_a_repeated_external_id_count_once(
    app_client: TestClient,
) -> None:
    result = report(
        app_client,
        [gen(1), gen(1), gen(2, external_id="resp-9"), gen(3, external_id="resp-9")],
    )
    assert [item["status"] for item in result["items"]] == [
        "created",
        "duplicate",
        "created",
        "duplicate",
    ]
    assert len(ok(app_client.get(GENERATIONS))["items"]) == 2


def test_bad_items_are_rejected_one_by_one_with_the_field_named(app_client: TestClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    result = report(
        app_client,
        [
            gen(1),
            gen(2, input_tokens=-5),
            gen(3, start_time=future),
            gen(4, cached_tokens=5000),
            gen(5, unknown_field=1),
            "not an object",
            gen(7, output_tokens=10**12),
        ],
        status=207,
    )
    assert (result["created"], result["rejected"]) == (1, 6)
    errors = {item["index"]: item["error"] for item in result["items"] if item["error"]}
    assert errors[1].startswith("input_tokens")
    assert "future" in errors[2]
    assert "cached_tokens" in errors[3]
    assert "unknown_field" in errors[4]
    assert errors[6].startswith("output_tokens")
    assert result["items"][1]["id"] == "gen-0002"
    assert [g["id"] for g in ok(app_client.get(GENERATIONS))["items"]] == ["gen-0001"]


def test_more_than_a_thousand_items_is_refused_before_any_is_stored(
    app_client: TestClient,
) -> None:
    err = error(app_client.post(BATCH, json={"generations": [gen(i) for i in range(1001)]}), 422)
    assert "1000" in err["message"] or "1000" in str(err["details"])
    assert ok(app_client.get(GENERATIONS))["items"] == []


def test_cost_prices_cached_input_once_and_an_unknown_model_stays_unknown(
    app_client: TestClient,
) -> None:
    report(
        app_client,
        [
            gen(1, cached_tokens=400),
            gen(2, model="my-own-llama", provider="openai"),
            gen(3, input_cost=0.5, output_cost=0.25, currency="EUR"),
        ],
    )
    one = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    # gpt-4o: $2.50 / M input, $1.25 / M cached input, $10 / M output
    assert one["cost"]["input"] == pytest.approx((600 * 2.5 + 400 * 1.25) / 1e6)
    assert one["cost"]["output"] == pytest.approx(200 * 10 / 1e6)
    assert one["cost"]["total"] == pytest.approx(one["cost"]["input"] + one["cost"]["output"])
    assert (one["cost"]["currency"], one["cost"]["source"]) == ("USD", "genai-prices")
    unknown = ok(app_client.get(f"{GENERATIONS}/gen-0002"))
    assert unknown["cost"] is None
    assert "unknown_model_price" in unknown["flags"]
    reported = ok(app_client.get(f"{GENERATIONS}/gen-0003"))
    assert reported["cost"] == {
        "input": 0.5,
        "output": 0.25,
        "total": 0.75,
        "currency": "EUR",
        "source": "reported",
    }


def test_missing_token_counts_are_counted_offline_and_flagged(app_client: TestClient) -> None:
    item = gen(1, input="Hello world, how are you?", output="Fine, thanks.")
    del item["input_tokens"], item["output_tokens"]
    result = report(app_client, [item])
    assert "estimated_tokens" in result["items"][0]["flags"]
    row = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert row["usage"]["estimated"] is True
    assert row["usage"]["input_tokens"] == 7  # o200k_base: "Hello world, how are you?"
    assert row["usage"]["output_tokens"] == 4
    assert row["cost"] is not None


def test_unknown_prompt_references_are_stored_and_flagged(app_client: TestClient) -> None:
    body = {"name": "greeting", "content": "Hi {{ name }}"}
    ok(app_client.post(f"{API}/prompts", json=body), 201)
    result = report(
        app_client,
        [
            gen(1, prompt_name="greeting", prompt_version=1),
            gen(2, prompt_name="greeting", prompt_version=9),
            gen(3, prompt_name="nowhere"),
        ],
    )
    assert [item["flags"] for item in result["items"]] == [
        [],
        ["unknown_prompt_version"],
        ["unknown_prompt"],
    ]
    row = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert row["prompt"] == {"name": "greeting", "version": 1, "label": None}


def test_oversize_text_is_cut_at_the_cap_and_flagged(app_client: TestClient, core: Any) -> None:
    core.settings.generation_text_max_chars = 100
    result = report(app_client, [gen(1, input="x" * 500, output="y" * 101)])
    assert set(result["items"][0]["flags"]) >= {"input_truncated", "output_truncated"}
    row = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert row["input"] == "x" * 100 and row["output"] == "y" * 100


def test_chat_input_reads_back_as_messages(app_client: TestClient) -> None:
    report(app_client, [gen(1)])
    row = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert row["input"] == [{"role": "user", "content": "question 1"}]
    assert row["output"] == "answer 1"
    assert row["usage"] == {
        "input_tokens": 1000,
        "output_tokens": 200,
        "cached_tokens": None,
        "reasoning_tokens": None,
        "estimated": False,
    }
    assert row["feedback"] == []


def test_list_filters_search_and_pages_through_a_cursor(app_client: TestClient) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = [
        gen(i, start_time=(start + timedelta(minutes=i)).isoformat(), model="gpt-4o-mini")
        if i % 2
        else gen(i, start_time=(start + timedelta(minutes=i)).isoformat())
        for i in range(25)
    ]
    items[7]["status"] = "error"
    items[7]["error"] = "rate limited"
    report(app_client, items)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        page = ok(app_client.get(GENERATIONS, params=params))
        seen += [g["id"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"gen-{i:04d}" for i in reversed(range(25))]
    mini = ok(app_client.get(GENERATIONS, params={"model": "gpt-4o-mini", "limit": 200}))
    assert len(mini["items"]) == 12
    errors = ok(app_client.get(GENERATIONS, params={"status": "error"}))["items"]
    assert [g["id"] for g in errors] == ["gen-0007"]
    users = ok(app_client.get(GENERATIONS, params={"user": "user-0", "limit": 200}))["items"]
    assert {g["user_id"] for g in users} == {"user-0"} and len(users) == 9
    window = ok(
        app_client.get(
            GENERATIONS,
            params={
                "since": (start + timedelta(minutes=5)).isoformat(),
                "until": (start + timedelta(minutes=8)).isoformat(),
            },
        )
    )["items"]
    assert [g["id"] for g in window] == ["gen-0007", "gen-0006", "gen-0005"]
    found = ok(app_client.get(GENERATIONS, params={"q": "ANSWER 13"}))["items"]
    assert [g["id"] for g in found] == ["gen-0013"]
    assert ok(app_client.get(GENERATIONS, params={"q": "100%"}))["items"] == []


def test_a_bad_cursor_and_an_unknown_id_are_clear_errors(app_client: TestClient) -> None:
    err = error(app_client.get(GENERATIONS, params={"cursor": "nonsense!"}), 422)
    assert "cursor" in err["message"]
    error(app_client.get(f"{GENERATIONS}/gen-missing"), 404, "not_found")


def test_generations_stay_in_their_project(app_client: TestClient) -> None:
    ok(app_client.post(f"{API}/projects", json={"slug": "other", "name": "Other"}), 201)
    report(app_client, [gen(1)])
    ok(app_client.post(f"{BATCH}?project=other", json={"generations": [gen(1), gen(2)]}))
    assert len(ok(app_client.get(GENERATIONS))["items"]) == 1
    assert len(ok(app_client.get(f"{GENERATIONS}?project=other"))["items"]) == 2
    error(app_client.get(f"{GENERATIONS}/gen-0002"), 404)


def test_a_plugins_redactor_sees_the_text_before_it_is_stored(settings: Any) -> None:
    import re

    from promptyard.plugins.hookspecs import hookimpl
    from promptyard.server.app import create_app
    from promptyard.services.identity import auth
    from promptyard.wiring import build_core
    from tests.conftest import API_KEY

    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    seen: list[str] = []

    class RedactEmails:
        @hookimpl
        def register_generation_redactors(self, register: Any) -> None:
            def redact(field: str, text: str) -> str:
                seen.append(field)
                return email.sub("[email]", text)

            register(redact)

    core = build_core(settings, plugins=[RedactEmails()], entry_points=False)
    auth.bootstrap(core)
    with TestClient(
        create_app(core, static_dir=None), headers={"Authorization": f"Bearer {API_KEY}"}
    ) as client:
        item = gen(
            1,
            input="mail ada.lovelace+notes@analytical-engines.example.com please",
            output="sent to ada.lovelace+notes@analytical-engines.example.com",
        )
        del item["input_tokens"]
        report(client, [item])
        row = ok(client.get(f"{GENERATIONS}/gen-0001"))
    core.store.dispose()
    assert row["input"] == "mail [email] please"
    assert row["output"] == "sent to [email]"
    assert seen == ["input", "output"]
    from promptyard.services.telemetry.tokens import count_text

    # counted on the text as sent, not on what was stored
    assert row["usage"]["input_tokens"] == count_text(
        "gpt-4o", "mail ada.lovelace+notes@analytical-engines.example.com please"
    )
    assert row["usage"]["input_tokens"] != count_text("gpt-4o", "mail [email] please")


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_generations_tokens_cost_and_feedback(app_client: TestClient) -> None:
    labels = (("model", "gpt-4o"), ("project", "default"), ("provider", "openai"))
    before = _samples(app_client)
    report(app_client, [gen(1), gen(2, status="error"), gen(3, model="my-llama")])
    ok(
        app_client.post(
            f"{API}/analytics/feedback",
            json={"generation_id": "gen-0001", "kind": "nps", "value": 9},
        ),
        201,
    )
    after = _samples(app_client)

    def delta(name: str, extra: tuple[tuple[str, str], ...] = ()) -> float:
        key = (name, tuple(sorted(labels + extra)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("promptyard_generations_total", (("status", "ok"),)) == 1
    assert delta("promptyard_generations_total", (("status", "error"),)) == 1
    assert delta("promptyard_generation_tokens_total", (("direction", "input"),)) == 2000
    assert delta("promptyard_generation_cost_usd_total") == pytest.approx(
        2 * (1000 * 2.5 + 200 * 10) / 1e6
    )
    unpriced = (
        "promptyard_generations_unpriced_total",
        tuple(sorted((("model", "my-llama"), ("project", "default"), ("provider", "openai")))),
    )
    assert after[unpriced] - before.get(unpriced, 0.0) == 1
    nps = ("promptyard_feedback_total", (("kind", "nps"), ("project", "default")))
    assert after[nps] - before.get(nps, 0.0) == 1


def test_costs_are_recomputed_after_a_price_override(app_client: TestClient) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    report(
        app_client,
        [
            gen(1, model="my-llama", start_time=start.isoformat()),
            gen(2, model="my-llama", start_time=(start + timedelta(days=10)).isoformat()),
            gen(3, model="my-llama", input_cost=1.0, output_cost=1.0, start_time=start.isoformat()),
        ],
    )
    assert ok(app_client.get(f"{GENERATIONS}/gen-0001"))["cost"] is None
    ok(
        app_client.post(
            f"{API}/providers/prices",
            json={
                "model": "my-llama",
                "input_per_mtok": 1.0,
                "output_per_mtok": 2.0,
                "effective_from": start.isoformat(),
            },
        ),
        201,
    )
    body = {"since": start.isoformat(), "until": (start + timedelta(days=5)).isoformat()}
    changed = ok(app_client.post(f"{GENERATIONS}/recompute-costs", json=body))
    assert changed == {"changed": 1}  # gen 2 is outside the range, gen 3 priced by the app
    one = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert one["cost"]["source"] == "override"
    assert one["cost"]["total"] == pytest.approx((1000 * 1.0 + 200 * 2.0) / 1e6)
    assert "unknown_model_price" not in one["flags"]
    assert ok(app_client.get(f"{GENERATIONS}/gen-0002"))["cost"] is None
    assert ok(app_client.get(f"{GENERATIONS}/gen-0003"))["cost"]["source"] == "reported"
    again = ok(app_client.post(f"{GENERATIONS}/recompute-costs", json=body))
    assert again == {"changed": 0}
    error(
        app_client.post(f"{GENERATIONS}/recompute-costs", json={**body, "until": body["since"]}),
        422,
    )


def test_a_project_can_store_no_text(app_client: TestClient) -> None:
    settings_url = f"{API}/projects/default/generation-settings"
    assert ok(app_client.get(settings_url)) == {"store_text": True}
    assert ok(app_client.put(settings_url, json={"store_text": False})) == {"store_text": False}
    result = report(app_client, [gen(1)])
    assert result["items"][0]["flags"] == ["text_not_stored"]
    row = ok(app_client.get(f"{GENERATIONS}/gen-0001"))
    assert (row["input"], row["output"]) == (None, None)
    assert row["usage"]["input_tokens"] == 1000 and row["cost"] is not None
    ok(app_client.put(settings_url, json={"store_text": True}))
    report(app_client, [gen(2)])
    assert ok(app_client.get(f"{GENERATIONS}/gen-0002"))["output"] == "answer 2"
    audit = ok(app_client.get(f"{API}/audit", params={"action": "generation_settings.update"}))
    assert audit["total"] == 2
