"""Request and response models of budgets, alert rules, channels and fired alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from promptyard.domain.schemas import SLUG_PATTERN, Input, request_examples

BudgetScope = Literal["workspace", "project", "feature", "user"]
BudgetPeriod = Literal["day", "week", "month"]
#: The budget's state: ``ok``, ``warning`` (a threshold below 100 % crossed),
#: ``at_risk`` (forecast to exceed), ``exceeded`` (spend ≥ amount).
BudgetState = Literal["ok", "warning", "at_risk", "exceeded"]
#: Rule kinds evaluated today; ``eval_score`` (a fall in evaluation scores) is reserved.
RuleKind = Literal["cost", "latency_p95", "error_rate", "feedback_drop", "eval_score"]
#: The kinds measured as a fall from a baseline (``baseline - current``).
DROP_KINDS = ("feedback_drop", "eval_score")
Comparison = Literal["gt", "gte", "lt", "lte"]
Baseline = Literal["previous_window", "fixed"]
AlertState = Literal["firing", "acknowledged", "resolved"]
ChannelKind = Literal["slack", "email"]

#: Largest amount, threshold or baseline accepted: far beyond any real figure, small
#: enough to stay exact in a float and in JSON.
MAX_AMOUNT = 1_000_000_000.0
MAX_WINDOW_MINUTES = 30 * 24 * 60
MAX_COOLDOWN_MINUTES = 30 * 24 * 60
MAX_CHANNELS = 20
DEFAULT_THRESHOLDS = [50, 80, 100]


class _Channels(Input):
    channel_ids: list[int] = Field(
        default_factory=list,
        max_length=MAX_CHANNELS,
        description="Slack or email channels notified besides the project's webhooks "
        "subscribed to the alert events.",
    )

    @field_validator("channel_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(item < 1 or item > 2**53 for item in value):
            raise ValueError("channel ids are positive integers")
        return list(dict.fromkeys(value))


def _thresholds(value: list[int] | None) -> list[int] | None:
    if value is None:
        return None
    if any(item < 1 or item > 1000 for item in value):
        raise ValueError("thresholds are percentages of the amount, from 1 to 1000")
    return sorted(set(value))


class BudgetCreate(_Channels):
    model_config = request_examples(
        {
            "name": "Support bot, monthly",
            "scope": "project",
            "project": "default",
            "amount": 500,
            "period": "month",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    scope: BudgetScope = "project"
    project: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        max_length=100,
        description="Project slug: required for a project budget; for a feature or user, "
        "narrows it to one project (else the whole workspace).",
    )
    scope_value: str | None = Field(
        None, min_length=1, max_length=200, description="The feature or user name."
    )
    amount: float = Field(gt=0, le=MAX_AMOUNT, description="USD per period.")
    period: BudgetPeriod = "month"
    thresholds: list[int] = Field(
        default_factory=lambda: list(DEFAULT_THRESHOLDS),
        max_length=10,
        description="Percentages of the amount that notify once per period when crossed.",
    )
    forecast: bool = Field(
        True, description="Notify when the period's linear projection exceeds the amount."
    )

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, value: list[int]) -> list[int]:
        return _thresholds(value) or []

    @model_validator(mode="after")
    def _scope(self) -> BudgetCreate:
        if self.scope == "project" and self.project is None:
            raise ValueError("a project budget names its project")
        if self.scope in ("feature", "user") and self.scope_value is None:
            raise ValueError(f"a {self.scope} budget names the {self.scope} in scope_value")
        if self.scope in ("workspace", "project") and self.scope_value is not None:
            raise ValueError("scope_value is only for feature and user budgets")
        if self.scope == "workspace" and self.project is not None:
            raise ValueError("a workspace budget names no project")
        return self


class BudgetUpdate(Input):
    model_config = request_examples({"amount": 750})

    name: str | None = Field(None, min_length=1, max_length=200)
    amount: float | None = Field(None, gt=0, le=MAX_AMOUNT)
    period: BudgetPeriod | None = None
    thresholds: list[int] | None = Field(None, max_length=10)
    forecast: bool | None = None
    channel_ids: list[int] | None = Field(None, max_length=MAX_CHANNELS)
    active: bool | None = None

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, value: list[int] | None) -> list[int] | None:
        return _thresholds(value)

    @field_validator("channel_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else _Channels._ids(value)


class BudgetPublic(BaseModel):
    id: int
    name: str
    scope: BudgetScope
    project: str | None
    scope_value: str | None
    amount: float
    currency: str
    period: BudgetPeriod
    thresholds: list[int]
    forecast: bool
    channel_ids: list[int]
    active: bool
    created_at: datetime
    created_by: str
    period_start: datetime = Field(description="Start of the current period (UTC).")
    period_end: datetime
    spend: float = Field(description="USD spent so far this period.")
    percent: float = Field(description="spend / amount * 100.")
    forecast_spend: float | None = Field(
        description="Linear projection of the period's spend (null before 5 % of it passed)."
    )
    state: BudgetState


class BudgetsPublic(BaseModel):
    items: list[BudgetPublic]


class AlertRuleCreate(_Channels):
    model_config = request_examples(
        {
            "name": "p95 over 2 s",
            "project": "default",
            "kind": "latency_p95",
            "threshold": 2000,
            "window_minutes": 15,
        }
    )

    name: str = Field(min_length=1, max_length=200)
    project: str = Field("default", pattern=SLUG_PATTERN, max_length=100)
    kind: RuleKind
    prompt: str | None = Field(None, min_length=1, max_length=200, description="Only this prompt.")
    model: str | None = Field(None, min_length=1, max_length=200, description="Only this model.")
    score: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="eval_score: the score watched (an online evaluator's name, or any score "
        "name recorded on generations).",
    )
    window_minutes: int = Field(60, ge=1, le=MAX_WINDOW_MINUTES)
    comparison: Comparison | None = Field(
        None,
        description="How the value is compared with the threshold; default gt (feedback_drop, "
        "eval_score: gte on the fall).",
    )
    threshold: float = Field(
        ge=0,
        le=MAX_AMOUNT,
        description="cost: USD in the window; latency_p95: ms; error_rate: 0 to 1; "
        "feedback_drop, eval_score: the fall of the mean score from the baseline.",
    )
    baseline: Baseline | None = Field(
        None, description="feedback_drop, eval_score: previous_window (default) or fixed."
    )
    baseline_value: float | None = Field(None, ge=-MAX_AMOUNT, le=MAX_AMOUNT)
    min_samples: int = Field(
        1,
        ge=1,
        le=1_000_000,
        description="Fewer calls (or feedback) in the window: not evaluated, no alert.",
    )
    cooldown_minutes: int = Field(60, ge=0, le=MAX_COOLDOWN_MINUTES)

    @model_validator(mode="after")
    def _kind(self) -> AlertRuleCreate:
        check_rule(self.kind, self.threshold, self.baseline, self.baseline_value, self.score)
        return self


def check_rule(
    kind: str,
    threshold: float,
    baseline: str | None,
    baseline_value: float | None,
    score: str | None = None,
) -> None:
    if kind == "error_rate" and threshold > 1:
        raise ValueError("an error_rate threshold is a share, from 0 to 1")
    if kind not in DROP_KINDS and (baseline is not None or baseline_value is not None):
        raise ValueError("baseline is only for feedback_drop and eval_score rules")
    if kind == "eval_score" and not score:
        raise ValueError("an eval_score rule needs score: the evaluator's (score's) name")
    if kind != "eval_score" and score is not None:
        raise ValueError("score is only for eval_score rules")
    if baseline == "fixed" and baseline_value is None:
        raise ValueError("a fixed baseline needs baseline_value")
    if baseline != "fixed" and baseline_value is not None:
        raise ValueError("baseline_value goes with baseline 'fixed'")


class AlertRuleUpdate(Input):
    model_config = request_examples({"threshold": 2500})

    name: str | None = Field(None, min_length=1, max_length=200)
    prompt: str | None = Field(None, min_length=1, max_length=200)
    model: str | None = Field(None, min_length=1, max_length=200)
    score: str | None = Field(None, min_length=1, max_length=200)
    window_minutes: int | None = Field(None, ge=1, le=MAX_WINDOW_MINUTES)
    comparison: Comparison | None = None
    threshold: float | None = Field(None, ge=0, le=MAX_AMOUNT)
    baseline: Baseline | None = None
    baseline_value: float | None = Field(None, ge=-MAX_AMOUNT, le=MAX_AMOUNT)
    min_samples: int | None = Field(None, ge=1, le=1_000_000)
    cooldown_minutes: int | None = Field(None, ge=0, le=MAX_COOLDOWN_MINUTES)
    channel_ids: list[int] | None = Field(None, max_length=MAX_CHANNELS)
    active: bool | None = None

    @field_validator("channel_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else _Channels._ids(value)


class AlertRulePublic(BaseModel):
    id: int
    name: str
    project: str
    kind: str
    prompt: str | None
    model: str | None
    score: str | None = Field(None, description="eval_score: the score watched.")
    window_minutes: int
    comparison: Comparison
    threshold: float
    baseline: Baseline | None
    baseline_value: float | None
    min_samples: int
    cooldown_minutes: int
    channel_ids: list[int]
    active: bool
    created_at: datetime
    created_by: str
    last_evaluated_at: datetime | None
    last_value: float | None = Field(description="The measured value at the last evaluation.")
    firing: bool = Field(description="An incident of this rule is open (firing or acknowledged).")


class AlertRulesPublic(BaseModel):
    items: list[AlertRulePublic]


class AlertChannelCreate(Input):
    model_config = request_examples(
        {"name": "ops email", "kind": "email", "to": ["ops@example.com"]}
    )

    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    url: str | None = Field(
        None, min_length=1, max_length=2000, description="slack: the incoming-webhook URL."
    )
    to: list[str] | None = Field(None, min_length=1, max_length=20, description="email: addresses.")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for address in value:
            local, _, domain = address.partition("@")
            if (
                not local
                or "." not in domain
                or len(address) > 254
                or any(ch.isspace() or ch in "<>,;\"'\\" for ch in address)
            ):
                raise ValueError(f"not an email address: {address[:100]!r}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _kind(self) -> AlertChannelCreate:
        if self.kind == "slack" and (self.url is None or self.to is not None):
            raise ValueError("a slack channel has a url (and no 'to')")
        if self.kind == "email" and (self.to is None or self.url is not None):
            raise ValueError("an email channel has 'to' addresses (and no url)")
        return self


class AlertChannelPublic(BaseModel):
    id: int
    name: str
    kind: ChannelKind
    target: str = Field(description="The masked URL, or the addresses.")
    active: bool
    created_at: datetime
    created_by: str


class AlertChannelsPublic(BaseModel):
    items: list[AlertChannelPublic]


class AlertChannelTestPublic(BaseModel):
    delivered: bool
    error: str | None


class AlertPublic(BaseModel):
    id: int
    project: str | None
    rule_id: int | None
    budget_id: int | None
    kind: str
    state: AlertState
    title: str
    details: dict[str, Any]
    value: float | None
    threshold: float | None
    fired_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    silenced_until: datetime | None
    silenced: bool = Field(description="Notifications are held until silenced_until.")
    resolved_at: datetime | None
    reopened: int = Field(description="Times it came back within the cool-down.")


class AlertsPublic(BaseModel):
    items: list[AlertPublic]
    firing: int = Field(
        description="Open incidents (firing or acknowledged) in the answer's scope."
    )


MAX_SILENCE_MINUTES = 90 * 24 * 60


class AlertSilence(Input):
    model_config = request_examples({"minutes": 60}, {"until": "2030-01-01T00:00:00Z"})

    until: datetime | None = Field(
        None, description="No notifications for this alert until then (at most 90 days)."
    )
    minutes: int | None = Field(
        None, ge=1, le=MAX_SILENCE_MINUTES, description="Or: for this many minutes from now."
    )

    @model_validator(mode="after")
    def _one(self) -> AlertSilence:
        if (self.until is None) == (self.minutes is None):
            raise ValueError("give either until or minutes")
        return self


class AlertDeliveryPublic(BaseModel):
    id: int
    alert_id: int
    channel_id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AlertDeliveriesPublic(BaseModel):
    items: list[AlertDeliveryPublic]
