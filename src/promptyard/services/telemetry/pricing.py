"""What a call cost: prices from the ``genai-prices`` package's bundled data, or a
workspace's own override, never a guess.

A model's price is resolved once per ``(provider, model)`` and kept (resolving takes
~100 µs, pricing a row with the resolved rates ~1 µs). ``genai-prices`` counts cached
input tokens *inside* the input tokens, as providers report them; so do we: the cached
part is priced at the cache-read rate and the rest at the input rate, never both.

An unknown model has no price: its cost is ``None`` and the row is flagged
``unknown_model_price``, never recorded as 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Flags a generation row can carry about its cost.
UNKNOWN_PRICE = "unknown_model_price"


@dataclass(frozen=True)
class Rates:
    """USD (or ``currency``) per million tokens."""

    input: float
    output: float
    cached_input: float | None
    source: str
    currency: str = "USD"
    #: ``genai-prices``' own price object, for tiered prices our flat maths cannot do.
    tiered: Any = None


@dataclass(frozen=True)
class Cost:
    input: float
    output: float
    currency: str
    source: str


def cost_of(rates: Rates, input_tokens: int, output_tokens: int, cached_tokens: int | None) -> Cost:
    cached = min(cached_tokens or 0, input_tokens)
    if rates.tiered is not None:
        from genai_prices import Usage

        price = rates.tiered.calc_price(
            Usage(
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cached or None,
            )
        )
        return Cost(float(price["input_price"]), float(price["output_price"]), "USD", rates.source)
    cached_rate = rates.input if rates.cached_input is None else rates.cached_input
    input_cost = ((input_tokens - cached) * rates.input + cached * cached_rate) / 1e6
    return Cost(input_cost, output_tokens * rates.output / 1e6, rates.currency, rates.source)


class PriceBook:
    """Bundled prices, resolved once per model and kept for the process's life."""

    def __init__(self) -> None:
        self._known: dict[tuple[str | None, str], Rates | None] = {}
        self._lock = threading.Lock()

    def rates(self, provider: str | None, model: str) -> Rates | None:
        key = (provider, model)
        try:
            return self._known[key]
        except KeyError:
            pass
        rates = _resolve(provider, model)
        with self._lock:
            if len(self._known) > 10_000:  # bounded: model names come from callers
                self._known.clear()
            self._known[key] = rates
        return rates


#: Our provider kinds → genai-prices' provider ids.
_PROVIDER_IDS = {
    "openai": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "mistral": "mistral",
    "groq": "groq",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
}


def _resolve(provider: str | None, model: str) -> Rates | None:
    if provider == "fake":
        return Rates(input=0.0, output=0.0, cached_input=0.0, source="fake")
    from genai_prices import Usage, calc_price
    from genai_prices.types import TieredPrices

    provider_id = _PROVIDER_IDS.get(provider or "")
    try:
        found = calc_price(Usage(input_tokens=1, output_tokens=1), model, provider_id=provider_id)
    except LookupError:
        if provider_id is None:
            return None
        try:  # an OpenAI-compatible server may serve another vendor's model
            found = calc_price(Usage(input_tokens=1, output_tokens=1), model)
        except LookupError:
            return None
    price = found.model_price
    values = {key: getattr(price, key, None) for key in ("input_mtok", "output_mtok")}
    cache_read = getattr(price, "cache_read_mtok", None)
    if any(isinstance(v, TieredPrices) for v in (*values.values(), cache_read)):
        return Rates(0.0, 0.0, None, source="genai-prices", tiered=price)
    return Rates(
        input=float(values["input_mtok"] or 0),
        output=float(values["output_mtok"] or 0),
        cached_input=None if cache_read is None else float(cache_read),
        source="genai-prices",
    )


@dataclass(frozen=True)
class Override:
    provider: str | None
    model: str
    rates: Rates
    effective_from: datetime


def pick_override(overrides: list[Override], provider: str | None, at: datetime) -> Rates | None:
    """The override in force at ``at`` (latest effective date first; a provider-specific
    one before one for any provider)."""
    best: Override | None = None
    for override in overrides:
        if override.effective_from > at:
            continue
        if override.provider is not None and override.provider != provider:
            continue
        if best is None or (override.effective_from, override.provider is not None) > (
            best.effective_from,
            best.provider is not None,
        ):
            best = override
    return None if best is None else best.rates
