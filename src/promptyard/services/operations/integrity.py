"""``promptyard db check``: what the stored data must satisfy, checked.

- :func:`check_stored_json`: stored JSON that cannot be served back (repairable);
- :func:`check_version_hashes`: each version's content hash is its content's;
- :func:`check_label_targets`: labels and latest versions point at versions that exist;
- :func:`check_audit_chain`: the tamper-evident audit chain is whole;
- :func:`check_foreign_keys`: no row names a row that does not exist.

:func:`check_database` runs them all; only stored JSON is ever repaired here (a wrong
hash, a dangling label or a broken chain needs a person: restore from a backup, or move
the label). The scheduler runs the check (``db_check_interval_hours``).

Stored JSON that cannot be served back: find it (``promptyard db check``) and repair it
(``promptyard db check --repair``).

Every write refuses JSON nested more than ``MAX_STORED_JSON_DEPTH`` levels or changed by
a round trip through orjson, the serializer of every read and export
(:func:`~promptyard.domain.jsonvalues.stored_json_problem`). Rows written before those
checks, or edited in the database, may still break every read of a prompt and every
export of its project. :func:`check_stored_json` reads each JSON column the API serves
back as raw text (so no row can break the scan itself) and reports the values that break
that rule.

With ``repair=True`` each such value is replaced by a safe placeholder (``{}`` for
metadata, config and sample variables, ``[]`` for lists, empty content), in one
transaction per row together with an audit event ``db.repair`` that names the row, the
column, the problem and the SHA-256 of the old value. A version whose config or content
is replaced gets its content hash recomputed; the old hash is in the audit event.

Two kinds of column are reported but never changed, because a person must decide: audit
summaries (changing one would break the tamper-evident chain) and project settings
(resetting a review policy would weaken it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Text, and_, cast, exists, func, inspect, select, update

from promptyard.domain.actor import SYSTEM, RequestContext
from promptyard.domain.content import content_hash
from promptyard.domain.jsonvalues import stored_json_problem
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.store.models import (
    Base,
    SqlAuditEvent,
    SqlChangeRequest,
    SqlLabel,
    SqlProject,
    SqlPrompt,
    SqlVersion,
    SqlWebhook,
    SqlWebhookDelivery,
)

#: Marks a column that is reported, never repaired.
REPORT_ONLY = object()
_EMPTY_CHAT = [{"role": "system", "content": ""}]


@dataclass(frozen=True)
class Finding:
    table: str
    row_id: int
    column: str
    where: str
    problem: str
    repairable: bool
    repaired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Table:
    name: str
    model: Any
    #: API name of the column -> (model attribute, placeholder or REPORT_ONLY).
    columns: dict[str, tuple[Any, Any]]
    #: Selects ``id, workspace_id, <label columns...>`` (the raw JSON columns are added).
    base: Callable[[], Any]
    describe: Callable[[Any], str]


def _tables() -> list[_Table]:
    return [
        _Table(
            "prompts",
            SqlPrompt,
            {"metadata": (SqlPrompt.meta, {}), "tags": (SqlPrompt.tags, REPORT_ONLY)},
            lambda: select(
                SqlPrompt.id, SqlProject.workspace_id, SqlProject.slug, SqlPrompt.name
            ).join(SqlProject, SqlProject.id == SqlPrompt.project_id),
            lambda row: f"prompt {row[3]!r} in project {row[2]}",
        ),
        _Table(
            "prompt_versions",
            SqlVersion,
            {
                "config": (SqlVersion.config, {}),
                "content": (SqlVersion.content, None),  # None: by the version's type
                "variables": (SqlVersion.variables, []),
                "references": (SqlVersion.references, []),
            },
            lambda: (
                select(
                    SqlVersion.id,
                    SqlProject.workspace_id,
                    SqlProject.slug,
                    SqlPrompt.name,
                    SqlVersion.number,
                    SqlVersion.type,
                    SqlVersion.content_hash,
                )
                .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
                .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            ),
            lambda row: f"prompt {row[3]!r} version {row[4]} in project {row[2]}",
        ),
        _Table(
            "change_requests",
            SqlChangeRequest,
            {
                "sample_variables": (SqlChangeRequest.sample_variables, {}),
                "gate_results": (SqlChangeRequest.gate_results, []),
            },
            lambda: select(SqlChangeRequest.id, SqlProject.workspace_id, SqlProject.slug).join(
                SqlProject, SqlProject.id == SqlChangeRequest.project_id
            ),
            lambda row: f"change request {row[0]} in project {row[2]}",
        ),
        _Table(
            "webhook_deliveries",
            SqlWebhookDelivery,
            {"payload": (SqlWebhookDelivery.payload, {})},
            lambda: select(
                SqlWebhookDelivery.id, SqlWebhook.workspace_id, SqlWebhookDelivery.event
            ).join(SqlWebhook, SqlWebhook.id == SqlWebhookDelivery.webhook_id),
            lambda row: f"webhook delivery {row[0]} ({row[2]})",
        ),
        _Table(
            "webhooks",
            SqlWebhook,
            {"events": (SqlWebhook.events, REPORT_ONLY)},
            lambda: select(SqlWebhook.id, SqlWebhook.workspace_id),
            lambda row: f"webhook {row[0]}",
        ),
        _Table(
            "projects",
            SqlProject,
            {"settings": (SqlProject.settings, REPORT_ONLY)},
            lambda: select(SqlProject.id, SqlProject.workspace_id, SqlProject.slug),
            lambda row: f"project {row[2]}",
        ),
        _Table(
            "audit_events",
            SqlAuditEvent,
            {"summary": (SqlAuditEvent.summary, REPORT_ONLY)},
            lambda: select(SqlAuditEvent.id, SqlAuditEvent.workspace_id, SqlAuditEvent.seq),
            lambda row: f"audit event {row[2]}",
        ),
    ]


def _parse(raw: str | None) -> tuple[Any, str | None]:
    """``(value, problem)`` of one stored JSON text; NULL is no problem."""
    if raw is None:
        return None, None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, f"cannot be parsed as JSON ({exc})"
    return value, stored_json_problem(value)


def _scan(core: Core, table: _Table) -> Iterator[tuple[Any, dict[str, tuple[Any, str | None]]]]:
    """Each row with a problem: ``(row, {column: (parsed value, problem)})``."""
    raws = [cast(attribute, Text) for attribute, _ in table.columns.values()]
    query = table.base().add_columns(*raws).order_by(table.model.id)
    with core.store.read() as session:
        for row in session.execute(query.execution_options(yield_per=500)):
            values = row[len(row) - len(raws) :]
            parsed = {name: _parse(raw) for name, raw in zip(table.columns, values, strict=True)}
            if any(problem for _, problem in parsed.values()):
                yield row, parsed


def check_stored_json(core: Core, *, repair: bool = False) -> list[Finding]:
    """Every stored JSON value that cannot be served back; repaired when ``repair``."""
    findings: list[Finding] = []
    for table in _tables():
        for row, parsed in list(_scan(core, table)):
            fixes: dict[str, tuple[Any, str]] = {}
            for name, (_value, problem) in parsed.items():
                if not problem:
                    continue
                placeholder = table.columns[name][1]
                if name == "content":
                    placeholder = "" if row[5] == "text" else _EMPTY_CHAT
                repairable = placeholder is not REPORT_ONLY
                if repair and repairable:
                    fixes[name] = (placeholder, problem)
                findings.append(
                    Finding(
                        table=table.name,
                        row_id=int(row[0]),
                        column=name,
                        where=table.describe(row),
                        problem=problem,
                        repairable=repairable,
                        repaired=repair and repairable,
                    )
                )
            if fixes:
                _repair(core, table, row, parsed, fixes)
    return findings


def _repair(
    core: Core,
    table: _Table,
    row: Any,
    parsed: dict[str, tuple[Any, str | None]],
    fixes: dict[str, tuple[Any, str]],
) -> None:
    values = {table.columns[name][0]: placeholder for name, (placeholder, _) in fixes.items()}
    summary: dict[str, Any] = {
        "table": table.name,
        "where": table.describe(row),
        "columns": {
            name: {"problem": problem[:300], "replaced_with": placeholder}
            for name, (placeholder, problem) in fixes.items()
        },
    }
    if table.model is SqlVersion and ({"config", "content"} & fixes.keys()):
        content = fixes["content"][0] if "content" in fixes else parsed["content"][0]
        config = fixes["config"][0] if "config" in fixes else parsed["config"][0]
        new_hash = content_hash(row[5], content, config or {})
        values[SqlVersion.content_hash] = new_hash
        if "content" in fixes:  # empty content has no variables or references
            values[SqlVersion.variables] = []
            values[SqlVersion.references] = []
        summary["content_hash"] = {"old": row[6], "new": new_hash}
    with core.store.write() as session:
        old = session.execute(
            select(*(cast(table.columns[name][0], Text) for name in fixes)).where(
                table.model.id == row[0]
            )
        ).one()
        for name, raw in zip(fixes, old, strict=True):
            digest = hashlib.sha256((raw or "").encode("utf-8", "surrogatepass")).hexdigest()
            summary["columns"][name]["old_sha256"] = digest
        session.execute(update(table.model).where(table.model.id == row[0]).values(values))
        audit.append(
            core,
            session,
            ctx=RequestContext(actor=SYSTEM),
            action="db.repair",
            object_type=table.name,
            object_id=str(row[0]),
            summary=summary,
            workspace_id=row[1],
        )


# -- the rest of ``promptyard db check``: hashes, label targets, audit chain, foreign keys


def check_version_hashes(core: Core) -> list[Finding]:
    """Versions whose stored content hash is not the hash of their type, content and
    config (edited in the database, or damaged). Unparsable rows are left to
    :func:`check_stored_json`."""
    query = (
        select(
            SqlVersion.id,
            SqlProject.slug,
            SqlPrompt.name,
            SqlVersion.number,
            SqlVersion.type,
            cast(SqlVersion.content, Text),
            cast(SqlVersion.config, Text),
            SqlVersion.content_hash,
        )
        .join(SqlPrompt, SqlPrompt.id == SqlVersion.prompt_id)
        .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
        .order_by(SqlVersion.id)
    )
    findings = []
    with core.store.read() as session:
        for row in session.execute(query.execution_options(yield_per=1000)):
            content, content_problem = _parse(row[5])
            config, config_problem = _parse(row[6])
            if content_problem or config_problem:
                continue
            expected = content_hash(row[4], content, config or {})
            if expected != row[7]:
                findings.append(
                    Finding(
                        table="prompt_versions",
                        row_id=int(row[0]),
                        column="content_hash",
                        where=f"prompt {row[2]!r} version {row[3]} in project {row[1]}",
                        problem=f"stored hash {row[7]} is not the content's hash {expected}",
                        repairable=False,
                    )
                )
    return findings


def check_label_targets(core: Core) -> list[Finding]:
    """Labels, and prompts' latest version, pointing at a version that does not exist."""

    def missing(prompt_column: Any, number_column: Any) -> Any:
        return ~exists().where(
            and_(SqlVersion.prompt_id == prompt_column, SqlVersion.number == number_column)
        )

    findings = []
    with core.store.read() as session:
        labels = session.execute(
            select(SqlLabel.id, SqlProject.slug, SqlPrompt.name, SqlLabel.name, SqlLabel.version)
            .join(SqlPrompt, SqlPrompt.id == SqlLabel.prompt_id)
            .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            .where(missing(SqlLabel.prompt_id, SqlLabel.version))
            .order_by(SqlLabel.id)
        ).all()
        for row in labels:
            findings.append(
                Finding(
                    "labels",
                    int(row[0]),
                    "version",
                    f"label {row[3]!r} of prompt {row[2]!r} in project {row[1]}",
                    f"points to version {row[4]}, which does not exist",
                    False,
                )
            )
        prompts = session.execute(
            select(SqlPrompt.id, SqlProject.slug, SqlPrompt.name, SqlPrompt.latest_version)
            .join(SqlProject, SqlProject.id == SqlPrompt.project_id)
            .where(SqlPrompt.latest_version > 0, missing(SqlPrompt.id, SqlPrompt.latest_version))
            .order_by(SqlPrompt.id)
        ).all()
        for prompt_row in prompts:
            findings.append(
                Finding(
                    "prompts",
                    int(prompt_row[0]),
                    "latest_version",
                    f"prompt {prompt_row[2]!r} in project {prompt_row[1]}",
                    f"its latest version {prompt_row[3]} does not exist",
                    False,
                )
            )
    return findings


def check_audit_chain(core: Core) -> list[Finding]:
    """The tamper-evident audit chain, re-walked (and checked against the latest signed
    checkpoint in the data folder, when there is one)."""
    result = audit.verify(core)
    if result.ok:
        return []
    return [
        Finding(
            table="audit_events",
            row_id=int(result.first_broken_id or 0),
            column="hash",
            where=f"audit event {result.first_broken_seq}"
            if result.first_broken_seq is not None
            else "the audit chain",
            problem=str(result.reason),
            repairable=False,
        )
    ]


def check_foreign_keys(core: Core) -> list[Finding]:
    """Rows whose foreign key names no row (possible on SQLite when foreign keys were
    off, or after hand edits): one finding per constraint, with the first row."""
    present = set(inspect(core.store.read_engine).get_table_names())
    findings = []
    with core.store.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            for constraint in table.foreign_key_constraints:
                parent = constraint.referred_table
                pairs = [(element.parent, element.column) for element in constraint.elements]
                condition = [child.isnot(None) for child, _ in pairs]
                match = [child == column for child, column in pairs]
                orphan = and_(*condition, ~exists().where(and_(*match)))
                key = next(iter(table.primary_key.columns), None)
                count, first = session.execute(
                    select(func.count(), func.min(key) if key is not None else func.count())
                    .select_from(table)
                    .where(orphan)
                ).one()
                if count:
                    columns = ", ".join(child.name for child, _ in pairs)
                    findings.append(
                        Finding(
                            table=table.name,
                            row_id=int(first or 0),
                            column=columns,
                            where=f"{count} row(s) of {table.name}",
                            problem=f"{columns} names no row of {parent.name}",
                            repairable=False,
                        )
                    )
    return findings


#: Every check of ``promptyard db check`` but the stored JSON one, by name.
CHECKS: dict[str, Callable[[Core], list[Finding]]] = {
    "version hashes": check_version_hashes,
    "label targets": check_label_targets,
    "audit chain": check_audit_chain,
    "foreign keys": check_foreign_keys,
}


#: Repairs of :data:`CHECKS` by name, run by ``repair`` when their check finds a problem;
#: each returns the findings, marked repaired (capabilities install theirs at wiring).
REPAIRS: dict[str, Callable[[Core], list[Finding]]] = {}


def check_database(core: Core, *, repair: bool = False) -> list[Finding]:
    """Every check: stored JSON (repaired when ``repair``), then :data:`CHECKS`."""
    findings = check_stored_json(core, repair=repair)
    for name, check in CHECKS.items():
        found = check(core)
        if repair and found and name in REPAIRS:
            found = REPAIRS[name](core)
        findings.extend(found)
    return findings
