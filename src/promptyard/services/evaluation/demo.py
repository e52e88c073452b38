"""The demo's dataset (``promptyard serve --demo``): support questions for the
``support-reply`` prompt, with reference answers, and an online evaluator on it."""

from __future__ import annotations

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.evaluation import datasets, online

DATASET = "support-questions"
PROMPT = "support-reply"
_CASES: list[tuple[str, str, str, str]] = [
    ("refund", "Ada", "How do I get a refund for my last order?", "refund"),
    ("password", "Grace", "I forgot my password and the reset email never arrives.", "reset"),
    ("invoice", "Linus", "Can I get an invoice with my company's VAT number?", "invoice"),
    ("shipping", "Margaret", "My parcel has not moved for a week. Where is it?", "tracking"),
    ("cancel", "Alan", "How can I cancel my subscription before it renews?", "cancel"),
    ("upgrade", "Barbara", "Does the Pro plan include priority support?", "priority"),
]


def seed(core: Core, *, ctx: RequestContext, project_id: int) -> None:
    """The dataset (two versions: one case edited) and an online length check."""
    cases = [
        {
            "id": case_id,
            "input": {"customer_name": name, "question": question},
            "expected": keyword,
            "metadata": {"topic": case_id},
        }
        for case_id, name, question, keyword in _CASES
    ]
    datasets.create_dataset(
        core,
        ctx,
        project_id,
        DATASET,
        cases,
        description="Customer questions for support-reply; expected: a word the reply must hold",
        message="first questions from the support inbox",
    )
    datasets.update_case(
        core,
        ctx,
        project_id,
        DATASET,
        "password",
        datasets.CaseUpdate(expected="reset link", message="the reply must offer a reset link"),
    )
    online.create(
        core,
        ctx,
        project_id,
        online.OnlineEvaluatorCreate(
            name="reply-length",
            prompt=PROMPT,
            kind="length",
            config={"max_words": 150},
            sample_rate=0.25,
        ),
    )
