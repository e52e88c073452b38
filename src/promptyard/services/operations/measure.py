"""Measurements of the running system that metrics and the health score both report:
database size, free disk, the webhook delivery queue. Plain reads, no state."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from promptyard.services.context import Core
from promptyard.store.models import SqlWebhookDelivery

#: Statuses of a webhook delivery (``services/operations/webhooks.py``).
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def database_size_bytes(core: Core) -> int:
    """Bytes the database takes: the SQLite file with its WAL, or PostgreSQL's
    ``pg_database_size`` of the current database."""
    if core.store.is_sqlite:
        database = make_url(core.store.url).database
        if not database or database == ":memory:":
            return 0
        return sum(
            os.path.getsize(path) for path in (database, f"{database}-wal") if os.path.exists(path)
        )
    with core.store.read() as session:
        return int(
            session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        )


@dataclass(frozen=True)
class Disk:
    """The file system holding the data folder (and the SQLite file, when it is there)."""

    path: str
    free_bytes: int
    total_bytes: int

    @property
    def free_ratio(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0


def data_disk(core: Core) -> Disk:
    """Free and total bytes of the data folder's file system (its nearest existing parent
    while it does not exist yet)."""
    path = Path(core.settings.data_dir).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    return Disk(str(path), int(usage.free), int(usage.total))


@dataclass(frozen=True)
class DeliveryQueue:
    """Webhook deliveries by status, and how long the oldest due one has waited."""

    by_status: dict[str, int]
    oldest_due_seconds: float


def delivery_queue(core: Core) -> DeliveryQueue:
    now = core.clock()
    with core.store.read() as session:
        rows = session.execute(
            select(SqlWebhookDelivery.status, func.count()).group_by(SqlWebhookDelivery.status)
        ).all()
        oldest = session.execute(
            select(func.min(SqlWebhookDelivery.next_attempt_at)).where(
                SqlWebhookDelivery.status == "pending",
                SqlWebhookDelivery.next_attempt_at <= now,
            )
        ).scalar_one_or_none()
    by_status = dict.fromkeys(DELIVERY_STATUSES, 0)
    for status, count in rows:
        by_status[str(status)] = int(count)
    lag = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:  # a value a driver handed back without its zone
            oldest = oldest.replace(tzinfo=now.tzinfo)
        lag = max(0.0, (now - oldest).total_seconds())
    return DeliveryQueue(by_status, lag)
