"""``serve --demo``: a sample workspace, written through the services as a user would.

Prompts in folders with tags, several versions each, ``production`` and ``staging``
labels, a branch, and a prompt that includes another. Versions are dated over the
past 30 days so the history looks lived in. Seeding is skipped when the default
project already has prompts, so ``--demo`` is safe on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from promptyard.domain.actor import SYSTEM, RequestContext
from promptyard.domain.schemas import BranchCreate, ListQuery, PromptCreate, PromptUpdate
from promptyard.services.alerts import demo as alerts_demo
from promptyard.services.context import Core
from promptyard.services.evaluation import annotation_demo, runs_demo
from promptyard.services.evaluation import demo as evaluation_demo
from promptyard.services.experiments import demo as experiments_demo
from promptyard.services.identity.projects import ensure_default_workspace
from promptyard.services.prompts import branches, registry, search, versions
from promptyard.services.telemetry import demo as demo_traffic
from promptyard.services.telemetry.otlp import demo as demo_traces


@dataclass
class DemoPrompt:
    name: str
    folder: str
    tags: list[str]
    description: str
    type: str
    #: (content, config, commit message) per version, oldest first.
    versions: list[tuple[Any, dict[str, Any], str]]
    labels: dict[str, int] = field(default_factory=dict)


TONE = DemoPrompt(
    name="tone",
    folder="shared",
    tags=["style", "shared"],
    description="House style, included by the support prompts.",
    type="text",
    versions=[
        ("Be friendly and concise.", {}, "First house style"),
        ("Be warm, friendly and concise. Never blame the customer.", {}, "Warmer tone"),
        (
            "Be warm, friendly and concise. Never blame the customer. "
            "Answer in the customer's language.",
            {},
            "Answer in the customer's language",
        ),
    ],
    labels={"production": 2, "staging": 3},
)

SUPPORT_REPLY = DemoPrompt(
    name="support-reply",
    folder="support/email",
    tags=["support", "email"],
    description="Drafts a reply to a customer email.",
    type="text",
    versions=[
        (
            "Write a reply to {{ customer_name }} about: {{ question }}",
            {"model": "gpt-4o-mini", "temperature": 0.7},
            "Initial version",
        ),
        (
            '{% include "prompt:tone@production" %}\n\n'
            "Write a reply to {{ customer_name }} about: {{ question }}",
            {"model": "gpt-4o-mini", "temperature": 0.7},
            "Use the house style",
        ),
        (
            '{% include "prompt:tone@production" %}\n\n'
            "Write a reply to {{ customer_name }}.\nTheir question: {{ question }}\n"
            "Sign as {{ agent | default('the support team') }}.",
            {"model": "gpt-4o-mini", "temperature": 0.4},
            "Signature and lower temperature",
        ),
        (
            '{% include "prompt:tone@production" %}\n\n'
            "Write a reply to {{ customer_name }}.\nTheir question: {{ question }}\n"
            "{% if order_id is defined %}Their order: {{ order_id }}\n{% endif %}"
            "Sign as {{ agent | default('the support team') }}.",
            {"model": "gpt-4o", "temperature": 0.4},
            "Mention the order when we know it",
        ),
    ],
    labels={"production": 3, "staging": 4},
)

SUMMARIZE = DemoPrompt(
    name="summarize-ticket",
    folder="support/triage",
    tags=["support", "summaries"],
    description="One-paragraph summary of a support ticket for the triage queue.",
    type="text",
    versions=[
        ("Summarize this ticket:\n\n{{ ticket }}", {"model": "gpt-4o-mini"}, "Initial version"),
        (
            "Summarize this ticket in at most {{ max_sentences | default(3) }} sentences:\n\n"
            "{{ ticket }}",
            {"model": "gpt-4o-mini", "temperature": 0.2},
            "Bound the length",
        ),
        (
            "Summarize this ticket in at most {{ max_sentences | default(3) }} sentences, "
            "then give its urgency (low, normal, high):\n\n{{ ticket }}",
            {"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 300},
            "Add urgency",
        ),
    ],
    labels={"production": 2, "staging": 3},
)

SUPPORT_CHAT = DemoPrompt(
    name="support-chat",
    folder="support/chat",
    tags=["support", "chat"],
    description="System prompt and turn template of the support chat bot.",
    type="chat",
    versions=[
        (
            [
                {"role": "system", "content": "You are the support assistant of {{ company }}."},
                {"role": "user", "content": "{{ message }}"},
            ],
            {"model": "gpt-4o-mini", "temperature": 0.5},
            "Initial version",
        ),
        (
            [
                {
                    "role": "system",
                    "content": "You are the support assistant of {{ company }}. "
                    "Be brief; link to the help center when it answers the question.",
                },
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{{ message }}"},
            ],
            {"model": "gpt-4o-mini", "temperature": 0.5},
            "Keep the conversation history",
        ),
        (
            [
                {
                    "role": "system",
                    "content": "You are the support assistant of {{ company }}. "
                    "Be brief; link to the help center when it answers the question. "
                    "Hand over to a person when the customer asks for one.",
                },
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{{ message }}"},
            ],
            {"model": "gpt-4o", "temperature": 0.3},
            "Hand-over rule",
        ),
    ],
    labels={"production": 2, "staging": 3},
)

SQL_HELPER = DemoPrompt(
    name="sql-helper",
    folder="engineering",
    tags=["engineering", "sql"],
    description="Turns a question into SQL for the analytics warehouse.",
    type="chat",
    versions=[
        (
            [
                {"role": "system", "content": "Write {{ dialect }} SQL. Tables:\n{{ schema }}"},
                {"role": "user", "content": "{{ question }}"},
            ],
            {"model": "gpt-4o", "temperature": 0},
            "Initial version",
        ),
        (
            [
                {
                    "role": "system",
                    "content": "Write {{ dialect }} SQL only, no prose. Tables:\n{{ schema }}",
                },
                {"role": "user", "content": "{{ question }}"},
            ],
            {"model": "gpt-4o", "temperature": 0},
            "SQL only",
        ),
        (
            [
                {
                    "role": "system",
                    "content": "Write {{ dialect }} SQL only, no prose. Never "
                    "write to the database. Tables:\n{{ schema }}",
                },
                {"role": "user", "content": "{{ question }}"},
            ],
            {"model": "gpt-4o", "temperature": 0},
            "Read-only queries",
        ),
    ],
    labels={"production": 3, "staging": 3},
)

DEMO_PROMPTS = (TONE, SUPPORT_REPLY, SUMMARIZE, SUPPORT_CHAT, SQL_HELPER)
#: A branch of support-reply from v3 with one experimental commit on it; main has moved
#: on since (v4) in other lines, so `promptyard prompt merge` merges it cleanly.
DEMO_BRANCH = ("support-reply", "shorter-replies", 3)


class _DemoClock:
    """Hands out times from 30 days ago onwards, a few hours apart per step."""

    def __init__(self, now: datetime) -> None:
        self.at = now - timedelta(days=30)
        self._end = now

    def __call__(self) -> datetime:
        return self.at

    def step(self, hours: float) -> None:
        self.at = min(self.at + timedelta(hours=hours), self._end)


def seed(core: Core) -> int:
    """Seed the default project; returns how many prompts were made (0 when it had some)."""
    workspace_id, project_id = ensure_default_workspace(core)
    existing = search.list_prompts(
        core, project_id=project_id, query=ListQuery(deleted="include", limit=1)
    )
    if existing.total:
        return 0
    clock = _DemoClock(core.clock())
    demo = replace(core, clock=clock)
    # The seed acts inside the workspace it fills: its audit events belong to that
    # workspace's trail (SYSTEM alone has workspace 0, which no workspace's view shows).
    ctx = RequestContext(actor=replace(SYSTEM, workspace_id=workspace_id))
    for item in DEMO_PROMPTS:
        first, *rest = item.versions
        content, config, message = first
        registry.create_prompt(
            demo,
            ctx=ctx,
            project_id=project_id,
            data=PromptCreate.model_validate(
                {
                    "name": item.name,
                    "type": item.type,
                    "content": content,
                    "config": config,
                    "folder": item.folder,
                    "description": item.description,
                    "tags": item.tags,
                    "commit_message": message,
                }
            ),
        )
        for content, config, message in rest:
            clock.step(60)
            registry.update_prompt(
                demo,
                ctx=ctx,
                project_id=project_id,
                name=item.name,
                data=PromptUpdate.model_validate(
                    {"content": content, "config": config, "commit_message": message}
                ),
            )
        for label, number in item.labels.items():
            clock.step(3)
            versions.set_label(
                demo,
                ctx=ctx,
                project_id=project_id,
                name=item.name,
                label=label,
                version=number,
            )
    name, branch, base = DEMO_BRANCH
    clock.step(5)
    branches.create_branch(
        demo,
        ctx=ctx,
        project_id=project_id,
        name=name,
        data=BranchCreate(name=branch, from_version=base),
    )
    clock.step(2)
    registry.update_prompt(
        demo,
        ctx=ctx,
        project_id=project_id,
        name=name,
        data=PromptUpdate(
            content='{% include "prompt:tone@production" %}\n\n'
            "Write a reply of at most three sentences to {{ customer_name }}.\n"
            "Their question: {{ question }}\n"
            "Sign as {{ agent | default('the support team') }}.",
            branch=branch,
            commit_message="Try shorter replies",
        ),
    )
    # A month of traffic on the prompts' versions, with costs and feedback.
    demo_traffic.seed_generations(
        core,
        project_id,
        [(item.name, len(item.versions)) for item in DEMO_PROMPTS],
        now=core.clock(),
    )
    # Agent runs as traces (trees of spans and LLM calls), through OTLP ingest.
    demo_traces.seed_traces(
        core,
        project_id,
        [(item.name, len(item.versions)) for item in DEMO_PROMPTS],
        now=core.clock(),
    )
    # A budget near its limit and a fired alert over that traffic (docs/alerting.md).
    alerts_demo.seed(core, ctx=ctx)
    # A dataset for support-reply, and an online evaluator on it (docs/evaluators.md).
    evaluation_demo.seed(core, ctx=ctx, project_id=project_id)
    # A finished evaluation run comparing two versions over that dataset (docs/evaluation.md).
    run_id = runs_demo.seed(
        core,
        ctx=ctx,
        project_id=project_id,
        prompt=evaluation_demo.PROMPT,
        dataset=evaluation_demo.DATASET,
    )
    # An annotation queue over that run's v3 replies, half scored by two reviewers and
    # sample judge scores by the same rubric (docs/annotation.md).
    annotation_demo.seed(core, ctx=ctx, project_id=project_id, run_id=run_id)
    # A running online experiment on support-reply with two weeks of traffic and a verdict.
    experiments_demo.seed(core, ctx=ctx, project_id=project_id)
    return len(DEMO_PROMPTS)
