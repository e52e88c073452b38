"""A workspace's provider connections and its own model prices.

A connection names a provider kind (``core.providers``: the registered plugins), its base
URL, API key, models, default parameters, kind-specific options, timeout and concurrency
limit. The key is encrypted with the server's secret (:mod:`.secrets`) before it is
stored and is never returned: answers, audit events and logs carry ``api_key_hint``
(``sk-…abcd``) and ``api_key_set`` only. :func:`connection_for` is the one place a key
is decrypted, for a call.

Price overrides (``price_overrides``) are a workspace's own USD prices per million tokens
for a model (on one provider or any), from an effective date on; the telemetry
capability reads them when it prices a generation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, Field, SecretStr, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, NotFound, ValidationFailed
from promptyard.domain.schemas import Input, request_examples
from promptyard.plugins.api import ProviderConnection, ProviderError
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.runtime import secrets
from promptyard.services.telemetry.generations import forget_project_info
from promptyard.store.models import SqlPriceOverride, SqlProviderConnection

log = logging.getLogger(__name__)

CONNECTION_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: Names the routes use for something else (``/providers/prices``).
RESERVED_NAMES = frozenset({"prices"})
MAX_MODELS = 500
MAX_JSON_BYTES = 16_384
MAX_API_KEY_CHARS = 4_000
DEFAULT_TIMEOUT_SECONDS = 60.0
#: ``options`` key under which the connection's timeout is kept (no column of its own).
TIMEOUT_OPTION = "timeout_seconds"
#: The longest wait for a provider's model list.
LIST_MODELS_TIMEOUT = 30.0
MAX_PRICE = 1_000_000.0


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("base_url must not carry credentials; use api_key or options.headers")
    return value.rstrip("/")


def _check_key(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    plain = value.get_secret_value()
    if not plain.strip():
        raise ValueError("api_key is empty")
    if len(plain) > MAX_API_KEY_CHARS:
        raise ValueError(f"api_key is longer than {MAX_API_KEY_CHARS} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in plain):
        raise ValueError("api_key must not contain spaces or control characters")
    return value


def _check_models(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if len(value) > MAX_MODELS:
        raise ValueError(f"at most {MAX_MODELS} models")
    for model in value:
        if not model or len(model) > 200 or model != model.strip():
            raise ValueError("each model is 1 to 200 characters, without surrounding spaces")
    return list(dict.fromkeys(value))


def _check_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(orjson.dumps(value)) > MAX_JSON_BYTES:
        raise ValueError(f"at most {MAX_JSON_BYTES} bytes of JSON")
    return value


class _ConnectionFields(Input):
    base_url: str | None = Field(default=None, min_length=1, max_length=2000)
    api_key: SecretStr | None = Field(
        default=None, description="stored encrypted; never returned (see api_key_hint)"
    )
    models: list[str] | None = Field(default=None, description="the models to offer")
    default_params: dict[str, Any] | None = Field(
        default=None, description="parameters every call starts from (temperature, ...)"
    )
    options: dict[str, Any] | None = Field(default=None, description="kind-specific settings")
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    max_concurrency: int | None = Field(default=None, ge=1, le=256)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value)

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_key(value)

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str] | None) -> list[str] | None:
        return _check_models(value)

    @field_validator("default_params", "options")
    @classmethod
    def _json(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_json(value)


class ConnectionCreate(_ConnectionFields):
    model_config = request_examples(
        {"name": "local", "kind": "fake", "models": ["echo"], "max_concurrency": 4}
    )

    name: str = Field(pattern=CONNECTION_NAME_PATTERN, description="a-z, 0-9, _ and -")
    kind: str = Field(min_length=1, max_length=32, description="a registered provider kind")


class ConnectionUpdate(_ConnectionFields):
    """Fields to change; the ones left out keep their value. ``null`` clears
    ``base_url`` and ``api_key``."""

    model_config = request_examples({"max_concurrency": 8})


class ConnectionPublic(BaseModel):
    id: int
    name: str
    kind: str
    base_url: str | None
    api_key_set: bool
    api_key_hint: str | None = Field(description="the key masked: sk-…abcd")
    models: list[str]
    default_params: dict[str, Any]
    options: dict[str, Any] = Field(description="kind-specific settings; header values masked")
    timeout_seconds: float
    max_concurrency: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ConnectionsPublic(BaseModel):
    items: list[ConnectionPublic]


class ConnectionModelPublic(BaseModel):
    id: str = Field(description="what to send as ``model``: <connection>/<model>")
    model: str


class ConnectionModelsPublic(BaseModel):
    connection: str
    source: Literal["provider", "configured"]
    items: list[ConnectionModelPublic]
    error: str | None = Field(
        default=None, description="why the provider's list could not be read (then configured)"
    )


@dataclass(frozen=True)
class Resolved:
    """A connection ready for a call: decrypted, with its defaults."""

    connection: ProviderConnection
    default_params: dict[str, Any]
    models: list[str]


# -- reading ------------------------------------------------------------------------------


def _options(row: SqlProviderConnection) -> dict[str, Any]:
    return {k: v for k, v in (row.options or {}).items() if k != TIMEOUT_OPTION}


def _timeout(row: SqlProviderConnection) -> float:
    return float((row.options or {}).get(TIMEOUT_OPTION) or DEFAULT_TIMEOUT_SECONDS)


def _public(row: SqlProviderConnection) -> ConnectionPublic:
    options = _options(row)
    headers = options.get("headers")
    if isinstance(headers, dict):
        options["headers"] = {k: secrets.hint(str(v)) for k, v in headers.items()}
    return ConnectionPublic(
        id=row.id,
        name=row.name,
        kind=row.kind,
        base_url=row.base_url,
        api_key_set=row.api_key_encrypted is not None,
        api_key_hint=row.api_key_hint,
        models=list(row.models or []),
        default_params=dict(row.default_params or {}),
        options=options,
        timeout_seconds=_timeout(row),
        max_concurrency=row.max_concurrency,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _load(session: Session, workspace_id: int, name: str, *, lock: bool = False) -> Any:
    query = select(SqlProviderConnection).where(
        SqlProviderConnection.workspace_id == workspace_id, SqlProviderConnection.name == name
    )
    row = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        raise NotFound(
            f"no provider connection {name!r} in this workspace; "
            "`promptyard provider list` shows them"
        )
    return row


def list_connections(core: Core, *, workspace_id: int) -> ConnectionsPublic:
    with core.store.read() as session:
        rows = session.execute(
            select(SqlProviderConnection)
            .where(SqlProviderConnection.workspace_id == workspace_id)
            .order_by(SqlProviderConnection.name)
        ).scalars()
        return ConnectionsPublic(items=[_public(row) for row in rows])


def get_connection(core: Core, *, workspace_id: int, name: str) -> ConnectionPublic:
    with core.store.read() as session:
        return _public(_load(session, workspace_id, name))


def resolve(core: Core, workspace_id: int, name: str) -> Resolved:
    """The connection ``name`` with its key decrypted, for a call."""
    with core.store.read() as session:
        row = _load(session, workspace_id, name)
        encrypted, kind, base_url = row.api_key_encrypted, row.kind, row.base_url
        options, timeout, limit = _options(row), _timeout(row), row.max_concurrency
        row_id, params, models = row.id, dict(row.default_params or {}), list(row.models or [])
    api_key = None
    if encrypted is not None:
        what = f"the API key of provider connection {name!r}"
        api_key = secrets.decrypt(core.settings, encrypted, what=what)
    connection = ProviderConnection(
        name=name,
        kind=kind,
        base_url=base_url,
        api_key=api_key,
        options=options,
        timeout_seconds=timeout,
        max_concurrency=limit,
        id=str(row_id),
    )
    return Resolved(connection, params, models)


def connection_for(core: Core, workspace_id: int, name: str) -> ProviderConnection:
    """The connection ``name`` of the workspace, key decrypted, as providers take it."""
    return resolve(core, workspace_id, name).connection


# -- writing ------------------------------------------------------------------------------


def _check_kind(core: Core, kind: str) -> Any:
    provider = core.providers.get(kind)
    if provider is None:
        known = ", ".join(sorted(core.providers)) or "none"
        raise ValidationFailed(f"unknown provider kind {kind!r}; registered kinds: {known}")
    return provider


def _set_key(core: Core, row: SqlProviderConnection, key: SecretStr | None) -> None:
    if key is None:
        row.api_key_encrypted = row.api_key_hint = None
        return
    plain = key.get_secret_value()
    row.api_key_encrypted = secrets.encrypt(core.settings, plain)
    row.api_key_hint = secrets.hint(plain)


def _summary(row: SqlProviderConnection, changed: list[str]) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "base_url": row.base_url,
        "api_key_hint": row.api_key_hint,
        "changed": changed,
    }


def _apply(core: Core, row: SqlProviderConnection, data: _ConnectionFields) -> list[str]:
    changed = sorted(data.model_fields_set)
    fields = data.model_fields_set
    if "base_url" in fields:
        row.base_url = data.base_url
    if "api_key" in fields:
        _set_key(core, row, data.api_key)
    for name in ("models", "default_params", "max_concurrency"):
        value = getattr(data, name)
        if name in fields and value is not None:
            setattr(row, name, value)
    timeout = (row.options or {}).get(TIMEOUT_OPTION)
    if "options" in fields:
        row.options = dict(data.options or {})
    if "timeout_seconds" in fields:
        timeout = data.timeout_seconds
    options = {k: v for k, v in (row.options or {}).items() if k != TIMEOUT_OPTION}
    row.options = options if timeout is None else {**options, TIMEOUT_OPTION: timeout}
    return changed


def _needs_key(core: Core, row: SqlProviderConnection) -> None:
    provider = _check_kind(core, row.kind)
    if provider.needs_api_key and row.api_key_encrypted is None:
        raise ValidationFailed(f"provider kind {row.kind!r} needs an api_key")


def create_connection(
    core: Core, *, ctx: RequestContext, workspace_id: int, data: ConnectionCreate
) -> ConnectionPublic:
    if data.name in RESERVED_NAMES:
        raise ValidationFailed(f"{data.name!r} is reserved; choose another name")
    _check_kind(core, data.kind)
    now = core.clock()
    row = SqlProviderConnection(
        workspace_id=workspace_id,
        name=data.name,
        kind=data.kind,
        models=[],
        default_params={},
        options={},
        max_concurrency=8,
        created_by=ctx.actor.ref,
        created_at=now,
        updated_at=now,
    )
    changed = _apply(core, row, data)
    _needs_key(core, row)
    with core.store.write() as session:
        exists = session.execute(
            select(SqlProviderConnection.id).where(
                SqlProviderConnection.workspace_id == workspace_id,
                SqlProviderConnection.name == data.name,
            )
        ).first()
        if exists is not None:
            raise AlreadyExists(f"provider connection {data.name!r} already exists")
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # created at the same time by another request
            raise AlreadyExists(f"provider connection {data.name!r} already exists") from None
        _audit(core, session, ctx, "provider.create", row, changed)
        return _public(row)


def update_connection(
    core: Core, *, ctx: RequestContext, workspace_id: int, name: str, data: ConnectionUpdate
) -> ConnectionPublic:
    with core.store.write() as session:
        row = _load(session, workspace_id, name, lock=True)
        changed = _apply(core, row, data)
        _needs_key(core, row)
        row.updated_at = core.clock()
        _audit(core, session, ctx, "provider.update", row, changed)
        return _public(row)


def delete_connection(core: Core, *, ctx: RequestContext, workspace_id: int, name: str) -> None:
    with core.store.write() as session:
        row = _load(session, workspace_id, name, lock=True)
        _audit(core, session, ctx, "provider.delete", row, [])
        session.delete(row)


def _audit(
    core: Core,
    session: Session,
    ctx: RequestContext,
    action: str,
    row: SqlProviderConnection,
    changed: list[str],
) -> None:
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="provider",
        object_id=row.name,
        summary=_summary(row, changed),
        workspace_id=row.workspace_id,
    )


# -- models -------------------------------------------------------------------------------


async def list_models(core: Core, *, workspace_id: int, name: str) -> ConnectionModelsPublic:
    """The models of a connection: from the provider when it offers a list (OpenAI's and
    Anthropic's ``models.list()``), else the configured ones; when the provider's list
    fails, the configured ones with ``error`` saying why."""
    resolved = await asyncio.to_thread(resolve, core, workspace_id, name)
    connection = resolved.connection
    provider = core.providers.get(connection.kind)
    found: list[str] | None = None
    error: str | None = None
    if provider is None:
        error = f"provider kind {connection.kind!r} is not registered on this server"
    else:
        wait = min(connection.timeout_seconds, LIST_MODELS_TIMEOUT)
        try:
            found = await asyncio.wait_for(provider.list_models(connection), timeout=wait)
        except ProviderError as exc:
            error = exc.message
        except TimeoutError:
            error = f"the provider did not list its models within {wait:g} s"
        except Exception as exc:  # a plugin's bug: say so, never a 500
            log.warning("listing models of connection %r failed: %s", name, type(exc).__name__)
            error = f"listing the provider's models failed ({type(exc).__name__})"
    source: Literal["provider", "configured"] = "provider" if found is not None else "configured"
    models = found if found is not None else resolved.models
    return ConnectionModelsPublic(
        connection=name,
        source=source,
        items=[ConnectionModelPublic(id=f"{name}/{m}", model=m) for m in models],
        error=error,
    )


# -- price overrides ----------------------------------------------------------------------


class PriceOverrideCreate(Input):
    model_config = request_examples(
        {"model": "gpt-4o", "input_per_mtok": 2.5, "output_per_mtok": 10.0}
    )

    model: str = Field(min_length=1, max_length=200)
    provider: str | None = Field(default=None, min_length=1, max_length=100)
    input_per_mtok: float = Field(ge=0, le=MAX_PRICE, description="USD per million tokens")
    output_per_mtok: float = Field(ge=0, le=MAX_PRICE, description="USD per million tokens")
    cached_input_per_mtok: float | None = Field(
        default=None, ge=0, le=MAX_PRICE, description="USD per million cached input tokens"
    )
    currency: Literal["USD"] = "USD"
    effective_from: datetime | None = Field(
        default=None, description="in force from this time on (default: now; naive is UTC)"
    )


class PriceOverridePublic(BaseModel):
    id: int
    model: str
    provider: str | None
    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    currency: str
    effective_from: datetime
    created_by: str
    created_at: datetime


class PriceOverridesPublic(BaseModel):
    items: list[PriceOverridePublic]


def _price_public(row: SqlPriceOverride) -> PriceOverridePublic:
    return PriceOverridePublic.model_validate(row, from_attributes=True)


def list_prices(core: Core, *, workspace_id: int, model: str | None = None) -> PriceOverridesPublic:
    query = select(SqlPriceOverride).where(SqlPriceOverride.workspace_id == workspace_id)
    if model is not None:
        query = query.where(SqlPriceOverride.model == model)
    query = query.order_by(
        SqlPriceOverride.model, SqlPriceOverride.effective_from.desc(), SqlPriceOverride.id
    )
    with core.store.read() as session:
        return PriceOverridesPublic(
            items=[_price_public(row) for row in session.execute(query).scalars()]
        )


def create_price(
    core: Core, *, ctx: RequestContext, workspace_id: int, data: PriceOverrideCreate
) -> PriceOverridePublic:
    now = core.clock()
    effective = data.effective_from or now
    if effective.tzinfo is None:
        effective = effective.replace(tzinfo=UTC)
    row = SqlPriceOverride(
        workspace_id=workspace_id,
        provider=data.provider,
        model=data.model,
        input_per_mtok=data.input_per_mtok,
        output_per_mtok=data.output_per_mtok,
        cached_input_per_mtok=data.cached_input_per_mtok,
        currency=data.currency,
        effective_from=effective,
        created_by=ctx.actor.ref,
        created_at=now,
    )
    with core.store.write() as session:
        session.add(row)
        session.flush()
        public = _price_public(row)
        _price_audit(core, session, ctx, "price_override.create", public, workspace_id)
    forget_project_info(core)  # priced with it from the next report on, in this process
    return public


def delete_price(core: Core, *, ctx: RequestContext, workspace_id: int, price_id: int) -> None:
    with core.store.write() as session:
        row = session.execute(
            select(SqlPriceOverride).where(
                SqlPriceOverride.id == price_id, SqlPriceOverride.workspace_id == workspace_id
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no price override {price_id} in this workspace")
        public = _price_public(row)
        _price_audit(core, session, ctx, "price_override.delete", public, workspace_id)
        session.delete(row)
    forget_project_info(core)


def _price_audit(
    core: Core,
    session: Session,
    ctx: RequestContext,
    action: str,
    price: PriceOverridePublic,
    workspace_id: int,
) -> None:
    summary = price.model_dump(mode="json", exclude={"created_by", "created_at", "id"})
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="price_override",
        object_id=str(price.id),
        summary=summary,
        workspace_id=workspace_id,
    )
