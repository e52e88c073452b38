"""Prompt references: ``prompt:NAME@LABEL`` and ``prompt:NAME@vN``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from promptyard.domain.errors import BadReference

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LABEL_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_VERSIONISH_RE = re.compile(r"v[0-9]+")
_VERSION_RE = re.compile(r"v([1-9][0-9]{0,9})")
_PREFIX = "prompt:"


@dataclass(frozen=True)
class PromptRef:
    """A pinned reference to one prompt version, by label or by number."""

    name: str
    label: str | None
    version: int | None

    def __post_init__(self) -> None:
        if (self.label is None) == (self.version is None):
            raise BadReference("a prompt reference needs exactly one of a label or a version")
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise BadReference(f"invalid prompt name {_short(self.name)}")
        if self.label is not None and (
            not isinstance(self.label, str)
            or not _LABEL_RE.fullmatch(self.label)
            or _VERSIONISH_RE.fullmatch(self.label)
        ):
            raise BadReference(f"invalid label {_short(self.label)}")
        if self.version is not None and (
            isinstance(self.version, bool)
            or not isinstance(self.version, int)
            or not 1 <= self.version < 10**10
        ):
            raise BadReference(f"invalid version {_short(self.version)}")

    def __str__(self) -> str:
        pin = self.label if self.label is not None else f"v{self.version}"
        return f"{_PREFIX}{self.name}@{pin}"


def parse_reference(text: str) -> PromptRef:
    """Parse ``prompt:NAME@LABEL`` or ``prompt:NAME@vN``; raise ``BadReference`` otherwise."""
    details = {"reference": text if isinstance(text, str) else repr(text)}
    if not isinstance(text, str) or not text.startswith(_PREFIX):
        raise BadReference(
            f"only prompt: references can be included, got {_short(text)}", details=details
        )
    name, sep, pin = text[len(_PREFIX) :].partition("@")
    if not _NAME_RE.fullmatch(name):
        raise BadReference(f"invalid prompt name in reference {_short(text)}", details=details)
    if not sep:
        raise BadReference(
            f"reference {_short(text)} is not pinned: add @label or @vN, "
            f"e.g. {text}@production or {text}@v1",
            details=details,
        )
    if _VERSIONISH_RE.fullmatch(pin):
        match = _VERSION_RE.fullmatch(pin)
        if match is None:
            raise BadReference(
                f"invalid version in reference {_short(text)}: versions are v1, v2, ...",
                details=details,
            )
        return PromptRef(name=name, label=None, version=int(match.group(1)))
    if not _LABEL_RE.fullmatch(pin):
        raise BadReference(
            f"invalid label in reference {_short(text)}: labels match [a-z0-9][a-z0-9._-]*",
            details=details,
        )
    return PromptRef(name=name, label=pin, version=None)


Resolver = Callable[[PromptRef], str]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
