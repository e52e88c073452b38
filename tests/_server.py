"""Live Promptyard servers for tests, and the one free-port helper.

Two ways to run one, both yielding a :class:`LiveServer`:

- :func:`serve_core`: the app over the test's own ``Core``, served by uvicorn in a
  thread. Fast to start, and the test can look at and change the same store; used by
  the ``live_server`` fixture (``tests/conftest.py``).
- :func:`running_server`: ``python -m promptyard serve`` in a process of its own, as an
  operator runs it (migrations, bootstrap, workers). For the CLI and SDK tests, and for
  tests that must kill the server (:meth:`ServerProcess.kill`).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

import promptyard
from promptyard.server.app import create_app
from promptyard.services.context import Core

SRC_DIR = Path(promptyard.__file__).resolve().parent.parent
START_TIMEOUT = 60.0


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """A server answering on a loopback port, and an admin API key it accepts."""

    url: str
    port: int
    api_key: str

    def env(self) -> dict[str, str]:
        """Environment for CLI invocations against this server."""
        return {"PROMPTYARD_URL": self.url, "PROMPTYARD_API_KEY": self.api_key}


@dataclass(frozen=True)
class ServerProcess(LiveServer):
    """A ``promptyard serve`` process, with its data folder and its output."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback runs in the server."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def serve_core(core: Core) -> Iterator[LiveServer]:
    """Serve the app over ``core`` with uvicorn in a thread until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(core, static_dir=None),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, lambda: "" if thread.is_alive() else "the server thread ended")
        yield LiveServer(url=url, port=port, api_key=core.settings.init_api_key or "")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any ``PROMPTYARD_*`` setting of the developer's, plus
    ``PROMPTYARD_DATA_DIR`` and ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMPTYARD_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SRC_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["PROMPTYARD_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def start_process(
    env: Mapping[str, str], *, port: int, log: Path, cwd: Path, demo: bool = False
) -> subprocess.Popen[bytes]:
    """Start ``promptyard serve`` on ``port``; return once it answers ``/healthz``."""
    command = [sys.executable, "-m", "promptyard", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    if demo:
        command.append("--demo")
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd
        )

    def exited() -> str:
        if process.poll() is None:
            return ""
        return f"the server exited with {process.returncode}:\n" + log.read_text(errors="replace")

    try:
        _wait_healthy(f"http://127.0.0.1:{port}", exited, log)
    except BaseException:
        stop_process(process)
        raise
    return process


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_server(
    base_dir: Path,
    *,
    demo: bool = False,
    database_url: str | None = None,
    api_key: str | None = None,
) -> Iterator[ServerProcess]:
    """``promptyard serve`` with its own data folder under ``base_dir`` (and the database
    in it unless ``database_url``); stopped when the block ends."""
    data_dir = base_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = base_dir / "server.log"
    api_key = api_key or "py_test_" + secrets.token_urlsafe(16)
    extra = {"PROMPTYARD_INIT_API_KEY": api_key}
    if database_url is not None:
        extra["PROMPTYARD_DATABASE_URL"] = database_url
    port = free_port()
    process = start_process(
        server_env(data_dir, **extra), port=port, log=log, cwd=base_dir, demo=demo
    )
    try:
        yield ServerProcess(
            url=f"http://127.0.0.1:{port}",
            port=port,
            api_key=api_key,
            process=process,
            data_dir=data_dir,
            log=log,
        )
    finally:
        stop_process(process)


def _wait_healthy(url: str, gone: Callable[[], str], log: Path | None = None) -> None:
    """Poll ``url/healthz`` until it answers 200; ``gone()`` says why waiting is pointless."""
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            reason = gone()
            if reason:
                raise RuntimeError(f"the server is not ready: {reason}")
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    shown = log.read_text(errors="replace") if log is not None else ""
    raise RuntimeError(f"the server did not answer /healthz within {START_TIMEOUT:g} s:\n{shown}")
