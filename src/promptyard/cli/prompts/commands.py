"""``promptyard prompt create|get|list|update|render|delete|restore``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import typer
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    ProjectOpt,
    UrlOpt,
    connect,
    fail,
    out,
    print_json,
)
from promptyard.cli._inputs import (
    guess_type,
    parse_config,
    parse_pairs,
    read_content,
    read_json_object,
)
from promptyard.cli._views import content_renderable, prompts_table, show_prompt
from promptyard.client import Client, PromptyardError
from promptyard.client._types import Prompt, Version

PromptType = Literal["text", "chat"]
Name = Annotated[str, typer.Argument(help="Prompt name.", show_default=False)]
ContentOpt = Annotated[
    str | None,
    typer.Option(
        "--content", "-c", help="The content itself ('-' reads standard input).", show_default=False
    ),
]
FileOpt = Annotated[
    str | None,
    typer.Option(
        "--file",
        "-f",
        help="Read the content from a file ('-': standard input); "
        "chat content is a JSON list of {role, content} messages.",
        show_default=False,
    ),
]
TypeOpt = Annotated[
    PromptType | None,
    typer.Option(
        "--type",
        "-t",
        help="text or chat (default: chat for a .json file, else text).",
        show_default=False,
    ),
]
FolderOpt = Annotated[
    str | None,
    typer.Option("--folder", help="Folder path, e.g. support/email.", show_default=False),
]
DescriptionOpt = Annotated[
    str | None, typer.Option("--description", help="What the prompt is for.", show_default=False)
]
TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", help="A tag (repeat for several).", show_default=False)
]
MetaOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--meta", help="Custom metadata KEY=VALUE or KEY:=JSON (repeatable).", show_default=False
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        help='Model config as a JSON object, e.g. \'{"model": "gpt-4o"}\'.',
        show_default=False,
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Config: model.", show_default=False)]
TemperatureOpt = Annotated[
    float | None, typer.Option("--temperature", help="Config: temperature.", show_default=False)
]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Config: max tokens.", show_default=False)
]
MessageOpt = Annotated[
    str, typer.Option("--message", "-m", help="Commit message of the new version.")
]
VersionOpt = Annotated[
    int | None, typer.Option("--version", "-v", help="A version number.", show_default=False)
]
LabelOpt = Annotated[
    str | None, typer.Option("--label", "-l", help="A label, e.g. production.", show_default=False)
]


def create(
    name: Name,
    content: ContentOpt = None,
    file: FileOpt = None,
    type_: TypeOpt = None,
    folder: FolderOpt = None,
    description: DescriptionOpt = None,
    tag: TagOpt = None,
    meta: MetaOpt = None,
    config: ConfigOpt = None,
    model: ModelOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    message: MessageOpt = "",
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Create a prompt (its version 1) from --content or --file."""
    kind: PromptType = type_ or ("chat" if guess_type(file) == "chat" else "text")
    body = read_content(content, file, kind)
    if body is None:
        raise typer.BadParameter("give the content with --content TEXT or --file PATH")
    settings = parse_config(config, model=model, temperature=temperature, max_tokens=max_tokens)
    with connect(url, api_key, project) as client:
        prompt = client.create_prompt(
            name,
            type=kind,
            content=body,
            config=settings,
            folder=folder or "",
            description=description or "",
            tags=tag,
            metadata=parse_pairs(meta, "--meta"),
            commit_message=message,
        )
    if as_json:
        print_json(prompt)
    else:
        out().print(f"created [bold]{prompt['name']}[/bold] v{prompt['latest_version']}")


def get(
    name: Name,
    version: VersionOpt = None,
    label: LabelOpt = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Print only the content (chat: as JSON).")
    ] = False,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show a prompt at a version or label (default: latest)."""
    with connect(url, api_key, project) as client:
        prompt = client.get_prompt_details(name, version=version, label=label)
    if as_json:
        print_json(prompt)
    elif raw:
        selected = prompt.get("version")
        body = selected["content"] if selected else ""
        typer.echo(body if isinstance(body, str) else json.dumps(body, indent=2))
    else:
        show_prompt(out(), prompt)


def list_(
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-q",
            help="Full-text search over name, description, content.",
            show_default=False,
        ),
    ] = None,
    tag: TagOpt = None,
    folder: Annotated[
        str | None, typer.Option("--folder", help="This folder and below.", show_default=False)
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Has this label.", show_default=False)
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="Last updated by.", show_default=False)
    ] = None,
    type_: Annotated[
        PromptType | None, typer.Option("--type", help="Only this type.", show_default=False)
    ] = None,
    meta: Annotated[
        list[str] | None,
        typer.Option(
            "--meta", help="Custom metadata equals: KEY=VALUE (repeatable).", show_default=False
        ),
    ] = None,
    deleted: Annotated[
        Literal["exclude", "include", "only"],
        typer.Option("--deleted", help="Whether deleted prompts are listed."),
    ] = "exclude",
    sort: Annotated[
        str, typer.Option("--sort", help="name, updated_at or created_at; '-' for descending.")
    ] = "-updated_at",
    limit: Annotated[int, typer.Option("--limit", help="Page size.", min=1, max=200)] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Prompts to skip.", min=0)] = 0,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List and search prompts."""
    metadata = {key: str(value) for key, value in parse_pairs(meta, "--meta").items()}
    with connect(url, api_key, project) as client:
        page = client.list_prompts(
            q=search,
            tag=tag,
            folder=folder,
            label=label,
            author=author,
            type=type_,
            metadata=metadata,
            deleted=deleted,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json(page)
        return
    console = out()
    if not page["items"]:
        console.print("no prompts" + (" match" if page["total"] or search or tag else ""))
        return
    console.print(prompts_table(page["items"]))
    shown = len(page["items"])
    if shown < page["total"]:
        console.print(
            f"{page['offset'] + 1}-{page['offset'] + shown} of {page['total']} "
            f"(next: --offset {page['offset'] + shown})"
        )


def update(
    name: Name,
    content: ContentOpt = None,
    file: FileOpt = None,
    type_: Annotated[
        PromptType | None,
        typer.Option(
            "--type", "-t", help="Change the type (needs new content).", show_default=False
        ),
    ] = None,
    folder: FolderOpt = None,
    description: DescriptionOpt = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Replace the tags (repeatable).", show_default=False),
    ] = None,
    meta: Annotated[
        list[str] | None,
        typer.Option(
            "--meta",
            help="Replace the metadata: KEY=VALUE or KEY:=JSON (repeatable).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="Replace the model config with this JSON object.", show_default=False
        ),
    ] = None,
    model: ModelOpt = None,
    temperature: TemperatureOpt = None,
    max_tokens: MaxTokensOpt = None,
    message: MessageOpt = "",
    base_version: Annotated[
        int | None,
        typer.Option(
            "--base-version",
            help="The version your change is based on (default: the branch head the "
            "command reads first); fails with 'stale_version' if the branch moved on.",
            show_default=False,
        ),
    ] = None,
    branch: Annotated[str, typer.Option("--branch", help="Commit to this branch.")] = "main",
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Change a prompt; new content, config or type make a new version."""
    with connect(url, api_key, project) as client:
        head = None
        needs_type = (content is not None or file is not None) and type_ is None
        shortcuts = (model, temperature, max_tokens) != (None, None, None)
        if needs_type or (shortcuts and config is None):
            head = _branch_head(client, name, branch)
        changes: dict[str, Any] = {
            "content": read_content(content, file, type_ or (head["type"] if head else "text")),
            "config": parse_config(
                config,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                base=head["config"] if head else None,
            ),
            "type": type_,
            "folder": folder,
            "description": description,
            "tags": tag,
            "metadata": parse_pairs(meta, "--meta") if meta else None,
            "commit_message": message,
        }
        prompt = _update_based_on(client, name, branch, changes, head, base_version)
    if as_json:
        print_json(prompt)
        return
    version_info = prompt.get("version")
    number = version_info["number"] if version_info else prompt["latest_version"]
    out().print(f"updated [bold]{prompt['name']}[/bold]: v{number} on {branch}")


def _branch_head(client: Client, name: str, branch: str) -> Version | None:
    """The head of ``branch`` (its number, type and config), if the branch exists.

    A new branch's head is the version it started from, which is on another branch."""
    if branch == "main":
        return client.get_prompt_details(name).get("version")
    found = [b["head"] for b in client.list_branches(name)["items"] if b["name"] == branch]
    return client.get_version(name, found[0]) if found and found[0] is not None else None


def _update_based_on(
    client: Client,
    name: str,
    branch: str,
    changes: dict[str, Any],
    head: Version | None,
    base_version: int | None,
) -> Prompt:
    """Send the changes with the version they are based on: ``--base-version``, else the
    head the command read. If the branch moved on since, exit 1 saying what to do."""
    based_on = base_version if base_version is not None or head is None else head["number"]
    try:
        return client.update_prompt(name, **changes, base_version=based_on, branch=branch)
    except PromptyardError as exc:
        if exc.code != "stale_version":
            raise
        details = exc.details if isinstance(exc.details, dict) else {}
        current, based = details.get("current"), details.get("base_version")
        hints = []
        if current is not None and based is not None:
            hints.append(f"see what changed: promptyard prompt diff {name} {based} {current}")
            hints.append(
                f"then run the update again with --base-version {current}"
                if base_version is not None
                else "then run the update again: it applies your change to the new version"
            )
        fail(exc.message, hints=hints)


def render(
    name: Name,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var", help="A variable KEY=VALUE or KEY:=JSON (repeatable).", show_default=False
        ),
    ] = None,
    vars_file: Annotated[
        str | None,
        typer.Option(
            "--vars-file",
            help="Variables from a JSON object file ('-': stdin); --var wins.",
            show_default=False,
        ),
    ] = None,
    version: VersionOpt = None,
    label: LabelOpt = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Render a prompt with variables (text prints as is, chat as messages)."""
    variables: dict[str, Any] = read_json_object(vars_file, "--vars-file") if vars_file else {}
    variables.update(parse_pairs(var, "--var"))
    with connect(url, api_key, project) as client:
        result = client.render(name, variables, version=version, label=label)
    if as_json:
        print_json(result)
    elif isinstance(result["rendered"], str):
        typer.echo(result["rendered"])
    else:
        out().print(content_renderable(result["type"], result["rendered"]))


def delete(
    name: Name,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Delete a prompt (soft: `prompt restore` brings it back)."""
    with connect(url, api_key, project) as client:
        client.delete_prompt(name)
    out().print(Text(f"deleted {name} (restore with: promptyard prompt restore {name})"))


def restore(
    name: Name,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Restore a deleted prompt."""
    with connect(url, api_key, project) as client:
        prompt = client.restore_prompt(name)
    if as_json:
        print_json(prompt)
    else:
        out().print(Text(f"restored {prompt['name']} (v{prompt['latest_version']})"))


def register(app: typer.Typer) -> None:
    app.command("create")(create)
    app.command("get")(get)
    app.command("list")(list_)
    app.command("update")(update)
    app.command("render")(render)
    app.command("delete")(delete)
    app.command("restore")(restore)
