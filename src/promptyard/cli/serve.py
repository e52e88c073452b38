"""``promptyard serve``: migrate, bootstrap, build the app and run uvicorn. Nothing else."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any

import typer
from rich.console import Console


def _fast_loop_options() -> dict[str, Any]:
    """httptools and uvloop when installed (uvicorn[standard]); uvicorn's defaults otherwise."""
    options: dict[str, Any] = {}
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    return options


def _display_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)
    ] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed sample prompts (skipped if any exist).")
    ] = False,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
) -> None:
    """Run the server: API, web console and health checks, on one port.

    Migrates the database first, and creates the PROMPTYARD_INIT_* accounts if absent.
    """
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from promptyard.cli._common import fail
    from promptyard.cli.demo import seed
    from promptyard.cli.operations.db import open_store, safe_url
    from promptyard.config import load_settings
    from promptyard.server.app import create_app
    from promptyard.services.identity import auth
    from promptyard.store import migrate
    from promptyard.wiring import build_core

    console = Console(stderr=True, highlight=False)
    settings = load_settings()
    url = settings.resolved_database_url()
    store = open_store(url)
    try:
        migrate.upgrade(store)
    except SQLAlchemyError as exc:
        fail(f"cannot migrate the database {safe_url(url)}: {getattr(exc, 'orig', None) or exc}")
    core = build_core(settings, store)
    auth.bootstrap(core)
    if demo:
        made = seed(core)
        console.print(
            f"demo: seeded {made} prompts" if made else "demo: prompts exist, nothing seeded"
        )
    app = create_app(core)
    console.print(f"Promptyard on [bold]{_display_url(host, port)}[/bold]", soft_wrap=True)
    if not (settings.init_api_key or (settings.init_admin_email and settings.init_admin_password)):
        console.print(
            "[yellow]no PROMPTYARD_INIT_* credentials set.[/yellow] To create an admin on "
            "start, set PROMPTYARD_INIT_ADMIN_EMAIL and PROMPTYARD_INIT_ADMIN_PASSWORD (console "
            "sign-in) and/or PROMPTYARD_INIT_API_KEY (CLI and SDK), e.g.\n"
            "  export PROMPTYARD_INIT_API_KEY=py_$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')",
            soft_wrap=True,
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        **_fast_loop_options(),
    )
