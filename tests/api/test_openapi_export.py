"""console/openapi.json (the console's generated types come from it) matches the server."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _exporter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "export_openapi", ROOT / "scripts" / "export_openapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_console_openapi_document_is_current() -> None:
    expected = _exporter().render()
    actual = (ROOT / "console" / "openapi.json").read_text(encoding="utf-8")
    assert actual == expected, (
        "console/openapi.json is stale: run `python scripts/export_openapi.py` and "
        "`npm --prefix console run gen:api`"
    )


def test_every_success_answer_is_described() -> None:
    """A 2xx answer with a body names its schema, so the console's type is not `unknown`.

    Downloads (exports) and /readyz answer files or free-form health and are listed.
    """
    spec = json.loads(_exporter().render())
    free_form = {
        ("get", "/api/v1/projects/{slug}/export"),
        ("get", "/api/v1/audit/export"),
        ("get", "/readyz"),
    }
    undescribed = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation.get("responses", {}).items():
                if not code.startswith("2") or code == "204" or (method, path) in free_form:
                    continue
                schemas = [c.get("schema", {}) for c in answer.get("content", {}).values()]
                if not schemas or any(schema == {} for schema in schemas):
                    undescribed.append(f"{method.upper()} {path} {code}")
    assert undescribed == []
