"""The server's secret key, and the encryption of provider API keys at rest.

- The key is a Fernet key (32 random bytes, URL-safe base64): the file named by
  ``PROMPTYARD_SECRET_KEY_FILE``, or ``secret.key`` in the data folder, created on first
  use (mode 0600, ``O_EXCL``: when two processes race, the first key wins and both use
  it). A file named by the setting is never created: a missing one is a mistake (an
  unmounted secret), not a first start.
- Reading a stored key never creates a secret: without the file that encrypted it,
  nothing can be decrypted, and a fresh key would only hide the loss.
- Errors are :class:`SecretKeyUnavailable` (no usable key file) and
  :class:`SecretUndecryptable` (a stored value was encrypted with another key), both
  409 with a message that says what to do; never a 500.

Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from promptyard.config import Settings
from promptyard.domain.errors import Conflict

KEY_FILE_NAME = "secret.key"


class SecretKeyUnavailable(Conflict):
    code = "secret_key_unavailable"


class SecretUndecryptable(Conflict):
    code = "secret_undecryptable"


def key_path(settings: Settings) -> Path:
    return settings.secret_key_file or settings.data_dir / KEY_FILE_NAME


def load_key(settings: Settings, *, create: bool) -> Fernet:
    """The server's Fernet key. ``create``: make the default file when it is absent (to
    encrypt); reading a stored value passes ``False``."""
    path = key_path(settings)
    if create and settings.secret_key_file is None and not path.exists():
        try:
            _create_key_file(path)
        except OSError as exc:
            raise SecretKeyUnavailable(
                f"cannot create the secret key {path}: {exc.strerror or exc}"
            ) from None
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        raise SecretKeyUnavailable(
            f"the secret key file {path} does not exist: stored provider API keys cannot be "
            "read without the key that encrypted them; restore the file (or set "
            "PROMPTYARD_SECRET_KEY_FILE to it), or set each connection's API key again",
            details={"path": str(path)},
        ) from None
    except OSError as exc:
        raise SecretKeyUnavailable(
            f"cannot read the secret key {path}: {exc.strerror or exc}",
            details={"path": str(path)},
        ) from None
    try:
        if len(base64.urlsafe_b64decode(data)) != 32:
            raise ValueError
        return Fernet(data)
    except (ValueError, binascii.Error):
        raise SecretKeyUnavailable(
            f"the secret key file {path} does not hold a key (32 bytes, URL-safe base64, "
            "as `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'` prints)",
            details={"path": str(path)},
        ) from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:  # O_EXCL: when two processes race, the first key wins and both use it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as file:
        file.write(key + b"\n")
        file.flush()
        os.fsync(file.fileno())


def encrypt(settings: Settings, plain: str) -> str:
    """``plain`` encrypted with the server's key (created on first use): a Fernet token."""
    return load_key(settings, create=True).encrypt(plain.encode()).decode()


def decrypt(settings: Settings, token: str, *, what: str) -> str:
    """A value :func:`encrypt` made. ``what`` names it in the error (``the API key of
    connection 'openai'``)."""
    fernet = load_key(settings, create=False)
    try:
        return fernet.decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SecretUndecryptable(
            f"{what} cannot be decrypted with the server's secret key "
            f"({key_path(settings)}): it was encrypted with another key (the key file was "
            "replaced or lost); restore that file, or set the API key again",
        ) from None


def hint(plain: str) -> str:
    """A masked form that is safe to show: ``sk-…abcd`` (first three and last four
    characters of a key of at least 12, else nothing but ``…``)."""
    if len(plain) < 12:
        return "…"
    return f"{plain[:3]}…{plain[-4:]}"
