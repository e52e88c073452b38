"""Console sign-in: email/password or an API key, turned into a session cookie."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import Forbidden, TooManyRequests
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.deps import CSRF_COOKIE, SESSION_COOKIE, ActorDep, CoreDep, require
from promptyard.server.errors import error_response
from promptyard.services.context import Core
from promptyard.services.identity import access, accounts, auth, invitations, projects
from promptyard.services.identity.schemas import (
    InvitationAccept,
    LoginInput,
    LoginPublic,
    MePublic,
    PasswordChange,
    SessionPublic,
    SwitchInput,
)

router = APIRouter(prefix="/auth", tags=["auth"])

SelfManage = Annotated[RequestContext, Depends(require("self:manage"))]
#: ``?project=`` of ``GET /auth/me``: optional, unlike the project of the prompt routes.
MeProject = Annotated[
    str | None,
    Query(
        pattern=SLUG_PATTERN,
        description="also list the permissions left in this project",
        examples=[DEFAULT_SLUG],
    ),
]


async def _start_session(
    core: Core, actor: Actor, response: Response, *, ip: str | None, request_id: str | None
) -> None:
    """A new console session for ``actor``: the session and CSRF cookies on ``response``."""
    new = await run_in_threadpool(
        lambda: auth.create_session(core, actor, ip=ip, request_id=request_id)
    )
    max_age = core.settings.session_days * 86400
    secure = core.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        new.csrf_token,
        max_age=max_age,
        httponly=False,
        samesite="strict",
        secure=secure,
        path="/",
    )


@router.post(
    "/login",
    response_model=LoginPublic,
    responses={429: {"description": "too many failed sign-ins"}},
)
async def login(body: LoginInput, request: Request, response: Response, core: CoreDep) -> Any:
    """Sign in; after repeated failures answers 429 with ``Retry-After``."""
    ip = request.client.host if request.client else None
    request_id = request.scope.get("promptyard.request_id")
    if body.api_key:
        actor = await run_in_threadpool(auth.authenticate_api_key, core, body.api_key)
    else:
        assert body.email and body.password
        try:
            actor = await run_in_threadpool(
                lambda: auth.authenticate_password(
                    core,
                    body.email or "",
                    body.password or "",
                    ip=ip,
                    request_id=request_id,
                    workspace=body.workspace,
                )
            )
        except TooManyRequests as exc:
            retry = (exc.details or {}).get("retry_after", 1)
            return error_response(
                429, exc.code, exc.message, exc.details, headers={"Retry-After": str(retry)}
            )
    await _start_session(core, actor, response, ip=ip, request_id=request_id)
    return LoginPublic(actor=access.actor_public(actor))


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, core: CoreDep, _actor: ActorDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(auth.end_session, core, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me")
def me(actor: ActorDep, core: CoreDep, project: MeProject = None) -> MePublic:
    """Who you are, your workspace, and what you may do there: ``actor.permissions``;
    with ``?project=``, also ``actor.project_permissions``, narrowed by that project."""
    return access.me(core, actor, project=project)


@router.post("/password", status_code=204)
async def change_password(
    body: PasswordChange, request: Request, core: CoreDep, ctx: SelfManage
) -> None:
    """Change your own password; your other sessions end."""
    token = request.cookies.get(SESSION_COOKIE)
    await run_in_threadpool(
        lambda: accounts.change_password(
            core,
            ctx=ctx,
            current_password=body.current_password,
            new_password=body.new_password,
            session_token=token,
        )
    )


@router.post("/switch")
async def switch_workspace(
    body: SwitchInput, request: Request, core: CoreDep, ctx: SelfManage
) -> SessionPublic:
    """Point your console session at another workspace you are a member of."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or request.headers.get("authorization"):
        raise Forbidden("switching workspace needs a console session; an API key has one workspace")
    actor = await run_in_threadpool(auth.switch_workspace, core, token, ctx.actor, body.workspace)
    workspace = await run_in_threadpool(projects.workspace_of, core, actor.workspace_id)
    return SessionPublic.model_validate(
        {"actor": access.actor_public(actor), "workspace": workspace}
    )


@router.post(
    "/invitations/accept",
    response_model=SessionPublic,
    responses={429: {"description": "too many failed sign-ins"}},
)
async def accept_invitation(
    body: InvitationAccept, request: Request, response: Response, core: CoreDep
) -> Any:
    """Join a workspace with an invitation token and sign in.

    When an account has the invited email, ``password`` must be its current password;
    otherwise the account is created with it (and ``name``).
    """
    ip = request.client.host if request.client else None
    request_id = request.scope.get("promptyard.request_id")
    try:
        accepted = await run_in_threadpool(
            lambda: invitations.accept_invitation(
                core,
                token=body.token,
                password=body.password,
                name=body.name,
                ip=ip,
                request_id=request_id,
            )
        )
    except TooManyRequests as exc:
        retry = (exc.details or {}).get("retry_after", 1)
        return error_response(
            429, exc.code, exc.message, exc.details, headers={"Retry-After": str(retry)}
        )
    await _start_session(core, accepted.actor, response, ip=ip, request_id=request_id)
    return SessionPublic.model_validate(
        {"actor": access.actor_public(accepted.actor), "workspace": accepted.workspace}
    )
