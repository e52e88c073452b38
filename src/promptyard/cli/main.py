"""The ``promptyard`` command: assembles the command groups; each lives in its own module.

Commands that talk to a server use the SDK (:class:`promptyard.Client`); only ``serve``
and ``db`` touch the server side of the package, and import it lazily.
"""

from __future__ import annotations

from typing import Annotated

import typer

import promptyard
from promptyard.cli.alerts import alert as alerts_alert
from promptyard.cli.analytics import rollups as analytics_rollups
from promptyard.cli.delivery import mcp as delivery_mcp
from promptyard.cli.evaluation import annotation as evaluation_annotation
from promptyard.cli.evaluation import datasets as evaluation_datasets
from promptyard.cli.evaluation import eval_cmd as evaluation_eval
from promptyard.cli.experiments import experiment as experiments_experiment
from promptyard.cli.governance import review
from promptyard.cli.identity import accounts, projects
from promptyard.cli.operations import audit, db
from promptyard.cli.operations import backup as operations_backup
from promptyard.cli.operations import recovery as operations_recovery
from promptyard.cli.prompts import commands as prompts
from promptyard.cli.prompts import history
from promptyard.cli.quality import scan as quality_scan
from promptyard.cli.runtime import providers as runtime_providers
from promptyard.cli.serve import serve

app = typer.Typer(
    name="promptyard",
    help="Promptyard: self-hosted prompt management. Run the server, or manage prompts on one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
prompt_app = typer.Typer(
    help="Create, version, label, render and compare prompts on a server.",
    no_args_is_help=True,
)
project_app = typer.Typer(help="Projects of the workspace.", no_args_is_help=True)

app.command("serve")(serve)
prompts.register(prompt_app)
history.register(prompt_app)
projects.register(app, project_app)
app.add_typer(db.app, name="db")
app.add_typer(prompt_app, name="prompt")
app.add_typer(project_app, name="project")
accounts.register(app)  # user, key, member
review.register(app)  # review
review.register_prompt_commands(prompt_app)  # prompt lifecycle, prompt impact
audit.register(app)  # audit
delivery_mcp.register(app)  # mcp
quality_scan.register(app)  # scan
operations_backup.register(app)  # backup
operations_recovery.register(app)  # restore-prompts
runtime_providers.register(app)  # provider
evaluation_eval.register(app)  # eval run
evaluation_datasets.register(app)  # dataset
evaluation_annotation.register(app)  # annotation
analytics_rollups.register(app)  # analytics check|rebuild
experiments_experiment.register(app)  # experiment list|show|analyze|stop|promote
alerts_alert.register(app)  # alert rules|list|show|ack|silence|unsilence


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptyard {promptyard.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Promptyard: self-hosted prompt management. Run the server, or manage prompts on one."""
