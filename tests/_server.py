"""A real Promptyard server in a subprocess, for the CLI and SDK tests.

``python -m promptyard serve`` on a free port, with a fresh data folder and an init API
key; :func:`running_server` waits for ``/healthz`` and stops the process afterwards.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

import promptyard

SRC_DIR = Path(promptyard.__file__).resolve().parent.parent
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    api_key: str
    data_dir: Path
    log: Path

    def env(self) -> dict[str, str]:
        """Environment for CLI invocations against this server."""
        return {"PROMPTYARD_URL": self.url, "PROMPTYARD_API_KEY": self.api_key}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMPTYARD_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SRC_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["PROMPTYARD_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


@contextmanager
def running_server(base_dir: Path, *, demo: bool = False) -> Iterator[LiveServer]:
    """Start a server with its own data folder; yield once it answers ``/healthz``."""
    data_dir = base_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = base_dir / "server.log"
    api_key = "py_test_" + secrets.token_urlsafe(16)
    port = free_port()
    command = [sys.executable, "-m", "promptyard", "serve", "--port", str(port)]
    if demo:
        command.append("--demo")
    env = server_env(data_dir, PROMPTYARD_INIT_API_KEY=api_key)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=base_dir
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url, log)
        yield LiveServer(url=url, api_key=api_key, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {process.returncode} before it was ready:\n"
                    + log.read_text(errors="replace")
                )
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(
        f"the server did not answer /healthz within {START_TIMEOUT:g} s:\n"
        + log.read_text(errors="replace")
    )
