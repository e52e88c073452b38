"""Datasets to and from files: CSV, JSON and JSON Lines.

Import reads the whole file first and checks every record; the first bad one stops the
import with an error naming its row and column (``details: {"row", "column"}``), and
nothing is stored. Only a file that is entirely valid becomes a new version.

Shapes:

- JSON: a list of cases, or ``{"cases": [...]}``; JSON Lines: one case a line. A case is
  ``{"id"?, "input": {...}, "expected"?, "metadata"?}``; without ``input``, every other
  key is an input variable (``{"question": "...", "expected": "..."}``).
- CSV (with a header row): columns ``id``, ``expected`` and ``metadata`` (a JSON object)
  are what they say; a column ``input`` holds the variables as a JSON object; every
  other column is one input variable (its text).

Export writes the same shapes; CSV gets one column per variable when every value is
text, else one ``input`` column of JSON, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from pydantic import ValidationError

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import DomainError
from promptyard.services.context import Core
from promptyard.services.evaluation import datasets
from promptyard.services.evaluation.datasets_schemas import (
    MAX_CASES_PER_REQUEST,
    MAX_IMPORT_BYTES,
    CaseIn,
    DatasetImportPublic,
)

Format = Literal["csv", "json", "jsonl"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
}
_RESERVED = ("id", "expected", "metadata", "input")


class ImportFailed(DomainError):
    """A record of an imported file is not a valid case. ``details``: ``{"row",
    "column", "format"}`` (rows count from 1: the first case; CSV's header is not a row)."""

    code = "invalid_import"
    status = 400


def _fail(fmt: str, row: int | None, column: str | None, message: str) -> ImportFailed:
    where = ", ".join(
        part
        for part in (f"row {row}" if row else "", f"column {column!r}" if column else "")
        if part
    )
    return ImportFailed(
        f"{fmt.upper()} {where}: {message}" if where else f"{fmt.upper()}: {message}",
        details={"row": row, "column": column, "format": fmt},
    )


def _case(fmt: str, row: int, record: Any) -> CaseIn:
    if not isinstance(record, dict):
        raise _fail(fmt, row, None, "a case is a JSON object")
    if "input" not in record:
        record = {
            "input": {k: v for k, v in record.items() if k not in _RESERVED},
            **{k: record[k] for k in ("id", "expected", "metadata") if k in record},
        }
    try:
        return CaseIn.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        column = loc[0] if loc else None
        if column == "input" and len(loc) > 1 and fmt == "csv":
            column = loc[1]
        raise _fail(fmt, row, column, str(first.get("msg"))) from None
    except ValueError as exc:
        raise _fail(fmt, row, None, str(exc)) from None


def _json_cell(fmt: str, row: int, column: str, text: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(fmt, row, column, f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise _fail(fmt, row, column, "must be a JSON object")
    return value


def _parse_csv(text: str) -> list[CaseIn]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _fail("csv", None, None, "the file is empty: give a header row") from None
    except csv.Error as exc:
        raise _fail("csv", None, None, f"the header row cannot be read: {exc}") from None
    header = [h.strip() for h in header]
    if not any(header) or len(set(header)) != len(header):
        raise _fail("csv", None, None, "the header names each column once")
    cases: list[CaseIn] = []
    row = 0
    try:
        for row, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise _fail("csv", row, None, f"{len(values)} values for {len(header)} columns")
            record: dict[str, Any] = {"input": {}}
            for name, value in zip(header, values, strict=True):
                if name == "id":
                    record["id"] = value or None
                elif name == "expected":
                    record["expected"] = value if value != "" else None
                elif name == "metadata":
                    record["metadata"] = _json_cell("csv", row, name, value) if value else {}
                elif name == "input":
                    record["input"].update(_json_cell("csv", row, name, value) if value else {})
                else:
                    record["input"][name] = value
            cases.append(_case("csv", row, record))
            _check_count(len(cases))
    except csv.Error as exc:
        raise _fail("csv", row + 1, None, str(exc)) from None
    return cases


def _check_count(count: int) -> None:
    if count > MAX_CASES_PER_REQUEST:
        raise ImportFailed(
            f"the file holds more than {MAX_CASES_PER_REQUEST} cases; import it in parts",
            code="import_too_large",
            details={"max_cases": MAX_CASES_PER_REQUEST},
        )


def _parse_json(text: str) -> list[CaseIn]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail("json", None, None, f"not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("cases"), list):
        data = data["cases"]
    if not isinstance(data, list):
        raise _fail("json", None, None, 'give a list of cases, or {"cases": [...]}')
    _check_count(len(data))
    return [_case("json", i, record) for i, record in enumerate(data, start=1)]


def _parse_jsonl(text: str) -> list[CaseIn]:
    cases: list[CaseIn] = []
    for row, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise _fail("jsonl", row, None, f"not valid JSON: {exc}") from None
        cases.append(_case("jsonl", row, record))
        _check_count(len(cases))
    return cases


def parse(fmt: Format, data: bytes) -> list[CaseIn]:
    """Every case of a file, or :class:`ImportFailed` for the first bad record."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFailed(
            f"the file is {len(data)} bytes; at most {MAX_IMPORT_BYTES}",
            code="import_too_large",
            details={"max_bytes": MAX_IMPORT_BYTES},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(fmt, None, None, f"the file is not UTF-8 (byte {exc.start})") from None
    parser = {"csv": _parse_csv, "json": _parse_json, "jsonl": _parse_jsonl}[fmt]
    cases = parser(text)
    seen: set[str] = set()
    for index, case in enumerate(cases, start=1):
        if case.id is not None:
            if case.id in seen:
                raise _fail(fmt, index, "id", f"case id {case.id!r} appears twice")
            seen.add(case.id)
    return cases


def import_file(
    core: Core,
    ctx: RequestContext,
    project_id: int,
    name: str,
    fmt: Format,
    data: bytes,
    *,
    mode: Literal["append", "replace"] = "append",
    message: str = "",
) -> DatasetImportPublic:
    """Import a file into dataset ``name`` (made when it does not exist) as one new
    version: ``append`` adds the cases, ``replace`` makes them the whole dataset."""
    cases = parse(fmt, data)
    if not cases:
        raise _fail(fmt, None, None, "the file holds no case")
    note = message or f"imported {len(cases)} from {fmt}"
    replaced = 0
    try:
        if not datasets.exists(core, project_id, name):
            found = datasets.create_dataset(core, ctx, project_id, name, cases, message=note)
        elif mode == "replace":
            found, replaced = datasets.replace_cases(core, ctx, project_id, name, cases, note)
        else:
            found = datasets.add_cases(core, ctx, project_id, name, cases, note)
    except DomainError as exc:
        index = exc.details.get("case") if isinstance(exc.details, dict) else None
        if index is None:
            raise
        column = "id" if exc.code == "duplicate_case_id" else None
        raise _fail(fmt, index + 1, column, exc.message.split(": ", 1)[-1]) from None
    return DatasetImportPublic(
        dataset=name,
        version=found.version,
        added=len(cases),
        replaced=replaced,
        case_count=len(found.cases),
    )


def _record(case: datasets.Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "input": case.input,
        "expected": case.expected,
        "metadata": case.metadata,
    }


def export(
    core: Core, project_id: int, name: str, version: int | None, fmt: Format
) -> tuple[bytes, str, int]:
    """The dataset at ``version`` as a file: ``(bytes, media type, version)``."""
    found = datasets.get_dataset_version(core, project_id, name, version)
    if fmt == "json":
        body = json.dumps([_record(c) for c in found.cases], ensure_ascii=False, indent=1)
        return body.encode(), MEDIA_TYPES[fmt], found.version
    if fmt == "jsonl":
        lines = [json.dumps(_record(c), ensure_ascii=False) for c in found.cases]
        return (
            ("\n".join(lines) + ("\n" if lines else "")).encode(),
            MEDIA_TYPES[fmt],
            found.version,
        )
    return _csv(found.cases).encode(), MEDIA_TYPES[fmt], found.version


def _csv(cases: list[datasets.Case]) -> str:
    variables: list[str] = []
    flat = True
    for case in cases:
        for key, value in case.input.items():
            if key not in variables:
                variables.append(key)
            if not isinstance(value, str):
                flat = False
    if any(v in _RESERVED for v in variables):
        flat = False
    columns = ["id", *(variables if flat else ["input"]), "expected", "metadata"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for case in cases:
        inputs = (
            [case.input.get(v, "") for v in variables]
            if flat
            else [json.dumps(case.input, ensure_ascii=False)]
        )
        writer.writerow(
            [
                case.id,
                *inputs,
                case.expected if case.expected is not None else "",
                json.dumps(case.metadata, ensure_ascii=False) if case.metadata else "",
            ]
        )
    return out.getvalue()
