"""``pip install promptyard`` is the SDK alone: it imports and compiles prompts without
the server extra's packages, and the CLI says what to install instead of a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Packages of the ``server`` extra (import names).
SERVER_ONLY = [
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "pydantic_settings",
    "orjson",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "typer",
    "rich",
    "click",
    "yaml",
    "argon2",
    "pluggy",
    "cryptography",
    "mcp",
]

BLOCKER = textwrap.dedent(
    f"""
    import sys
    BLOCKED = {SERVER_ONLY!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )


def test_the_sdk_works_without_the_server_extra() -> None:
    result = _run(
        """
        import asyncio
        import promptyard
        from promptyard import AsyncClient, Client
        from promptyard.client import MissingVariablesError

        with Client("http://127.0.0.1:9", "key", timeout=1) as client:
            prompt = client.get_prompt("greet", fallback="Hi {{ who }}{{ x | default('') }}")
            assert prompt.is_fallback and prompt.compile(who="Ada") == "Hi Ada"
            try:
                prompt.compile()
            except MissingVariablesError as exc:
                assert exc.missing == ["who"]

        async def main():
            async with AsyncClient("http://127.0.0.1:9", "key", timeout=1) as client:
                fallback = [{"role": "user", "content": "{{ q }}"}]
                chat = await client.get_prompt("c", fallback=fallback)
                return chat.compile(q="?")

        assert asyncio.run(main()) == [{"role": "user", "content": "?"}]
        leaked = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
        assert not leaked, leaked
        print("ok", promptyard.__version__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_the_cli_without_the_server_extra_says_what_to_install() -> None:
    result = _run("import runpy; runpy.run_module('promptyard', run_name='__main__')")
    assert result.returncode == 1
    assert "install promptyard[server]" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_base_dependencies_are_the_sdk_s_and_dev_includes_the_server() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = sorted(d.split(">")[0].split("=")[0].split("[")[0] for d in project["dependencies"])
    assert names == ["httpx", "jinja2"]
    extras = project["optional-dependencies"]
    assert "promptyard[server]" in extras["dev"]
    assert any(d.startswith("fastapi") for d in extras["server"])
