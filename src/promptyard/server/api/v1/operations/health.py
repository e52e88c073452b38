"""The system's health score (thin shell over services.operations.health)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from promptyard.server.deps import ActorDep, CoreDep
from promptyard.services.operations import health
from promptyard.services.operations.health import SizeHistory, SystemHealthPublic
from promptyard.services.operations.metrics import Metrics

router = APIRouter(prefix="/system", tags=["operations"])


@router.get("/health")
def system_health(request: Request, core: CoreDep, _actor: ActorDep) -> SystemHealthPublic:
    """The health score and its components (latency, errors, database, disk, queue,
    workers, backup), with advice for each that is not green. Any signed-in user."""
    state = request.app.state
    metrics: Metrics = state.metrics
    history: SizeHistory = state.size_history
    return health.system_health(
        core,
        requests=metrics.requests.window(),
        workers_enabled=core.settings.webhook_worker,
        workers=state.runner.health(),
        history=history,
    )
