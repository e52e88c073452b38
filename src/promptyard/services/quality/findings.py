"""Findings and scores of stored versions, unsaved content and whole projects.

Versions are immutable, so a version's result is computed once and kept in the Core's
read cache under the prompt's key (dropped with every write to the prompt). A project
scan reads each prompt's version at a label (default ``latest``) in batches and is bounded
by ``limit`` prompts; the content of each is already bounded by ``max_content_chars``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from sqlalchemy import and_, select

from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import LATEST_LABEL, content_length, parse_content
from promptyard.plugins.api import SEVERITIES
from promptyard.services.context import Core
from promptyard.services.prompts.lookup import load_prompt, prompt_key, resolve_selector
from promptyard.services.quality import engine
from promptyard.store.models import SqlLabel, SqlPrompt, SqlVersion

#: Versions a trend reads at most (the newest).
MAX_TREND = 200
_BANDS = [f"{low}-{low + 9}" for low in range(0, 90, 10)] + ["90-100"]


def _variables(version: SqlVersion) -> list[str]:
    return [str(v.get("name")) for v in version.variables or [] if isinstance(v, dict)]


def _evaluate_version(
    core: Core, project_id: int, name: str, version: SqlVersion
) -> dict[str, Any]:
    key = prompt_key(project_id, name)
    view = ("quality", version.number)
    cached = core.cache.get(key, view)
    if cached is not None:
        return dict(cached)
    generation = core.cache.generation(key)
    result = engine.evaluate(
        core.quality_rules,
        name=name,
        type_=version.type,
        content=version.content,
        config=version.config or {},
        variables=_variables(version),
    )
    core.cache.put(key, view, result, generation)
    return dict(result)


def version_findings(
    core: Core, *, project_id: int, name: str, version: int | None = None, label: str | None = None
) -> dict[str, Any]:
    """The score and findings of a stored version (by number or label; default latest)."""
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        selected = resolve_selector(session, prompt, version=version, label=label)
        result = _evaluate_version(core, project_id, name, selected)
    return {**result, "prompt": name, "version": selected.number}


def scan_content(
    core: Core, *, type_: str, content: Any, config: dict[str, Any], name: str = "unsaved"
) -> dict[str, Any]:
    """The score and findings of unsaved content (lint as you type); bounded like a save."""
    try:
        parsed = parse_content(type_, content)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    if content_length(parsed) > core.settings.max_content_chars:
        raise ValidationFailed(
            f"content is longer than {core.settings.max_content_chars} characters",
            code="content_too_large",
        )
    result = engine.evaluate(
        core.quality_rules, name=name, type_=type_, content=parsed, config=config, variables=()
    )
    return {**result, "scope": "content"}


def trend(core: Core, *, project_id: int, name: str) -> dict[str, Any]:
    """The score of every version (the newest :data:`MAX_TREND`), oldest first."""
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        versions = (
            session.execute(
                select(SqlVersion)
                .where(SqlVersion.prompt_id == prompt.id)
                .order_by(SqlVersion.number.desc())
                .limit(MAX_TREND)
            )
            .scalars()
            .all()
        )
        items = []
        for version in reversed(versions):
            result = _evaluate_version(core, project_id, name, version)
            items.append(
                {
                    "version": version.number,
                    "branch": version.branch,
                    "score": result["score"],
                    "counts": result["counts"],
                }
            )
    return {"prompt": name, "items": items}


def _band(score: int) -> str:
    return _BANDS[min(score // 10, 9)]


def _summary(name: str, number: int, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "version": number,
        "score": result["score"],
        "counts": result["counts"],
        "top_rules": [d["rule"] for d in result["deductions"][:3]],
    }


def scan_project(
    core: Core, *, project_id: int, label: str | None = None, limit: int = 10_000
) -> dict[str, Any]:
    """Scores of the project's live prompts at ``label`` (default latest): distribution,
    worst prompts, prompts with high-severity findings, most common findings."""
    label = label or LATEST_LABEL
    query = (
        select(SqlPrompt.name, SqlVersion)
        .join(SqlLabel, and_(SqlLabel.prompt_id == SqlPrompt.id, SqlLabel.name == label))
        .join(
            SqlVersion,
            and_(SqlVersion.prompt_id == SqlPrompt.id, SqlVersion.number == SqlLabel.version),
        )
        .where(SqlPrompt.project_id == project_id, SqlPrompt.deleted_at.is_(None))
        .order_by(SqlPrompt.name)
        .limit(limit + 1)
    )
    items: list[dict[str, Any]] = []
    rule_findings: Counter[str] = Counter()
    rule_prompts: Counter[str] = Counter()
    rule_meta: dict[str, tuple[str, str]] = {}
    counts = dict.fromkeys(SEVERITIES, 0)
    truncated = False
    with core.store.read() as session:
        for index, (name, version) in enumerate(session.execute(query)):
            if index >= limit:
                truncated = True
                break
            result = _evaluate_version(core, project_id, name, version)
            items.append(_summary(name, version.number, result))
            seen: set[str] = set()
            for finding in result["findings"]:
                rule = finding["rule"]
                rule_findings[rule] += 1
                counts[finding["severity"]] += 1
                previous = rule_meta.get(rule)
                if previous is None or engine.severity_rank(finding["severity"]) > (
                    engine.severity_rank(previous[1])
                ):
                    rule_meta[rule] = (finding["category"], finding["severity"])
                if rule not in seen:
                    seen.add(rule)
                    rule_prompts[rule] += 1
    scores = [item["score"] for item in items]
    distribution = dict.fromkeys(_BANDS, 0)
    for value in scores:
        distribution[_band(value)] += 1
    worst = sorted(items, key=lambda item: (item["score"], item["name"]))[:10]
    return {
        "scope": "project",
        "label": label,
        "prompts": len(items),
        "truncated": truncated,
        "mean_score": round(statistics.fmean(scores), 2) if scores else None,
        "median_score": float(statistics.median(scores)) if scores else None,
        "distribution": distribution,
        "counts": counts,
        "worst": worst,
        "with_high_findings": [item for item in items if item["counts"].get("high")][:100],
        "common_findings": [
            {
                "rule": rule,
                "category": rule_meta[rule][0],
                "severity": rule_meta[rule][1],
                "findings": total,
                "prompts": rule_prompts[rule],
            }
            for rule, total in rule_findings.most_common(20)
        ],
        "items": items,
    }


def list_rules(core: Core) -> dict[str, Any]:
    """The registered rules (built-in and plugins'), with the score's weights."""
    rules = sorted(core.quality_rules.values(), key=lambda r: (r.category, r.id))
    return {
        "items": [
            {
                "id": r.id,
                "category": r.category,
                "severity": r.severity,
                "title": r.title,
                "rationale": r.rationale,
                "suggestion": r.suggestion,
                "source": r.source,
            }
            for r in rules
        ],
        "weights": engine.WEIGHTS,
        "max_hits_per_rule": engine.MAX_HITS_PER_RULE,
    }
