"""Folders, tags, projects, full-text search, filters, paging and sorting of the prompt list."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient

from tests.api._helpers import (
    API,
    PROMPTS,
    create,
    new_project,
    ok,
    patch,
    set_label,
)
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

SEED: list[dict[str, Any]] = [
    {
        "name": "welcome-email",
        "content": "Hello {{ name }}, welcome aboard!",
        "folder": "support/email",
        "tags": ["email", "cx"],
        "description": "Greets new customers",
        "metadata": {"owner": "cx", "tier": "gold"},
    },
    {
        "name": "refund-reply",
        "content": "We have processed your refund.",
        "folder": "support/refunds",
        "tags": ["cx"],
        "description": "Handles refund requests",
        "metadata": {"owner": "billing", "tier": "gold"},
    },
    {
        "name": "summary",
        "type": "chat",
        "content": [{"role": "system", "content": "Summarize the conversation briefly."}],
        "folder": "tools",
        "tags": ["internal"],
        "metadata": {"owner": "cx"},
    },
    {"name": "root-note", "content": "alpha giraffe"},
    {"name": "supporter", "content": "Thanks for your support", "folder": "supportive"},
]


def _seed(client: TestClient) -> dict[str, dict[str, Any]]:
    return {item["name"]: create(client, **item) for item in SEED}


def _names(client: TestClient, **params: Any) -> list[str]:
    body = ok(client.get(PROMPTS, params=params))
    names = [item["name"] for item in body["items"]]
    assert body["total"] >= len(names)
    return names


def _set(client: TestClient, **params: Any) -> set[str]:
    names = _names(client, **params)
    assert len(names) == len(set(names))
    return set(names)


def test_folders_and_folder_filter_includes_subfolders(app_client: TestClient) -> None:
    _seed(app_client)
    folders = {f["path"]: f["count"] for f in ok(app_client.get(f"{API}/folders"))["items"]}
    assert folders["support/email"] == 1
    assert folders["support/refunds"] == 1
    assert folders["tools"] == 1
    assert folders["supportive"] == 1
    assert folders.get("", 0) == 1
    assert sum(count for path, count in folders.items() if path.count("/") == 1) == 2

    assert _set(app_client, folder="support") == {"welcome-email", "refund-reply"}
    assert _set(app_client, folder="support/") == {"welcome-email", "refund-reply"}
    assert _set(app_client, folder="support/email") == {"welcome-email"}
    assert _set(app_client, folder="supportive") == {"supporter"}
    assert _set(app_client, folder="nowhere") == set()

    ok(
        app_client.post(
            f"{PROMPTS}/bulk",
            json={"action": "move", "names": ["root-note"], "folder": "support/email/deep"},
        )
    )
    assert _set(app_client, folder="support/email") == {"welcome-email", "root-note"}
    folders = {f["path"]: f["count"] for f in ok(app_client.get(f"{API}/folders"))["items"]}
    assert folders["support/email/deep"] == 1 and folders.get("", 0) == 0


def test_folder_filter_matches_folder_names_literally(app_client: TestClient) -> None:
    """``_`` is a legal folder character, not a wildcard; ``%`` is no wildcard either."""
    create(app_client, "under", "u", folder="team_a/x")
    create(app_client, "lookalike", "l", folder="teamXa/y")
    create(app_client, "plain", "p", folder="team_a")
    assert _set(app_client, folder="team_a") == {"under", "plain"}
    assert _set(app_client, folder="team_a/x") == {"under"}
    assert _set(app_client, folder="%") == set()
    assert _set(app_client, folder="team%") == set()


def test_tags_counts_and_all_tags_must_match(app_client: TestClient) -> None:
    _seed(app_client)
    tags = {t["name"]: t["count"] for t in ok(app_client.get(f"{API}/tags"))["items"]}
    assert tags == {"cx": 2, "email": 1, "internal": 1}
    assert _set(app_client, tag="cx") == {"welcome-email", "refund-reply"}
    assert _set(app_client, tag=["cx", "email"]) == {"welcome-email"}
    assert _set(app_client, tag=["cx", "internal"]) == set()
    assert _set(app_client, tag="nope") == set()


def test_metadata_filter(app_client: TestClient) -> None:
    _seed(app_client)
    assert _set(app_client, **{"meta.owner": "cx"}) == {"welcome-email", "summary"}
    assert _set(app_client, **{"meta.tier": "gold"}) == {"welcome-email", "refund-reply"}
    assert _set(app_client, **{"meta.owner": "cx", "meta.tier": "gold"}) == {"welcome-email"}
    assert _set(app_client, **{"meta.owner": "nobody"}) == set()
    assert _set(app_client, **{"meta.missing": "x"}) == set()


def test_metadata_filter_matches_numbers_and_booleans(app_client: TestClient) -> None:
    """``meta.<key>=<value>`` compares the query text with the stored value on both backends."""
    create(app_client, "typed", "x", metadata={"priority": 3, "enabled": True, "name": "3"})
    create(app_client, "other", "y", metadata={"priority": 4, "enabled": False})
    assert _set(app_client, **{"meta.name": "3"}) == {"typed"}
    assert _set(app_client, **{"meta.priority": "3"}) == {"typed"}
    assert _set(app_client, **{"meta.enabled": "true"}) == {"typed"}


SEARCHES = [
    ("welcome", {"welcome-email"}),
    ("welc", {"welcome-email"}),  # prefix
    ("greets", {"welcome-email"}),  # description
    ("abo", {"welcome-email"}),  # content, prefix
    ("refund", {"refund-reply"}),
    ("processed refund", {"refund-reply"}),  # every word must match
    ("conversation", {"summary"}),  # chat message content
    ("SUMMAR", {"summary"}),  # case-insensitive
    ("giraffe", {"root-note"}),
    ("zzzz", set()),
]


def test_full_text_search(app_client: TestClient) -> None:
    _seed(app_client)
    found = {q: _set(app_client, q=q) for q, _ in SEARCHES}
    assert found == dict(SEARCHES)
    # Query syntax of the search engines is not exposed: odd input is just text.
    for q in ('"', "*", "(", "NOT", "OR welcome", "a:b", "x'y", "-", "NEAR(a b)", "日本語", "&|!"):
        response = app_client.get(PROMPTS, params={"q": q})
        assert response.status_code == 200, (q, response.text)


def test_search_follows_the_latest_content_and_descriptions(app_client: TestClient) -> None:
    _seed(app_client)
    ok(patch(app_client, "root-note", content="alpha zebra"))
    assert _set(app_client, q="zebra") == {"root-note"}
    assert _set(app_client, q="giraffe") == set()
    ok(patch(app_client, "refund-reply", description="Money back answers"))
    assert _set(app_client, q="money") == {"refund-reply"}
    ok(app_client.delete(f"{PROMPTS}/root-note"), 204)
    assert _set(app_client, q="zebra") == set()
    assert _set(app_client, q="zebra", deleted="include") == {"root-note"}
    assert _set(app_client, deleted="only") == {"root-note"}


def test_filters_label_author_type_and_time(
    app_client: TestClient, anon_client: TestClient
) -> None:
    seeded = _seed(app_client)
    ok(set_label(app_client, "refund-reply", "production", 1))
    assert _set(app_client, label="production") == {"refund-reply"}
    assert _set(app_client, label="latest") == set(seeded)
    assert _set(app_client, type="chat") == {"summary"}
    assert _set(app_client, type="text") == set(seeded) - {"summary"}

    # A change by a signed-in user makes them the last author.
    ok(
        anon_client.post(
            f"{API}/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
    )
    csrf = anon_client.cookies.get("promptyard_csrf")
    assert csrf
    edited = ok(
        anon_client.patch(
            f"{PROMPTS}/summary",
            json={"description": "edited by a person"},
            headers={"X-CSRF-Token": csrf},
        )
    )
    assert edited["updated_by"] == ADMIN_EMAIL
    assert _set(app_client, author=ADMIN_EMAIL) == {"summary"}
    assert _set(app_client, author="key:bootstrap-admin") == set(seeded) - {"summary"}

    current = {p["name"]: p["updated_at"] for p in ok(app_client.get(PROMPTS))["items"]}
    assert len(current) == len(seeded)
    pivot = sorted(current.values())[2]
    after = {name for name, stamp in current.items() if stamp >= pivot}
    before = {name for name, stamp in current.items() if stamp <= pivot}
    assert len(after) == 3 and len(before) == 3
    assert _set(app_client, updated_after=pivot) == after
    assert _set(app_client, updated_before=pivot) == before
    assert _set(app_client, updated_after=pivot, updated_before=pivot) == after & before
    shifted = (
        datetime.fromisoformat(pivot.replace("Z", "+00:00"))
        .astimezone(timezone(timedelta(hours=2)))
        .isoformat()
    )
    assert _set(app_client, updated_after=shifted) == after  # same instant, other offset
    assert _set(app_client, updated_after="2999-01-01T00:00:00Z") == set()
    assert _set(app_client, updated_before="2000-01-01T00:00:00+00:00") == set()


def test_paging_and_sorting(app_client: TestClient) -> None:
    names = [item["name"] for item in SEED]
    _seed(app_client)
    pages: list[str] = []
    for offset in range(0, 6, 2):
        body = ok(app_client.get(PROMPTS, params={"limit": 2, "offset": offset, "sort": "name"}))
        assert body["total"] == 5 and body["limit"] == 2 and body["offset"] == offset
        assert len(body["items"]) == min(2, 5 - offset)
        pages += [item["name"] for item in body["items"]]
    assert pages == sorted(names)
    assert ok(app_client.get(PROMPTS, params={"offset": 10}))["items"] == []

    assert _names(app_client, sort="name") == sorted(names)
    assert _names(app_client, sort="-name") == sorted(names, reverse=True)
    assert _names(app_client, sort="created_at") == names
    assert _names(app_client, sort="-created_at") == names[::-1]
    ok(patch(app_client, "refund-reply", content="updated last"))
    assert _names(app_client)[0] == "refund-reply"  # default: -updated_at
    assert _names(app_client, sort="updated_at")[-1] == "refund-reply"
    assert _names(app_client, sort="-updated_at")[0] == "refund-reply"
    assert _names(app_client, sort="created_at") == names  # creation order is unchanged
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"sort": "size"}):
        response = app_client.get(PROMPTS, params=bad)
        assert response.status_code == 422, bad


def test_projects_isolate_names_search_folders_and_tags(app_client: TestClient) -> None:
    _seed(app_client)
    new_project(app_client, "lab")
    create(app_client, "welcome-email", "Lab welcome", project="lab", tags=["lab"], folder="x")
    lab = ok(app_client.get(PROMPTS, params={"project": "lab", "q": "welcome"}))
    assert [(p["name"], p["project"]) for p in lab["items"]] == [("welcome-email", "lab")]
    assert ok(app_client.get(f"{API}/tags", params={"project": "lab"}))["items"] == [
        {"name": "lab", "count": 1}
    ]
    assert ok(app_client.get(f"{API}/folders", params={"project": "lab"}))["items"] == [
        {"path": "x", "count": 1}
    ]
    default = ok(app_client.get(PROMPTS, params={"q": "welcome"}))
    assert [(p["name"], p["project"]) for p in default["items"]] == [("welcome-email", "default")]
    assert _set(app_client, tag="lab") == set()
