"""What a change to a prompt would affect: the prompts that include it, by label or version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select

from promptyard.services.context import Core
from promptyard.services.governance.change_requests import request_public
from promptyard.services.governance.lifecycle import ACTIVE
from promptyard.services.prompts.lookup import labels_of, load_prompt, load_version
from promptyard.store.models import (
    SqlChangeRequest,
    SqlLabel,
    SqlPrompt,
    SqlVersion,
)


def impact(core: Core, *, project_id: int, name: str, version: int | None = None) -> dict[str, Any]:
    """Labels on the version, prompts that include this one, and open requests."""
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        if version is not None:
            load_version(session, prompt, version)
        labels = labels_of(session, prompt.id)
        label_items = [
            {"name": label, "version": number}
            for label, number in labels.items()
            if version is None or number == version
        ]
        labelled = exists().where(
            SqlLabel.prompt_id == SqlVersion.prompt_id, SqlLabel.version == SqlVersion.number
        )
        rows = session.execute(
            select(SqlPrompt.name, SqlVersion.number, SqlVersion.references)
            .join(SqlVersion, SqlVersion.prompt_id == SqlPrompt.id)
            .where(
                SqlPrompt.project_id == project_id,
                SqlPrompt.id != prompt.id,
                SqlPrompt.deleted_at.is_(None),
                or_(SqlVersion.number == SqlPrompt.latest_version, labelled),
            )
            .order_by(SqlPrompt.name, SqlVersion.number)
        ).all()
        prefix = f"prompt:{name}@"
        dependents: list[dict[str, Any]] = []
        for other, number, references in rows:
            for reference in references or []:
                if not str(reference).startswith(prefix):
                    continue
                selector = str(reference)[len(prefix) :]
                if selector.startswith("v") and selector[1:].isdigit():
                    target: int | None = int(selector[1:])
                else:
                    target = labels.get(selector)
                dependents.append(
                    {
                        "prompt": other,
                        "version": number,
                        "reference": reference,
                        "resolves_to": target,
                    }
                )
        requests = session.execute(
            select(SqlChangeRequest)
            .where(SqlChangeRequest.prompt_id == prompt.id, SqlChangeRequest.status.in_(ACTIVE))
            .order_by(SqlChangeRequest.id)
        ).scalars()
        open_requests = [request_public(core, session, row) for row in requests]
    return {
        "prompt": name,
        "version": version,
        "lifecycle": prompt.lifecycle,
        "labels": label_items,
        "dependents": dependents,
        "change_requests": open_requests,
    }
