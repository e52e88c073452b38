"""Reading what the user gives on the command line: content, variables, metadata, config."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from promptyard.client._types import Content


def _read_source(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror or exc}") from None


def guess_type(file: str | None) -> str:
    """``chat`` for a ``.json`` content file, else ``text``."""
    return "chat" if file and file.endswith(".json") else "text"


def read_content(content: str | None, file: str | None, type_: str) -> Content | None:
    """Content from ``--content`` or ``--file`` (``-``: standard input); chat is JSON."""
    if content is not None and file is not None:
        raise typer.BadParameter("give either --content or --file, not both")
    if content is None and file is None:
        return None
    if file is not None:
        raw = _read_source(file)
    elif content == "-":
        raw = sys.stdin.read()
    else:
        raw = content or ""
    if type_ != "chat":
        return raw
    try:
        messages = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"chat content must be JSON: {exc}") from None
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise typer.BadParameter(
            'chat content must be a JSON list of messages, e.g. [{"role": "user", "content": "Hi"}]'
        )
    return messages


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``k=v`` (a string) or ``k:=json`` (any JSON value) pairs into a dict."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{option} takes KEY=VALUE (or KEY:=JSON), got {pair!r}")
        if key.endswith(":"):
            key = key[:-1]
            try:
                result[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"{option} {key}: the value is not JSON: {exc}") from None
        else:
            result[key] = value
    return result


def read_json_object(path: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(_read_source(path))
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{what} {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{what} {path} must hold a JSON object")
    return data


def parse_config(
    config: str | None,
    *,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    base: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Model config from ``--config JSON`` and the shortcut options, or None if none given."""
    given = {"model": model, "temperature": temperature, "max_tokens": max_tokens}
    shortcuts = {key: value for key, value in given.items() if value is not None}
    if config is None and not shortcuts:
        return None
    result: dict[str, Any] = dict(base or {})
    if config is not None:
        try:
            parsed = json.loads(config)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"--config must be a JSON object: {exc}") from None
        if not isinstance(parsed, dict):
            raise typer.BadParameter("--config must be a JSON object")
        result = parsed
    result.update(shortcuts)
    return result
