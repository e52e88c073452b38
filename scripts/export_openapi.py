"""Write console/openapi.json, the server's OpenAPI document the console's types come from.

    python scripts/export_openapi.py          # rewrite console/openapi.json
    python scripts/export_openapi.py --check  # exit 1 if console/openapi.json is stale

The document is built from the app itself (a throw-away SQLite database in a temporary
folder; default settings, no installed plugins), written with sorted keys so a diff shows
only what changed. After writing it, `npm --prefix console run gen:api` regenerates
`console/src/api/schema.d.ts`; `npm run lint` checks that file against this one, and
tests/api/test_openapi_export.py checks this one against the server.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "console" / "openapi.json"


def render() -> str:
    """The app's OpenAPI document as the file holds it."""
    from promptyard.config import Settings
    from promptyard.server.app import create_app
    from promptyard.wiring import build_core

    with tempfile.TemporaryDirectory(prefix="promptyard-openapi-") as data_dir:
        core = build_core(Settings(data_dir=Path(data_dir)), entry_points=False)
        try:
            spec: dict[str, Any] = create_app(core, static_dir=None).openapi()
        finally:
            core.store.dispose()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render()
    name = TARGET.relative_to(ROOT)
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{name} is stale: run python scripts/export_openapi.py, then")
            print("npm --prefix console run gen:api")
            return 1
        print(f"{name} is up to date")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {name}; now run npm --prefix console run gen:api")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
