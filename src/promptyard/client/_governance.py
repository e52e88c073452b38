"""Client methods of the reviews area (issue 4), mixed into :class:`promptyard.Client`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class ReviewsMixin:
    """Methods call ``self._json(method, path, params=..., json_body=..., in_project=...)``."""

    project: str

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    # -- policy ---------------------------------------------------------------------

    def get_policy(self) -> dict[str, Any]:
        """The review policy of the client's project."""
        return dict(self._json("GET", f"/projects/{_seg(self.project)}/policy", in_project=False))

    def set_policy(self, **fields: Any) -> dict[str, Any]:
        """Change policy fields (``require_review``, ``protected_labels``, …)."""
        path = f"/projects/{_seg(self.project)}/policy"
        return dict(self._json("PUT", path, json_body=fields, in_project=False))

    # -- change requests ------------------------------------------------------------

    def open_change_request(
        self,
        prompt: str,
        version: int,
        label: str = "production",
        *,
        description: str = "",
        sample_variables: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = {
            "prompt": prompt,
            "version": version,
            "label": label,
            "description": description,
            "sample_variables": sample_variables or {},
        }
        return dict(self._json("POST", "/change-requests", json_body=body))

    def list_change_requests(
        self, *, status: str | None = None, prompt: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        params = [("limit", str(limit))]
        if status:
            params.append(("status", status))
        if prompt:
            params.append(("prompt", prompt))
        return dict(self._json("GET", "/change-requests", params=params))

    def get_change_request(self, request_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/change-requests/{int(request_id)}", in_project=False))

    def _act(self, request_id: int, action: str, body: dict[str, Any] | None) -> dict[str, Any]:
        path = f"/change-requests/{int(request_id)}/{action}"
        return dict(self._json("POST", path, json_body=body, in_project=False))

    def comment_change_request(self, request_id: int, body: str) -> dict[str, Any]:
        return self._act(request_id, "comments", {"body": body})

    def approve_change_request(self, request_id: int, comment: str = "") -> dict[str, Any]:
        return self._act(request_id, "approve", {"comment": comment})

    def request_changes(self, request_id: int, comment: str) -> dict[str, Any]:
        return self._act(request_id, "request-changes", {"comment": comment})

    def apply_change_request(self, request_id: int) -> dict[str, Any]:
        return self._act(request_id, "apply", None)

    def close_change_request(self, request_id: int, comment: str = "") -> dict[str, Any]:
        return self._act(request_id, "close", {"comment": comment})

    # -- lifecycle, impact, webhooks ------------------------------------------------

    def set_lifecycle(self, name: str, state: str) -> dict[str, Any]:
        path = f"/prompts/{_seg(name)}/lifecycle"
        return dict(self._json("POST", path, json_body={"state": state}))

    def impact(self, name: str, version: int | None = None) -> dict[str, Any]:
        params = [("version", str(version))] if version is not None else []
        return dict(self._json("GET", f"/prompts/{_seg(name)}/impact", params=params))

    def create_webhook(
        self, url: str, events: list[str], *, secret: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "events": events}
        if secret is not None:
            body["secret"] = secret
        return dict(self._json("POST", "/webhooks", json_body=body))

    def list_webhooks(self) -> dict[str, Any]:
        return dict(self._json("GET", "/webhooks"))

    def delete_webhook(self, webhook_id: int) -> None:
        self._json("DELETE", f"/webhooks/{int(webhook_id)}", in_project=False)

    def webhook_deliveries(self, webhook_id: int) -> dict[str, Any]:
        path = f"/webhooks/{int(webhook_id)}/deliveries"
        return dict(self._json("GET", path, in_project=False))
