"""``promptyard user …``, ``promptyard member …`` and ``promptyard key …``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    UrlOpt,
    connect,
    out,
    print_json,
)

user_app = typer.Typer(
    help="Accounts: creating, disabling, passwords (instance administrators).",
    no_args_is_help=True,
)
member_app = typer.Typer(
    help="Members of the workspace, their roles, and invitations.", no_args_is_help=True
)
key_app = typer.Typer(help="API keys: list, create (shown once), revoke.", no_args_is_help=True)

UserId = Annotated[int, typer.Argument(help="User id (see `promptyard user list`).")]
RoleOpt = Annotated[
    str, typer.Option("--role", help="viewer, editor, reviewer or admin.", show_default=True)
]


def _prompt_password(value: str | None) -> str:
    if value:
        return value
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


def _members_table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "email", "name", "role", "active", "last sign-in")
    for item in items:
        table.add_row(
            str(item["id"]),
            item["email"],
            item["name"],
            item["role"],
            "yes" if item["is_active"] else "no",
            (item.get("last_login_at") or "-")[:19],
        )
    return table


def _keys_table(items: list[dict[str, Any]]) -> Table:
    table = Table("id", "name", "kind", "prefix", "role", "project", "owner", "expires", "state")
    for item in items:
        owner = "service" if item["service_account"] else str(item["user_id"])
        state = "revoked" if item["revoked_at"] else "active"
        table.add_row(
            str(item["id"]),
            item["name"],
            item["kind"],
            item["prefix"] + "…",
            item["role"],
            item["project"] or "(all)",
            owner,
            (item["expires_at"] or "never")[:19],
            state,
        )
    return table


# -- user -----------------------------------------------------------------------------


@user_app.command("list")
def user_list(
    as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """List the users of the workspace with their role."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_users()
    if as_json:
        print_json(found)
    else:
        out().print(_members_table(found["items"]))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="Email address (the sign-in name).")],
    role: RoleOpt = "viewer",
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="PROMPTYARD_NEW_PASSWORD",
            help="Initial password (asked for when omitted).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create an account and add it to the workspace (instance administrators).

    An email that already has an account is refused: invite it with `member invite`.
    """
    secret = _prompt_password(password)
    with connect(url, api_key, DEFAULT_SLUG) as client:
        user = client.create_user(email, secret, name=name, role=role)
    if as_json:
        print_json(user)
    else:
        out().print(Text(f"added {user['email']} (id {user['id']}) as {user['role']}"))


def _set_active(user_id: int, active: bool, as_json: bool, url: str, api_key: str | None) -> None:
    with connect(url, api_key, DEFAULT_SLUG) as client:
        user = client.update_user(user_id, is_active=active)
    if as_json:
        print_json(user)
    else:
        out().print(Text(f"{'enabled' if active else 'disabled'} {user['email']}"))


@user_app.command("disable")
def user_disable(
    user_id: UserId, as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """Disable a user: they cannot sign in, and their sessions end."""
    _set_active(user_id, False, as_json, url, api_key)


@user_app.command("enable")
def user_enable(
    user_id: UserId, as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """Enable a disabled user again."""
    _set_active(user_id, True, as_json, url, api_key)


@user_app.command("reset-password")
def user_reset_password(
    user_id: UserId,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="PROMPTYARD_NEW_PASSWORD",
            help="New password (asked for when omitted).",
            show_default=False,
        ),
    ] = None,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Set a user's password (instance administrators); every session of theirs ends."""
    secret = _prompt_password(password)
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.reset_password(user_id, secret)
    out().print(Text(f"password of user {user_id} reset"))


# -- member ---------------------------------------------------------------------------


@member_app.command("list")
def member_list(
    as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """List the members of the workspace."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_members()
    if as_json:
        print_json(found)
    else:
        out().print(_members_table(found["items"]))


@member_app.command("set-role")
def member_set_role(
    user_id: UserId,
    role: Annotated[str, typer.Argument(help="viewer, editor, reviewer or admin.")],
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Change a member's role in the workspace."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        member = client.set_member_role(user_id, role)
    if as_json:
        print_json(member)
    else:
        out().print(Text(f"{member['email']} is now {member['role']}"))


@member_app.command("remove")
def member_remove(user_id: UserId, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None) -> None:
    """Remove a member from the workspace (their keys in it are revoked)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.remove_member(user_id)
    out().print(Text(f"removed user {user_id} from the workspace"))


# -- key ------------------------------------------------------------------------------


@key_app.command("list")
def key_list(
    as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """List API keys (prefixes only; secrets are never shown again)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_keys()
    if as_json:
        print_json(found)
    else:
        out().print(_keys_table(found["items"]))


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Argument(help="A name to recognise the key by.")],
    role: RoleOpt = "viewer",
    project: Annotated[
        str | None,
        typer.Option("--project", help="Scope the key to one project.", show_default=False),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option("--expires-at", help="ISO 8601 expiry time.", show_default=False),
    ] = None,
    service_account: Annotated[
        bool, typer.Option("--service-account", help="Owned by no user (admins only).")
    ] = False,
    langfuse: Annotated[
        bool, typer.Option("--langfuse", help="A Langfuse public/secret key pair.")
    ] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create an API key and print it once: it cannot be shown again."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        created = client.create_key(
            name,
            role=role,
            project=project,
            expires_at=expires_at,
            service_account=service_account,
            kind="langfuse" if langfuse else "api",
        )
    if as_json:
        print_json(created)
        return
    console = out()
    console.print(Text(f"created key {created['name']} (id {created['id']}, {created['role']})"))
    if created.get("public_key"):
        console.print(Text(f"public key: {created['public_key']}"), soft_wrap=True)
    console.print(Text(f"secret key: {created['key']}"), soft_wrap=True)
    console.print(Text("store it now: it will not be shown again"))


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[int, typer.Argument(help="Key id (see `promptyard key list`).")],
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Revoke an API key; it stops working at once."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.revoke_key(key_id)
    out().print(Text(f"revoked key {key_id}"))


# -- invitations ----------------------------------------------------------------------


@member_app.command("invite")
def member_invite(
    email: Annotated[str, typer.Argument(help="Email address of the person to invite.")],
    role: RoleOpt = "viewer",
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Invite a person to the workspace; prints the one-time token to hand to them."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        invitation = client.invite(email, role=role)
    if as_json:
        print_json(invitation)
    else:
        out().print(
            Text(
                f"invited {invitation['email']} as {invitation['role']} until "
                f"{invitation['expires_at'][:19]}; token (shown once): {invitation['token']}"
            )
        )


@member_app.command("invitations")
def member_invitations(
    as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """List the workspace's invitations and their status."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_invitations()
    if as_json:
        print_json(found)
        return
    table = Table("id", "email", "role", "status", "invited by", "expires")
    for item in found["items"]:
        table.add_row(
            str(item["id"]),
            item["email"],
            item["role"],
            item["status"],
            item["created_by"],
            item["expires_at"][:19],
        )
    out().print(table)


@member_app.command("revoke-invitation")
def member_revoke_invitation(
    invitation_id: Annotated[int, typer.Argument(help="Invitation id.")],
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Revoke a pending invitation; its token stops working."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.revoke_invitation(invitation_id)
    out().print(Text(f"revoked invitation {invitation_id}"))


@member_app.command("accept")
def member_accept(
    token: Annotated[str, typer.Argument(help="The invitation token (pyi_…).")],
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="PROMPTYARD_PASSWORD",
            help="Your account's current password, or the new account's (asked when omitted).",
            show_default=False,
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Your name, for a new account.")] = "",
    url: UrlOpt = DEFAULT_URL,
) -> None:
    """Accept an invitation (no API key needed): join its workspace."""
    secret = password or typer.prompt("Password", hide_input=True)
    with connect(url, None, DEFAULT_SLUG) as client:
        joined = client.accept_invitation(token, secret, name=name)
    workspace = joined["workspace"]
    out().print(
        Text(f"joined {workspace['name']} ({workspace['slug']}) as {joined['actor']['role']}")
    )


def register(app: typer.Typer) -> None:
    """Add this module's command groups to the main app."""
    app.add_typer(user_app, name="user")
    app.add_typer(member_app, name="member")
    app.add_typer(key_app, name="key")
