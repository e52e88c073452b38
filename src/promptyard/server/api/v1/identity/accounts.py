"""Routes of the accounts area (issue 4): users, members, project roles, keys, workspaces.

Thin shells over :mod:`promptyard.services.identity.accounts`; each declares one permission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import SLUG_PATTERN, Input, request_examples
from promptyard.server.api.v1.params import ObjectId, ProjectSlugPath
from promptyard.server.deps import CoreDep, require
from promptyard.services.identity import accounts, invitations

router = APIRouter(tags=["accounts"])

MemberRead = Annotated[RequestContext, Depends(require("member:read"))]
MemberManage = Annotated[RequestContext, Depends(require("member:manage"))]
SelfManage = Annotated[RequestContext, Depends(require("self:manage"))]
AccountManage = Annotated[RequestContext, Depends(require("account:manage"))]
Slug = ProjectSlugPath
Id = ObjectId
Role = Annotated[
    str, Field(min_length=1, max_length=32, description="viewer|editor|reviewer|admin")
]
Password = Annotated[str, Field(min_length=1, max_length=1000)]


class UserCreate(Input):
    model_config = request_examples(
        {
            "email": "ada@example.com",
            "name": "Ada",
            "password": "a long enough password",
            "role": "editor",
        }
    )

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(default="", max_length=200)
    password: Password
    role: Role = "viewer"


class UserUpdate(Input):
    model_config = request_examples({"name": "Ada Lovelace"})

    name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    is_instance_admin: bool | None = None


class InvitationCreate(Input):
    model_config = request_examples({"email": "ada@example.com", "role": "editor"})

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role = "viewer"


class PasswordReset(Input):
    model_config = request_examples({"password": "a long enough password"})

    password: Password


class RoleInput(Input):
    model_config = request_examples({"role": "reviewer"})

    role: Role


class KeyCreate(Input):
    model_config = request_examples({"name": "deploy", "role": "viewer"})

    name: str = Field(min_length=1, max_length=200)
    role: Role = "viewer"
    project: str | None = Field(default=None, pattern=SLUG_PATTERN)
    expires_at: datetime | None = None
    service_account: bool = False
    kind: Literal["api", "langfuse"] = "api"


class WorkspaceCreate(Input):
    model_config = request_examples({"slug": "research", "name": "Research"})

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)


# -- users ----------------------------------------------------------------------------


@router.get("/users")
def list_users(core: CoreDep, ctx: MemberManage) -> dict[str, Any]:
    """Members of the workspace, with their role."""
    return {"items": accounts.list_members(core, ctx.actor)}


@router.post("/users", status_code=201)
def create_user(body: UserCreate, core: CoreDep, ctx: AccountManage) -> dict[str, Any]:
    """Create an account and make it a member here (instance administrators only).

    An email that already has an account is refused (409): invite it instead.
    """
    return accounts.create_user(
        core, ctx=ctx, email=body.email, name=body.name, password=body.password, role=body.role
    )


@router.patch("/users/{user_id}")
def update_user(user_id: Id, body: UserUpdate, core: CoreDep, ctx: AccountManage) -> dict[str, Any]:
    """Change an account: name, active state, instance administrator (instance admins only)."""
    return accounts.update_user(
        core,
        ctx=ctx,
        user_id=user_id,
        name=body.name,
        is_active=body.is_active,
        is_instance_admin=body.is_instance_admin,
    )


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(user_id: Id, body: PasswordReset, core: CoreDep, ctx: AccountManage) -> Response:
    """Set a person's password (instance admins only); every session of theirs ends."""
    accounts.reset_password(core, ctx=ctx, user_id=user_id, password=body.password)
    return Response(status_code=204)


# -- invitations ----------------------------------------------------------------------


@router.post("/invitations", status_code=201)
def create_invitation(body: InvitationCreate, core: CoreDep, ctx: MemberManage) -> dict[str, Any]:
    """Invite an email to this workspace; the plain ``token`` is in this answer only.

    The answer is the same whether or not an account has the email.
    """
    created = invitations.create_invitation(core, ctx=ctx, email=body.email, role=body.role)
    return {**created.invitation, "token": created.token}


@router.get("/invitations")
def list_invitations(core: CoreDep, ctx: MemberManage) -> dict[str, Any]:
    """This workspace's invitations with their status; never a token."""
    return {"items": invitations.list_invitations(core, ctx.actor)}


@router.delete("/invitations/{invitation_id}", status_code=204)
def revoke_invitation(invitation_id: Id, core: CoreDep, ctx: MemberManage) -> Response:
    invitations.revoke_invitation(core, ctx=ctx, invitation_id=invitation_id)
    return Response(status_code=204)


# -- members --------------------------------------------------------------------------


@router.get("/members")
def list_members(core: CoreDep, ctx: MemberRead) -> dict[str, Any]:
    return {"items": accounts.list_members(core, ctx.actor)}


@router.put("/members/{user_id}")
def set_member_role(
    user_id: Id, body: RoleInput, core: CoreDep, ctx: MemberManage
) -> dict[str, Any]:
    return accounts.set_member_role(core, ctx=ctx, user_id=user_id, role=body.role)


@router.delete("/members/{user_id}", status_code=204)
def remove_member(user_id: Id, core: CoreDep, ctx: MemberManage) -> Response:
    accounts.remove_member(core, ctx=ctx, user_id=user_id)
    return Response(status_code=204)


@router.get("/projects/{slug}/members")
def list_project_members(slug: Slug, core: CoreDep, ctx: MemberRead) -> dict[str, Any]:
    """Members whose role is narrowed in this project."""
    return {"items": accounts.list_project_members(core, ctx.actor, slug)}


@router.put("/projects/{slug}/members/{user_id}")
def set_project_role(
    slug: Slug, user_id: Id, body: RoleInput, core: CoreDep, ctx: MemberManage
) -> dict[str, Any]:
    return accounts.set_project_role(core, ctx=ctx, slug=slug, user_id=user_id, role=body.role)


@router.delete("/projects/{slug}/members/{user_id}", status_code=204)
def remove_project_role(slug: Slug, user_id: Id, core: CoreDep, ctx: MemberManage) -> Response:
    accounts.remove_project_role(core, ctx=ctx, slug=slug, user_id=user_id)
    return Response(status_code=204)


# -- API keys -------------------------------------------------------------------------


@router.get("/keys")
def list_keys(core: CoreDep, ctx: SelfManage) -> dict[str, Any]:
    """Own keys (every key of the workspace with key:manage); prefixes only, never secrets."""
    return {"items": accounts.list_keys(core, ctx.actor)}


@router.post("/keys", status_code=201)
def create_key(body: KeyCreate, core: CoreDep, ctx: SelfManage) -> dict[str, Any]:
    """A new key; the plain ``key`` is in this answer only, never again."""
    created = accounts.create_key(
        core,
        ctx=ctx,
        name=body.name,
        role=body.role,
        project=body.project,
        expires_at=body.expires_at,
        service_account=body.service_account,
        kind=body.kind,
    )
    return {**created.key, "key": created.secret}


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(key_id: Id, core: CoreDep, ctx: SelfManage) -> Response:
    accounts.revoke_key(core, ctx=ctx, key_id=key_id)
    return Response(status_code=204)


# -- workspaces -----------------------------------------------------------------------


@router.get("/workspaces")
def list_workspaces(core: CoreDep, ctx: SelfManage) -> dict[str, Any]:
    return {"items": accounts.list_workspaces(core, ctx.actor)}


@router.post("/workspaces", status_code=201)
def create_workspace(body: WorkspaceCreate, core: CoreDep, ctx: SelfManage) -> dict[str, Any]:
    """A new workspace (with its default project); you become its admin."""
    return accounts.create_workspace(core, ctx=ctx, slug=body.slug, name=body.name)
