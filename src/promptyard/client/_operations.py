"""Client methods of the audit area (issue 4), mixed into :class:`promptyard.Client`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import httpx


def _filters(
    actor: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | str | None,
    until: datetime | str | None,
) -> list[tuple[str, str]]:
    values: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "since": since.isoformat() if isinstance(since, datetime) else since,
        "until": until.isoformat() if isinstance(until, datetime) else until,
    }
    return [(key, str(value)) for key, value in values.items() if value is not None]


class AuditMixin:
    """Methods call ``self._json(method, path, params=..., json_body=..., in_project=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    _send: Callable[..., httpx.Response]  # provided by Client

    def list_audit_events(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """``{"items", "total"}``: the workspace's audit events, newest first."""
        params = _filters(actor, action, object_type, object_id, since, until)
        params += [("limit", str(limit)), ("offset", str(offset))]
        result: dict[str, Any] = self._json("GET", "/audit", params=params, in_project=False)
        return result

    def verify_audit(self, checkpoint: dict[str, Any] | None = None) -> dict[str, Any]:
        """Re-walk the audit chain: ``{"ok", "checked", "first_broken_seq", …}``.

        It must also still reach a signed checkpoint: ``checkpoint`` when given (one kept
        outside the server), else the latest one the server wrote.
        """
        if checkpoint is not None:
            return dict(
                self._json(
                    "POST", "/audit/verify", json_body={"checkpoint": checkpoint}, in_project=False
                )
            )
        result: dict[str, Any] = self._json("GET", "/audit/verify", in_project=False)
        return result

    def create_audit_checkpoint(self) -> dict[str, Any]:
        """Sign the chain's head now: ``{"checkpoint": {...}, "created": bool}``."""
        result: dict[str, Any] = self._json("POST", "/audit/checkpoints", in_project=False)
        return result

    def list_audit_checkpoints(self, *, limit: int = 20) -> dict[str, Any]:
        """``{"key_id", "public_key", "items"}``: the signing key and recent checkpoints."""
        result: dict[str, Any] = self._json(
            "GET", "/audit/checkpoints", params=[("limit", str(limit))], in_project=False
        )
        return result

    def export_audit(
        self,
        format: Literal["csv", "jsonl"] = "jsonl",
        *,
        actor: str | None = None,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> bytes:
        """The matching events as CSV or JSON Lines, with seq, prev_hash and hash."""
        params = _filters(actor, action, object_type, object_id, since, until)
        params.append(("format", format))
        return self._send("GET", "/audit/export", params=params, in_project=False).content
