"""`promptyard eval run`: an evaluation run for people and for CI.

Starts the run through the API (``Client.start_evaluation``), follows it with a progress
bar, then prints each variant's results. ``--fail-under exact_match=0.9`` makes the exit
status 3 when a variant's pass rate (or mean) for that evaluator is below the threshold,
and names which; ``--junit`` writes JUnit XML (one test per threshold and per case) and
``--summary`` a markdown summary fit for a pull-request comment.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    ProjectOpt,
    UrlOpt,
    connect,
    err,
    fail,
    out,
    print_json,
)
from promptyard.client import Client
from promptyard.domain.errors import DomainError
from promptyard.domain.thresholds import Threshold, read_threshold

#: Exit status when a --fail-under threshold is missed (1 is an error, 2 a wrong use).
THRESHOLD_EXIT = 3
#: Cases written to JUnit XML as test cases (the thresholds always are).
JUNIT_MAX_CASES = 2000
_PAGE = 200

eval_app = typer.Typer(help="Evaluation runs: prompts scored over datasets.", no_args_is_help=True)


@dataclass
class Check:
    variant: str
    evaluator: str
    value: float | None
    ci: tuple[float | None, float | None]
    minimum: float | None

    @property
    def passed(self) -> bool:
        return self.minimum is None or (self.value is not None and self.value >= self.minimum)


def parse_threshold(text: str) -> Threshold:
    try:
        return read_threshold(text)
    except DomainError as exc:
        fail(f"--fail-under {exc.message}", code=2)


def parse_evaluator(text: str) -> dict[str, Any]:
    """``KIND``, ``KIND:{json config}`` or ``NAME=KIND:{json config}``."""
    name = None
    head, sep, config_text = text.partition(":")
    if "=" in head:
        name, _, head = head.partition("=")
    spec: dict[str, Any] = {"kind": head.strip()}
    if name:
        spec["name"] = name.strip()
    if sep:
        try:
            config = json.loads(config_text)
        except ValueError as exc:
            fail(f"--evaluator {text!r}: the config after ':' is not JSON ({exc})", code=2)
        if not isinstance(config, dict):
            fail(f"--evaluator {text!r}: the config must be a JSON object", code=2)
        spec["config"] = config
    return spec


def checks(run: dict[str, Any], thresholds: list[Threshold]) -> list[Check]:
    """One check per variant x evaluator (with its threshold, if any)."""
    minimums = {t.evaluator: t.minimum for t in thresholds}
    titles = {v["index"]: v["title"] for v in run["variants"]}
    found: list[Check] = []
    for entry in (run.get("summary") or {}).get("variants", []):
        for evaluated in entry["evaluators"]:
            found.append(
                Check(
                    variant=titles.get(entry["index"], str(entry["index"])),
                    evaluator=evaluated["name"],
                    value=evaluated.get("value"),
                    ci=(evaluated.get("ci_low"), evaluated.get("ci_high")),
                    minimum=minimums.get(evaluated["name"]),
                )
            )
    return found


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ci(check: Check) -> str:
    low, high = check.ci
    return "-" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def markdown(run: dict[str, Any], found: list[Check], failed_cases: list[str]) -> str:
    """A summary for a pull-request comment."""
    ok = all(c.passed for c in found) and run["status"] == "completed"
    mark = "✅" if ok else "❌"
    lines = [
        f"### {mark} Evaluation of `{run['prompt']}` on `{run['dataset']['name']}` "
        f"v{run['dataset']['version']}",
        "",
        f"Run #{run['id']}: {run['status']}, {run['progress']['done']} calls done, "
        f"{run['progress']['failed']} failed, {run['progress']['cached']} from cache; "
        f"cost ${run['actual_cost']:.4f} (estimated "
        f"{_money(run['estimate'].get('cost'))}).",
        "",
        "| variant | evaluator | value | 95% CI | threshold | result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in found:
        result = "-" if c.minimum is None else ("pass" if c.passed else "**FAIL**")
        threshold = "-" if c.minimum is None else f"≥ {c.minimum:g}"
        lines.append(
            f"| {c.variant} | {c.evaluator} | {_fmt(c.value)} | {_ci(c)} | {threshold} | {result} |"
        )
    if failed_cases:
        lines += [
            "",
            f"Failing cases ({len(failed_cases)}): "
            + ", ".join(f"`{case}`" for case in failed_cases[:20])
            + (" …" if len(failed_cases) > 20 else ""),
        ]
    return "\n".join(lines) + "\n"


def _money(value: Any) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _all_results(client: Client, run_id: int, limit: int) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    offset = 0
    while len(cases) < limit:
        page = client.evaluation_results(run_id, offset=offset, limit=_PAGE)
        cases += page["items"]
        offset += _PAGE
        if offset >= page["total"] or not page["items"]:
            break
    return cases[:limit]


def _case_failures(case: dict[str, Any], titles: dict[int, str]) -> list[str]:
    problems: list[str] = []
    for entry in case["variants"]:
        for rep in entry["outputs"]:
            where = titles.get(entry["variant"], str(entry["variant"]))
            if rep["status"] == "failed":
                problems.append(f"{where}: error: {rep['error']}")
            for name, score in (rep.get("scores") or {}).items():
                if score.get("passed") is False:
                    problems.append(f"{where}: {name} failed")
    return problems


def junit(run: dict[str, Any], found: list[Check], cases: list[dict[str, Any]]) -> bytes:
    """JUnit XML: suite ``thresholds`` (one test per variant x evaluator) and suite
    ``cases`` (one test per case; failed when an evaluator failed it or a call failed)."""
    titles = {v["index"]: v["title"] for v in run["variants"]}
    root = ET.Element("testsuites", name=f"promptyard eval {run['prompt']}")
    suite = ET.SubElement(root, "testsuite", name="thresholds", tests=str(len(found)))
    failures = 0
    for c in found:
        test = ET.SubElement(suite, "testcase", classname=c.variant, name=c.evaluator)
        if not c.passed:
            failures += 1
            ET.SubElement(
                test, "failure", message=f"{c.evaluator} = {_fmt(c.value)} < {c.minimum:g}"
            )
    suite.set("failures", str(failures))
    case_suite = ET.SubElement(root, "testsuite", name="cases", tests=str(len(cases)))
    case_failures = 0
    for case in cases:
        test = ET.SubElement(case_suite, "testcase", classname=run["prompt"], name=case["case_id"])
        problems = _case_failures(case, titles)
        if problems:
            case_failures += 1
            failure = ET.SubElement(test, "failure", message=problems[0][:500])
            failure.text = "\n".join(problems)
    case_suite.set("failures", str(case_failures))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _table(found: list[Check]) -> Table:
    table = Table("variant", "evaluator", "value", "95% CI", "threshold", "result")
    for c in found:
        result = "" if c.minimum is None else ("[green]pass[/]" if c.passed else "[red]FAIL[/]")
        threshold = "" if c.minimum is None else f">= {c.minimum:g}"
        table.add_row(c.variant, c.evaluator, _fmt(c.value), _ci(c), threshold, result)
    return table


def _follow(client: Client, run: dict[str, Any], poll: float, timeout: float | None) -> Any:
    with Progress(
        TextColumn("[bold]run #{task.fields[run_id]}[/] {task.fields[status]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err(),
        transient=False,
    ) as progress:
        task = progress.add_task(
            "run", total=run["progress"]["total"], run_id=run["id"], status=run["status"]
        )

        def update(current: dict[str, Any]) -> None:
            p = current["progress"]
            progress.update(task, completed=p["done"] + p["failed"], status=current["status"])

        try:
            return client.wait_for_evaluation(
                run["id"], poll=poll, timeout=timeout, on_progress=update
            )
        except TimeoutError as exc:
            fail(f"{exc} after {timeout:g} s (it goes on on the server)")


def run_command(
    prompt: Annotated[str, typer.Option("--prompt", help="The stored prompt to evaluate.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name, or NAME@VERSION.")],
    evaluator: Annotated[
        list[str],
        typer.Option(
            "--evaluator",
            "-e",
            help="KIND, KIND:{json config} or NAME=KIND:{json config}; repeat for several.",
        ),
    ],
    label: Annotated[
        list[str] | None, typer.Option("--label", help="A label to evaluate; repeatable.")
    ] = None,
    version: Annotated[
        list[int] | None, typer.Option("--version", help="A version to evaluate; repeatable.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="<connection>/<model>; repeatable (default: the prompt's)."),
    ] = None,
    repetitions: Annotated[int, typer.Option(help="Calls per case and variant.")] = 1,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once.")] = 8,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Call the provider even for identical calls.")
    ] = False,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            help="EVALUATOR=MIN: exit 3 when a variant's pass rate (or mean) is below MIN.",
        ),
    ] = None,
    junit_path: Annotated[
        Path | None, typer.Option("--junit", help="Write JUnit XML here.")
    ] = None,
    summary_path: Annotated[
        Path | None, typer.Option("--summary", help="Write a markdown summary here.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print the cost estimate.")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between progress checks.")] = 1.0,
    timeout: Annotated[
        float | None, typer.Option(help="Give up waiting after this many seconds.")
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Run a prompt's versions or labels over a dataset and score every output; for CI,
    exit 3 when a --fail-under threshold is missed."""
    thresholds = [parse_threshold(t) for t in fail_under or []]
    specs = [parse_evaluator(e) for e in evaluator]
    names = {s.get("name") or s["kind"] for s in specs}
    for t in thresholds:
        if t.evaluator not in names:
            fail(
                f"--fail-under {t.evaluator}: no evaluator of that name "
                f"(evaluators: {', '.join(sorted(names))})",
                code=2,
            )
    with connect(url, api_key, project) as client:
        started = client.start_evaluation(
            prompt,
            dataset,
            specs,
            versions=version or None,
            labels=label or None,
            models=model or None,
            repetitions=repetitions,
            concurrency=concurrency,
            use_cache=not no_cache,
            dry_run=dry_run,
        )
        if dry_run:
            if as_json:
                print_json(started)
                return
            estimate = started["estimate"]
            out().print(
                f"{estimate['items']} calls ({estimate['cases']} cases); "
                f"~{estimate['input_tokens']:,} input and ~{estimate['output_tokens']:,} "
                f"output tokens; estimated cost {_money(estimate['cost'])}"
            )
            return
        err().print(
            f"run #{started['id']}: {started['progress']['total']} calls, estimated cost "
            f"{_money(started['estimate'].get('cost'))}"
        )
        run = _follow(client, started, poll, timeout)
        found = checks(run, thresholds)
        cases: list[dict[str, Any]] = []
        if junit_path is not None or summary_path is not None:
            cases = _all_results(client, run["id"], JUNIT_MAX_CASES)
    titles = {v["index"]: v["title"] for v in run["variants"]}
    failed_cases = [c["case_id"] for c in cases if _case_failures(c, titles)]
    if junit_path is not None:
        junit_path.write_bytes(junit(run, found, cases))
    if summary_path is not None:
        summary_path.write_text(markdown(run, found, failed_cases), encoding="utf-8")
    if as_json:
        print_json(run)
    else:
        out().print(_table(found))
    if run["status"] != "completed":
        fail(f"run #{run['id']} is {run['status']}: {run.get('error') or 'not completed'}")
    missed = [c for c in found if not c.passed]
    if missed:
        for c in missed:
            err().print(
                f"[red]threshold missed: {c.evaluator} = {_fmt(c.value)} < {c.minimum:g} "
                f"({c.variant})[/red]"
            )
        raise typer.Exit(THRESHOLD_EXIT)


def register(app: typer.Typer) -> None:
    eval_app.command("run")(run_command)
    app.add_typer(eval_app, name="eval")
