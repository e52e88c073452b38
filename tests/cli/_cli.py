"""Running ``promptyard`` in-process, as the CLI tests do."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from promptyard.cli.main import app


class Cli:
    """Runs ``promptyard ARGS`` with CliRunner, the given environment, and an exit check."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None, code: int = 0) -> Result:
        result = self.runner.invoke(app, list(args), env=self.env, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, (
            f"exit {result.exit_code}, wanted {code}\nstdout:\n{result.stdout}\n"
            f"stderr:\n{result.stderr}"
        )
        return result

    def json(self, *args: str, input: str | bytes | None = None) -> Any:
        """Run with ``--json`` and parse standard output."""
        return json.loads(self(*args, "--json", input=input).stdout)
