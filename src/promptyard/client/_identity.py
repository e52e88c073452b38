"""Client methods of the accounts area (issue 4), mixed into :class:`promptyard.Client`."""

from __future__ import annotations

from typing import Any


class AccountsMixin:
    """Methods call ``self._json(method, path, params=..., json_body=..., in_project=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    # -- users ----------------------------------------------------------------------

    def list_users(self) -> dict[str, Any]:
        """Members of the workspace with their role (needs member:manage)."""
        return dict(self._json("GET", "/users", in_project=False))

    def create_user(
        self, email: str, password: str, *, name: str = "", role: str = "viewer"
    ) -> dict[str, Any]:
        body = {"email": email, "name": name, "password": password, "role": role}
        return dict(self._json("POST", "/users", json_body=body, in_project=False))

    def update_user(
        self, user_id: int, *, name: str | None = None, is_active: bool | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if is_active is not None:
            body["is_active"] = is_active
        return dict(self._json("PATCH", f"/users/{user_id}", json_body=body, in_project=False))

    def reset_password(self, user_id: int, password: str) -> None:
        self._json(
            "POST", f"/users/{user_id}/password", json_body={"password": password}, in_project=False
        )

    # -- invitations ----------------------------------------------------------------

    def invite(self, email: str, *, role: str = "viewer") -> dict[str, Any]:
        """Invite ``email`` to the workspace; the answer's ``token`` is shown only here."""
        body = {"email": email, "role": role}
        return dict(self._json("POST", "/invitations", json_body=body, in_project=False))

    def list_invitations(self) -> dict[str, Any]:
        return dict(self._json("GET", "/invitations", in_project=False))

    def revoke_invitation(self, invitation_id: int) -> None:
        self._json("DELETE", f"/invitations/{invitation_id}", in_project=False)

    def accept_invitation(self, token: str, password: str, *, name: str = "") -> dict[str, Any]:
        """Join a workspace: ``password`` is the existing account's, or the new one's."""
        body = {"token": token, "password": password, "name": name}
        return dict(
            self._json("POST", "/auth/invitations/accept", json_body=body, in_project=False)
        )

    # -- members --------------------------------------------------------------------

    def list_members(self) -> dict[str, Any]:
        return dict(self._json("GET", "/members", in_project=False))

    def set_member_role(self, user_id: int, role: str) -> dict[str, Any]:
        return dict(
            self._json("PUT", f"/members/{user_id}", json_body={"role": role}, in_project=False)
        )

    def remove_member(self, user_id: int) -> None:
        self._json("DELETE", f"/members/{user_id}", in_project=False)

    # -- API keys -------------------------------------------------------------------

    def list_keys(self) -> dict[str, Any]:
        """Own keys (all of the workspace with key:manage); prefixes only."""
        return dict(self._json("GET", "/keys", in_project=False))

    def create_key(
        self,
        name: str,
        *,
        role: str = "viewer",
        project: str | None = None,
        expires_at: str | None = None,
        service_account: bool = False,
        kind: str = "api",
    ) -> dict[str, Any]:
        """A new key; its plain ``key`` is in this answer only."""
        body: dict[str, Any] = {"name": name, "role": role, "kind": kind}
        if project is not None:
            body["project"] = project
        if expires_at is not None:
            body["expires_at"] = expires_at
        if service_account:
            body["service_account"] = True
        return dict(self._json("POST", "/keys", json_body=body, in_project=False))

    def revoke_key(self, key_id: int) -> None:
        self._json("DELETE", f"/keys/{key_id}", in_project=False)
