"""Client methods for evaluation runs (``/api/v1/evaluations``), mixed into
:class:`promptyard.Client`: start a run (or estimate it), follow it, read its results,
cancel, resume, compare. ``promptyard eval run`` is built on these."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Statuses after which a run changes no more (until it is resumed).
FINISHED = ("cancelled", "completed", "failed")


def run_body(
    prompt: str,
    dataset: str,
    evaluators: list[dict[str, Any] | str],
    *,
    versions: list[int] | None = None,
    labels: list[str] | None = None,
    models: list[str] | None = None,
    repetitions: int | None = None,
    params: dict[str, Any] | None = None,
    sweep: dict[str, list[Any]] | None = None,
    use_cache: bool | None = None,
    concurrency: int | None = None,
    name: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """The JSON of ``POST /evaluations``; an evaluator may be given as its kind alone."""
    body: dict[str, Any] = {
        "prompt": prompt,
        "dataset": dataset,
        "evaluators": [{"kind": e} if isinstance(e, str) else dict(e) for e in evaluators],
    }
    optional = {
        "versions": versions,
        "labels": labels,
        "models": models,
        "repetitions": repetitions,
        "params": params,
        "sweep": sweep,
        "use_cache": use_cache,
        "concurrency": concurrency,
        "name": name,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if dry_run:
        body["dry_run"] = True
    return body


class EvaluationRunsMixin:
    """Methods call ``self._json(method, path, params=..., json_body=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def start_evaluation(
        self, prompt: str, dataset: str, evaluators: list[Any], **options: Any
    ) -> dict[str, Any]:
        """Start a run (see :func:`run_body` for the options); with ``dry_run=True`` only
        ``{"dry_run", "variants", "estimate"}`` is answered."""
        body = run_body(prompt, dataset, evaluators, **options)
        result: dict[str, Any] = self._json("POST", "/evaluations", json_body=body)
        return result

    def list_evaluations(
        self, *, prompt: str | None = None, status: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        params = [("limit", str(limit))]
        if prompt is not None:
            params.append(("prompt", prompt))
        if status is not None:
            params.append(("status", status))
        result: dict[str, Any] = self._json("GET", "/evaluations", params=params)
        return result

    def get_evaluation(self, run_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/evaluations/{int(run_id)}")
        return result

    def evaluation_results(
        self, run_id: int, *, offset: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        params = [("offset", str(offset)), ("limit", str(limit))]
        result: dict[str, Any] = self._json(
            "GET", f"/evaluations/{int(run_id)}/results", params=params
        )
        return result

    def cancel_evaluation(self, run_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/evaluations/{int(run_id)}/cancel")
        return result

    def resume_evaluation(self, run_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/evaluations/{int(run_id)}/resume")
        return result

    def compare_evaluations(self, run_id: int, baseline: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "GET", f"/evaluations/{int(run_id)}/compare", params=[("baseline", str(baseline))]
        )
        return result

    def wait_for_evaluation(
        self,
        run_id: int,
        *,
        poll: float = 1.0,
        timeout: float | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> dict[str, Any]:
        """Poll a run until it is finished (completed, cancelled or failed); the run.
        ``on_progress`` sees every answer; ``timeout`` raises :class:`TimeoutError`."""
        started = time.monotonic()
        while True:
            run = self.get_evaluation(run_id)
            if on_progress is not None:
                on_progress(run)
            if run["status"] in FINISHED:
                return run
            if timeout is not None and time.monotonic() - started > timeout:
                raise TimeoutError(f"evaluation run {run_id} still {run['status']}")
            sleep(poll)
