"""The server's background jobs, registered on one :class:`Runner`.

The steps live with their capability in ``services``; this module only schedules them:

- ``webhook_deliveries`` (every 2 s, drained in batches of 50):
  :func:`promptyard.services.operations.webhooks.deliver_due`; while the runner stops, it
  hands back the deliveries it has not sent yet instead of sending them.
- ``audit_checkpoints`` (every 2 s):
  :class:`promptyard.services.operations.audit_checkpoints.Checkpointer`, which publishes
  a signed checkpoint when ``audit_checkpoint_events`` or ``audit_checkpoint_minutes``
  say one is due (one read of the chain's head otherwise).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from promptyard.services.context import Core
from promptyard.services.operations import audit_checkpoints, webhooks
from promptyard.workers.runner import Job, Runner

WEBHOOK_DELIVERIES = "webhook_deliveries"
AUDIT_CHECKPOINTS = "audit_checkpoints"
INTERVAL_SECONDS = 2.0


def build_runner(
    core: Core,
    *,
    http: httpx.Client | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Runner:
    """A runner with every background job of the server, not started.

    ``http`` is the client webhooks are sent with (default: one per batch); tests pass
    one with a mock transport.
    """
    runner = Runner(core, monotonic=monotonic)

    def deliver(core: Core) -> int:
        return webhooks.deliver_due(core, http=http, should_stop=runner.stopping)

    checkpointer = audit_checkpoints.Checkpointer(core)

    def checkpoint(_core: Core) -> int:
        return 0 if checkpointer.step() is None else 1

    runner.register(Job(WEBHOOK_DELIVERIES, INTERVAL_SECONDS, deliver, drain=True))
    runner.register(Job(AUDIT_CHECKPOINTS, INTERVAL_SECONDS, checkpoint))
    return runner
