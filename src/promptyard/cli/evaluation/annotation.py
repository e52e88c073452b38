"""``promptyard annotation list|show|create|add|next|score|skip|agreement|delete``.

Human review from the terminal, through the SDK (``Client.next_annotation_item`` ...): a
queue scores stored generations by the LLM judge's rubric; ``next`` locks an item to you
for the queue's lease and shows its input, output and rubric; ``score`` stores every
criterion's score as yours and releases the lock.
"""

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
    fail,
    out,
    print_json,
)

annotation_app = typer.Typer(
    help="Annotation queues: people score stored generations by the judge's rubric.",
    no_args_is_help=True,
)

QueueArg = Annotated[int, typer.Argument(min=1, help="The queue's id (`annotation list`).")]
ItemArg = Annotated[int, typer.Argument(min=1, help="The item's id (from `annotation next`).")]


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _criterion(text: str) -> dict[str, Any]:
    name, _, description = text.partition(":")
    if not name.strip() or not description.strip():
        fail(
            f"--criterion {text!r}: write 'NAME: what it means' (people and the judge "
            "score by the description)",
            code=2,
        )
    return {"name": name.strip(), "description": description.strip()}


def _scale(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        fail(f"--scale {text!r}: write LOW-HIGH, e.g. 1-5", code=2)
    return int(low), int(high)


def _scores(pairs: list[str]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not name.strip() or number is None:
            fail(f"{pair!r}: write CRITERION=SCORE, e.g. correctness=4", code=2)
        scores[name.strip()] = number
    return scores


@annotation_app.command("list")
def list_(
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """List the project's queues with their progress."""
    with connect(url, api_key, project) as client:
        queues = client.list_annotation_queues()
    if as_json:
        print_json(queues)
        return
    table = Table("id", "name", "criteria", "scale", "people", "done", "pending", "locked")
    for q in queues:
        rubric, counts = q["rubric"], q["counts"]
        table.add_row(
            str(q["id"]),
            q["name"],
            ", ".join(c["name"] for c in rubric["criteria"]),
            f"{rubric['scale_min']}-{rubric['scale_max']}",
            str(q["annotators_required"]),
            f"{counts['done']}/{counts['items']}",
            str(counts["pending"]),
            str(counts["locked"]),
        )
    out().print(table)


@annotation_app.command("show")
def show(
    queue: QueueArg,
    items: Annotated[int, typer.Option("--items", min=0, max=200, help="Items to list.")] = 20,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Show a queue, its rubric and its first items."""
    with connect(url, api_key, project) as client:
        found = client.get_annotation_queue(queue)
        listed = client.list_annotation_items(queue, limit=max(items, 1))
    if as_json:
        print_json({**found, "items": listed["items"][:items], "item_total": listed["total"]})
        return
    console = out()
    rubric, counts = found["rubric"], found["counts"]
    console.print(
        Text(
            f"{found['name']} (queue {found['id']}): {counts['done']} of {counts['items']} "
            f"items done, {found['annotators_required']} people each, scale "
            f"{rubric['scale_min']}-{rubric['scale_max']}, pass at "
            f"{rubric['pass_threshold']:g}"
        )
    )
    for criterion in rubric["criteria"]:
        console.print(Text(f"  {criterion['name']}: {_short(criterion.get('description', ''))}"))
    if items:
        table = Table("item", "generation", "status", "scored", "claims")
        for item in listed["items"][:items]:
            claims = ", ".join(f"{c['annotator']} {c['status']}" for c in item["claims"])
            table.add_row(
                str(item["id"]),
                item["generation_id"],
                item["status"],
                str(item["submitted"]),
                claims or "-",
            )
        console.print(table)


@annotation_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The queue's name.")],
    criterion: Annotated[
        list[str] | None,
        typer.Option(
            "--criterion",
            "-c",
            help="A rubric criterion, 'NAME: what it means' (repeat; default one 'quality' "
            "criterion).",
        ),
    ] = None,
    scale: Annotated[str, typer.Option("--scale", help="The scores' range, LOW-HIGH.")] = "1-5",
    pass_threshold: Annotated[
        float,
        typer.Option("--pass-threshold", min=0, max=1, help="Pass at this normalised mean."),
    ] = 0.6,
    annotators: Annotated[
        int, typer.Option("--annotators", min=1, help="Different people who score each item.")
    ] = 1,
    description: Annotated[str | None, typer.Option("--description")] = None,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Make a queue with a rubric (the LLM judge's format, so the two can be compared)."""
    low, high = _scale(scale)
    rubric: dict[str, Any] = {"scale_min": low, "scale_max": high, "pass_threshold": pass_threshold}
    if criterion:
        rubric["criteria"] = [_criterion(text) for text in criterion]
    with connect(url, api_key, project) as client:
        made = client.create_annotation_queue(
            name, rubric=rubric, description=description, annotators_required=annotators
        )
    if as_json:
        print_json(made)
        return
    out().print(Text(f"created queue {made['id']} ({made['name']})"))


@annotation_app.command("add")
def add(
    queue: QueueArg,
    generation: Annotated[
        list[str] | None, typer.Option("--generation", "-g", help="A generation id (repeat).")
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", min=1, help="An evaluation run's case results.")
    ] = None,
    variant: Annotated[
        int | None, typer.Option("--variant", min=0, help="Only this variant of the run.")
    ] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="Generations of a prompt.")] = None,
    negative_feedback: Annotated[
        bool, typer.Option("--negative-feedback", help="Only generations with bad feedback.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Generations from this time (ISO 8601).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")] = None,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Add stored generations: by id, a run's case results, or a filter."""
    if not (generation or run or prompt or negative_feedback or since):
        fail(
            "say which generations: --generation ID, --run RUN, or a filter (--prompt, "
            "--negative-feedback, --since)",
            code=2,
        )
    with connect(url, api_key, project) as client:
        added = client.add_annotation_items(
            queue,
            generation_ids=generation or None,
            run_id=run,
            variant=variant,
            prompt=prompt,
            negative_feedback=negative_feedback,
            since=since,
            limit=limit,
        )
    if as_json:
        print_json(added)
        return
    out().print(
        Text(
            f"added {added['added']} item(s), {added['skipped']} already in the queue; "
            f"{added['total']} in all"
        )
    )


@annotation_app.command("next")
def next_(
    queue: QueueArg,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Take your next item: locked to you for the queue's lease. Exits 3 when nothing is
    left for you."""
    with connect(url, api_key, project) as client:
        work = client.next_annotation_item(queue)
    if as_json:
        print_json(work)
    if work is None:
        if not as_json:
            out().print(Text("nothing left for you in this queue"))
        raise typer.Exit(3)
    if as_json:
        return
    console = out()
    item, rubric = work["item"], work["rubric"]
    console.print(
        Text(
            f"item {item['id']} (generation {item['generation_id']}), locked to you until "
            f"{str(work['locked_until'])[:19]}; {work['remaining']} left for you"
        )
    )
    where = work.get("prompt") or "-"
    if work.get("prompt_version") is not None:
        where += f" v{work['prompt_version']}"
    console.print(Text(f"prompt {where} · model {work.get('model') or '-'}"))
    for title, value in (
        ("input", work.get("input")),
        ("output", work.get("output")),
        ("expected", work.get("expected")),
    ):
        if value is not None:
            console.print(Text(f"--- {title}", style="bold"))
            console.print(Text(value if isinstance(value, str) else str(value)))
    console.print(Text(f"--- score {rubric['scale_min']}-{rubric['scale_max']}", style="bold"))
    for criterion in rubric["criteria"]:
        console.print(Text(f"  {criterion['name']}: {criterion.get('description', '')}"))
    names = " ".join(f"{c['name']}=N" for c in rubric["criteria"])
    console.print(
        Text(f"then: promptyard annotation score {queue} {item['id']} {names}", style="dim")
    )


@annotation_app.command("score")
def score(
    queue: QueueArg,
    item: ItemArg,
    scores: Annotated[list[str], typer.Argument(help="CRITERION=SCORE for every criterion.")],
    comment: Annotated[str | None, typer.Option("--comment", help="A note for others.")] = None,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Score the item you hold: stored as your scores; releases the lock."""
    parsed = _scores(scores)
    with connect(url, api_key, project) as client:
        done = client.submit_annotation_scores(queue, item, parsed, comment=comment)
    if as_json:
        print_json(done)
        return
    verdict = "passes" if done["passed"] else "does not pass"
    out().print(
        Text(f"scored item {item}: {done['value']:.2f} of 1, {verdict} the rubric's threshold")
    )


@annotation_app.command("skip")
def skip(
    queue: QueueArg,
    item: ItemArg,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Give the item back unscored; you are not offered it again."""
    with connect(url, api_key, project) as client:
        found = client.skip_annotation_item(queue, item)
    if as_json:
        print_json(found)
        return
    out().print(Text(f"skipped item {item}"))


@annotation_app.command("agreement")
def agreement(
    queue: QueueArg,
    judge: Annotated[
        str | None, typer.Option("--judge", help="The judge evaluator's score name.")
    ] = None,
    project: ProjectOpt = DEFAULT_SLUG,
    as_json: JsonOpt = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """How far the LLM judge agrees with the people, and the people with each other."""
    with connect(url, api_key, project) as client:
        found = client.annotation_agreement(queue, judge=judge)
    if as_json:
        print_json(found)
        return

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    table = Table("criterion", "n", "MAD", "Spearman", "kappa", "alpha (judge)", "people alpha")
    for c in found["criteria"]:
        table.add_row(
            c["criterion"],
            str(c["n"]),
            number(c["mean_absolute_difference"]),
            number(c["spearman"]),
            f"{number(c['weighted_kappa'])} {c['kappa_interpretation']}",
            f"{number(c['alpha_with_judge'])} {c['alpha_with_judge_interpretation']}",
            f"{number(c['human_alpha'])} {c['human_alpha_interpretation']}",
        )
    out().print(table)


@annotation_app.command("delete")
def delete(
    queue: QueueArg,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
    project: ProjectOpt = DEFAULT_SLUG,
    url: UrlOpt = DEFAULT_URL,
    api_key: ApiKeyOpt = None,
) -> None:
    """Delete a queue and its items (the scores already given stay)."""
    if not yes and not typer.confirm(f"delete annotation queue {queue}?"):
        raise typer.Exit(1)
    with connect(url, api_key, project) as client:
        client.delete_annotation_queue(queue)
    out().print(Text(f"deleted queue {queue}"))


def register(app: typer.Typer) -> None:
    """Add this module's command group to the main app."""
    app.add_typer(annotation_app, name="annotation")
