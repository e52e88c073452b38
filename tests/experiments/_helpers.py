"""Shared helpers of the experiment tests: a prompt with two labelled versions, an
experiment on it, generations reported as variants."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"
EXPERIMENTS = f"{API}/experiments"


def prompt_with_variants(client: TestClient, name: str = "greeting") -> None:
    """``name`` with v1 at ``production`` and v2 at ``candidate``."""
    r = client.post(f"{API}/prompts", json={"name": name, "content": "Hello {{ who }}"})
    assert r.status_code == 201, r.text
    r = client.patch(f"{API}/prompts/{name}", json={"content": "Hi there {{ who }}!"})
    assert r.status_code == 200, r.text
    for label, version in (("production", 1), ("candidate", 2)):
        r = client.put(f"{API}/prompts/{name}/labels/{label}", json={"version": version})
        assert r.status_code == 200, r.text


def design(name: str = "tone", prompt: str = "greeting", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "prompt": prompt,
        "variants": [
            {"name": "control", "label": "production", "weight": 1},
            {"name": "friendly", "label": "candidate", "weight": 1},
        ],
        "unit": "user",
        "primary_metric": "feedback",
        "metrics": ["meta:resolved"],
        "design": {"baseline": 0.5, "mde": 0.1},
    }
    body.update(extra)
    return body


def running_experiment(client: TestClient, **extra: Any) -> dict[str, Any]:
    prompt_with_variants(client)
    r = client.post(EXPERIMENTS, json=design(**extra))
    assert r.status_code == 201, r.text
    experiment = r.json()
    r = client.post(f"{EXPERIMENTS}/{experiment['id']}/start")
    assert r.status_code == 200, r.text
    return dict(r.json())
