"""``promptyard serve``: migrate, bootstrap, build the app and run uvicorn. Nothing else."""

from __future__ import annotations

import fcntl
import gc
import importlib.util
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from fastapi import FastAPI

#: ``http=`` for uvicorn with several workers: httptools with TCP_NODELAY on each socket.
NODELAY_HTTP = "promptyard.server.nodelay:NoDelayHttpToolsProtocol"
#: Held by the one worker process that runs the background jobs (see :func:`worker_app`).
_background_lock: IO[bytes] | None = None


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
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Worker processes (each with its own caches, kept in step through the "
            "database within a second).",
            min=1,
            max=64,
        ),
    ] = 1,
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
    options = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        # Open change streams never end by themselves: close them this long after a
        # shutdown began (their clients reconnect, to another process if there is one).
        "timeout_graceful_shutdown": 5,
        **_fast_loop_options(),
    }
    if workers == 1:
        app = create_app(core)
        freeze_start_up_heap()
        uvicorn.run(app, **options)
        return
    store.dispose()  # each worker process opens its own
    if options.get("http") == "httptools":
        options["http"] = NODELAY_HTTP
    uvicorn.run("promptyard.cli.serve:worker_app", factory=True, workers=workers, **options)


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N`` (the parent migrated the
    database and made the first accounts). Background jobs run in one worker only: the
    first to lock ``serve-background.lock`` in the data folder."""
    from promptyard.cli.operations.db import open_store
    from promptyard.config import load_settings
    from promptyard.server.app import create_app
    from promptyard.wiring import build_core

    settings = load_settings()
    if settings.webhook_worker and not _claim_background(settings.data_dir):
        settings = load_settings(webhook_worker=False)
    app = create_app(build_core(settings, open_store(settings.resolved_database_url())))
    freeze_start_up_heap()
    return app


def freeze_start_up_heap() -> None:
    """Collect once, then move everything built so far (the app, its routes, SQLAlchemy's
    metadata: alive as long as the process) out of the garbage collector's sight, so
    collections while serving stay short. Done here, by the process that serves one app
    for its whole life, not in the app: a process that builds many apps (a test suite)
    would keep every one of them."""
    gc.collect()
    gc.freeze()


def _claim_background(data_dir: Path) -> bool:
    global _background_lock
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "serve-background.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _background_lock = handle  # held (open) for the life of the process
    return True
