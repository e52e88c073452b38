"""Prompts' references to tools, checked against the MCP servers the workspace declares.

The references are the ``tool-reference`` rule's (``mcp__server__tool`` names and tool
names in instructions); each is matched against the tools last discovered from (or
declared for) the workspace's MCP servers (:mod:`.mcp_servers`):

- ``offered``: a declared server offers it (for ``mcp__server__tool``: that server);
- ``unknown_server``: ``mcp__server__tool`` names a server the workspace does not declare;
- ``not_offered``: no declared server offers a tool of that name.

Each reference that is not offered gets a suggestion: the declared tool whose name is
closest (difflib), or else whose description shares most words with the sentence that
mentions it.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from sqlalchemy import select

from promptyard.domain.errors import ValidationFailed
from promptyard.services.context import Core
from promptyard.services.quality import engine, mcp_servers
from promptyard.services.quality.similarity import _live_versions
from promptyard.store.models import SqlProject

RULE = "tool-reference"
_MCP = re.compile(r"^mcp__([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)__([A-Za-z0-9_-]+)$")
_WORDS = re.compile(r"[a-z]{3,}")
_COMMON_WORDS = (
    "the and for with that this from your you use call tool tools function into when "
    "then them they are was were has have not but all any can will should must"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _catalogue(offered: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """``(server, tool, description)`` of every offered tool."""
    return [
        (server, str(tool.get("name", "")), str(tool.get("description") or ""))
        for server, tools in sorted(offered.items())
        for tool in tools
    ]


def _suggest(
    tool: str, context: str, catalogue: list[tuple[str, str, str]]
) -> dict[str, str] | None:
    if not catalogue:
        return None
    names = [name for _, name, _ in catalogue]
    close = difflib.get_close_matches(tool, names, n=1, cutoff=0.6)
    if close:
        server, name, _ = next(entry for entry in catalogue if entry[1] == close[0])
        why = f"its name is close to '{tool}'"
    else:
        words = set(_WORDS.findall(context.lower())) - _COMMON
        best = max(
            catalogue,
            key=lambda e: len(words & (set(_WORDS.findall(f"{e[1]} {e[2]}".lower())) - _COMMON)),
        )
        shared = words & (set(_WORDS.findall(f"{best[1]} {best[2]}".lower())) - _COMMON)
        if not shared:
            return None
        server, name, _ = best
        why = f"its description shares: {', '.join(sorted(shared)[:5])}"
    return {
        "server": server,
        "tool": name,
        "reference": f"mcp__{server}__{name}",
        "message": f"Use '{name}' of MCP server '{server}' ({why}).",
    }


def _classify(tool: str, offered: dict[str, list[dict[str, Any]]]) -> tuple[str, str | None, str]:
    """``(status, server, bare tool name)``."""
    match = _MCP.match(tool)
    if match is not None:
        server, name = match.group(1), match.group(2)
        if server not in offered:
            return "unknown_server", server, name
        names = {t.get("name") for t in offered[server]}
        return ("offered" if name in names else "not_offered"), server, name
    for server, tools in sorted(offered.items()):
        if any(t.get("name") == tool for t in tools):
            return "offered", server, tool
    return "not_offered", None, tool


def _references(core: Core, name: str, content: Any, config: dict[str, Any]) -> list[Any]:
    rule = core.quality_rules.get(RULE)
    if rule is None:
        return []
    ctx = engine.rule_context(name=name, type_="text", content=content, config=config, variables=())
    found = []
    for hit in rule.check(ctx):
        message = next((m for m in ctx.messages if m.index == hit.message), None)
        if message is None:
            continue
        line_start = message.text.rfind("\n", 0, hit.start) + 1
        line_end = message.text.find("\n", hit.end)
        context = message.text[line_start : line_end if line_end >= 0 else len(message.text)]
        line = message.text.count("\n", 0, hit.start) + 1
        found.append((message.text[hit.start : hit.end].strip("`"), line, context[:300]))
    return found


def project_references(
    core: Core, *, project_id: int, label: str | None = None, limit: int = 2_000
) -> dict[str, Any]:
    """Every tool reference of the project's live prompts (at ``label``, default latest),
    with whether a declared MCP server offers it and a suggestion when none does."""
    from promptyard.domain.schemas import LATEST_LABEL

    if limit < 1:
        raise ValidationFailed("limit must be at least 1")
    with core.store.read() as session:
        workspace_id = session.scalar(
            select(SqlProject.workspace_id).where(SqlProject.id == project_id)
        )
    offered = mcp_servers.offered_tools(core, workspace_id=int(workspace_id or 0))
    catalogue = _catalogue(offered)
    versions = _live_versions(core, project_id, label or LATEST_LABEL, limit + 1)
    items = []
    for name, number, content in versions[:limit]:
        for tool, line, context in _references(core, name, content, {}):
            status, server, bare = _classify(tool, offered)
            items.append(
                {
                    "prompt": name,
                    "version": number,
                    "line": line,
                    "reference": tool,
                    "server": server,
                    "tool": bare,
                    "status": status,
                    "suggestion": None
                    if status == "offered"
                    else _suggest(bare, context, catalogue),
                }
            )
    counts = {
        s: sum(1 for i in items if i["status"] == s)
        for s in ("offered", "not_offered", "unknown_server")
    }
    return {
        "label": label or LATEST_LABEL,
        "servers": sorted(offered),
        "tools": len(catalogue),
        "prompts": min(len(versions), limit),
        "truncated": len(versions) > limit,
        "counts": counts,
        "items": items,
    }
