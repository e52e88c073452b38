"""Running the rules over one content: findings located in the text, and the score.

Score: 100 minus a weight per finding by severity (:data:`WEIGHTS`), each rule counting at
most :data:`MAX_HITS_PER_RULE` times, floored at 0. docs/quality.md documents both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from promptyard.plugins.api import SEVERITIES, PromptMessage, QualityRule, RuleContext, RuleHit
from promptyard.services.telemetry import tokens

log = logging.getLogger(__name__)

Content = str | list[dict[str, Any]]

#: Points a finding takes off the score of 100, by severity.
WEIGHTS: dict[str, int] = {"high": 25, "medium": 10, "low": 4, "info": 0}
#: A rule's hits beyond this many take nothing more off (one bad habit is not ten).
MAX_HITS_PER_RULE = 3
#: Findings one rule may report for one content (the rest are counted, not listed).
MAX_FINDINGS_PER_RULE = 50


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def rule_context(
    *, name: str, type_: str, content: Content, config: Mapping[str, Any], variables: Iterable[str]
) -> RuleContext:
    """What rules read: one :class:`PromptMessage` per chat message (placeholders are
    left out), or the whole text (role ``text``)."""
    if isinstance(content, str):
        messages: tuple[PromptMessage, ...] = (PromptMessage(0, "text", content),)
    else:
        messages = tuple(
            PromptMessage(index, str(item.get("role", "")), str(item["content"]))
            for index, item in enumerate(content)
            if item.get("type") != "placeholder" and "content" in item
        )
    counter = tokens.exact_counter(None)  # o200k_base
    return RuleContext(
        name=name,
        type=type_,
        messages=messages,
        config=dict(config),
        variables=tuple(variables),
        count_tokens=counter or (lambda text: (len(text) + 3) // 4),
        tokens_exact=counter is not None,
    )


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _finding(rule: QualityRule, hit: RuleHit, ctx: RuleContext, chat: bool) -> dict[str, Any]:
    message = next((m for m in ctx.messages if m.index == hit.message), None)
    text = message.text if message is not None else ""
    line, column = _position(text, hit.start)
    end_line, end_column = _position(text, max(hit.end, hit.start))
    severity = hit.severity if hit.severity in SEVERITIES else rule.severity
    return {
        "rule": rule.id,
        "category": rule.category,
        "severity": severity,
        "title": rule.title,
        "detail": hit.detail,
        "suggestion": hit.suggestion or rule.suggestion,
        "field": f"content[{hit.message}].content" if chat else "content",
        "message_index": hit.message if chat else None,
        "role": message.role if message is not None else None,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    }


def run_rules(
    rules: Mapping[str, QualityRule], ctx: RuleContext, *, chat: bool
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every rule's findings, most severe first; and the ids of rules that failed (a
    plugin's bug is logged and reported, never an error of the scan)."""
    findings: list[dict[str, Any]] = []
    failed: list[str] = []
    for rule in rules.values():
        try:
            for count, hit in enumerate(rule.check(ctx)):
                if count >= MAX_FINDINGS_PER_RULE:
                    break
                findings.append(_finding(rule, hit, ctx, chat))
        except Exception:
            log.exception("quality rule %s failed", rule.id)
            failed.append(rule.id)
    findings.sort(
        key=lambda f: (
            -severity_rank(f["severity"]),
            f["message_index"] or 0,
            f["line"],
            f["column"],
        )
    )
    return findings, failed


def score(findings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The score and its breakdown: what each rule took off, and the total per category."""
    per_rule: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = per_rule.setdefault(
            finding["rule"],
            {"rule": finding["rule"], "category": finding["category"], "count": 0, "weights": []},
        )
        entry["count"] += 1
        entry["weights"].append(WEIGHTS.get(finding["severity"], 0))
    deductions = []
    by_category: dict[str, int] = {}
    for entry in per_rule.values():
        taken = sum(sorted(entry.pop("weights"), reverse=True)[:MAX_HITS_PER_RULE])
        entry["deduction"] = taken
        deductions.append(entry)
        by_category[entry["category"]] = by_category.get(entry["category"], 0) + taken
    deductions.sort(key=lambda e: (-e["deduction"], e["rule"]))
    total = sum(e["deduction"] for e in deductions)
    return {"score": max(0, 100 - total), "deductions": deductions, "by_category": by_category}


def severity_counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    return counts


def evaluate(
    rules: Mapping[str, QualityRule],
    *,
    name: str,
    type_: str,
    content: Content,
    config: Mapping[str, Any],
    variables: Iterable[str],
) -> dict[str, Any]:
    """Findings, score, breakdown and counts of one content."""
    ctx = rule_context(name=name, type_=type_, content=content, config=config, variables=variables)
    findings, failed = run_rules(rules, ctx, chat=not isinstance(content, str))
    return {
        **score(findings),
        "counts": severity_counts(findings),
        "findings": findings,
        "failed_rules": failed,
        "tokens": {
            "count": sum(ctx.count_tokens(m.text) for m in ctx.messages),
            "exact": ctx.tokens_exact,
        },
    }
