"""The one MCP server definition of Promptyard, over any :class:`PromptSource`.

Prompts are MCP prompts: ``prompts/list`` gives each prompt's variables as arguments
(required unless the template gives a default), ``prompts/get`` renders one. A version
is chosen with ``name@label`` or ``name@<number>``, or with the optional ``label`` and
``version`` arguments (unless the template has a variable of that name); by default the
``production`` label, else the latest version. Tools: ``search_prompts`` and
``get_prompt_versions``. Built on the SDK's low-level ``Server``, because the prompts
are dynamic and depend on who asks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.models import InitializationOptions
from mcp.shared.exceptions import MCPError

from promptyard.mcp.changes import ChangeWatcher
from promptyard.mcp.source import PromptEntry, PromptSource, Rendered, Selector, SourceError
from promptyard.version import __version__

#: Builds the source for one request: the stdio command returns its one source, the
#: HTTP mount one bound to the request's actor and project.
SourceFactory = Callable[[ServerRequestContext[Any, Any]], PromptSource]

SELECTOR_ARGUMENTS = {
    "label": "Promptyard: the label to render (default: production if set, else the latest)",
    "version": "Promptyard: the version number to render",
}

SEARCH_TOOL = types.Tool(
    name="search_prompts",
    description="Search the prompts you may read, by text (name, description, content) "
    "and tags (all must match).",
    input_schema={
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "words to look for"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
)
VERSIONS_TOOL = types.Tool(
    name="get_prompt_versions",
    description="A prompt's versions, newest first, with labels, author and message.",
    input_schema={
        "type": "object",
        "properties": {"name": {"type": "string", "description": "the prompt's name"}},
        "required": ["name"],
    },
)


def _mcp_error(exc: SourceError) -> MCPError:
    data = {"code": exc.code, "details": exc.details}
    if exc.code == "missing_variables":
        missing = (exc.details or {}).get("missing") or []
        message = f"missing required arguments: {', '.join(missing)}" if missing else exc.message
        return MCPError(types.INVALID_PARAMS, message, data)
    if exc.code in ("not_found", "validation_error", "render_error", "bad_request"):
        return MCPError(types.INVALID_PARAMS, exc.message, data)
    return MCPError(types.INTERNAL_ERROR, exc.message, data)


def parse_name(name: str) -> tuple[str, Selector]:
    """``greeting``, ``greeting@staging`` or ``greeting@3``."""
    base, sep, selector = name.partition("@")
    if not sep:
        return name, Selector()
    if not base or not selector:
        raise MCPError(types.INVALID_PARAMS, f"bad prompt name {name!r}: use name@label or name@3")
    if selector.isdigit():
        return base, Selector(version=int(selector))
    return base, Selector(label=selector)


def _selector_from(arguments: dict[str, str], entry: PromptEntry) -> Selector:
    own = {argument.name for argument in entry.arguments}
    label = arguments.pop("label", None) if "label" not in own else None
    version = arguments.pop("version", None) if "version" not in own else None
    if version is not None and version != "":
        if not version.strip().isdigit() or int(version) < 1:
            raise MCPError(types.INVALID_PARAMS, f"version must be a number >= 1, not {version!r}")
        return Selector(version=int(version))
    if label:
        return Selector(label=label)
    return Selector()


def _variables(arguments: dict[str, str], entry: PromptEntry) -> dict[str, Any]:
    variables: dict[str, Any] = dict(arguments)
    for name in entry.placeholders & set(arguments):
        try:
            variables[name] = json.loads(arguments[name])
        except ValueError:
            raise MCPError(
                types.INVALID_PARAMS,
                f"argument {name!r} takes a JSON list of {{role, content}} messages",
            ) from None
    return variables


def _prompt(entry: PromptEntry) -> types.Prompt:
    arguments = [
        types.PromptArgument(
            name=argument.name,
            required=argument.required,
            description=argument.description or None,
        )
        for argument in entry.arguments
    ]
    own = {argument.name for argument in entry.arguments}
    arguments.extend(
        types.PromptArgument(name=name, required=False, description=description)
        for name, description in SELECTOR_ARGUMENTS.items()
        if name not in own
    )
    description = entry.description or f"{entry.type} prompt, version {entry.version}"
    return types.Prompt(name=entry.name, description=description, arguments=arguments)


def _messages(rendered: Rendered) -> list[types.PromptMessage]:
    if isinstance(rendered.content, str):
        return [types.PromptMessage(role="user", content=types.TextContent(text=rendered.content))]
    # MCP prompt messages are "user" or "assistant": system (and tool) turns go as user.
    return [
        types.PromptMessage(
            role="assistant" if message.get("role") == "assistant" else "user",
            content=types.TextContent(text=str(message.get("content", ""))),
        )
        for message in rendered.content
    ]


def _tool_result(payload: dict[str, Any], *, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(payload, indent=2, default=str))],
        structured_content=payload,
        is_error=error,
    )


class PromptyardServer(Server[dict[str, Any]]):
    """The SDK's server, announcing ``prompts.listChanged`` by default (the streamable
    HTTP session manager builds the initialization options itself)."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(prompts_changed=True),
            experimental_capabilities,
            extensions,
        )


def build_server(source_for: SourceFactory, hub: ChangeWatcher | None = None) -> PromptyardServer:
    """The MCP server; ``hub`` (if given) sends ``list_changed`` to each session."""

    async def list_prompts(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        try:
            entries = await source_for(ctx).list_prompts()
        except SourceError as exc:
            raise _mcp_error(exc) from None
        return types.ListPromptsResult(prompts=[_prompt(entry) for entry in entries])

    async def get_prompt(
        ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        source = source_for(ctx)
        name, selector = parse_name(params.name)
        arguments = dict(params.arguments or {})
        try:
            entry = await source.describe(name, selector)
            if selector.is_default:
                selector = _selector_from(arguments, entry)
            rendered = await source.render(name, selector, _variables(arguments, entry))
        except SourceError as exc:
            raise _mcp_error(exc) from None
        description = f"{name} (version {rendered.version})"
        if entry.description:
            description = f"{description}: {entry.description}"
        return types.GetPromptResult(description=description, messages=_messages(rendered))

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[SEARCH_TOOL, VERSIONS_TOOL])

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        source = source_for(ctx)
        arguments = params.arguments or {}
        try:
            if params.name == SEARCH_TOOL.name:
                query = arguments.get("query")
                tags = arguments.get("tags") or []
                if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                    return _tool_result({"error": "tags must be a list of strings"}, error=True)
                found = await source.search(str(query) if query else None, tags)
                return _tool_result({"prompts": found})
            if params.name == VERSIONS_TOOL.name:
                name = arguments.get("name")
                if not isinstance(name, str) or not name:
                    return _tool_result({"error": "name is required"}, error=True)
                return _tool_result({"name": name, "versions": await source.versions(name)})
        except SourceError as exc:
            if exc.code in ("not_found", "validation_error", "bad_request"):
                return _tool_result({"error": exc.message, "code": exc.code}, error=True)
            raise _mcp_error(exc) from None
        raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name!r}")

    async def initialized(
        ctx: ServerRequestContext[Any, Any], params: types.NotificationParams
    ) -> None:
        if hub is not None:
            source = source_for(ctx)
            await hub.register(getattr(source, "watch_key", id(source)), source, ctx.session)

    server = PromptyardServer(
        "promptyard",
        version=__version__,
        instructions="Prompts of a Promptyard server. Pick a version with name@label or "
        "name@<version>, or the label/version arguments.",
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    server.add_notification_handler(
        "notifications/initialized", types.NotificationParams, initialized
    )
    return server


def initialization_options(server: Server[Any]) -> InitializationOptions:
    """With ``listChanged`` on prompts: the change hub sends it."""
    return server.create_initialization_options(NotificationOptions(prompts_changed=True))
