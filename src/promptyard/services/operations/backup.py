"""Online backups of the whole database: create, list, verify, restore, prune.

A backup is one file ``promptyard-<UTC time>.pybackup``: an uncompressed tar holding

- ``manifest.json`` (first, so :func:`list_backups` reads it without the rest):
  format, creation time, database kind, schema revision, row counts of the prompt
  tables, and the payload's name, size and SHA-256;
- the payload, compressed: ``database.sqlite.gz`` (SQLite) or ``database.pgdump``
  (PostgreSQL, ``pg_dump --format=custom``, compressed by pg_dump).

How each database is copied while the server keeps running:

- **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot in one step; with WAL, writers carry on meanwhile. Restored the same way into
  the target file (the server's change poller notices the audit chain going back and
  drops its caches).
- **PostgreSQL**: ``pg_dump --format=custom`` (one consistent snapshot; writers carry
  on). Its major version must be at least the server's (checked; the path is the
  ``backup_pg_dump`` setting). Restored with ``pg_restore --single-transaction``.

A backup is complete or absent: the archive is written under a temporary name, fsynced
and renamed last (:mod:`promptyard.services.operations.backup_stores`). :func:`verify`
and :func:`restore` refuse an archive whose manifest, size or checksum do not match
(:class:`BackupCorrupt`); :func:`restore` refuses a target that holds data unless
``replace=True`` (:class:`TargetNotEmpty`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from promptyard.config import Settings
from promptyard.services.operations.backup_stores import (
    SUFFIX,
    BackupStore,
    FolderStore,
    open_store,
)
from promptyard.store import migrate
from promptyard.store.models import Base
from promptyard.version import __version__

if TYPE_CHECKING:
    from promptyard.store.engine import Store

FORMAT = "promptyard-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Tables whose row counts the manifest records and verify/restore compare.
COUNTED = ("prompts", "prompt_versions", "labels", "label_events", "audit_events")
#: Tables that may hold rows in a database that holds no data yet.
_BOOKKEEPING = {"alembic_version", "audit_head", "job_leases"}


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


class BackupCorrupt(BackupError):
    """The archive is incomplete, damaged or not a Promptyard backup."""


class TargetNotEmpty(BackupError):
    """The restore target holds data and ``replace`` was not given."""


@dataclass(frozen=True)
class Manifest:
    name: str
    created_at: str
    dialect: str
    schema_revision: str | None
    payload: str
    size: int
    sha256: str
    database_bytes: int
    counts: dict[str, int]
    promptyard_version: str = __version__
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BackupInfo:
    name: str
    size: int
    location: str
    manifest: Manifest | None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "location": self.location,
            "manifest": self.manifest.to_dict() if self.manifest else None,
            "problem": self.problem,
        }


@dataclass
class RestoreResult:
    name: str
    target: str
    dialect: str
    schema_revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    replaced: bool = False
    upgraded_to: str | None = None
    #: A checkpoint signed for the restored audit chain, when the configured database
    #: was restored to before the latest checkpoint (see
    #: :func:`promptyard.services.operations.audit_checkpoints.anchor_restored_chain`).
    audit_checkpoint: dict[str, Any] | None = None


# -- naming and small helpers --------------------------------------------------------


def backup_name(now: datetime) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return f"promptyard-{stamp}.{now.microsecond // 1000:03d}Z{SUFFIX}"


def _dialect(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up {backend} databases: use SQLite or PostgreSQL")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for ``url`` (password moved to the environment), and that environment."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _counts(connection: Connection) -> dict[str, int]:
    names = set(inspect(connection).get_table_names())
    return {
        table: int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
        for table in COUNTED
        if table in names
    }


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _snapshot_facts(url: str) -> tuple[str | None, dict[str, int]]:
    """Schema revision and row counts of a database (a backup's copy)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return _revision(connection), _counts(connection)
    finally:
        engine.dispose()


def holds_data(url: str) -> bool:
    """Whether the database at ``url`` has a row in any table but the bookkeeping ones."""
    if _dialect(url) == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            ours = set(Base.metadata.tables)  # not search-index shadow tables
            for table in inspect(engine).get_table_names():
                if table in _BOOKKEEPING or table not in ours:
                    continue
                if connection.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
                    return True
        return False
    finally:
        engine.dispose()


# -- create ---------------------------------------------------------------------------


def create_backup(
    settings: Settings,
    *,
    database_url: str | None = None,
    to: str | None = None,
    keep: int | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BackupInfo:
    """Back up the database (default: the configured one) to ``to`` (default:
    ``backup_url``), then keep the newest ``keep`` (default ``backup_keep``) there."""
    url = database_url or settings.resolved_database_url()
    dialect = _dialect(url)
    store = open_store(settings, to)
    created = now()
    name = backup_name(created)
    staging = store.folder if isinstance(store, FolderStore) else None
    if staging is not None:
        staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.", suffix=".partial", dir=staging) as tmp:
        work = Path(tmp)
        # Revision and counts come from the same snapshot as the copy.
        if dialect == "sqlite":
            payload, database_bytes, revision, counts = _dump_sqlite(url, work)
        else:
            payload, database_bytes, revision, counts = _dump_postgres(settings, url, work)
        manifest = Manifest(
            name=name,
            created_at=created.astimezone(UTC).isoformat(),
            dialect=dialect,
            schema_revision=revision,
            payload=payload.name,
            size=payload.stat().st_size,
            sha256=_sha256_file(payload),
            database_bytes=database_bytes,
            counts=counts,
        )
        archive = work / f".{name}.partial"
        with tarfile.open(archive, "w") as tar:
            data = json.dumps(manifest.to_dict(), indent=2).encode()
            member = tarfile.TarInfo(MANIFEST)
            member.size = len(data)
            member.mtime = int(created.timestamp())
            tar.addfile(member, io.BytesIO(data))
            tar.add(payload, arcname=payload.name)
        _fsync(archive)
        if staging is not None:
            # Same folder: rename last (FolderStore.put fsyncs the folder).
            os.replace(archive, staging / f".{name}.partial")
            store.put(name, staging / f".{name}.partial")
        else:
            store.put(name, archive)
    info = BackupInfo(name, manifest.size, store.location, manifest)
    prune(store, keep if keep is not None else settings.backup_keep)
    return info


def _dump_sqlite(url: str, work: Path) -> tuple[Path, int, str | None, dict[str, int]]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no SQLite database at {source_path}")
    copy = work / "database.sqlite"
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # one step: a consistent snapshot, writers go on (WAL)
    finally:
        target.close()
        source.close()
    size = copy.stat().st_size
    revision, counts = _snapshot_facts(f"sqlite:///{copy}")
    payload = work / "database.sqlite.gz"
    with copy.open("rb") as reader, gzip.open(payload, "wb", compresslevel=6) as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
    copy.unlink()
    return payload, size, revision, counts


_VERSION = re.compile(r"\b(\d+)(?:\.(\d+))?")


def _tool_major(tool: str) -> int:
    try:
        found = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise BackupError(
            f"{tool} was not found: install the PostgreSQL client tools or set "
            "PROMPTYARD_BACKUP_PG_DUMP / PROMPTYARD_BACKUP_PG_RESTORE to their path"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{tool} --version failed: {exc.stderr.strip()}") from exc
    match = _VERSION.search(found.stdout.split(")")[-1]) or _VERSION.search(found.stdout)
    if match is None:
        raise BackupError(f"cannot read the version of {tool}: {found.stdout.strip()}")
    return int(match.group(1))


def _server_major(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


def _dump_postgres(
    settings: Settings, url: str, work: Path
) -> tuple[Path, int, str | None, dict[str, int]]:
    """pg_dump of one snapshot, exported from a REPEATABLE READ transaction that also
    reads the revision and the counts, so the manifest describes exactly the dump."""
    tool = settings.backup_pg_dump
    tool_major, server_major = _tool_major(tool), _server_major(url)
    if tool_major < server_major:
        raise BackupError(
            f"{tool} is version {tool_major} but the server is PostgreSQL {server_major}: "
            f"pg_dump must be at least the server's version; set PROMPTYARD_BACKUP_PG_DUMP "
            f"to a pg_dump {server_major} or newer"
        )
    payload = work / "database.pgdump"
    conninfo, env = _libpq(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = _revision(connection), _counts(connection)
            size = int(
                connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
            command = [
                tool,
                "--format=custom",
                "--compress=6",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={payload}",
                f"--dbname={conninfo}",
            ]
            done = subprocess.run(command, capture_output=True, text=True, env=env)
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return payload, size, revision, counts


# -- list, verify, prune ----------------------------------------------------------------


def _read_manifest(reader: IO[bytes], name: str) -> tuple[Manifest, tarfile.TarFile]:
    try:
        tar = tarfile.open(fileobj=reader, mode="r|")  # noqa: SIM115 (read on by the caller)
        first = tar.next()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupCorrupt(f"{name} is not a complete Promptyard backup ({exc})") from exc
    if first is None or first.name != MANIFEST:
        raise BackupCorrupt(f"{name} is not a Promptyard backup: it has no manifest first")
    extracted = tar.extractfile(first)
    try:
        raw = json.loads(extracted.read() if extracted else b"")
        manifest = Manifest(**raw)
    except (ValueError, TypeError, tarfile.TarError, EOFError, OSError) as exc:
        raise BackupCorrupt(f"{name} has an unreadable manifest ({exc})") from exc
    if manifest.format != FORMAT or manifest.format_version > FORMAT_VERSION:
        raise BackupCorrupt(
            f"{name} is a {manifest.format} v{manifest.format_version} archive; "
            f"this Promptyard reads {FORMAT} v{FORMAT_VERSION}"
        )
    return manifest, tar


def list_backups(settings: Settings, *, location: str | None = None) -> list[BackupInfo]:
    """Every backup at ``location`` (default: ``backup_url``), oldest first, with its
    manifest (or the problem reading it). Checksums are not checked: see :func:`verify`."""
    store = open_store(settings, location)
    found = []
    for item in store.list():
        try:
            with store.open(item.name) as reader:
                manifest, _tar = _read_manifest(reader, item.name)
            found.append(BackupInfo(item.name, item.size, store.location, manifest))
        except BackupCorrupt as exc:
            found.append(BackupInfo(item.name, item.size, store.location, None, str(exc)))
    return found


def _extract(store: BackupStore, name: str, work: Path) -> tuple[Manifest, Path]:
    """The manifest and the payload of backup ``name``, checked, extracted into ``work``."""
    try:
        reader = store.open(name)
    except KeyError:
        raise BackupError(f"no backup named {name} at {store.location}") from None
    with reader:
        manifest, tar = _read_manifest(reader, name)
        try:
            member = tar.next()
            if member is None or member.name != manifest.payload or not member.isfile():
                raise BackupCorrupt(
                    f"{name} is incomplete: its payload {manifest.payload} is missing"
                )
            target = work / manifest.payload
            source = tar.extractfile(member)
            assert source is not None
            digest = hashlib.sha256()
            size = 0
            with target.open("wb") as writer:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    writer.write(chunk)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupCorrupt(f"{name} is incomplete or damaged ({exc})") from exc
    if size != manifest.size:
        raise BackupCorrupt(
            f"{name} is damaged: its payload has {size} bytes, the manifest says {manifest.size}"
        )
    if digest.hexdigest() != manifest.sha256:
        raise BackupCorrupt(f"{name} is damaged: its SHA-256 does not match the manifest")
    return manifest, target


def _unpack_sqlite(payload: Path, name: str) -> Path:
    database = payload.with_suffix("")
    try:
        with gzip.open(payload, "rb") as reader, database.open("wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
    except (OSError, EOFError) as exc:
        raise BackupCorrupt(f"{name} is damaged: its database does not decompress ({exc})") from exc
    try:
        connection = sqlite3.connect(database)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupCorrupt(f"{name} is damaged: its database cannot be read ({exc})") from exc
    if result != [("ok",)]:
        problems = "; ".join(str(row[0]) for row in result[:3])
        raise BackupCorrupt(f"{name} is damaged: SQLite integrity check failed: {problems}")
    return database


def _check_counts(manifest: Manifest, counts: dict[str, int], name: str) -> None:
    if counts != manifest.counts:
        raise BackupCorrupt(
            f"{name} is damaged: its rows ({counts}) differ from the manifest ({manifest.counts})"
        )


def verify(settings: Settings, name: str, *, location: str | None = None) -> Manifest:
    """Check backup ``name`` end to end (manifest, size, SHA-256, and that the database
    inside can be read); its manifest, or :class:`BackupCorrupt` saying what is wrong."""
    store = open_store(settings, location)
    with tempfile.TemporaryDirectory(prefix="promptyard-verify-") as tmp:
        manifest, payload = _extract(store, name, Path(tmp))
        if manifest.dialect == "sqlite":
            database = _unpack_sqlite(payload, name)
            _check_counts(manifest, _snapshot_facts(f"sqlite:///{database}")[1], name)
        else:
            done = subprocess.run(
                [settings.backup_pg_restore, "--list", str(payload)], capture_output=True, text=True
            )
            if done.returncode != 0:
                raise BackupCorrupt(
                    f"{name} is damaged: pg_restore cannot read it: {done.stderr.strip()}"
                )
    return manifest


def prune(store: BackupStore, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups (and stale partial files); the names
    deleted."""
    names = [item.name for item in store.list()]
    doomed = names[: max(0, len(names) - keep)]
    for name in doomed:
        store.delete(name)
    if isinstance(store, FolderStore):
        for path in store.partials():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return doomed


def latest_backup_time(settings: Settings) -> datetime | None:
    """When the newest backup at ``backup_url`` was made (by its name), or None."""
    names = [item.name for item in open_store(settings).list()]
    if not names:
        return None
    try:
        stamp = names[-1][len("promptyard-") : -len(SUFFIX)].rstrip("Z")
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None


# -- restore ----------------------------------------------------------------------------


def restore(
    settings: Settings,
    name: str,
    *,
    database_url: str | None = None,
    location: str | None = None,
    replace: bool = False,
) -> RestoreResult:
    """Restore backup ``name`` into ``database_url`` (default: the configured database).

    Refuses a damaged backup, a backup of another database kind, a backup newer than
    this Promptyard's schema, and a target holding data unless ``replace``. Afterwards
    the schema is migrated to the current revision.
    """
    url = database_url or settings.resolved_database_url()
    dialect = _dialect(url)
    store = open_store(settings, location)
    with tempfile.TemporaryDirectory(prefix="promptyard-restore-") as tmp:
        manifest, payload = _extract(store, name, Path(tmp))
        if manifest.dialect != dialect:
            raise BackupError(
                f"{name} is a {manifest.dialect} backup and cannot be restored into a "
                f"{dialect} database; restore it into a {manifest.dialect} database"
            )
        known = _known_revisions()
        if manifest.schema_revision is not None and manifest.schema_revision not in known:
            raise BackupError(
                f"{name} has schema revision {manifest.schema_revision}, which this "
                "Promptyard does not know: restore it with the release that made it"
            )
        had_data = holds_data(url)
        if had_data and not replace:
            raise TargetNotEmpty(
                "the target database already holds data; restore into an empty database, "
                "or pass --replace to overwrite it"
            )
        if dialect == "sqlite":
            database = _unpack_sqlite(payload, name)
            _restore_sqlite(database, _sqlite_path(url))
        else:
            _restore_postgres(settings, payload, url, name)
    result = RestoreResult(
        name=name,
        target=url,
        dialect=dialect,
        schema_revision=manifest.schema_revision,
        replaced=had_data,
    )
    from promptyard.store.engine import Store

    target = Store(url)
    try:
        if migrate.current_revision(target) != migrate.head_revision():
            migrate.upgrade(target)
            result.upgraded_to = migrate.head_revision()
        with target.read_engine.connect() as connection:
            result.counts = _counts(connection)
        if database_url is None or database_url == settings.resolved_database_url():
            result.audit_checkpoint = _anchor_audit_chain(settings, target)
    finally:
        target.dispose()
    return result


def _anchor_audit_chain(settings: Settings, target: Store) -> dict[str, Any] | None:
    """The checkpoint file belongs to the configured database: re-anchor it there."""
    from promptyard.services.context import Core
    from promptyard.services.operations import audit_checkpoints

    return audit_checkpoints.anchor_restored_chain(Core.build(settings, store=target))


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    return {revision.revision for revision in script.walk_revisions()}


def _restore_sqlite(database: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database)
    destination = sqlite3.connect(target, timeout=15)
    try:
        source.backup(destination)  # replaces every page of the target, under its lock
    finally:
        destination.close()
        source.close()


def _restore_postgres(settings: Settings, payload: Path, url: str, name: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    conninfo, env = _libpq(url)
    command = [
        settings.backup_pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={conninfo}",
        str(payload),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"pg_restore of {name} failed: {done.stderr.strip()}")
