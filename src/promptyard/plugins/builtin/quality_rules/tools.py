"""MCP awareness: references to tools and MCP servers in prompts.

Finds ``mcp__server__tool`` names (the form MCP clients such as Claude Code give MCP
tools) and tool names in instructions ("call the `lookup_order` tool"); when the model
config declares its tools (``tools``: OpenAI ``{"type": "function", "function": {"name"}}``
or Anthropic ``{"name"}``), a reference to a tool it does not declare is a finding of its
own. Declared MCP servers of a workspace are not known yet, so no server is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import promptyard.plugins.builtin.quality_rules._text as _text
from promptyard.plugins.api import QualityRule, RuleContext, RuleHit

MCP_SPEC = "Model Context Protocol specification, Tools (modelcontextprotocol.io/specification)"
ANTHROPIC_TOOL_USE = (
    "Anthropic, Tool use with Claude: tool names and descriptions "
    "(docs.anthropic.com/en/docs/agents-and-tools/tool-use)"
)

MCP_TOOL = re.compile(r"\bmcp__([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)__([A-Za-z0-9_-]+)")
#: "call the `lookup_order` tool", "use get_weather function", "the search.orders tool":
#: a name that looks like an identifier (backticked, or with _ . - a digit or camelCase).
NAMED_TOOL = re.compile(
    r"\b(?:use|call|invoke|run|the|a|your)\s+"
    r"(`[A-Za-z_][\w.:/-]*`|[A-Za-z_]\w*(?:[_.-]\w+)+|[a-z]+[A-Z]\w*|[A-Za-z_]+\d\w*)"
    r"\s+(?:tool|function|MCP tool)\b",
)


def declared_tools(config: dict[str, Any]) -> set[str] | None:
    """Tool names the model config declares, or None when it declares none."""
    tools = config.get("tools")
    if not isinstance(tools, list) or not tools:
        return None
    names = set()
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, dict) else tool.get("name")
        if isinstance(name, str):
            names.add(name)
    return names


def references(text: str) -> Iterator[tuple[int, int, str, str | None]]:
    """``(start, end, tool, server)`` of each tool reference in ``text``."""
    taken: list[tuple[int, int]] = []
    for match in MCP_TOOL.finditer(text):
        taken.append(match.span())
        yield match.start(), match.end(), match.group(0), match.group(1)
    for match in NAMED_TOOL.finditer(text):
        start, end = match.span(1)
        if any(s <= start < e for s, e in taken) or _text.VARIABLE.search(match.group(1)):
            continue
        yield start, end, match.group(1).strip("`"), None


def _tool_references(ctx: RuleContext) -> Iterator[RuleHit]:
    declared = declared_tools(ctx.config)
    for message in ctx.messages:
        if message.role in {"assistant", "tool"}:
            continue
        for start, end, tool, server in references(message.text):
            what = f"MCP tool '{tool}' of server '{server}'" if server else f"tool '{tool}'"
            if declared is not None and tool not in declared:
                listed = ", ".join(sorted(declared)) or "none by name"
                yield RuleHit(
                    message=message.index,
                    start=start,
                    end=end,
                    severity="low",
                    detail=f"refers to {what}, which the model config does not declare "
                    f"(declared: {listed})",
                    suggestion="Declare the tool in the model config's tools, or name one "
                    "it declares.",
                )
            else:
                yield RuleHit(
                    message=message.index, start=start, end=end, detail=f"refers to {what}"
                )


RULES: tuple[QualityRule, ...] = (
    QualityRule(
        id="tool-reference",
        category="quality",
        severity="info",
        title="Reference to a tool or an MCP server",
        rationale="A prompt that names tools depends on them: when the tool is renamed, "
        "removed or not declared to the model, the instruction points at nothing and the "
        "model improvises. Listing the references shows which prompts a tool change breaks.",
        suggestion="Keep tool names in the prompt equal to the declared tools' names "
        "(the model config's tools, or the MCP server's tools as mcp__server__tool).",
        source=f"{MCP_SPEC}; {ANTHROPIC_TOOL_USE}",
        check=_tool_references,
    ),
)
