"""Backup and restore times for a large registry: the figures of docs/disaster-recovery.md.

Fills a fresh database with N prompts x V versions (labels ``latest`` and
``production``, their label events) and optionally G generations, by bulk inserts (the
rows are what the services write; only the time to fill is not measured), then times:

- ``backup create`` (SQLite: online backup API + gzip; PostgreSQL: pg_dump -Fc),
- ``backup verify`` (checksum, then the database inside read back),
- ``backup restore`` into an empty database (then migrated),
- ``restore-prompts --dry-run`` over the whole registry (point-in-time plan),
- ``db check`` (hashes, label targets, audit chain, foreign keys, stored JSON).

    python bench/backup_restore.py                         # SQLite, 10,000 x 5
    python bench/backup_restore.py --generations 1000000
    python bench/backup_restore.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.domain.actor import SYSTEM, RequestContext
from promptyard.domain.content import content_hash
from promptyard.services.identity import auth
from promptyard.services.operations import backup, integrity
from promptyard.services.recovery import point_in_time
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.store.models import (
    SqlBranch,
    SqlGeneration,
    SqlLabel,
    SqlLabelEvent,
    SqlProject,
    SqlPrompt,
    SqlVersion,
)
from promptyard.wiring import build_core

AUTHOR = "key:bench"


def fill(store: Store, prompts: int, versions: int, generations: int) -> None:
    with store.read() as session:
        project_id = session.execute(select(SqlProject.id).order_by(SqlProject.id)).scalar_one()
    start = datetime.now(UTC) - timedelta(days=30)
    batch = 500
    for first in range(0, prompts, batch):
        names = [f"bench-{index:06d}" for index in range(first, min(prompts, first + batch))]
        with store.write() as session:
            session.execute(
                insert(SqlPrompt),
                [
                    {
                        "project_id": project_id,
                        "name": name,
                        "folder": "",
                        "type": "text",
                        "description": "",
                        "tags": [],
                        "meta": {},
                        "latest_version": versions,
                        "next_version": versions + 1,
                        "search_text": name,
                        "created_at": start,
                        "created_by": AUTHOR,
                        "updated_at": start,
                        "updated_by": AUTHOR,
                        "lifecycle": "draft",
                    }
                    for name in names
                ],
            )
            ids = dict(
                session.execute(
                    select(SqlPrompt.name, SqlPrompt.id).where(SqlPrompt.name.in_(names))
                ).all()
            )
            version_rows, label_rows, event_rows, branch_rows = [], [], [], []
            for name in names:
                prompt_id = ids[name]
                for number in range(1, versions + 1):
                    at = start + timedelta(hours=number)
                    content = f"Version {number} of {name}: answer {{{{ question }}}} briefly."
                    config = {"model": "gpt-4o", "temperature": 0.2}
                    version_rows.append(
                        {
                            "prompt_id": prompt_id,
                            "number": number,
                            "branch": "main",
                            "type": "text",
                            "content": content,
                            "config": config,
                            "variables": [{"name": "question"}],
                            "references": [],
                            "content_hash": content_hash("text", content, config),
                            "parent": number - 1 or None,
                            "merge_parent": None,
                            "message": f"change {number}",
                            "author": AUTHOR,
                            "created_at": at,
                        }
                    )
                    event_rows.append(
                        {
                            "prompt_id": prompt_id,
                            "label": "latest",
                            "from_version": number - 1 or None,
                            "to_version": number,
                            "actor": AUTHOR,
                            "created_at": at,
                        }
                    )
                production = max(1, versions - 1)
                event_rows.append(
                    {
                        "prompt_id": prompt_id,
                        "label": "production",
                        "from_version": None,
                        "to_version": production,
                        "actor": AUTHOR,
                        "created_at": start + timedelta(hours=versions, minutes=30),
                    }
                )
                for label, number in (("latest", versions), ("production", production)):
                    label_rows.append(
                        {
                            "prompt_id": prompt_id,
                            "name": label,
                            "version": number,
                            "updated_at": start,
                            "updated_by": AUTHOR,
                        }
                    )
                branch_rows.append(
                    {
                        "prompt_id": prompt_id,
                        "name": "main",
                        "base": None,
                        "head": versions,
                        "created_at": start,
                        "created_by": AUTHOR,
                    }
                )
            session.execute(insert(SqlVersion), version_rows)
            session.execute(insert(SqlLabel), label_rows)
            session.execute(insert(SqlLabelEvent), event_rows)
            session.execute(insert(SqlBranch), branch_rows)
    for first in range(0, generations, 10_000):
        rows = [
            {
                "project_id": project_id,
                "id": f"g-{index}",
                "prompt_name": f"bench-{index % max(1, prompts):06d}",
                "prompt_version": versions,
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": 120,
                "output_tokens": 40,
                "input_cost": 0.0003,
                "output_cost": 0.0004,
                "currency": "USD",
                "latency_ms": 420.0,
                "start_time": start + timedelta(seconds=index),
                "status": "ok",
                "tags": [],
                "meta": {},
                "input_text": "What is the capital of France?",
                "input_is_chat": False,
                "output_text": "Paris.",
                "flags": [],
                "source": "sdk",
                "created_at": start + timedelta(seconds=index),
            }
            for index in range(first, min(generations, first + 10_000))
        ]
        with store.write() as session:
            session.execute(insert(SqlGeneration), rows)


@contextmanager
def databases(kind: str, pg_url: str | None, folder: Path) -> Iterator[tuple[str, str]]:
    """``(source url, empty target url)`` of the given kind."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'source.db'}", f"sqlite:///{folder / 'restored.db'}"
        return
    assert pg_url is not None
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    names = [f"promptyard_bench_{uuid.uuid4().hex[:6]}_{suffix}" for suffix in ("src", "dst")]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [make_url(pg_url).set(database=n).render_as_string(hide_password=False) for n in names]
    try:
        yield urls[0], urls[1]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(kind: str, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="promptyard-bench-") as tmp:
        folder = Path(tmp)
        with databases(kind, args.postgres, folder) as (source, target):
            settings = Settings(data_dir=folder, database_url=source, backup_url=str(folder / "b"))
            store = Store(source)
            migrate.upgrade(store)
            core = build_core(settings, store=store, entry_points=False)
            auth.bootstrap(core)
            fill_s, _ = timed(lambda: fill(store, args.prompts, args.versions, args.generations))
            rows.append((kind, "fill (bulk insert, not a product path)", f"{fill_s:.1f} s"))
            create_s, info = timed(lambda: backup.create_backup(settings))
            manifest = info.manifest
            rows.append(
                (
                    kind,
                    "backup create",
                    f"{create_s:.1f} s; {manifest.database_bytes / 1e6:.0f} MB database → "
                    f"{manifest.size / 1e6:.1f} MB archive",
                )
            )
            verify_s, _ = timed(lambda: backup.verify(settings, info.name))
            rows.append((kind, "backup verify", f"{verify_s:.1f} s"))
            restore_s, result = timed(
                lambda: backup.restore(settings, info.name, database_url=target)
            )
            counts = f"{result.counts['prompt_versions']:,} versions"
            rows.append((kind, "backup restore (empty target)", f"{restore_s:.1f} s; {counts}"))
            projects = point_in_time.projects_in(core, workspace_id=None)
            at = datetime.now(UTC) - timedelta(days=30) + timedelta(hours=2)
            plan_s, report = timed(
                lambda: point_in_time.point_in_time_restore(
                    core, ctx=RequestContext(actor=SYSTEM), projects=projects, at=at, dry_run=True
                )
            )
            rows.append(
                (
                    kind,
                    "restore-prompts --dry-run (whole registry)",
                    f"{plan_s:.1f} s; {len(report.changes):,} changes planned",
                )
            )
            check_s, findings = timed(lambda: integrity.check_database(core))
            rows.append((kind, "db check", f"{check_s:.1f} s; {len(findings)} finding(s)"))
            store.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--generations", type=int, default=0)
    parser.add_argument("--postgres", help="also measure PostgreSQL (a server URL)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    kinds = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    print(f"{args.prompts:,} prompts x {args.versions} versions, {args.generations:,} generations")
    rows = [row for kind in kinds for row in run(kind, args)]
    width = max(len(row[1]) for row in rows)
    print(f"{'database':<11} {'step':<{width}}  result")
    for kind, step, result in rows:
        print(f"{kind:<11} {step:<{width}}  {result}")


if __name__ == "__main__":
    main()
