"""Console sign-in: email/password or an API key, turned into a session cookie."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, model_validator
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import Actor
from promptyard.domain.schemas import Input
from promptyard.server.deps import CSRF_COOKIE, SESSION_COOKIE, ActorDep, CoreDep
from promptyard.services import auth, projects

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginInput(Input):
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=1000)
    api_key: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_way(self) -> LoginInput:
        if self.api_key:
            return self
        if not (self.email and self.password):
            raise ValueError("send either email and password, or api_key")
        return self


def actor_json(actor: Actor) -> dict[str, Any]:
    return {"type": actor.type, "id": actor.id, "name": actor.name, "role": actor.role}


@router.post("/login")
async def login(
    body: LoginInput, request: Request, response: Response, core: CoreDep
) -> dict[str, Any]:
    if body.api_key:
        actor = await run_in_threadpool(auth.authenticate_api_key, core, body.api_key)
    else:
        assert body.email and body.password
        actor = await run_in_threadpool(auth.authenticate_password, core, body.email, body.password)
    new = await run_in_threadpool(auth.create_session, core, actor)
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
    return {"actor": actor_json(actor)}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, core: CoreDep, _actor: ActorDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(auth.end_session, core, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me")
def me(actor: ActorDep, core: CoreDep) -> dict[str, Any]:
    return {
        "actor": actor_json(actor),
        "workspace": projects.workspace_of(core, actor.workspace_id),
    }
