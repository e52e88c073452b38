"""Docs that cannot go stale: every setting and every API route is documented."""

from __future__ import annotations

import re
from pathlib import Path

from promptyard.config import Settings
from promptyard.server.app import create_app
from promptyard.services.context import Core

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _shape(path: str) -> str:
    """``/prompts/{name}/labels/{label}`` → ``/prompts/{}/labels/{}``."""
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def test_every_setting_is_documented() -> None:
    text = (DOCS / "deployment.md").read_text()
    for name in Settings.model_fields:
        assert f"PROMPTYARD_{name.upper()}" in text, f"{name} missing from docs/deployment.md"


def test_every_api_route_is_documented(core: Core) -> None:
    text = "\n".join(path.read_text() for path in sorted(DOCS.glob("api*.md")))
    documented = set()
    for match in re.finditer(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:\|[A-Z]+)*) (/[^`?\s]*)", text):
        for method in match.group(1).split("|"):
            documented.add((method, _shape(match.group(2))))
    app = create_app(core, static_dir=None)
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            route = path.removeprefix("/api/v1")
            if not path.startswith("/api/v1"):
                continue
            assert (method.upper(), _shape(route)) in documented, (
                f"{method.upper()} {path} not in api.md"
            )


def test_every_hook_is_documented() -> None:
    from promptyard.plugins.hookspecs import PromptyardSpec

    text = (DOCS / "plugins.md").read_text()
    hooks = [name for name in vars(PromptyardSpec) if not name.startswith("_")]
    assert hooks
    for name in hooks:
        assert getattr(PromptyardSpec, name).__doc__, f"hook {name} has no docstring"
        assert f"`{name}(" in text, f"hook {name} missing from docs/plugins.md"
