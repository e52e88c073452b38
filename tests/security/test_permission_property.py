"""Property: whatever the sequence of role changes, a request succeeds only with the
permission, and is refused (403) only without it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptyard.domain.actor import PERMISSIONS, ROLES
from promptyard.server.permissions import ROUTE_PERMISSIONS
from promptyard.services.context import Core
from tests.security._setup import CALLS, add_key, default_workspace_id, send, set_key_role

#: Representative routes: reads, writes, labels, execution, review, admin-only ones.
REPRESENTATIVE = [
    ("GET", "/api/v1/prompts/{name}"),
    ("GET", "/api/v1/prompts"),
    ("PATCH", "/api/v1/prompts/{name}"),
    ("PUT", "/api/v1/prompts/{name}/labels/{label}"),
    ("POST", "/api/v1/prompts/execute"),
    ("GET", "/api/v1/projects/{slug}/export"),
    ("POST", "/api/v1/projects/{slug}/import"),
    ("GET", "/api/v1/change-requests/{request_id}"),
    ("POST", "/api/v1/change-requests/{request_id}/approve"),
    ("GET", "/api/v1/members"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/audit/verify"),
]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("role"), st.sampled_from(ROLES)),
        st.tuples(st.just("call"), st.sampled_from(REPRESENTATIVE)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps)
def test_no_request_outruns_the_role(
    steps: list[tuple[str, object]], core: Core, client: TestClient, keys: dict[str, str]
) -> None:
    token = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="prop")
    role = "viewer"
    try:
        for kind, value in steps:
            if kind == "role":
                assert isinstance(value, str)
                role = value
                set_key_role(core, token, role)
                continue
            assert isinstance(value, tuple)
            method, _path = value
            permission = ROUTE_PERMISSIONS[value]
            response = send(client, method, CALLS[value], token)
            holds = role in PERMISSIONS[permission]
            if not holds:
                assert response.status_code == 403, (role, value, response.text)
            else:
                assert response.status_code != 403, (role, value, response.text)
                assert response.status_code != 401
    finally:
        from sqlalchemy import delete

        from promptyard.services.identity import auth
        from promptyard.store.models import SqlApiKey

        with core.store.write() as session:
            session.execute(delete(SqlApiKey).where(SqlApiKey.key_hash == auth.hash_secret(token)))
        core.actors.clear()
