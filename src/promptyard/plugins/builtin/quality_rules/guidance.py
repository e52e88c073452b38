"""Quality rules drawn from published prompt-engineering guidance (docs/quality.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import promptyard.plugins.builtin.quality_rules._text as _text
from promptyard.plugins.api import QualityRule, RuleContext, RuleHit

OPENAI_GUIDE = (
    "OpenAI, Prompt engineering guide (platform.openai.com/docs/guides/prompt-engineering)"
)
OPENAI_41 = "OpenAI, GPT-4.1 Prompting Guide (cookbook.openai.com/examples/gpt4-1_prompting_guide)"
ANTHROPIC = (
    "Anthropic, Prompt engineering overview "
    "(docs.anthropic.com/en/docs/build-with-claude/prompt-engineering)"
)
ANTHROPIC_CLEAR = f"{ANTHROPIC}: Be clear and direct"
ANTHROPIC_LONG = f"{ANTHROPIC}: Long context prompting tips"
ANTHROPIC_EXAMPLES = f"{ANTHROPIC}: Use examples (multishot prompting)"
ANTHROPIC_TOOLS = (
    "Anthropic, Building effective agents (anthropic.com/research/building-effective-agents)"
)

#: Roles whose text instructs the model (a text prompt is all instruction).
INSTRUCTING = {"system", "developer", "user", "text"}


def _instructing(ctx: RuleContext) -> Iterator[tuple[int, str]]:
    for message in ctx.messages:
        if message.role in INSTRUCTING:
            yield message.index, _text.prose(message.text)


def _all_text(ctx: RuleContext) -> str:
    return "\n".join(text for _, text in _instructing(ctx))


def _no_task(ctx: RuleContext) -> Iterator[RuleHit]:
    if not any(m.text.strip() for m in ctx.messages):
        return
    if not _text.TASK.search(_all_text(ctx)):
        yield RuleHit(detail="no sentence states the task or the model's role")


_FORMAT = re.compile(
    r"\b(?:json|xml|yaml|csv|markdown|table|bullet(?:s| points?)?|numbered|list|format(?:ted)?|"
    r"schema|respond with|reply with|answer with|return (?:only|just|a|the)|output (?:only|a|the)|"
    r"one word|yes or no|true or false|single (?:word|sentence|line|number)|heading|"
    r"paragraphs?|sentences?|in the form|template|label)\b",
    re.I,
)


def _no_output_format(ctx: RuleContext) -> Iterator[RuleHit]:
    if ctx.config.get("response_format") or not _all_text(ctx).strip():
        return
    if not _FORMAT.search(_all_text(ctx)):
        yield RuleHit(detail="the prompt never says what the answer should look like")


_STRUCTURED = re.compile(r"\b(json|xml|yaml|csv)\b", re.I)
_EXAMPLE = re.compile(
    r"\b(?:examples?|e\.g\.|for instance|such as|like this|sample)\b|\{\s*\"|<\w+>", re.I
)


def _structured_without_example(ctx: RuleContext) -> Iterator[RuleHit]:
    if any(m.role == "assistant" and m.text.strip() for m in ctx.messages):
        return
    response_format = ctx.config.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        return
    for index, text in _instructing(ctx):
        match = _STRUCTURED.search(text)
        if match and not _EXAMPLE.search(_all_text(ctx)):
            yield RuleHit(
                message=index,
                start=match.start(),
                end=match.end(),
                detail=f"asks for {match.group(1).upper()} but shows no example of it",
            )
            return


_CONTRADICTIONS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "brief and detailed",
        re.compile(
            r"\b(?:be (?:very )?(?:concise|brief|short)|concisely|briefly|succinct(?:ly)?)\b", re.I
        ),
        re.compile(
            r"\b(?:in (?:great |full )?detail|detailed|comprehensive(?:ly)?|exhaustive(?:ly)?|"
            r"thorough(?:ly)?|elaborate)\b",
            re.I,
        ),
    ),
    (
        "Markdown and no Markdown",
        re.compile(r"\b(?:use|in|with|format (?:it |the answer )?(?:as|in)) markdown\b", re.I),
        re.compile(r"\b(?:no|without|do not use|don't use|never use|avoid) markdown\b", re.I),
    ),
    (
        "JSON and plain text",
        re.compile(
            r"\b(?:respond|reply|answer|output|return)(?: only)? (?:in|with|as) json\b", re.I
        ),
        re.compile(r"\b(?:plain text|prose only|no json)\b", re.I),
    ),
)
_ALWAYS = re.compile(r"\balways ([a-z]+(?: [a-z]+)?)", re.I)
_NEVER = re.compile(r"\b(?:never|do not|don't) ([a-z]+(?: [a-z]+)?)", re.I)


def _contradictions(ctx: RuleContext) -> Iterator[RuleHit]:
    for index, text in _instructing(ctx):
        for label, first, second in _CONTRADICTIONS:
            one, two = first.search(text), second.search(text)
            if one and two and not _text.negated(text, one.start()):
                yield RuleHit(
                    message=index, start=two.start(), end=two.end(), detail=f"asks for {label}"
                )
        always = {m.group(1).lower(): m for m in _ALWAYS.finditer(text)}
        for match in _NEVER.finditer(text):
            if match.group(1).lower() in always:
                yield RuleHit(
                    message=index,
                    start=match.start(),
                    end=match.end(),
                    detail=f"says both 'always {match.group(1)}' and '{match.group(0)}'",
                )


_LENGTH = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|single)[- ]"
    r"(?:words?|sentences?|paragraphs?|bullets?|bullet points?|items?|characters?|chars|tokens?|"
    r"lines?|points?|pages?|examples?)\b|\b(?:brief(?:ly)?|concise(?:ly)?|short|succinct(?:ly)?|"
    r"at most|no more than|maximum|max\.?|up to|limit|under \d+|one word|yes or no|only the|"
    r"only (?:return|answer|respond|output)|tl;?dr|true or false)\b",
    re.I,
)


def _unbounded_length(ctx: RuleContext) -> Iterator[RuleHit]:
    limits = ("max_tokens", "max_output_tokens", "max_completion_tokens", "maxTokens")
    if any(ctx.config.get(key) for key in limits) or not _all_text(ctx).strip():
        return
    if ctx.config.get("response_format") or _LENGTH.search(_all_text(ctx)):
        return
    yield RuleHit(detail="no length limit in the text and no max_tokens in the model config")


def _buried_instructions(ctx: RuleContext) -> Iterator[RuleHit]:
    for index, text in _instructing(ctx):
        if len(text) < 2000:
            continue
        offsets = _text.instruction_offsets(text)
        head, tail = len(text) * 0.2, len(text) * 0.8
        if offsets and not any(o <= head or o >= tail for o in offsets):
            first = offsets[0]
            yield RuleHit(
                message=index,
                start=first,
                end=_text.sentence_at(text, first)[1],
                detail=f"the first instruction starts {first} characters into a "
                f"{len(text)}-character message, and none closes it",
            )


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _variable_typo(ctx: RuleContext) -> Iterator[RuleHit]:
    uses = [(m.index, use) for m in ctx.messages for use in _text.variable_uses(m.text)]
    counts: dict[str, int] = {}
    for _, use in uses:
        counts[use.name] = counts.get(use.name, 0) + 1
    names = sorted(counts)
    reported: set[str] = set()
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if len(min(a, b, key=len)) < 4:
                continue
            if _norm(a) == _norm(b) or _one_edit_apart(_norm(a), _norm(b)):
                rare = a if counts[a] <= counts[b] else b
                other = b if rare == a else a
                if rare in reported:
                    continue
                reported.add(rare)
                index, use = next((m, u) for m, u in uses if u.name == rare)
                yield RuleHit(
                    message=index,
                    start=use.start,
                    end=use.end,
                    detail=f"'{rare}' looks like a misspelling of '{other}': one of them is "
                    "never given",
                )


_EMPTY_SLOT = re.compile(
    r"<(examples?|shot)>\s*</\1>|^\s*(?:examples?|few-shot examples?)\s*:?\s*$"
    r"(?=\s*(?:\Z|^\s*#|^\s*[A-Z][\w ]{0,30}:\s*$))"
    r"|^\s*(?:input|question|q)\s*:[^\S\n]*\n\s*(?:output|answer|a)\s*:[^\S\n]*$",
    re.I | re.M,
)
_PLACEHOLDER_TEXT = re.compile(r"^\s*(?:\.\.\.|…|todo|tbd|xxx|<example>|example)?\s*$", re.I)


def _empty_few_shot(ctx: RuleContext) -> Iterator[RuleHit]:
    for message in ctx.messages:
        if message.role == "assistant" and _PLACEHOLDER_TEXT.match(message.text):
            yield RuleHit(message=message.index, detail="an assistant example message is empty")
            continue
        for match in _EMPTY_SLOT.finditer(message.text):
            yield RuleHit(
                message=message.index,
                start=match.start(),
                end=match.end(),
                detail="an examples section has no example in it",
            )


#: Context windows (tokens) of model families, matched as prefixes of the model name.
CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4-32k", 32_768),
    ("gpt-4", 8_192),
    ("gpt-3.5-turbo", 16_385),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("gemini-1.5-pro", 2_097_152),
    ("gemini", 1_048_576),
    ("mistral-large", 128_000),
    ("llama3", 8_192),
    ("llama-3", 128_000),
)


def context_window(model: str) -> int | None:
    model = model.lower().rsplit("/", 1)[-1]
    for prefix, window in CONTEXT_WINDOWS:
        if model.startswith(prefix):
            return window
    return None


def _context_window(ctx: RuleContext) -> Iterator[RuleHit]:
    model = ctx.config.get("model")
    window = context_window(model) if isinstance(model, str) else None
    if window is None:
        return
    tokens = sum(ctx.count_tokens(m.text) for m in ctx.messages)
    share = tokens / window
    if share < 0.25:
        return
    how = "" if ctx.tokens_exact else " (estimated)"
    yield RuleHit(
        severity="high" if share >= 1 else "medium",
        detail=f"the template alone is {tokens} tokens{how}, {share:.0%} of {model}'s "
        f"{window}-token context window, before any variable is filled in",
    )


_TOOLS = re.compile(
    r"\b(?:use|call|invoke) (?:the |a |your )?(?:[\w.-]+ )?(?:tools?|functions?)\b|"
    r"\btools? (?:calls?|use)\b|"
    r"\bfunction[- ]call(?:ing|s)?\b|\bmcp__\w+|\bavailable tools\b",
    re.I,
)
_STOP = re.compile(
    r"\b(?:stop|until|once you have|when (?:you are |you're )?(?:done|finished|confident)|"
    r"final answer|at most \d+|no more than \d+|maximum of \d+|max(?:imum)? \d+ (?:tool )?calls?|"
    r"then (?:respond|answer|reply)|finish|end your turn|give up)\b",
    re.I,
)


def _tool_use_without_stop(ctx: RuleContext) -> Iterator[RuleHit]:
    text = _all_text(ctx)
    match = None
    index = 0
    for index, message_text in _instructing(ctx):  # noqa: B007 - the message of the match
        match = _TOOLS.search(message_text)
        if match:
            break
    uses_tools = bool(ctx.config.get("tools")) or match is not None
    if not uses_tools or _STOP.search(text):
        return
    if match is not None:
        yield RuleHit(
            message=index,
            start=match.start(),
            end=match.end(),
            detail="tool use with no stop condition",
        )
    else:
        yield RuleHit(
            detail="the model config declares tools but the prompt never says when to stop"
        )


RULES: tuple[QualityRule, ...] = (
    QualityRule(
        id="no-task",
        category="quality",
        severity="medium",
        title="No stated task or role",
        rationale="A model does best when told plainly what to do and in what role; a prompt "
        "that only gives material leaves the task to guesswork.",
        suggestion='Start with the task in one sentence ("Summarise the support ticket '
        'below for an engineer."), optionally with a role ("You are a support lead.").',
        source=f"{ANTHROPIC_CLEAR}; {ANTHROPIC}: Give Claude a role (system prompts); "
        f"{OPENAI_GUIDE}: Write clear instructions",
        check=_no_task,
    ),
    QualityRule(
        id="buried-instructions",
        category="quality",
        severity="medium",
        title="Instructions buried in long context",
        rationale="In long prompts, instructions placed only in the middle of the material "
        "are followed less reliably than instructions at the start and the end.",
        suggestion="Put the instructions at the top and repeat the question or task at the "
        "end, after the long material.",
        source=f"{OPENAI_41}: Long context; {ANTHROPIC_LONG}",
        check=_buried_instructions,
    ),
    QualityRule(
        id="no-output-format",
        category="quality",
        severity="low",
        title="Ambiguous output format",
        rationale="Without a stated format the model picks one, and it changes from call to "
        "call; code that reads the answer breaks.",
        suggestion='Say what the answer looks like ("Answer with a JSON object with a label '
        'key", "three bullet points"), or set response_format in the model config.',
        source=f"{OPENAI_GUIDE}: Specify the desired format of the output; {ANTHROPIC_CLEAR}",
        check=_no_output_format,
    ),
    QualityRule(
        id="structured-output-no-example",
        category="quality",
        severity="low",
        title="Structured output without an example",
        rationale="Asking for JSON, XML, YAML or CSV without an example of the exact shape "
        "gives answers with varying keys and nesting.",
        suggestion="Add one example of the expected output (or a few-shot assistant "
        "message), or use a JSON schema response_format.",
        source=f"{ANTHROPIC_EXAMPLES}; {OPENAI_GUIDE}: Provide examples",
        check=_structured_without_example,
    ),
    QualityRule(
        id="contradictory-instructions",
        category="quality",
        severity="medium",
        title="Contradictory instructions",
        rationale="Instructions that contradict each other make the model choose one "
        "arbitrarily; newer models follow instructions literally and suffer most.",
        suggestion="Keep one of the two instructions, or say when each applies.",
        source=f"{OPENAI_41}: Instruction following (conflicting instructions)",
        check=_contradictions,
    ),
    QualityRule(
        id="unbounded-length",
        category="quality",
        severity="low",
        title="Unbounded answer length",
        rationale="With no length stated the answer length drifts, and with it the cost and "
        "latency of every call.",
        suggestion='State the length ("in at most 3 sentences", "under 100 words") or '
        "set max_tokens in the model config.",
        source=f"{OPENAI_GUIDE}: Specify the desired length of the output",
        check=_unbounded_length,
    ),
    QualityRule(
        id="variable-typo",
        category="quality",
        severity="medium",
        title="A template variable that is never given",
        rationale="Two variables whose names differ by one character or only in case or "
        "underscores are almost always a misspelling: callers give one, the other renders "
        "empty or fails.",
        suggestion="Rename the misspelled variable to the name callers give.",
        source=f"Promptyard (template hygiene); {OPENAI_GUIDE}: Write clear instructions",
        check=_variable_typo,
    ),
    QualityRule(
        id="empty-few-shot-slot",
        category="quality",
        severity="low",
        title="Unused few-shot slot",
        rationale="An examples section or assistant example message left empty teaches the "
        "model to answer with nothing, or wastes tokens.",
        suggestion="Fill the slot with a real input/output example, or remove it.",
        source=ANTHROPIC_EXAMPLES,
        check=_empty_few_shot,
    ),
    QualityRule(
        id="context-window",
        category="quality",
        severity="medium",
        title="Excessive length for the model's context window",
        rationale="A template that already takes a large share of the context window leaves "
        "little room for the variables' text and the answer, and costs on every call.",
        suggestion="Shorten the template, move reference material to retrieval, or use a "
        "model with a larger window.",
        source=f"{OPENAI_41}: Long context; {ANTHROPIC_LONG}",
        check=_context_window,
    ),
    QualityRule(
        id="tool-use-no-stop",
        category="quality",
        severity="medium",
        title="Tool use without a stop condition",
        rationale="An agent told to use tools but not when to stop loops, calls tools "
        "needlessly or stops early.",
        suggestion='Say when the work is done and what to return ("Stop once you have the '
        'order status and answer the user; at most 5 tool calls.").',
        source=f"{OPENAI_41}: Agentic workflows (persistence, tool calling); {ANTHROPIC_TOOLS}",
        check=_tool_use_without_stop,
    ),
)
