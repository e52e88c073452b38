"""``promptyard provider add|list|show|update|remove|models`` and ``provider price``.

Through the SDK (``Client.create_provider`` ...). A provider's API key is read from an
environment variable (``--key-env``) or standard input (``--key-stdin``), never from the
command line, where shell history and ``ps`` would keep it; the server stores it
encrypted and shows it masked.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    UrlOpt,
    connect,
    fail,
    out,
    print_json,
)
from promptyard.cli._inputs import parse_pairs

provider_app = typer.Typer(
    help="The workspace's model provider connections (keys shown masked).", no_args_is_help=True
)
price_app = typer.Typer(
    help="The workspace's own model prices (USD per million tokens).", no_args_is_help=True
)

provider_app.add_typer(price_app, name="price")

NameArg = Annotated[str, typer.Argument(help="Connection name (a-z, 0-9, _ and -).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="The provider's URL.", show_default=False)
]
KeyEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--key-env",
        metavar="VAR",
        help="Read the provider's API key from this environment variable.",
        show_default=False,
    ),
]
KeyStdinOpt = Annotated[
    bool, typer.Option("--key-stdin", help="Read the provider's API key from standard input.")
]
ModelOpt = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="A model to offer (repeat).", show_default=False),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="A default parameter, KEY=VALUE or KEY:=JSON (repeat).",
        show_default=False,
    ),
]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        help="A kind-specific option, KEY=VALUE or KEY:=JSON (repeat); replaces all options.",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=0.001, max=600, help="Seconds per call.", show_default=False),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--max-concurrency", min=1, max=256, help="Calls in flight at once.", show_default=False
    ),
]


def _key(key_env: str | None, key_stdin: bool) -> str | None:
    if key_env and key_stdin:
        fail("give --key-env or --key-stdin, not both")
    if key_env:
        value = os.environ.get(key_env)
        if not value:
            fail(f"the environment variable {key_env} is not set or empty")
        return value
    if key_stdin:
        value = sys.stdin.readline().strip()
        if not value:
            fail("no API key on standard input")
        return value
    return None


def _fields(
    base_url: str | None,
    key: str | None,
    models: list[str] | None,
    params: list[str] | None,
    options: list[str] | None,
    timeout: float | None,
    max_concurrency: int | None,
) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "api_key": key,
        "models": models or None,
        "default_params": parse_pairs(params, "--param") if params else None,
        "options": parse_pairs(options, "--option") if options else None,
        "timeout_seconds": timeout,
        "max_concurrency": max_concurrency,
    }


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("name", "kind", "base url", "key", "models", "limit"):
        table.add_column(column, overflow="fold")
    for item in items:
        models = item["models"]
        table.add_row(
            Text(item["name"]),
            Text(item["kind"]),
            Text(item["base_url"] or "-"),
            Text(item["api_key_hint"] or "-"),
            Text(", ".join(models[:5]) + (f" (+{len(models) - 5})" if len(models) > 5 else "")),
            str(item["max_concurrency"]),
        )
    return table


def _show(item: dict[str, Any]) -> None:
    console = out()
    for key in ("name", "kind", "base_url", "api_key_hint", "timeout_seconds", "max_concurrency"):
        value = item.get(key)
        console.print(Text(f"{key}: {'-' if value is None else value}"))
    console.print(Text(f"models: {', '.join(item['models']) or '-'}"))
    console.print(Text(f"default_params: {item['default_params'] or '-'}"))
    console.print(Text(f"options: {item['options'] or '-'}"))
    console.print(Text(f"updated: {item['updated_at']} (created by {item['created_by']})"))


@provider_app.command("add")
def add(
    name: NameArg,
    kind: Annotated[
        str, typer.Option("--kind", help="Provider kind: openai, azure_openai, anthropic, fake…")
    ],
    base_url: BaseUrlOpt = None,
    key_env: KeyEnvOpt = None,
    key_stdin: KeyStdinOpt = False,
    model: ModelOpt = None,
    param: ParamOpt = None,
    option: OptionOpt = None,
    timeout: TimeoutOpt = None,
    max_concurrency: ConcurrencyOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Add a provider connection (admins)."""
    fields = _fields(
        base_url, _key(key_env, key_stdin), model, param, option, timeout, max_concurrency
    )
    with connect(url, api_key, DEFAULT_SLUG) as client:
        created = client.create_provider(name, kind, **fields)
    if as_json:
        print_json(created)
        return
    out().print(Text(f"added provider connection {created['name']} ({created['kind']})"))


@provider_app.command("list")
def list_(as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None) -> None:
    """List the workspace's provider connections."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_providers()
    if as_json:
        print_json(found)
        return
    out().print(_table(found["items"]))


@provider_app.command("show")
def show(
    name: NameArg, as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """Show one connection (its key masked)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.get_provider(name)
    if as_json:
        print_json(found)
        return
    _show(found)


@provider_app.command("update")
def update(
    name: NameArg,
    base_url: BaseUrlOpt = None,
    key_env: KeyEnvOpt = None,
    key_stdin: KeyStdinOpt = False,
    clear_key: Annotated[bool, typer.Option("--clear-key", help="Remove the API key.")] = False,
    clear_base_url: Annotated[
        bool, typer.Option("--clear-base-url", help="Use the kind's default URL.")
    ] = False,
    model: ModelOpt = None,
    param: ParamOpt = None,
    option: OptionOpt = None,
    timeout: TimeoutOpt = None,
    max_concurrency: ConcurrencyOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Change a connection's fields (admins); the ones not given keep their value."""
    key = _key(key_env, key_stdin)
    if clear_key and key is not None:
        fail("give a new key or --clear-key, not both")
    fields = _fields(base_url, key, model, param, option, timeout, max_concurrency)
    clear = tuple(
        field for field, wanted in (("api_key", clear_key), ("base_url", clear_base_url)) if wanted
    )
    with connect(url, api_key, DEFAULT_SLUG) as client:
        updated = client.update_provider(name, clear=clear, **fields)
    if as_json:
        print_json(updated)
        return
    out().print(Text(f"updated provider connection {updated['name']}"))


@provider_app.command("remove")
def remove(name: NameArg, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None) -> None:
    """Remove a connection and its stored key (admins)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.delete_provider(name)
    out().print(Text(f"removed provider connection {name}"))


@provider_app.command("models")
def models(
    name: NameArg, as_json: JsonOpt = False, url: UrlOpt = DEFAULT_URL, api_key: ApiKeyOpt = None
) -> None:
    """The connection's models: from the provider where it lists them, else configured."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_provider_models(name)
    if as_json:
        print_json(found)
        return
    console = out()
    for item in found["items"]:
        console.print(Text(item["id"]))
    note = f"{len(found['items'])} model(s), {found['source']}"
    if found.get("error"):
        note += f" (the provider's list failed: {found['error']})"
    console.print(Text(note), style="dim")


@price_app.command("list")
def price_list(
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List the workspace's price overrides."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        found = client.list_prices(model)
    if as_json:
        print_json(found)
        return
    table = Table(box=None, header_style="bold")
    for column in ("id", "model", "provider", "input", "output", "cached input", "from"):
        table.add_column(column, overflow="fold")
    for item in found["items"]:
        cached = item["cached_input_per_mtok"]
        table.add_row(
            str(item["id"]),
            Text(item["model"]),
            Text(item["provider"] or "any"),
            f"{item['input_per_mtok']:g}",
            f"{item['output_per_mtok']:g}",
            "-" if cached is None else f"{cached:g}",
            str(item["effective_from"])[:19].replace("T", " "),
        )
    out().print(table)


@price_app.command("set")
def price_set(
    model: Annotated[str, typer.Argument(help="Model name, as generations record it.")],
    input_price: Annotated[
        float, typer.Option("--input", min=0, help="USD per million input tokens.")
    ],
    output_price: Annotated[
        float, typer.Option("--output", min=0, help="USD per million output tokens.")
    ],
    cached_input: Annotated[
        float | None,
        typer.Option("--cached-input", min=0, help="USD per million cached input tokens."),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only on this provider.")
    ] = None,
    effective_from: Annotated[
        datetime | None,
        typer.Option("--from", help="In force from this time (UTC; default now)."),
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Price a model for this workspace (admins)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        created = client.set_price(
            model,
            input_per_mtok=input_price,
            output_per_mtok=output_price,
            cached_input_per_mtok=cached_input,
            provider=provider,
            effective_from=effective_from,
        )
    if as_json:
        print_json(created)
        return
    out().print(Text(f"price {created['id']} set for {created['model']}"))


@price_app.command("remove")
def price_remove(
    price_id: Annotated[int, typer.Argument(min=1, help="The override's id.")],
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Remove a price override (admins)."""
    with connect(url, api_key, DEFAULT_SLUG) as client:
        client.delete_price(price_id)
    out().print(Text(f"removed price {price_id}"))


def register(app: typer.Typer) -> None:
    """Add this module's command group to the main app."""
    app.add_typer(provider_app, name="provider")
