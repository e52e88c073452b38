"""Public shapes of the identity capability: sign-in, accounts, members, invitations, keys
and workspaces. Requests are ``*Create``/``*Update`` (and a few named inputs), answers
``*Public`` (one object) and ``*sPublic`` (a list); the HTTP API declares them, so
``/openapi.json`` describes every answer. Plain pydantic: no database, no FastAPI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema, model_validator

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import PERMISSIONS, ActorType
from promptyard.domain.schemas import SLUG_PATTERN, Input, Timestamp, request_examples

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"

#: A role in a request: any text, so an unknown one gets the service's own message.
Role = Annotated[
    str, Field(min_length=1, max_length=32, description="viewer|editor|reviewer|admin")
]
#: A role in an answer: always one of :data:`promptyard.domain.actor.ROLES`.
RoleName = Literal["viewer", "editor", "reviewer", "admin"]
Password = Annotated[str, Field(min_length=1, max_length=1000)]
KeyKind = Literal["api", "langfuse", "feedback"]
#: One name of :data:`promptyard.domain.actor.PERMISSIONS` (an enum in the OpenAPI document).
PermissionName = Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(PERMISSIONS)})]


# -- sign-in ------------------------------------------------------------------------


class LoginInput(Input):
    model_config = request_examples(
        {"email": "admin@example.com", "password": "correct horse battery staple"}
    )

    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=1000)
    api_key: str | None = Field(default=None, max_length=500)
    workspace: str | None = Field(default=None, pattern=SLUG_PATTERN)

    @model_validator(mode="after")
    def _one_way(self) -> LoginInput:
        if self.api_key:
            return self
        if not (self.email and self.password):
            raise ValueError("send either email and password, or api_key")
        return self


class InvitationAccept(Input):
    model_config = request_examples(
        {
            "token": "pyi_the-token-from-the-invitation",
            "password": "a long enough password",
            "name": "Ada",
        }
    )

    token: str = Field(min_length=8, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="", max_length=200)


class PasswordChange(Input):
    model_config = request_examples(
        {
            "current_password": "correct horse battery staple",
            "new_password": "a new long password",
        }
    )

    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


class SwitchInput(Input):
    model_config = request_examples({"workspace": DEFAULT_SLUG})

    workspace: str = Field(pattern=SLUG_PATTERN)


class ActorPublic(BaseModel):
    """Who is acting: ``name`` is what versions, labels and the audit trail record."""

    type: ActorType
    id: int
    name: str = Field(description="the user's email, or key:<key name>")
    role: RoleName = Field(description="the role in the current workspace")
    instance_admin: bool


class MeActorPublic(ActorPublic):
    """The actor of ``GET /auth/me``, with what it may do."""

    permissions: list[PermissionName] = Field(
        description="every permission the actor holds in its workspace, sorted "
        "(instance permissions included)"
    )
    project_permissions: list[PermissionName] | None = Field(
        description="with ?project=: the permissions left in that project once its "
        "membership narrows the role; null without ?project="
    )


class WorkspaceRef(BaseModel):
    """The workspace a session or key works in."""

    slug: str
    name: str


class MePublic(BaseModel):
    actor: MeActorPublic
    workspace: WorkspaceRef


class LoginPublic(BaseModel):
    actor: ActorPublic


class SessionPublic(BaseModel):
    """A console session just pointed at a workspace (switch, accepted invitation)."""

    actor: ActorPublic
    workspace: WorkspaceRef


# -- users and members --------------------------------------------------------------


class UserCreate(Input):
    model_config = request_examples(
        {
            "email": "ada@example.com",
            "name": "Ada",
            "password": "a long enough password",
            "role": "editor",
        }
    )

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    name: str = Field(default="", max_length=200)
    password: Password
    role: Role = "viewer"


class UserUpdate(Input):
    model_config = request_examples({"name": "Ada Lovelace"})

    name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    is_instance_admin: bool | None = None


class PasswordReset(Input):
    model_config = request_examples({"password": "a long enough password"})

    password: Password


class RoleInput(Input):
    model_config = request_examples({"role": "reviewer"})

    role: Role


class MemberPublic(BaseModel):
    """A user as a member of the workspace, with their role in it."""

    id: int
    email: str
    name: str
    role: RoleName
    is_active: bool
    created_at: Timestamp
    last_login_at: Timestamp | None


class MembersPublic(BaseModel):
    items: list[MemberPublic]


class UserPublic(BaseModel):
    """An account as an instance administrator sees it, with its role here (if any)."""

    id: int
    email: str
    name: str
    role: RoleName | None = Field(description="the role in this workspace; null if no member")
    is_active: bool
    is_instance_admin: bool
    created_at: Timestamp
    last_login_at: Timestamp | None


class ProjectMemberPublic(BaseModel):
    """A member whose role is narrowed in one project."""

    user_id: int
    email: str
    role: RoleName = Field(description="the role in the project")
    workspace_role: RoleName


class ProjectMembersPublic(BaseModel):
    items: list[ProjectMemberPublic]


# -- invitations --------------------------------------------------------------------


class InvitationCreate(Input):
    model_config = request_examples({"email": "ada@example.com", "role": "editor"})

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    role: Role = "viewer"


class InvitationPublic(BaseModel):
    id: int
    email: str
    role: RoleName
    status: Literal["pending", "accepted", "revoked", "expired"]
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp
    accepted_at: Timestamp | None


class InvitationCreated(InvitationPublic):
    token: str = Field(description="the one-time token; in this answer only, never again")


class InvitationsPublic(BaseModel):
    items: list[InvitationPublic]


# -- API keys -----------------------------------------------------------------------


class KeyCreate(Input):
    model_config = request_examples({"name": "deploy", "role": "viewer"})

    name: str = Field(min_length=1, max_length=200)
    role: Role = "viewer"
    project: str | None = Field(default=None, pattern=SLUG_PATTERN)
    expires_at: datetime | None = None
    service_account: bool = False
    kind: KeyKind = "api"


class KeyPublic(BaseModel):
    """An API key or Langfuse key pair: its prefix and public key, never its secret."""

    id: int
    name: str
    kind: KeyKind
    prefix: str
    public_key: str | None
    role: RoleName
    project: str | None = Field(description="the one project the key is limited to, if any")
    user_id: int | None
    service_account: bool
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class KeyCreated(KeyPublic):
    key: str = Field(description="the plain secret; in this answer only, never again")


class KeysPublic(BaseModel):
    items: list[KeyPublic]


# -- workspaces ---------------------------------------------------------------------


class WorkspaceCreate(Input):
    model_config = request_examples({"slug": "research", "name": "Research"})

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class WorkspacePublic(BaseModel):
    slug: str
    name: str
    role: RoleName = Field(description="your role in it")
    current: bool = Field(description="whether your session or key works in it now")


class WorkspacesPublic(BaseModel):
    items: list[WorkspacePublic]
