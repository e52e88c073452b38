"""Background work: one :class:`Runner` and the jobs it runs (see README.md)."""

from __future__ import annotations

from promptyard.workers.jobs import AUDIT_CHECKPOINTS, WEBHOOK_DELIVERIES, build_runner
from promptyard.workers.runner import Job, JobHealth, Runner, Step

__all__ = [
    "AUDIT_CHECKPOINTS",
    "WEBHOOK_DELIVERIES",
    "Job",
    "JobHealth",
    "Runner",
    "Step",
    "build_runner",
]
