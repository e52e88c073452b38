"""``AsyncClient.get_prompt(unit_id=...)`` serves the unit's variant of a running online
experiment, assigned as the server and the sync client assign it."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.testclient import TestClient

from promptyard.client import AsyncClient, Client
from promptyard.domain.experiments import assign
from tests._server import LiveServer
from tests.conftest import API_KEY
from tests.experiments._helpers import EXPERIMENTS, running_experiment


def test_async_get_prompt_serves_the_units_variant(
    app_client: TestClient, live_server: LiveServer
) -> None:
    experiment = running_experiment(app_client)
    units = [f"user-{i}" for i in range(30)]

    async def main() -> list[tuple[str | None, int | None, int]]:
        async with AsyncClient(live_server.url, API_KEY) as sdk:
            served = [await sdk.get_prompt("greeting", unit_id=u) for u in units]
            plain = await sdk.get_prompt("greeting")
            assert plain.variant is None and plain.version == 1
            return [(p.variant, p.experiment_id, p.version) for p in served]

    got = asyncio.run(main())
    with Client(live_server.url, API_KEY) as sync:
        sync_variants = [sync.get_prompt("greeting", unit_id=u).variant for u in units]
    for unit, (variant, experiment_id, version), from_sync in zip(
        units, got, sync_variants, strict=True
    ):
        expected = ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
        assert variant == expected == from_sync
        assert experiment_id == experiment["id"]
        assert version == (1 if expected == "control" else 2)
    assert {v for v, _, _ in got} == {"control", "friendly"}

    # once stopped, every unit gets the control (after the list's cache expires)
    r = app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", json={})
    assert r.status_code == 200, r.text

    async def after_stop() -> set[str | None]:
        async with AsyncClient(live_server.url, API_KEY) as sdk:
            return {(await sdk.get_prompt("greeting", unit_id=u)).variant for u in units}

    assert asyncio.run(after_stop()) == {None}


class _NoExperiments(httpx.AsyncHTTPTransport):
    """A real transport, except that the experiments list answers 503."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/experiments/active"):
            return httpx.Response(503, json={"error": {"code": "overloaded", "message": "busy"}})
        return await super().handle_async_request(request)


def test_async_get_prompt_serves_control_when_experiments_cannot_be_read(
    app_client: TestClient, live_server: LiveServer
) -> None:
    running_experiment(app_client)

    async def main() -> set[tuple[str | None, int]]:
        async with (
            httpx.AsyncClient(transport=_NoExperiments()) as http,
            AsyncClient(live_server.url, API_KEY, http_client=http) as sdk,
        ):
            served = [await sdk.get_prompt("greeting", unit_id=f"user-{i}") for i in range(20)]
            return {(p.variant, p.version) for p in served}

    assert asyncio.run(main()) == {(None, 1)}  # the control, never an error
