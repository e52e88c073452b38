"""Where backups are kept: a folder, or an S3-compatible object store.

Both stores only ever show a backup once it is whole:

- :class:`FolderStore` writes to a hidden temporary name in the same folder
  (``.<name>.partial``), flushes and ``fsync``\\ s it, renames it to its final name, and
  ``fsync``\\ s the folder. A process killed half-way leaves at most a ``.partial`` file,
  which :meth:`FolderStore.list` never shows (and :meth:`FolderStore.prune` removes
  once it is an hour old).
- :class:`S3Store` uploads with boto3 (multipart for large files); S3 makes an object
  visible only once its upload completed, so an interrupted upload shows nothing.

A store is chosen from ``backup_url`` by :func:`open_store`: ``s3://bucket/prefix``, or
a folder path (default: ``backups`` in the data folder).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlparse

from promptyard.config import Settings

#: File name ending of every backup archive.
SUFFIX = ".pybackup"
PARTIAL_MAX_AGE_SECONDS = 3600


class BackupStoreError(Exception):
    """The store cannot be used (unreachable, no permission, boto3 missing, ...)."""


@dataclass(frozen=True)
class StoredBackup:
    name: str
    size: int
    modified_at: datetime


class BackupStore(Protocol):
    location: str

    def put(self, name: str, source: Path) -> None: ...

    def open(self, name: str) -> IO[bytes]: ...

    def download(self, name: str, target: Path) -> None: ...

    def list(self) -> list[StoredBackup]: ...

    def delete(self, name: str) -> None: ...


def check_name(name: str) -> str:
    """A backup's name as given, or ValueError (no paths, only our archives)."""
    if not name.endswith(SUFFIX) or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"{name!r} is not a backup name (like promptyard-…{SUFFIX})")
    return name


class FolderStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)

    def _path(self, name: str) -> Path:
        return self.folder / check_name(name)

    def put(self, name: str, source: Path) -> None:
        """Copy ``source`` in as ``name``, atomically (see the module docstring)."""
        target = self._path(name)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupStoreError(f"cannot create {self.folder}: {exc.strerror}") from exc
        partial = self.folder / f".{name}.partial"
        try:
            if source.resolve() == partial.resolve():  # written in place: fsync, rename
                with partial.open("rb") as written:
                    os.fsync(written.fileno())
            else:
                with source.open("rb") as reader, partial.open("wb") as writer:
                    shutil.copyfileobj(reader, writer, 1 << 20)
                    writer.flush()
                    os.fsync(writer.fileno())
            os.replace(partial, target)
            fsync_dir(self.folder)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupStoreError(f"cannot write {target}: {exc.strerror or exc}") from exc

    def open(self, name: str) -> IO[bytes]:
        path = self._path(name)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise KeyError(name) from None

    def download(self, name: str, target: Path) -> None:
        with self.open(name) as reader, target.open("wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)

    def list(self) -> list[StoredBackup]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            if path.name.startswith(".") or not path.name.endswith(SUFFIX):
                continue
            stat = path.stat()
            found.append(
                StoredBackup(path.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))
            )
        return sorted(found, key=lambda item: item.name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def partials(self) -> Iterator[Path]:
        """Leftovers of interrupted backups older than an hour."""
        if not self.folder.is_dir():
            return
        now = time.time()
        for path in self.folder.glob(".*.partial"):
            if now - path.stat().st_mtime > PARTIAL_MAX_AGE_SECONDS:
                yield path


class S3Store:
    def __init__(self, url: str, *, endpoint_url: str | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{url!r} is not an S3 URL (s3://bucket/prefix)")
        try:
            import boto3
        except ImportError as exc:
            raise BackupStoreError(
                "backups to S3 need boto3: pip install 'promptyard[s3]'"
            ) from exc
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.location = url
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, name: str) -> str:
        check_name(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise KeyError(what) from None
            raise BackupStoreError(f"{what} at {self.location}: {exc}") from exc
        except BotoCoreError as exc:
            raise BackupStoreError(f"{what} at {self.location}: {exc}") from exc

    def put(self, name: str, source: Path) -> None:
        self._call(
            f"upload {name}", self._client.upload_file, str(source), self.bucket, self._key(name)
        )

    def open(self, name: str) -> IO[bytes]:
        body = self._call(name, self._client.get_object, Bucket=self.bucket, Key=self._key(name))
        return body["Body"]

    def download(self, name: str, target: Path) -> None:
        self._call(name, self._client.download_file, self.bucket, self._key(name), str(target))

    def list(self) -> list[StoredBackup]:
        found = []
        paginator = self._client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""

        def pages() -> list[Any]:
            return list(paginator.paginate(Bucket=self.bucket, Prefix=prefix))

        for page in self._call("list backups", pages):
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if "/" in name or not name.endswith(SUFFIX) or name.startswith("."):
                    continue
                found.append(StoredBackup(name, int(item["Size"]), item["LastModified"]))
        return sorted(found, key=lambda item: item.name)

    def delete(self, name: str) -> None:
        self._call(
            f"delete {name}", self._client.delete_object, Bucket=self.bucket, Key=self._key(name)
        )


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_store(settings: Settings, url: str | None = None) -> BackupStore:
    """The store for ``url`` (default: ``settings.backup_url``, else data_dir/backups)."""
    target = url or settings.backup_url
    if target and target.startswith("s3://"):
        return S3Store(target, endpoint_url=settings.backup_s3_endpoint_url)
    if target and "://" in target:
        raise ValueError(f"unsupported backup location {target!r}: use a folder or s3://…")
    return FolderStore(Path(target) if target else settings.data_dir / "backups")
