"""Every route of the app and the permission it needs, in one place.

:data:`ROUTE_PERMISSIONS` maps ``(METHOD, path template)`` (the full path, as FastAPI
formats it: ``/api/v1/prompts/{name}``) to a permission of
:data:`promptyard.domain.actor.PERMISSIONS`, or to one of two markers:

- :data:`PUBLIC`: anyone, no credentials (health checks, sign-in, the console's files);
- :data:`AUTHENTICATED`: any signed-in actor, whatever their role (``/auth/me``).

The table is enforced at request time (``server/deps.py``): the caller must hold the
table's permission *and* the one a route declares with ``require(...)``; a route missing
from the table falls back to its ``require``. tests/security/test_access_matrix.py fails
when a route of :func:`create_app` is missing here, when an entry names no route, or
when a route's ``require`` disagrees with its entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.types import Scope

from promptyard.domain.actor import PERMISSIONS

PUBLIC = "public"
AUTHENTICATED = "authenticated"

_V1 = "/api/v1"
_LF = "/api/public"

ROUTE_PERMISSIONS: dict[tuple[str, str], str] = {
    # service, docs and the console
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # PROMPTYARD_METRICS_TOKEN, when set (server/metrics.py)
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/{path}"): PUBLIC,  # the console's files (only when it is mounted)
    # MCP over streamable HTTP (server/mcp/endpoint.py also checks the project's role)
    ("GET", "/mcp"): "prompt:read",
    ("POST", "/mcp"): "prompt:read",
    ("DELETE", "/mcp"): "prompt:read",
    # the original specification's routes
    ("GET", f"{_V1}/prompts/templates"): "prompt:read",
    ("POST", f"{_V1}/prompts/templates"): "prompt:write",
    ("PUT", f"{_V1}/prompts/templates/{{prompt_id}}"): "prompt:write",
    ("GET", f"{_V1}/prompts/templates/{{prompt_id}}/versions"): "prompt:read",
    ("POST", f"{_V1}/prompts/execute"): "prompt:execute",
    # templates and models
    ("POST", f"{_V1}/templates/validate"): "prompt:read",
    ("POST", f"{_V1}/templates/render"): "prompt:read",
    ("GET", f"{_V1}/models"): "prompt:read",
    # prompts, versions, labels, branches
    # provider connections (keys masked) and the workspace's price overrides
    ("GET", f"{_V1}/providers"): "provider:read",
    ("POST", f"{_V1}/providers"): "provider:manage",
    ("GET", f"{_V1}/providers/prices"): "provider:read",
    ("POST", f"{_V1}/providers/prices"): "provider:manage",
    ("DELETE", f"{_V1}/providers/prices/{{price_id}}"): "provider:manage",
    ("GET", f"{_V1}/providers/{{name}}"): "provider:read",
    ("PATCH", f"{_V1}/providers/{{name}}"): "provider:manage",
    ("DELETE", f"{_V1}/providers/{{name}}"): "provider:manage",
    ("GET", f"{_V1}/providers/{{name}}/models"): "provider:read",
    # the generation record and feedback (original specification: /analytics/feedback)
    ("POST", f"{_V1}/generations/batch"): "generation:write",
    ("GET", f"{_V1}/generations"): "generation:read",
    ("POST", f"{_V1}/generations/recompute-costs"): "provider:manage",
    ("GET", f"{_V1}/projects/{{slug}}/generation-settings"): "generation:read",
    ("PUT", f"{_V1}/projects/{{slug}}/generation-settings"): "project:write",
    ("GET", f"{_V1}/projects/{{slug}}/retention"): "generation:read",
    ("PUT", f"{_V1}/projects/{{slug}}/retention"): "project:write",
    ("GET", f"{_V1}/generations/{{generation_id}}"): "generation:read",
    # analytics over the rollups (server/api/v1/analytics/routes.py)
    ("GET", f"{_V1}/analytics/usage"): "generation:read",
    ("GET", f"{_V1}/analytics/performance"): "generation:read",
    ("GET", f"{_V1}/analytics/costs"): "generation:read",
    ("GET", f"{_V1}/analytics/compare"): "generation:read",
    ("GET", f"{_V1}/analytics/trends"): "generation:read",
    # traces: OTLP ingest (Bearer key or Basic key pair; the key's project) and reading
    ("POST", "/v1/traces"): "generation:write",
    ("POST", f"{_LF}/otel/v1/traces"): "generation:write",
    ("GET", f"{_V1}/traces"): "generation:read",
    ("GET", f"{_V1}/traces/{{trace_id}}"): "generation:read",
    # datasets, evaluators, scores (server/api/v1/evaluation/datasets.py, evaluators.py)
    ("GET", f"{_V1}/datasets"): "dataset:read",
    ("POST", f"{_V1}/datasets"): "dataset:write",
    ("GET", f"{_V1}/datasets/{{name}}"): "dataset:read",
    ("GET", f"{_V1}/datasets/{{name}}/versions"): "dataset:read",
    ("POST", f"{_V1}/datasets/{{name}}/cases"): "dataset:write",
    ("PATCH", f"{_V1}/datasets/{{name}}/cases/{{case_id}}"): "dataset:write",
    ("DELETE", f"{_V1}/datasets/{{name}}/cases/{{case_id}}"): "dataset:write",
    ("POST", f"{_V1}/datasets/{{name}}/import"): "dataset:write",
    ("GET", f"{_V1}/datasets/{{name}}/export"): "dataset:read",
    ("POST", f"{_V1}/datasets/{{name}}/from-generations"): "dataset:write",
    ("GET", f"{_V1}/evaluators"): "evaluation:read",
    ("POST", f"{_V1}/evaluators/test"): "evaluation:run",
    ("GET", f"{_V1}/scores"): "evaluation:read",
    ("GET", f"{_V1}/online-evaluators"): "evaluation:read",
    ("POST", f"{_V1}/online-evaluators"): "evaluation:run",
    ("PATCH", f"{_V1}/online-evaluators/{{name}}"): "evaluation:run",
    ("DELETE", f"{_V1}/online-evaluators/{{name}}"): "evaluation:run",
    # annotation queues (server/api/v1/evaluation/annotation.py)
    ("GET", f"{_V1}/annotation-queues"): "annotation:read",
    ("POST", f"{_V1}/annotation-queues"): "annotation:manage",
    ("GET", f"{_V1}/annotation-queues/{{queue_id}}"): "annotation:read",
    ("PATCH", f"{_V1}/annotation-queues/{{queue_id}}"): "annotation:manage",
    ("DELETE", f"{_V1}/annotation-queues/{{queue_id}}"): "annotation:manage",
    ("GET", f"{_V1}/annotation-queues/{{queue_id}}/items"): "annotation:read",
    ("POST", f"{_V1}/annotation-queues/{{queue_id}}/items"): "annotation:manage",
    ("POST", f"{_V1}/annotation-queues/{{queue_id}}/next"): "annotation:score",
    ("POST", f"{_V1}/annotation-queues/{{queue_id}}/items/{{item_id}}/lease"): "annotation:score",
    ("POST", f"{_V1}/annotation-queues/{{queue_id}}/items/{{item_id}}/skip"): "annotation:score",
    ("POST", f"{_V1}/annotation-queues/{{queue_id}}/items/{{item_id}}/scores"): "annotation:score",
    ("GET", f"{_V1}/annotation-queues/{{queue_id}}/agreement"): "annotation:read",
    # evaluation runs (server/api/v1/evaluation/runs.py)
    ("POST", f"{_V1}/evaluations"): "evaluation:run",
    ("GET", f"{_V1}/evaluations"): "evaluation:read",
    ("GET", f"{_V1}/evaluations/{{run_id}}"): "evaluation:read",
    ("GET", f"{_V1}/evaluations/{{run_id}}/results"): "evaluation:read",
    ("POST", f"{_V1}/evaluations/{{run_id}}/cancel"): "evaluation:run",
    ("POST", f"{_V1}/evaluations/{{run_id}}/resume"): "evaluation:run",
    ("GET", f"{_V1}/evaluations/{{run_id}}/compare"): "evaluation:read",
    ("POST", f"{_V1}/analytics/feedback"): "feedback:write",
    # apps' pages: authenticated by the body's write-only feedback key, in the route
    ("POST", f"{_V1}/analytics/feedback/public"): PUBLIC,
    ("GET", "/feedback.js"): PUBLIC,
    ("GET", f"{_V1}/analytics/feedback"): "generation:read",
    # experiments (server/api/v1/experiments/; promote also needs prompt:label)
    ("GET", f"{_V1}/experiments"): "experiment:read",
    ("POST", f"{_V1}/experiments"): "experiment:manage",
    ("POST", f"{_V1}/experiments/power"): "experiment:read",
    ("POST", f"{_V1}/experiments/offline"): "experiment:read",
    ("GET", f"{_V1}/experiments/offline/runs/{{run_id}}"): "experiment:read",
    ("GET", f"{_V1}/experiments/active"): "prompt:read",  # SDKs assign locally
    ("GET", f"{_V1}/experiments/assignment"): "prompt:read",
    ("GET", f"{_V1}/experiments/{{experiment_id}}"): "experiment:read",
    ("GET", f"{_V1}/experiments/{{experiment_id}}/results"): "experiment:read",
    ("POST", f"{_V1}/experiments/{{experiment_id}}/start"): "experiment:manage",
    ("POST", f"{_V1}/experiments/{{experiment_id}}/stop"): "experiment:manage",
    ("POST", f"{_V1}/experiments/{{experiment_id}}/promote"): "experiment:manage",
    ("GET", f"{_V1}/prompts"): "prompt:read",
    ("POST", f"{_V1}/prompts"): "prompt:write",
    ("POST", f"{_V1}/prompts/bulk"): "prompt:write",
    ("GET", f"{_V1}/prompts/changes"): "prompt:read",  # the change stream (SSE)
    ("GET", f"{_V1}/prompts/{{name}}"): "prompt:read",
    ("PATCH", f"{_V1}/prompts/{{name}}"): "prompt:write",
    ("DELETE", f"{_V1}/prompts/{{name}}"): "prompt:write",
    ("POST", f"{_V1}/prompts/{{name}}/restore"): "prompt:write",
    ("GET", f"{_V1}/prompts/{{name}}/versions"): "prompt:read",
    ("GET", f"{_V1}/prompts/{{name}}/versions/{{number}}"): "prompt:read",
    ("GET", f"{_V1}/prompts/{{name}}/diff"): "prompt:read",
    ("POST", f"{_V1}/prompts/{{name}}/rollback"): "prompt:write",
    ("GET", f"{_V1}/prompts/{{name}}/labels"): "prompt:read",
    ("PUT", f"{_V1}/prompts/{{name}}/labels/{{label}}"): "prompt:label",
    ("DELETE", f"{_V1}/prompts/{{name}}/labels/{{label}}"): "prompt:label",
    ("GET", f"{_V1}/prompts/{{name}}/label-events"): "prompt:read",
    ("GET", f"{_V1}/prompts/{{name}}/branches"): "prompt:read",
    ("POST", f"{_V1}/prompts/{{name}}/branches"): "prompt:write",
    ("POST", f"{_V1}/prompts/{{name}}/branches/{{branch}}/merge"): "prompt:write",
    ("DELETE", f"{_V1}/prompts/{{name}}/branches/{{branch}}"): "prompt:write",
    ("POST", f"{_V1}/prompts/{{name}}/render"): "prompt:read",
    # quality: findings, scores, scans (server/api/v1/quality/)
    ("GET", f"{_V1}/prompts/{{name}}/findings"): "prompt:read",
    ("GET", f"{_V1}/prompts/{{name}}/quality-trend"): "prompt:read",
    ("POST", f"{_V1}/scan"): "prompt:read",
    ("GET", f"{_V1}/quality/rules"): "prompt:read",
    ("GET", f"{_V1}/prompts/{{name}}/similar"): "prompt:read",
    ("GET", f"{_V1}/quality/near-duplicates"): "prompt:read",
    ("POST", f"{_V1}/prompts/{{name}}/review"): "prompt:execute",
    ("GET", f"{_V1}/semantic-search"): "prompt:read",
    ("GET", f"{_V1}/semantic-search/status"): "prompt:read",
    ("GET", f"{_V1}/semantic-search/source"): "provider:read",
    ("PUT", f"{_V1}/semantic-search/source"): "provider:manage",
    ("DELETE", f"{_V1}/semantic-search/source"): "provider:manage",
    ("GET", f"{_V1}/quality/clusters"): "prompt:read",
    ("GET", f"{_V1}/quality/score-correlation"): "prompt:read",
    ("GET", f"{_V1}/mcp-servers"): "provider:read",
    ("POST", f"{_V1}/mcp-servers"): "provider:manage",
    ("GET", f"{_V1}/mcp-servers/references"): "prompt:read",
    ("GET", f"{_V1}/mcp-servers/{{name}}"): "provider:read",
    ("PATCH", f"{_V1}/mcp-servers/{{name}}"): "provider:manage",
    ("DELETE", f"{_V1}/mcp-servers/{{name}}"): "provider:manage",
    ("POST", f"{_V1}/mcp-servers/{{name}}/refresh"): "provider:manage",
    ("GET", f"{_V1}/projects/{{slug}}/quality-policy"): "prompt:read",
    ("PUT", f"{_V1}/projects/{{slug}}/quality-policy"): "policy:manage",
    ("GET", f"{_V1}/folders"): "prompt:read",
    ("GET", f"{_V1}/tags"): "prompt:read",
    # projects
    ("GET", f"{_V1}/projects"): "prompt:read",
    ("POST", f"{_V1}/projects"): "project:write",
    ("GET", f"{_V1}/projects/{{slug}}/export"): "project:export",
    ("POST", f"{_V1}/projects/{{slug}}/import"): "project:import",
    # sign-in
    ("POST", f"{_V1}/auth/login"): PUBLIC,
    ("POST", f"{_V1}/auth/logout"): AUTHENTICATED,
    ("GET", f"{_V1}/auth/me"): AUTHENTICATED,
    ("POST", f"{_V1}/auth/password"): "self:manage",
    ("POST", f"{_V1}/auth/switch"): "self:manage",
    ("POST", f"{_V1}/auth/invitations/accept"): PUBLIC,
    # accounts: users, members, keys, workspaces
    ("GET", f"{_V1}/users"): "member:manage",
    ("POST", f"{_V1}/users"): "account:manage",
    ("PATCH", f"{_V1}/users/{{user_id}}"): "account:manage",
    ("POST", f"{_V1}/users/{{user_id}}/password"): "account:manage",
    ("GET", f"{_V1}/invitations"): "member:manage",
    ("POST", f"{_V1}/invitations"): "member:manage",
    ("DELETE", f"{_V1}/invitations/{{invitation_id}}"): "member:manage",
    ("GET", f"{_V1}/members"): "member:read",
    ("PUT", f"{_V1}/members/{{user_id}}"): "member:manage",
    ("DELETE", f"{_V1}/members/{{user_id}}"): "member:manage",
    ("GET", f"{_V1}/projects/{{slug}}/members"): "member:read",
    ("PUT", f"{_V1}/projects/{{slug}}/members/{{user_id}}"): "member:manage",
    ("DELETE", f"{_V1}/projects/{{slug}}/members/{{user_id}}"): "member:manage",
    ("GET", f"{_V1}/keys"): "self:manage",
    ("POST", f"{_V1}/keys"): "self:manage",
    ("DELETE", f"{_V1}/keys/{{key_id}}"): "self:manage",
    ("GET", f"{_V1}/workspaces"): "self:manage",
    ("POST", f"{_V1}/workspaces"): "self:manage",
    # review workflow
    ("GET", f"{_V1}/projects/{{slug}}/policy"): "review:read",
    ("PUT", f"{_V1}/projects/{{slug}}/policy"): "policy:manage",
    ("POST", f"{_V1}/change-requests"): "review:open",
    ("GET", f"{_V1}/change-requests"): "review:read",
    ("GET", f"{_V1}/change-requests/{{request_id}}"): "review:read",
    ("POST", f"{_V1}/change-requests/{{request_id}}/comments"): "review:comment",
    ("POST", f"{_V1}/change-requests/{{request_id}}/approve"): "review:approve",
    ("POST", f"{_V1}/change-requests/{{request_id}}/request-changes"): "review:approve",
    ("POST", f"{_V1}/change-requests/{{request_id}}/apply"): "review:apply",
    ("POST", f"{_V1}/change-requests/{{request_id}}/close"): "review:open",
    ("POST", f"{_V1}/prompts/{{name}}/lifecycle"): "prompt:write",
    ("GET", f"{_V1}/prompts/{{name}}/impact"): "prompt:read",
    ("POST", f"{_V1}/webhooks"): "webhook:manage",
    ("GET", f"{_V1}/webhooks"): "webhook:manage",
    ("DELETE", f"{_V1}/webhooks/{{webhook_id}}"): "webhook:manage",
    ("GET", f"{_V1}/webhooks/{{webhook_id}}/deliveries"): "webhook:manage",
    ("POST", f"{_V1}/webhooks/{{webhook_id}}/test"): "webhook:manage",
    # audit
    ("GET", f"{_V1}/audit"): "audit:read",
    ("GET", f"{_V1}/audit/verify"): "audit:read",
    ("POST", f"{_V1}/audit/verify"): "audit:read",
    ("GET", f"{_V1}/audit/export"): "audit:read",
    ("GET", f"{_V1}/audit/checkpoints"): "audit:read",
    ("POST", f"{_V1}/audit/checkpoints"): "audit:read",
    # operations: the health score, for every signed-in user (the console's status page)
    ("GET", f"{_V1}/system/health"): AUTHENTICATED,
    # operations: point-in-time restore of a project's prompts (editors and above)
    ("POST", f"{_V1}/projects/{{slug}}/point-in-time-restore"): "prompt:write",
    # operations: the scheduler's jobs, for admins
    ("GET", f"{_V1}/system/jobs"): "audit:read",
    # alerts: budgets, alert rules, channels, fired alerts (server/api/v1/alerts/)
    ("GET", f"{_V1}/budgets"): "alert:read",
    ("POST", f"{_V1}/budgets"): "alert:manage",
    ("GET", f"{_V1}/budgets/{{budget_id}}"): "alert:read",
    ("PATCH", f"{_V1}/budgets/{{budget_id}}"): "alert:manage",
    ("DELETE", f"{_V1}/budgets/{{budget_id}}"): "alert:manage",
    ("GET", f"{_V1}/alert-rules"): "alert:read",
    ("POST", f"{_V1}/alert-rules"): "alert:manage",
    ("GET", f"{_V1}/alert-rules/{{rule_id}}"): "alert:read",
    ("PATCH", f"{_V1}/alert-rules/{{rule_id}}"): "alert:manage",
    ("DELETE", f"{_V1}/alert-rules/{{rule_id}}"): "alert:manage",
    ("GET", f"{_V1}/alert-channels"): "alert:read",
    ("POST", f"{_V1}/alert-channels"): "alert:manage",
    ("DELETE", f"{_V1}/alert-channels/{{channel_id}}"): "alert:manage",
    ("POST", f"{_V1}/alert-channels/{{channel_id}}/test"): "alert:manage",
    ("GET", f"{_V1}/alerts"): "alert:read",
    ("GET", f"{_V1}/alerts/{{alert_id}}"): "alert:read",
    ("POST", f"{_V1}/alerts/{{alert_id}}/acknowledge"): "alert:respond",
    ("POST", f"{_V1}/alerts/{{alert_id}}/silence"): "alert:respond",
    ("DELETE", f"{_V1}/alerts/{{alert_id}}/silence"): "alert:respond",
    ("GET", f"{_V1}/alerts/{{alert_id}}/deliveries"): "alert:read",
    # Langfuse's prompt API (server/api/public/langfuse_prompts.py)
    ("GET", f"{_LF}/v2/prompts"): "prompt:read",
    ("POST", f"{_LF}/v2/prompts"): "prompt:write",
    ("GET", f"{_LF}/v2/prompts/{{name}}"): "prompt:read",
    ("PATCH", f"{_LF}/v2/prompts/{{name}}/versions/{{version}}"): "prompt:label",
}

_MARKERS = frozenset({PUBLIC, AUTHENTICATED})


def is_known(permission: str) -> bool:
    return permission in _MARKERS or permission in PERMISSIONS


def route_key(scope: Scope) -> tuple[str, str] | None:
    """``(METHOD, full path template)`` of the route a request matched, if any."""
    method = scope.get("method", "GET")
    if method == "HEAD":
        method = "GET"
    context: Any = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path_format", None)
    if path is None:
        path = getattr(scope.get("route"), "path_format", None)
    return (method, path) if path is not None else None


def declared_permission(scope: Scope) -> str | None:
    """The table's entry for the request's route (``None`` for a route not in it)."""
    key = route_key(scope)
    return ROUTE_PERMISSIONS.get(key) if key is not None else None


def iter_app_routes(routes: Iterable[Any]) -> Iterator[tuple[str, str, Any]]:
    """``(METHOD, path template, endpoint)`` of every HTTP route (HEAD folded into GET)."""
    from fastapi.routing import iter_route_contexts

    for context in iter_route_contexts(list(routes)):
        methods = context.methods
        path = context.path_format
        if not methods or path is None:
            continue  # mounts (static files) and websockets
        for method in sorted(methods):
            if method == "HEAD" and "GET" in methods:
                continue
            yield method, path, context
