"""Client methods of alerts (rules and fired alerts), mixed into :class:`promptyard.Client`.

Rules and alerts belong to the workspace; the lists are filtered to the client's project.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class AlertsMixin:
    project: str

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def list_alert_rules(self) -> list[dict[str, Any]]:
        """The project's alert rules, each with its last value and whether it fires."""
        return list(self._json("GET", "/alert-rules")["items"])

    def list_alerts(self, *, state: str | None = None, limit: int = 100) -> dict[str, Any]:
        """Fired alerts (incidents) of the project, newest first: ``{"items", "firing"}``;
        ``state``: ``open`` (firing or acknowledged), ``firing``, ``acknowledged``,
        ``resolved``."""
        params: list[tuple[str, Any]] = [("limit", limit)]
        if state:
            params.append(("state", state))
        return dict(self._json("GET", "/alerts", params=params))

    def get_alert(self, alert_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/alerts/{int(alert_id)}", in_project=False))

    def acknowledge_alert(self, alert_id: int) -> dict[str, Any]:
        """``firing`` → ``acknowledged``."""
        path = f"/alerts/{int(alert_id)}/acknowledge"
        return dict(self._json("POST", path, in_project=False))

    def silence_alert(
        self, alert_id: int, *, minutes: int | None = None, until: datetime | None = None
    ) -> dict[str, Any]:
        """Hold the alert's notifications for ``minutes`` or until ``until``."""
        body: dict[str, Any] = {}
        if minutes is not None:
            body["minutes"] = minutes
        if until is not None:
            body["until"] = until.isoformat()
        path = f"/alerts/{int(alert_id)}/silence"
        return dict(self._json("POST", path, json_body=body, in_project=False))

    def unsilence_alert(self, alert_id: int) -> dict[str, Any]:
        path = f"/alerts/{int(alert_id)}/silence"
        return dict(self._json("DELETE", path, in_project=False))
