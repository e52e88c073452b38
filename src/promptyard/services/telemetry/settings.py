"""A project's generation settings: whether generation text (input and output) is stored."""

from __future__ import annotations

from pydantic import BaseModel, Field

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import Input, request_examples
from promptyard.services.context import Core
from promptyard.services.identity.projects import set_project_setting
from promptyard.services.operations import audit
from promptyard.services.telemetry.generations import STORE_TEXT_SETTING, forget_project_info
from promptyard.store.models import SqlProject


class GenerationSettings(BaseModel):
    store_text: bool = Field(
        description="store each generation's input and output text (cut at "
        "PROMPTYARD_GENERATION_TEXT_MAX_CHARS); off: tokens, cost and timing only"
    )


class GenerationSettingsUpdate(Input):
    model_config = request_examples({"store_text": False})

    store_text: bool


def get_settings(core: Core, *, project_id: int) -> GenerationSettings:
    with core.store.read() as session:
        project = session.get(SqlProject, project_id)
        stored = (project.settings or {}) if project is not None else {}
    return GenerationSettings(store_text=stored.get(STORE_TEXT_SETTING, True) is not False)


def set_settings(
    core: Core, *, ctx: RequestContext, project_id: int, data: GenerationSettingsUpdate
) -> GenerationSettings:
    with core.store.write() as session:
        set_project_setting(session, project_id, STORE_TEXT_SETTING, data.store_text)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="generation_settings.update",
            object_type="project",
            object_id=str(project_id),
            summary={"store_text": data.store_text},
        )
    forget_project_info(core, project_id)
    return GenerationSettings(store_text=data.store_text)
