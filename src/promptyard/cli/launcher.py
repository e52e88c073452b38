"""The ``promptyard`` command's entry point: the CLI when the server extra is installed,
otherwise a one-line hint instead of a traceback.

``pip install promptyard`` brings the SDK only (httpx and Jinja2); the CLI, the server
and MCP need ``pip install "promptyard[server]"``.
"""

from __future__ import annotations

import sys

#: Top-level modules of the ``server`` extra the CLI imports.
SERVER_MODULES = frozenset(
    {
        "typer",
        "rich",
        "click",
        "fastapi",
        "uvicorn",
        "pydantic",
        "pydantic_settings",
        "sqlalchemy",
        "alembic",
        "psycopg",
        "orjson",
        "yaml",
        "argon2",
        "pluggy",
        "cryptography",
        "mcp",
        "starlette",
    }
)
HINT = 'install promptyard[server] for the command line: pip install "promptyard[server]"'


def main() -> None:
    try:
        from promptyard.cli.main import app
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in SERVER_MODULES:
            raise
        sys.stderr.write(f"promptyard: {exc.name} is not installed; {HINT}\n")
        raise SystemExit(1) from None
    app(prog_name="promptyard")
