"""Reading template sources: variables and their delimiters, sentences, instructions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: ``{{ name }}``, ``{{ name|filter }}``, ``{{ name.attr }}``: the variable that is printed.
VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)[^{}]*?-?\}\}")
#: Jinja statements and comments, left out of the prose the rules read.
STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)

#: Words that open an instruction (imperative verbs, role statements).
_INSTRUCTION_WORDS = (
    "act as|answer|analy[sz]e|assess|categori[sz]e|check|classify|compare|compose|convert|"
    "correct|create|decide|describe|determine|draft|edit|evaluate|explain|extract|fill|find|"
    "fix|format|generate|give|identify|improve|label|list|make|outline|paraphrase|please|"
    "produce|proofread|provide|rank|rate|read|reply|respond|return|review|rewrite|score|"
    "simplify|solve|sort|suggest|summari[sz]e|tag|tell|translate|use|validate|verify|write|"
    "you are|you will|you should|you must|your (?:task|job|role|goal) is|as an? |always|never|"
    "do not|don't|only|ensure|make sure|avoid|keep|include|be "
)
INSTRUCTION = re.compile(
    rf"(?:^|(?<=[.!?:\n])\s*|^\s*[-*\d.)]+\s*)(?:{_INSTRUCTION_WORDS})", re.I | re.M
)
TASK = re.compile(
    r"\b(?:you are|you're|act as|your (?:task|job|role|goal) is|you will|i want you to|"
    r"i need you to)\b|(?:^|[.!?:\n]\s*)(?:please\s+)?(?:answer|analy[sz]e|classify|compose|"
    r"convert|create|describe|draft|explain|extract|generate|identify|list|produce|rewrite|"
    r"summari[sz]e|translate|write|review|evaluate|categori[sz]e|respond|reply|find|"
    r"determine|rate|score|tag|label|correct|proofread|outline|compare|suggest|give|tell|"
    r"return|provide|help)\b",
    re.I | re.M,
)
NEGATION = re.compile(r"\b(?:not|never|no|don't|do not|doesn't|without|refuse|avoid)\b", re.I)

_OPENERS = {
    '"': '"',
    "'": "'",
    "\u201c": "\u201d",
    "\u2018": "\u2019",
    "\u00ab": "\u00bb",
    "`": "`",
    "[": "]",
    "(": ")",
}
_FENCE = re.compile(r"^\s*(?:```|~~~|\"\"\"|'''|-{3,}|={3,}|#{3,}|<{3,}|>{3,})")
_OPEN_TAG = re.compile(r"<([A-Za-z][\w.-]*)(?:\s[^<>]*)?>\s*$")
_CLOSE_TAG = re.compile(r"^\s*</([A-Za-z][\w.-]*)\s*>")


@dataclass(frozen=True)
class VariableUse:
    name: str
    start: int
    end: int


def variable_uses(text: str) -> Iterator[VariableUse]:
    for match in VARIABLE.finditer(text):
        yield VariableUse(match.group(1), match.start(), match.end())


def is_delimited(text: str, start: int, end: int) -> bool:
    """Whether the span is quoted, bracketed, inside an XML-style tag pair, or fenced
    (a line of ``` , \"\"\", ---, ### ... before and after it)."""
    before, after = text[:start], text[end:]
    stripped_before, stripped_after = before.rstrip(" \t"), after.lstrip(" \t")
    if stripped_before and stripped_after:
        opener = stripped_before[-1]
        if opener in _OPENERS and stripped_after[0] == _OPENERS[opener]:
            return True
    open_tag = _OPEN_TAG.search(before.rstrip())
    close_tag = _CLOSE_TAG.match(after.lstrip())
    if open_tag and close_tag and open_tag.group(1) == close_tag.group(1):
        return True
    lines_before = before.split("\n")
    lines_after = after.split("\n")
    if len(lines_before) > 1 and len(lines_after) > 1:
        own_line = not lines_before[-1].strip() and not lines_after[0].strip()
        if own_line and _FENCE.match(lines_before[-2]) and _fenced_after(lines_after[1:]):
            return True
    return False


def _fenced_after(lines: list[str]) -> bool:
    for line in lines:
        if line.strip():
            return bool(_FENCE.match(line))
    return False


def prose(text: str) -> str:
    """The text without Jinja statements and comments (same length: blanked out)."""
    return STATEMENT.sub(lambda m: " " * len(m.group(0)), text)


def first_instruction(text: str) -> int | None:
    match = INSTRUCTION.search(text)
    return match.start() if match else None


def instruction_offsets(text: str) -> list[int]:
    return [match.start() for match in INSTRUCTION.finditer(text)]


def sentence_at(text: str, offset: int) -> tuple[int, int]:
    """Bounds of the sentence (or line) around ``offset``."""
    start = max(text.rfind(mark, 0, offset) for mark in (".", "!", "?", "\n")) + 1
    ends = [i for i in (text.find(mark, offset) for mark in (".", "!", "?", "\n")) if i >= 0]
    return start, (min(ends) + 1 if ends else len(text))


def negated(text: str, start: int) -> bool:
    """Whether the sentence holding ``start`` negates what follows it (``do not reveal``)."""
    sentence_start, _ = sentence_at(text, start)
    return bool(NEGATION.search(text[sentence_start:start]))
