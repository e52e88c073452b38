"""Client methods of annotation queues (``/api/v1/annotation-queues``), mixed into
:class:`promptyard.Client`: queues with the LLM judge's rubric, adding stored generations
to them, working them (the next item under a lease, skip, scores) and the agreement
between the judge and the people. ``promptyard annotation`` is built on these."""

from __future__ import annotations

from typing import Any


class AnnotationMixin:
    """Methods call ``self._json(method, path, params=..., json_body=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def list_annotation_queues(self) -> list[dict[str, Any]]:
        """The project's queues, each with its rubric and counts."""
        return list(self._json("GET", "/annotation-queues")["items"])

    def get_annotation_queue(self, queue_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/annotation-queues/{int(queue_id)}")
        return result

    def create_annotation_queue(
        self,
        name: str,
        *,
        rubric: dict[str, Any] | None = None,
        description: str | None = None,
        annotators_required: int | None = None,
        lease_seconds: int | None = None,
    ) -> dict[str, Any]:
        """A queue. ``rubric``: the llm_judge evaluator's rubric (``criteria`` of
        ``{"name", "description", "weight"?}``, ``scale_min``, ``scale_max``,
        ``pass_threshold``, ``instructions``); default one ``quality`` criterion, 1 to 5."""
        body: dict[str, Any] = {"name": name}
        optional = {
            "rubric": rubric,
            "description": description,
            "annotators_required": annotators_required,
            "lease_seconds": lease_seconds,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        result: dict[str, Any] = self._json("POST", "/annotation-queues", json_body=body)
        return result

    def update_annotation_queue(self, queue_id: int, **fields: Any) -> dict[str, Any]:
        """Change ``description``, ``annotators_required`` or ``lease_seconds``."""
        result: dict[str, Any] = self._json(
            "PATCH", f"/annotation-queues/{int(queue_id)}", json_body=fields
        )
        return result

    def delete_annotation_queue(self, queue_id: int) -> None:
        self._json("DELETE", f"/annotation-queues/{int(queue_id)}")

    def add_annotation_items(
        self,
        queue_id: int,
        *,
        generation_ids: list[str] | None = None,
        run_id: int | None = None,
        variant: int | None = None,
        prompt: str | None = None,
        negative_feedback: bool = False,
        since: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Add stored generations: by id, an evaluation run's case results (``variant``:
        one of its variants), or a filter (``prompt``, ``negative_feedback``, ``since``)
        up to ``limit``. ``{"added", "skipped", "total"}``."""
        body: dict[str, Any] = {}
        optional = {
            "generation_ids": generation_ids,
            "run_id": run_id,
            "variant": variant,
            "prompt": prompt,
            "since": since,
            "limit": limit,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if negative_feedback:
            body["negative_feedback"] = True
        result: dict[str, Any] = self._json(
            "POST", f"/annotation-queues/{int(queue_id)}/items", json_body=body
        )
        return result

    def list_annotation_items(
        self, queue_id: int, *, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """``{"items": [...], "total"}``, oldest first; ``status``: pending or done."""
        params: list[tuple[str, Any]] = [("limit", limit), ("offset", offset)]
        if status is not None:
            params.append(("status", status))
        result: dict[str, Any] = self._json(
            "GET", f"/annotation-queues/{int(queue_id)}/items", params=params
        )
        return result

    def next_annotation_item(self, queue_id: int) -> dict[str, Any] | None:
        """The caller's next item, locked to them for the queue's lease (input, output,
        the run case's expected answer, the rubric); None when nothing is left for them."""
        found = self._json("POST", f"/annotation-queues/{int(queue_id)}/next")
        work: dict[str, Any] | None = found.get("work")
        return work

    def renew_annotation_lease(self, queue_id: int, item_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST", f"/annotation-queues/{int(queue_id)}/items/{int(item_id)}/lease"
        )
        return result

    def skip_annotation_item(self, queue_id: int, item_id: int) -> dict[str, Any]:
        """Give the item back unscored; it is not offered to the caller again."""
        result: dict[str, Any] = self._json(
            "POST", f"/annotation-queues/{int(queue_id)}/items/{int(item_id)}/skip"
        )
        return result

    def submit_annotation_scores(
        self,
        queue_id: int,
        item_id: int,
        scores: dict[str, float],
        *,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Score the held item: every rubric criterion on the rubric's scale. Stored as
        ``human`` scores attributed to the caller; ``{"item", "score_ids", "value",
        "passed"}``."""
        body: dict[str, Any] = {"scores": scores}
        if comment is not None:
            body["comment"] = comment
        result: dict[str, Any] = self._json(
            "POST",
            f"/annotation-queues/{int(queue_id)}/items/{int(item_id)}/scores",
            json_body=body,
        )
        return result

    def annotation_agreement(self, queue_id: int, *, judge: str | None = None) -> dict[str, Any]:
        """Per criterion: the judge against the people and the people among themselves
        (n, mean absolute difference, Spearman, weighted kappa, Krippendorff's alpha)."""
        params = [("judge", judge)] if judge else []
        result: dict[str, Any] = self._json(
            "GET", f"/annotation-queues/{int(queue_id)}/agreement", params=params
        )
        return result
