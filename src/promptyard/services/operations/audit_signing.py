"""The server's audit signing key, signed checkpoints, and the checkpoint file.

A checkpoint records the audit chain's head (its last sequence number and hash) at one
time, signed with the server's Ed25519 key. Copies kept outside the database (the file
below, webhook receivers, project exports) let :func:`promptyard.services.operations.audit.verify`
notice a chain that lost its tail or was rewritten after the checkpoint, and let anyone
holding the public key check a checkpoint without the server.

- The key is a PEM file: ``PROMPTYARD_AUDIT_SIGNING_KEY_FILE``, or ``audit-signing.key``
  in the data folder, created on first use with mode 0600.
- The signed message is the sorted-key, whitespace-free JSON of :data:`SIGNED_FIELDS`;
  ``signature`` is its Ed25519 signature and ``public_key`` the raw 32-byte public key,
  both in standard base64; ``key_id`` is the first 16 hex digits of the public key's
  SHA-256.
- Checkpoints are appended, one JSON object a line, to
  ``<data_dir>/backups/audit-checkpoints.jsonl``.

Nothing here touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import Field, ValidationError

from promptyard.config import Settings
from promptyard.domain.errors import Conflict
from promptyard.domain.schemas import Input

try:  # POSIX: serialize writers of the checkpoint file across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMAT: Literal["promptyard-audit-checkpoint"] = "promptyard-audit-checkpoint"
SIGNED_FIELDS = ("format", "seq", "hash", "created_at", "key_id")
KEY_FILE_NAME = "audit-signing.key"
CHECKPOINTS_FILE = Path("backups") / "audit-checkpoints.jsonl"
_TAIL_BLOCK = 64 * 1024


class Checkpoint(Input):
    """A signed record of the audit chain's head (see the module's docstring)."""

    format: Literal["promptyard-audit-checkpoint"]
    seq: int = Field(ge=1, le=2**62, description="sequence number of the chain's last event")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="that event's hash")
    created_at: str = Field(min_length=1, max_length=64, description="when it was signed")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$", description="which key signed it")
    public_key: str = Field(max_length=100, description="the signing key, raw, base64")
    signature: str = Field(max_length=200, description="Ed25519 signature, base64")


class SigningKeyUnavailable(Conflict):
    code = "audit_signing_key_unavailable"


class CheckpointFileProblem(Conflict):
    """The checkpoint file cannot be read, or its last line is not a JSON object."""

    code = "audit_checkpoint_file_unreadable"


class CheckpointFileUnwritable(Conflict):
    code = "audit_checkpoint_file_unwritable"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def key_path(settings: Settings) -> Path:
    return settings.audit_signing_key_file or settings.data_dir / KEY_FILE_NAME


def load_signing_key(settings: Settings) -> SigningKey:
    """The server's key; the default file is created (mode 0600) when absent.

    A key file named by ``audit_signing_key_file`` is never created: a missing file
    there is a mistake (an unmounted secret), not a first start.
    """
    path = key_path(settings)
    if settings.audit_signing_key_file is None and not path.exists():
        try:
            _create_key_file(path)
        except OSError as exc:
            raise SigningKeyUnavailable(
                f"cannot create the audit signing key {path}: {exc.strerror or exc}"
            ) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyUnavailable(
            f"cannot read the audit signing key {path}: {exc.strerror or exc}"
        ) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyUnavailable(
            f"the audit signing key {path} is not an unencrypted PEM private key: {exc}"
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyUnavailable(f"the audit signing key {path} is not an Ed25519 key")
    return SigningKey(private)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:  # O_EXCL: when two processes race, the first key wins and both use it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())


# -- signing and checking ------------------------------------------------------------


def signed_message(checkpoint: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers."""
    fields = {name: checkpoint[name] for name in SIGNED_FIELDS}
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def sign(key: SigningKey, *, seq: int, head_hash: str, created_at: datetime) -> dict[str, Any]:
    checkpoint: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "hash": head_hash,
        "created_at": created_at.isoformat(),
        "key_id": key.key_id,
    }
    signature = key.private.sign(signed_message(checkpoint))
    checkpoint["public_key"] = key.public_key
    checkpoint["signature"] = base64.b64encode(signature).decode()
    return Checkpoint.model_validate(checkpoint).model_dump()


def check(checkpoint: Any, public_raw: bytes) -> str | None:
    """Why ``checkpoint`` is not a valid checkpoint signed by ``public_raw``; None if it is."""
    try:
        parsed = Checkpoint.model_validate(checkpoint)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "checkpoint"
        return f"not a checkpoint ({where}: {first['msg']})"
    expected = key_id_of(public_raw)
    if parsed.key_id != expected or parsed.public_key != base64.b64encode(public_raw).decode():
        return (
            f"it was signed by key {parsed.key_id}, not by this server's key {expected} "
            "(the key was replaced, or the checkpoint comes from another server)"
        )
    try:
        signature = base64.b64decode(parsed.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            signature, signed_message(parsed.model_dump())
        )
    except (ValueError, InvalidSignature):
        return "its signature does not match its content (forged or altered)"
    return None


# -- the checkpoint file -------------------------------------------------------------


def checkpoints_path(settings: Settings) -> Path:
    return settings.data_dir / CHECKPOINTS_FILE


@contextmanager
def locked(settings: Settings) -> Iterator[None]:
    """Hold an exclusive lock on the checkpoint file (creating it) while the block runs.

    Makers of checkpoints, in this process or another, take turns: each reads the latest
    checkpoint and appends the next one without another appending in between.
    """
    path = checkpoints_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as file:
        if fcntl is not None:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def append(settings: Settings, checkpoint: dict[str, Any]) -> None:
    """Append one line and make it durable (call inside :func:`locked`)."""
    path = checkpoints_path(settings)
    with open(path, "ab") as file:
        file.write(orjson.dumps(checkpoint) + b"\n")
        file.flush()
        os.fsync(file.fileno())


def _tail_lines(path: Path, count: int) -> list[bytes]:
    """The last ``count`` non-empty lines of a file, oldest first."""
    data = b""
    position = 0
    try:
        with open(path, "rb") as file:
            position = file.seek(0, os.SEEK_END)
            while position > 0 and data.count(b"\n") <= count:
                step = min(_TAIL_BLOCK, position)
                position -= step
                file.seek(position)
                data = file.read(step) + data
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CheckpointFileProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    segments = data.split(b"\n")
    if position > 0:
        segments = segments[1:]  # the first may be cut
    return [line for line in segments if line.strip()][-count:]


def latest(settings: Settings) -> dict[str, Any] | None:
    """The file's last checkpoint, unchecked; None when there is none yet."""
    lines = _tail_lines(checkpoints_path(settings), 1)
    if not lines:
        return None
    try:
        value = orjson.loads(lines[0])
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise CheckpointFileProblem(
            f"the last line of {checkpoints_path(settings)} is not a JSON object"
        )
    return value


def recent(settings: Settings, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` of the file's latest checkpoints, newest first (bad lines skipped)."""
    found = []
    for line in reversed(_tail_lines(checkpoints_path(settings), limit)):
        try:
            found.append(Checkpoint.model_validate(orjson.loads(line)).model_dump())
        except (orjson.JSONDecodeError, ValidationError):
            continue
    return found
