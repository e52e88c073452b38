"""Online experiments in the SDK: ``get_prompt(..., unit_id=...)`` serves the unit's
variant, assigned locally, and generations logged with that prompt record it.

The running experiments of a prompt are read from ``GET /api/v1/experiments/active``
and kept ``EXPERIMENTS_TTL`` seconds; assignment is the server's function
(``domain/experiments.py``: sha256 of ``"<experiment id>:<unit>"``), repeated here
because the SDK imports nothing of the server side; tests check that both agree. When
the list cannot be read, the requested label is served (the control), never an error.
Also the experiment API: create, start, stop, promote, results, the power calculator.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from promptyard.client._errors import PromptyardError

logger = logging.getLogger("promptyard.client.experiments")

#: How long the list of a prompt's running experiments is kept (seconds).
EXPERIMENTS_TTL = 30.0
_SCALE = float(2**64)
P = TypeVar("P")


def bucket(experiment_id: int, unit: str) -> float:
    """The unit's position in [0, 1): the server's ``domain.experiments.bucket``."""
    digest = hashlib.sha256(f"{experiment_id}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def choose(weights: Sequence[float], position: float) -> int:
    total = float(sum(weights))
    if total <= 0:
        return 0
    edge = 0.0
    for index, weight in enumerate(weights):
        edge += weight / total
        if position < edge:
            return index
    return max(i for i, w in enumerate(weights) if w > 0)


def with_experiment(prompt: P, experiment_id: int, variant: str) -> P:
    """A copy of ``prompt`` that says which experiment and variant served it."""
    served = copy.copy(prompt)
    served.experiment_id = experiment_id  # type: ignore[attr-defined]
    served.variant = variant  # type: ignore[attr-defined]
    return served


def assignment_in(
    experiments: Sequence[Mapping[str, Any]], unit_id: str, label: str
) -> tuple[str, int, str] | None:
    """``(label to serve, experiment id, variant)`` for ``unit_id`` among a prompt's
    running ``experiments`` (``GET /experiments/active``) on ``label``, or None."""
    for experiment in experiments:
        if experiment.get("control_label") != label:
            continue
        variants = experiment.get("variants") or []
        index = choose(
            [float(v["weight"]) for v in variants], bucket(int(experiment["id"]), unit_id)
        )
        chosen = variants[index]
        if chosen.get("stopped"):
            return None
        return str(chosen["label"]), int(experiment["id"]), str(chosen["name"])
    return None


class ExperimentsMixin:
    """Local assignment for ``get_prompt`` and the ``/experiments`` API."""

    project: str

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _active_experiments(self, name: str) -> list[dict[str, Any]]:
        cache: dict[str, tuple[float, list[dict[str, Any]]]]
        cache = self.__dict__.setdefault("_experiments_active", {})
        lock: threading.Lock = self.__dict__.setdefault("_experiments_lock", threading.Lock())
        now = time.monotonic()
        hit = cache.get(name)
        if hit is not None and now - hit[0] < EXPERIMENTS_TTL:
            return hit[1]
        try:
            found = self._json("GET", "/experiments/active", params=[("prompt", name)])
            items = list(found.get("items", [])) if isinstance(found, dict) else []
        except PromptyardError as exc:
            logger.warning(
                "promptyard: could not read experiments of %r (%s); serving control", name, exc
            )
            items = hit[1] if hit is not None else []
        with lock:
            cache[name] = (now, items)
        return items

    def experiment_assignment(
        self, name: str, unit_id: str, *, label: str = "production"
    ) -> tuple[str, int, str] | None:
        """``(label to serve, experiment id, variant)`` for ``unit_id`` reading
        ``name@label``, or None when no experiment runs there."""
        return assignment_in(self._active_experiments(name), unit_id, label)

    # -- the experiment API ----------------------------------------------------------

    def create_experiment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Design an experiment (``POST /experiments``; see docs/experiments.md)."""
        return dict(self._json("POST", "/experiments", json_body=dict(body)))

    def list_experiments(self, *, prompt: str | None = None) -> list[dict[str, Any]]:
        params = [("prompt", prompt)] if prompt else []
        return list(self._json("GET", "/experiments", params=params)["items"])

    def get_experiment(self, experiment_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/experiments/{int(experiment_id)}"))

    def start_experiment(self, experiment_id: int) -> dict[str, Any]:
        return dict(self._json("POST", f"/experiments/{int(experiment_id)}/start"))

    def stop_experiment(self, experiment_id: int, *, reason: str | None = None) -> dict[str, Any]:
        body = {"reason": reason} if reason else {}
        return dict(self._json("POST", f"/experiments/{int(experiment_id)}/stop", json_body=body))

    def promote_experiment(
        self, experiment_id: int, *, variant: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"variant": variant, **extra} if variant else dict(extra)
        return dict(
            self._json("POST", f"/experiments/{int(experiment_id)}/promote", json_body=body)
        )

    def experiment_results(self, experiment_id: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/experiments/{int(experiment_id)}/results"))

    def sample_size(self, **body: Any) -> dict[str, Any]:
        """The power calculator (``POST /experiments/power``)."""
        return dict(self._json("POST", "/experiments/power", json_body=body))
