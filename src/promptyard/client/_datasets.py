"""Client methods of datasets and evaluators (issue 11), mixed into
:class:`promptyard.Client`: versioned datasets of cases, file import and export, cases
from stored generations, the evaluator library, trying an evaluator."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

FileFormat = Literal["csv", "json", "jsonl"]


def _name(name: str) -> str:
    return quote(name, safe="")


def format_of(filename: str) -> FileFormat:
    """A file's format from its name: ``.csv``, ``.json``, else JSON Lines."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "json"
    return "jsonl"


class DatasetsMixin:
    """Methods call ``self._json(...)`` and ``self._send(...)`` (provided by Client)."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def list_datasets(self) -> dict[str, Any]:
        """``{"items": [dataset, ...]}`` with each one's latest version and case count."""
        result: dict[str, Any] = self._json("GET", "/datasets")
        return result

    def get_dataset(
        self, name: str, *, version: int | None = None, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """The dataset at ``version`` (default: the latest) with a page of its cases."""
        params: list[tuple[str, Any]] = [("offset", offset), ("limit", limit)]
        if version is not None:
            params.append(("version", version))
        result: dict[str, Any] = self._json("GET", f"/datasets/{_name(name)}", params=params)
        return result

    def dataset_versions(self, name: str) -> list[dict[str, Any]]:
        result: dict[str, Any] = self._json("GET", f"/datasets/{_name(name)}/versions")
        return list(result["items"])

    def create_dataset(
        self,
        name: str,
        cases: list[dict[str, Any]] | None = None,
        *,
        description: str = "",
        message: str = "",
    ) -> dict[str, Any]:
        """Make a dataset (version 1). A case: ``{"input": {...}, "expected"?,
        "metadata"?, "id"?}``."""
        body = {"name": name, "cases": cases or [], "description": description, "message": message}
        result: dict[str, Any] = self._json("POST", "/datasets", json_body=body)
        return result

    def add_cases(
        self, name: str, cases: list[dict[str, Any]], *, message: str = ""
    ) -> dict[str, Any]:
        """Append cases: a new version."""
        body = {"cases": cases, "message": message}
        result: dict[str, Any] = self._json(
            "POST", f"/datasets/{_name(name)}/cases", json_body=body
        )
        return result

    def update_case(self, name: str, case_id: str, **fields: Any) -> dict[str, Any]:
        """Edit a case (``input``, ``expected``, ``metadata``, ``clear_expected``,
        ``message``): a new version."""
        result: dict[str, Any] = self._json(
            "PATCH", f"/datasets/{_name(name)}/cases/{_name(case_id)}", json_body=fields
        )
        return result

    def delete_case(self, name: str, case_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "DELETE", f"/datasets/{_name(name)}/cases/{_name(case_id)}"
        )
        return result

    def import_dataset(
        self,
        name: str,
        content: bytes,
        *,
        format: FileFormat = "csv",
        mode: Literal["append", "replace"] = "append",
        message: str = "",
    ) -> dict[str, Any]:
        """Import a file's bytes as one new version (the dataset is made if needed); a bad
        record raises ``PromptyardError`` (400 ``invalid_import``) naming row and column."""
        params = [("format", format), ("mode", mode), ("message", message)]
        media = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}
        result: dict[str, Any] = self._json(
            "POST",
            f"/datasets/{_name(name)}/import",
            params=params,
            content=content,
            headers={"Content-Type": media[format]},
        )
        return result

    def export_dataset(
        self, name: str, *, format: FileFormat = "jsonl", version: int | None = None
    ) -> bytes:
        """The dataset's cases (at ``version``, default the latest) as a file's bytes."""
        params: list[tuple[str, Any]] = [("format", format)]
        if version is not None:
            params.append(("version", version))
        response = self._send(  # type: ignore[attr-defined]
            "GET", f"/datasets/{_name(name)}/export", params=params
        )
        content: bytes = response.content
        return content

    def add_cases_from_generations(
        self,
        name: str,
        *,
        generation_ids: list[str] | None = None,
        prompt: str | None = None,
        negative_feedback: bool = False,
        limit: int = 100,
        output_as_expected: bool = False,
    ) -> dict[str, Any]:
        """Add stored generations as cases (by id, or by prompt and/or negative feedback)."""
        body: dict[str, Any] = {
            "negative_feedback": negative_feedback,
            "limit": limit,
            "output_as_expected": output_as_expected,
        }
        if generation_ids:
            body["generation_ids"] = generation_ids
        if prompt:
            body["prompt"] = prompt
        result: dict[str, Any] = self._json(
            "POST", f"/datasets/{_name(name)}/from-generations", json_body=body
        )
        return result

    def list_evaluators(self) -> list[dict[str, Any]]:
        """Every evaluator kind with its config's JSON Schema."""
        result: dict[str, Any] = self._json("GET", "/evaluators")
        return list(result["items"])

    def test_evaluator(
        self, kind: str, output: str, *, config: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Run one evaluator on ``output`` (``expected``, ``input``, ``output_b``,
        ``generation`` as keywords); the score."""
        body = {"kind": kind, "output": output, "config": config or {}, **extra}
        result: dict[str, Any] = self._json("POST", "/evaluators/test", json_body=body)
        return result
