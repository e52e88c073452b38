"""`promptyard experiment list|show|analyze|stop|promote`: online experiments, over the API
(``Client`` experiment methods). Design and start them in the console or with
``POST /api/v1/experiments`` (docs/experiments.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from promptyard.cli._common import (
    DEFAULT_SLUG,
    DEFAULT_URL,
    ApiKeyOpt,
    JsonOpt,
    ProjectOpt,
    UrlOpt,
    connect,
    out,
    print_json,
)

experiment_app = typer.Typer(
    help="Online experiments: list, show, analyze, stop, promote the winner.",
    no_args_is_help=True,
)

ExperimentId = Annotated[int, typer.Argument(help="Experiment id.", show_default=False)]


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _show(item: dict[str, Any]) -> None:
    console = out()
    console.print(
        Text(
            f"#{item['id']} {item['name']} on {item['prompt']}: {item['status']} "
            f"(unit {item['unit']}, primary metric {item['primary_metric']})"
        )
    )
    for variant in item["variants"]:
        console.print(Text(f"  {variant['name']}: label {variant['label']}, weight "
                           f"{variant['weight']:g}"))  # fmt: skip
    if item.get("stop_reason"):
        console.print(Text(f"  stopped: {item['stop_reason']}"))


@experiment_app.command("list")
def list_(
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Only this prompt's.", show_default=False)
    ] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """List the project's experiments."""
    with connect(url, api_key, project) as client:
        items = client.list_experiments(prompt=prompt)
    if as_json:
        print_json({"items": items})
        return
    table = Table("id", "name", "prompt", "status", "variants", "primary metric")
    for item in items:
        names = ", ".join(v["name"] for v in item["variants"])
        table.add_row(
            str(item["id"]), item["name"], item["prompt"], item["status"], names,
            item["primary_metric"],
        )  # fmt: skip
    out().print(table)


@experiment_app.command("show")
def show(
    experiment_id: ExperimentId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Show an experiment's design and state."""
    with connect(url, api_key, project) as client:
        item = client.get_experiment(experiment_id)
    if as_json:
        print_json(item)
    else:
        _show(item)


@experiment_app.command("analyze")
def analyze(
    experiment_id: ExperimentId,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """The results: each metric's estimate against the control with its 95 % interval,
    p-value, always-valid p-value and verdict; the sample ratio check."""
    with connect(url, api_key, project) as client:
        found = client.experiment_results(experiment_id)
    if as_json:
        print_json(found)
        return
    console = out()
    units = ", ".join(f"{k} {v:,}" for k, v in found["units"].items())
    console.print(Text(f"{found['generations']:,} generations; units: {units}"))
    if found.get("srm"):
        console.print(Text(f"sample ratio: {found['srm']['text']}"))
    table = Table("metric", "role", "variant", "estimate", "95% CI", "p", "always-valid p",
                  "verdict")  # fmt: skip
    for metric in found["metrics"]:
        for c in metric["comparisons"]:
            ci = c["ci"]
            table.add_row(
                metric["metric"], metric["role"], c["variant"], _fmt(c["estimate"]),
                f"[{_fmt(ci['low'])}, {_fmt(ci['high'])}]", _fmt(c["p_value"], 3),
                _fmt(c["always_valid_p"], 3), c["verdict"],
            )  # fmt: skip
    console.print(table)
    console.print(Text(f"verdict: {found['verdict']}: {found['verdict_text']}"))


@experiment_app.command("stop")
def stop(
    experiment_id: ExperimentId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Stop the experiment: all traffic goes back to the control."""
    with connect(url, api_key, project) as client:
        item = client.stop_experiment(experiment_id, reason=reason)
    if as_json:
        print_json(item)
    else:
        _show(item)


@experiment_app.command("promote")
def promote(
    experiment_id: ExperimentId,
    variant: Annotated[
        str | None,
        typer.Option("--variant", help="Default: the better variant on the primary metric."),
    ] = None,
    description: Annotated[str, typer.Option("--description", "-d", help="Why.")] = "",
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
    project: ProjectOpt = DEFAULT_SLUG,
) -> None:
    """Move the control's label to the winner (through a change request where the label
    is protected)."""
    extra: dict[str, Any] = {"description": description} if description else {}
    with connect(url, api_key, project) as client:
        done = client.promote_experiment(experiment_id, variant=variant, **extra)
    if as_json:
        print_json(done)
        return
    if done["applied"]:
        message = f"label {done['label']} now points at v{done['version']}"
    else:
        message = (
            f"change request #{done['change_request']} opened to point {done['label']} at "
            f"v{done['version']} (`promptyard review show {done['change_request']}`)"
        )
    out().print(Text(message))


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
