"""The HTTP client: one method per API operation, answers as plain (typed) dicts."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, cast
from urllib.parse import quote

import httpx

from promptyard.client._cache import PromptCache
from promptyard.client._delivery import DeliveryMixin
from promptyard.client._errors import PromptyardConnectionError, PromptyardError
from promptyard.client._fetch import api_key_from, request_headers, server_url
from promptyard.client._observe import ReportingMixin
from promptyard.client._reporting import ReportingSettings
from promptyard.client._types import (
    Branch,
    Content,
    Diff,
    Execution,
    Folder,
    ImportResult,
    Items,
    Label,
    LabelEvent,
    Project,
    Prompt,
    PromptPage,
    PromptType,
    Rendered,
    Tag,
    Validation,
    Version,
    VersionPage,
)
from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.templating import TemplateEngine, TemplateLimits

BulkActionName = Literal["tag", "untag", "move", "label", "delete", "restore"]
BundleFormat = Literal["json", "yaml"]
Params = list[tuple[str, str]]


def _seg(value: str) -> str:
    """One URL path segment."""
    return quote(str(value), safe="")


def _query(**values: Any) -> Params:
    """Query parameters without the unset ones; lists repeat the key."""
    params: Params = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            params.extend((key, str(item)) for item in value)
        elif isinstance(value, bool):
            params.append((key, "true" if value else "false"))
        elif isinstance(value, datetime):
            params.append((key, value.isoformat()))
        else:
            params.append((key, str(value)))
    return params


def _body(**values: Any) -> dict[str, Any]:
    """A JSON body without the fields left unset (``None``)."""
    return {key: value for key, value in values.items() if value is not None}


def scan_request(
    *,
    content: Content | None,
    prompt: str | None,
    version: int | None,
    label: str | None,
    type: PromptType | None,
    config: Mapping[str, Any] | None,
    name: str | None,
    limit: int | None,
) -> tuple[str, str, Params, dict[str, Any] | None]:
    """Method, path, query and body of :meth:`Client.scan` (shared with the AsyncClient)."""
    if content is not None and prompt is not None:
        raise ValueError("give content or prompt, not both")
    if prompt is not None:
        params = _query(version=version, label=label)
        return "GET", f"/prompts/{_seg(prompt)}/findings", params, None
    if content is not None:
        kind = type or ("text" if isinstance(content, str) else "chat")
        body = _body(
            type=kind,
            content=content,
            config=dict(config) if config is not None else None,
            name=name,
        )
        return "POST", "/scan", [], body
    return "POST", "/scan", [], _body(label=label, limit=limit)


from promptyard.client._alerts import AlertsMixin  # noqa: E402
from promptyard.client._annotation import AnnotationMixin  # noqa: E402
from promptyard.client._datasets import DatasetsMixin  # noqa: E402
from promptyard.client._evaluation_runs import EvaluationRunsMixin  # noqa: E402
from promptyard.client._experiments import ExperimentsMixin  # noqa: E402
from promptyard.client._governance import ReviewsMixin  # noqa: E402
from promptyard.client._identity import AccountsMixin  # noqa: E402
from promptyard.client._operations import AuditMixin  # noqa: E402
from promptyard.client._runtime import ProvidersMixin  # noqa: E402


class Client(
    DeliveryMixin,
    ReportingMixin,
    AccountsMixin,
    ReviewsMixin,
    AuditMixin,
    ProvidersMixin,
    EvaluationRunsMixin,
    ExperimentsMixin,
    DatasetsMixin,
    AnnotationMixin,
    AlertsMixin,
):
    """A client of one Promptyard server and project.

    ``base_url`` and ``api_key`` default to ``PROMPTYARD_URL`` and ``PROMPTYARD_API_KEY``.
    Pass ``http_client`` to share connections or to test; the client then leaves it open
    on :meth:`close`. Errors raise :class:`PromptyardError` (never retried).

    Prompt delivery (:meth:`get_prompt`, :meth:`prefetch`; see ``docs/agents.md``):
    ``cache_dir`` keeps the last good copy of every prompt read in files, for a restart
    while the server is down; ``watch=True`` follows the server's change stream so a
    label move is seen within a second; ``clock`` (seconds, monotonic) is for tests;
    ``template_limits`` should match the server's (its defaults do);
    ``refresh_workers`` threads run background refreshes.

    Reporting (:meth:`log_generation`, :meth:`observe`, :meth:`feedback`; see
    ``docs/sdk-reporting.md``): events go through a background sender configured by
    ``reporting`` (a :class:`ReportingSettings`, or ``False`` to drop them all).
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        project: str = DEFAULT_SLUG,
        http_client: httpx.Client | None = None,
        timeout: float = 10.0,
        cache_dir: str | os.PathLike[str] | None = None,
        watch: bool = False,
        clock: Callable[[], float] = time.monotonic,
        template_limits: TemplateLimits | None = None,
        refresh_workers: int = 2,
        watch_read_timeout: float = 60.0,
        reporting: ReportingSettings | bool = True,
    ) -> None:
        self.base_url = server_url(base_url)
        self.api_key = api_key_from(api_key)
        self.project = project
        self.timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)
        self._engine = TemplateEngine(template_limits)
        self._cache = PromptCache(self._engine, clock=clock, cache_dir=cache_dir)
        self._refresh_workers = max(1, refresh_workers)
        self._pool = None
        self._pool_lock = threading.Lock()
        self._closing = threading.Event()
        self._watch_thread = None
        self._watch_response = None
        self._watch_connected = threading.Event()
        self._watch_read_timeout = watch_read_timeout
        self._watch_last_id: str | None = None
        self._init_reporting(reporting)
        if watch:
            self._start_watch()

    # -- plumbing -------------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return request_headers(self.api_key, extra)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        in_project: bool = True,
    ) -> httpx.Response:
        query = list(params or [])
        if in_project:
            query.append(("project", self.project))
        try:
            response = self._http.request(
                method,
                f"{self.base_url}/api/v1{path}",
                params=tuple(query),
                json=json_body,
                content=content,
                headers=self._headers(headers),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise PromptyardConnectionError(
                self.base_url, f"no answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            reason = str(exc) or exc.__class__.__name__
            if "refused" in reason.lower():
                reason = "connection refused"
            raise PromptyardConnectionError(self.base_url, reason) from None
        if response.status_code >= 400:
            raise PromptyardError.from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise PromptyardError(
                f"the server at {self.base_url} answered {method} {path} with something "
                "that is not JSON; is PROMPTYARD_URL pointing at a Promptyard server?",
                status=response.status_code,
                code="invalid_response",
            ) from None

    def flush(self, timeout: float | None = None) -> bool:
        """Send every reported event queued so far and wait until they are sent (or given
        up), at most ``timeout`` seconds; ``True`` when the queue was drained."""
        reporter = self._reporter
        return True if reporter is None else reporter.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush reported events (at most ``timeout`` seconds, default the reporting
        ``shutdown_timeout``) and stop the sender; later events are dropped."""
        return self._shutdown_reporting(timeout)

    def close(self) -> None:
        """Flush reported events (bounded wait) and stop the sender; stop watching and
        refreshing; close the HTTP connections, unless the HTTP client was passed in."""
        self._shutdown_reporting()
        self._close_delivery()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, project={self.project!r})"

    # -- prompts --------------------------------------------------------------------

    def create_prompt(
        self,
        name: str,
        *,
        type: PromptType = "text",
        content: Content,
        config: Mapping[str, Any] | None = None,
        folder: str = "",
        description: str = "",
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        commit_message: str = "",
    ) -> Prompt:
        """Create a prompt with its version 1."""
        body = _body(
            name=name,
            type=type,
            content=content,
            config=dict(config) if config is not None else None,
            folder=folder,
            description=description,
            tags=list(tags) if tags is not None else None,
            metadata=dict(metadata) if metadata is not None else None,
            commit_message=commit_message,
        )
        return cast(Prompt, self._json("POST", "/prompts", json_body=body))

    def get_prompt_details(
        self, name: str, *, version: int | None = None, label: str | None = None
    ) -> Prompt:
        """The server's full record of a prompt with one version: ``version``, ``label``,
        or ``latest``; read every time, never cached (an agent wants :meth:`get_prompt`).

        A deprecated prompt is still returned, with a :class:`DeprecationWarning`.
        """
        params = _query(version=version, label=label)
        prompt = cast(Prompt, self._json("GET", f"/prompts/{_seg(name)}", params=params))
        if prompt.get("lifecycle") == "deprecated":
            warnings.warn(
                f"prompt {name!r} is deprecated; move to its replacement",
                DeprecationWarning,
                stacklevel=2,
            )
        return prompt

    def list_prompts(
        self,
        *,
        q: str | None = None,
        tag: str | Sequence[str] | None = None,
        folder: str | None = None,
        label: str | None = None,
        author: str | None = None,
        type: PromptType | None = None,
        updated_after: datetime | str | None = None,
        updated_before: datetime | str | None = None,
        metadata: Mapping[str, str] | None = None,
        deleted: Literal["exclude", "include", "only"] | None = None,
        sort: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> PromptPage:
        """List and search prompts; every filter is optional (``tag``: all must match)."""
        tags = [tag] if isinstance(tag, str) else list(tag) if tag is not None else None
        params = _query(
            q=q,
            tag=tags,
            folder=folder,
            label=label,
            author=author,
            type=type,
            updated_after=updated_after,
            updated_before=updated_before,
            deleted=deleted,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        params.extend((f"meta.{key}", str(value)) for key, value in (metadata or {}).items())
        return cast(PromptPage, self._json("GET", "/prompts", params=params))

    def update_prompt(
        self,
        name: str,
        *,
        content: Content | None = None,
        config: Mapping[str, Any] | None = None,
        type: PromptType | None = None,
        folder: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        commit_message: str = "",
        base_version: int | None = None,
        branch: str = "main",
    ) -> Prompt:
        """Change a prompt; content, config or type changes make a new version.

        Fields left ``None`` stay as they are. ``base_version`` guards against lost
        updates: a branch that moved on since gives ``409 stale_version``.
        """
        body = _body(
            content=content,
            config=dict(config) if config is not None else None,
            type=type,
            folder=folder,
            description=description,
            tags=list(tags) if tags is not None else None,
            metadata=dict(metadata) if metadata is not None else None,
            commit_message=commit_message,
            base_version=base_version,
            branch=branch,
        )
        return cast(Prompt, self._json("PATCH", f"/prompts/{_seg(name)}", json_body=body))

    def delete_prompt(self, name: str) -> None:
        """Soft-delete a prompt (restorable)."""
        self._json("DELETE", f"/prompts/{_seg(name)}")

    def restore_prompt(self, name: str) -> Prompt:
        return cast(Prompt, self._json("POST", f"/prompts/{_seg(name)}/restore"))

    def bulk(
        self,
        action: BulkActionName,
        names: Sequence[str],
        *,
        tags: Sequence[str] | None = None,
        folder: str | None = None,
        label: str | None = None,
    ) -> dict[str, int]:
        """One action on many prompts, all or nothing: ``{"updated": n}``."""
        body = _body(
            action=action,
            names=list(names),
            tags=list(tags) if tags is not None else None,
            folder=folder,
            label=label,
        )
        return cast(dict[str, int], self._json("POST", "/prompts/bulk", json_body=body))

    def list_folders(self) -> Items[Folder]:
        return cast(Items[Folder], self._json("GET", "/folders"))

    def list_tags(self) -> Items[Tag]:
        return cast(Items[Tag], self._json("GET", "/tags"))

    # -- history ----------------------------------------------------------------------

    def list_versions(
        self,
        name: str,
        *,
        branch: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> VersionPage:
        """Versions, newest first."""
        params = _query(branch=branch, limit=limit, offset=offset)
        path = f"/prompts/{_seg(name)}/versions"
        return cast(VersionPage, self._json("GET", path, params=params))

    def get_version(self, name: str, version: int) -> Version:
        path = f"/prompts/{_seg(name)}/versions/{int(version)}"
        return cast(Version, self._json("GET", path))

    def diff(self, name: str, from_version: int, to_version: int) -> Diff:
        """Spans, unified text, message and config changes between two versions."""
        params = _query(**{"from": from_version, "to": to_version})
        return cast(Diff, self._json("GET", f"/prompts/{_seg(name)}/diff", params=params))

    def rollback(
        self,
        name: str,
        version: int,
        *,
        commit_message: str = "",
        base_version: int | None = None,
    ) -> Prompt:
        """A new version on main equal to ``version``."""
        body = _body(version=version, commit_message=commit_message, base_version=base_version)
        return cast(Prompt, self._json("POST", f"/prompts/{_seg(name)}/rollback", json_body=body))

    def list_labels(self, name: str) -> Items[Label]:
        return cast(Items[Label], self._json("GET", f"/prompts/{_seg(name)}/labels"))

    def set_label(self, name: str, label: str, version: int) -> Label:
        """Point ``label`` at ``version`` (created if absent)."""
        path = f"/prompts/{_seg(name)}/labels/{_seg(label)}"
        return cast(Label, self._json("PUT", path, json_body={"version": version}))

    def delete_label(self, name: str, label: str) -> None:
        self._json("DELETE", f"/prompts/{_seg(name)}/labels/{_seg(label)}")

    def label_events(self, name: str, label: str | None = None) -> Items[LabelEvent]:
        """Who moved which label when, newest first."""
        path = f"/prompts/{_seg(name)}/label-events"
        return cast(Items[LabelEvent], self._json("GET", path, params=_query(label=label)))

    def list_branches(self, name: str) -> Items[Branch]:
        return cast(Items[Branch], self._json("GET", f"/prompts/{_seg(name)}/branches"))

    def create_branch(self, name: str, branch: str, from_version: int) -> Branch:
        body = {"name": branch, "from_version": from_version}
        return cast(Branch, self._json("POST", f"/prompts/{_seg(name)}/branches", json_body=body))

    def merge_branch(
        self,
        name: str,
        branch: str,
        *,
        into: str = "main",
        commit_message: str = "",
        base_version: int | None = None,
    ) -> Prompt:
        """Three-way merge; a conflict raises ``409 merge_conflict`` with ``details``."""
        body = _body(into=into, commit_message=commit_message, base_version=base_version)
        path = f"/prompts/{_seg(name)}/branches/{_seg(branch)}/merge"
        return cast(Prompt, self._json("POST", path, json_body=body))

    def delete_branch(self, name: str, branch: str) -> None:
        self._json("DELETE", f"/prompts/{_seg(name)}/branches/{_seg(branch)}")

    # -- templates and running ----------------------------------------------------------

    def render(
        self,
        name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        label: str | None = None,
    ) -> Rendered:
        """Render a stored prompt: text to a string, chat to a message list."""
        body = _body(variables=dict(variables or {}), version=version, label=label)
        return cast(Rendered, self._json("POST", f"/prompts/{_seg(name)}/render", json_body=body))

    def validate_template(self, type: PromptType, content: Content) -> Validation:
        """Check unsaved content as saving would; problems come back as data."""
        body = {"type": type, "content": content}
        return cast(Validation, self._json("POST", "/templates/validate", json_body=body))

    def render_template(
        self, type: PromptType, content: Content, variables: Mapping[str, Any] | None = None
    ) -> Rendered:
        """Render unsaved content; includes resolve in this client's project."""
        body = {"type": type, "content": content, "variables": dict(variables or {})}
        return cast(Rendered, self._json("POST", "/templates/render", json_body=body))

    def list_models(self) -> Items[dict[str, str]]:
        return cast(Items[dict[str, str]], self._json("GET", "/models", in_project=False))

    def execute(
        self,
        model: str,
        variables: Mapping[str, Any] | None = None,
        prompt: str | None = None,
        *,
        version: int | None = None,
        label: str | None = None,
        type: PromptType | None = None,
        content: Content | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Execution:
        """Render a stored ``prompt`` (or unsaved ``content``) and run it on ``model``."""
        body = _body(
            model=model,
            variables=dict(variables or {}),
            prompt=prompt,
            version=version,
            label=label,
            type=type,
            content=content,
            config=dict(config) if config is not None else None,
        )
        return cast(Execution, self._json("POST", "/prompts/execute", json_body=body))

    # -- quality and security ------------------------------------------------------------

    def scan(
        self,
        content: Content | None = None,
        *,
        prompt: str | None = None,
        version: int | None = None,
        label: str | None = None,
        type: PromptType | None = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Quality score and security findings (docs/quality.md).

        ``content`` (a text, or chat messages): that unsaved content; ``prompt``: its
        version (``version``, ``label``, default latest); neither: the project report of
        every prompt at ``label`` (default latest), at most ``limit`` prompts.
        """
        method, path, params, body = scan_request(
            content=content,
            prompt=prompt,
            version=version,
            label=label,
            type=type,
            config=config,
            name=name,
            limit=limit,
        )
        return cast(dict[str, Any], self._json(method, path, params=params, json_body=body))

    # -- projects -----------------------------------------------------------------------

    def list_projects(self) -> Items[Project]:
        return cast(Items[Project], self._json("GET", "/projects", in_project=False))

    def create_project(self, slug: str, name: str) -> Project:
        body = {"slug": slug, "name": name}
        return cast(Project, self._json("POST", "/projects", json_body=body, in_project=False))

    def export_project(self, slug: str | None = None, format: BundleFormat = "json") -> bytes:
        """The project's bundle file (this client's project unless ``slug`` is given)."""
        path = f"/projects/{_seg(slug or self.project)}/export"
        response = self._send("GET", path, params=_query(format=format), in_project=False)
        return response.content

    def import_project(
        self,
        bundle: bytes | Mapping[str, Any],
        *,
        slug: str | None = None,
        on_conflict: Literal["fail", "skip"] = "fail",
        format: BundleFormat = "json",
    ) -> ImportResult:
        """Import a bundle (file bytes in ``format``, or an already parsed dict)."""
        if isinstance(bundle, (bytes, bytearray)):
            content = bytes(bundle)
            media = "application/yaml" if format == "yaml" else "application/json"
        else:
            content = json.dumps(bundle).encode()
            media = "application/json"
        path = f"/projects/{_seg(slug or self.project)}/import"
        result = self._json(
            "POST",
            path,
            params=_query(on_conflict=on_conflict),
            content=content,
            headers={"Content-Type": media},
            in_project=False,
        )
        return cast(ImportResult, result)

    # -- identity ---------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """Who this client acts as: ``{"actor": {...}}``."""
        return cast(dict[str, Any], self._json("GET", "/auth/me", in_project=False))
