"""Routes of the accounts area (issue 4): users, members, project roles, keys, workspaces.

Thin shells over :mod:`promptyard.services.identity.accounts`; each declares one permission.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from promptyard.domain.actor import RequestContext
from promptyard.server.api.v1.params import ObjectId, ProjectSlugPath
from promptyard.server.deps import CoreDep, require
from promptyard.services.identity import accounts, invitations
from promptyard.services.identity.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationsPublic,
    KeyCreate,
    KeyCreated,
    KeysPublic,
    MemberPublic,
    MembersPublic,
    PasswordReset,
    ProjectMemberPublic,
    ProjectMembersPublic,
    RoleInput,
    UserCreate,
    UserPublic,
    UserUpdate,
    WorkspaceCreate,
    WorkspacePublic,
    WorkspacesPublic,
)

router = APIRouter(tags=["accounts"])

MemberRead = Annotated[RequestContext, Depends(require("member:read"))]
MemberManage = Annotated[RequestContext, Depends(require("member:manage"))]
SelfManage = Annotated[RequestContext, Depends(require("self:manage"))]
AccountManage = Annotated[RequestContext, Depends(require("account:manage"))]
Slug = ProjectSlugPath
Id = ObjectId


# -- users ----------------------------------------------------------------------------


@router.get("/users")
def list_users(core: CoreDep, ctx: MemberManage) -> MembersPublic:
    """Members of the workspace, with their role."""
    return MembersPublic.model_validate({"items": accounts.list_members(core, ctx.actor)})


@router.post("/users", status_code=201)
def create_user(body: UserCreate, core: CoreDep, ctx: AccountManage) -> MemberPublic:
    """Create an account and make it a member here (instance administrators only).

    An email that already has an account is refused (409): invite it instead.
    """
    created = accounts.create_user(
        core, ctx=ctx, email=body.email, name=body.name, password=body.password, role=body.role
    )
    return MemberPublic.model_validate(created)


@router.patch("/users/{user_id}")
def update_user(user_id: Id, body: UserUpdate, core: CoreDep, ctx: AccountManage) -> UserPublic:
    """Change an account: name, active state, instance administrator (instance admins only)."""
    updated = accounts.update_user(
        core,
        ctx=ctx,
        user_id=user_id,
        name=body.name,
        is_active=body.is_active,
        is_instance_admin=body.is_instance_admin,
    )
    return UserPublic.model_validate(updated)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(user_id: Id, body: PasswordReset, core: CoreDep, ctx: AccountManage) -> None:
    """Set a person's password (instance admins only); every session of theirs ends."""
    accounts.reset_password(core, ctx=ctx, user_id=user_id, password=body.password)


# -- invitations ----------------------------------------------------------------------


@router.post("/invitations", status_code=201)
def create_invitation(
    body: InvitationCreate, core: CoreDep, ctx: MemberManage
) -> InvitationCreated:
    """Invite an email to this workspace; the plain ``token`` is in this answer only.

    The answer is the same whether or not an account has the email.
    """
    created = invitations.create_invitation(core, ctx=ctx, email=body.email, role=body.role)
    return InvitationCreated.model_validate({**created.invitation, "token": created.token})


@router.get("/invitations")
def list_invitations(core: CoreDep, ctx: MemberManage) -> InvitationsPublic:
    """This workspace's invitations with their status; never a token."""
    items = invitations.list_invitations(core, ctx.actor)
    return InvitationsPublic.model_validate({"items": items})


@router.delete("/invitations/{invitation_id}", status_code=204)
def revoke_invitation(invitation_id: Id, core: CoreDep, ctx: MemberManage) -> None:
    invitations.revoke_invitation(core, ctx=ctx, invitation_id=invitation_id)


# -- members --------------------------------------------------------------------------


@router.get("/members")
def list_members(core: CoreDep, ctx: MemberRead) -> MembersPublic:
    return MembersPublic.model_validate({"items": accounts.list_members(core, ctx.actor)})


@router.put("/members/{user_id}")
def set_member_role(user_id: Id, body: RoleInput, core: CoreDep, ctx: MemberManage) -> MemberPublic:
    member = accounts.set_member_role(core, ctx=ctx, user_id=user_id, role=body.role)
    return MemberPublic.model_validate(member)


@router.delete("/members/{user_id}", status_code=204)
def remove_member(user_id: Id, core: CoreDep, ctx: MemberManage) -> None:
    accounts.remove_member(core, ctx=ctx, user_id=user_id)


@router.get("/projects/{slug}/members")
def list_project_members(slug: Slug, core: CoreDep, ctx: MemberRead) -> ProjectMembersPublic:
    """Members whose role is narrowed in this project."""
    items = accounts.list_project_members(core, ctx.actor, slug)
    return ProjectMembersPublic.model_validate({"items": items})


@router.put("/projects/{slug}/members/{user_id}")
def set_project_role(
    slug: Slug, user_id: Id, body: RoleInput, core: CoreDep, ctx: MemberManage
) -> ProjectMemberPublic:
    row = accounts.set_project_role(core, ctx=ctx, slug=slug, user_id=user_id, role=body.role)
    return ProjectMemberPublic.model_validate(row)


@router.delete("/projects/{slug}/members/{user_id}", status_code=204)
def remove_project_role(slug: Slug, user_id: Id, core: CoreDep, ctx: MemberManage) -> None:
    accounts.remove_project_role(core, ctx=ctx, slug=slug, user_id=user_id)


# -- API keys -------------------------------------------------------------------------


@router.get("/keys")
def list_keys(core: CoreDep, ctx: SelfManage) -> KeysPublic:
    """Own keys (every key of the workspace with key:manage); prefixes only, never secrets."""
    return KeysPublic.model_validate({"items": accounts.list_keys(core, ctx.actor)})


@router.post("/keys", status_code=201)
def create_key(body: KeyCreate, core: CoreDep, ctx: SelfManage) -> KeyCreated:
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
    return KeyCreated.model_validate({**created.key, "key": created.secret})


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(key_id: Id, core: CoreDep, ctx: SelfManage) -> None:
    accounts.revoke_key(core, ctx=ctx, key_id=key_id)


# -- workspaces -----------------------------------------------------------------------


@router.get("/workspaces")
def list_workspaces(core: CoreDep, ctx: SelfManage) -> WorkspacesPublic:
    return WorkspacesPublic.model_validate({"items": accounts.list_workspaces(core, ctx.actor)})


@router.post("/workspaces", status_code=201)
def create_workspace(body: WorkspaceCreate, core: CoreDep, ctx: SelfManage) -> WorkspacePublic:
    """A new workspace (with its default project); you become its admin."""
    created = accounts.create_workspace(core, ctx=ctx, slug=body.slug, name=body.name)
    return WorkspacePublic.model_validate(created)
