"""The shipped monitoring (monitoring/): rules checked and unit-tested by the real promtool,
dashboards current and their queries valid PromQL, every metric they name exported, and
a runbook for every alert."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.operations._prometheus import MONITORING, ROOT, RULE_TESTS, RULES, tool

OPERATIONS_DOC = ROOT / "docs" / "operations.md"
METRIC = re.compile(r"\b(promptyard(?::[a-z0-9_]+)+|promptyard_[a-z0-9_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _promtool(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [tool("promtool"), *args], capture_output=True, timeout=120, cwd=cwd, text=True
    )
    assert done.returncode == 0, f"promtool {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_dashboards", ROOT / "scripts" / "gen_dashboards.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    exprs = []
    for path in sorted((MONITORING / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            exprs += [target["expr"] for target in panel.get("targets") or []]
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                exprs.append(str(variable["query"]))
    assert exprs
    return exprs


def test_promtool_checks_the_rules() -> None:
    out = _promtool("check", "rules", str(RULES))
    assert "SUCCESS" in out


def test_the_alerts_fire_as_their_unit_tests_say() -> None:
    out = _promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert "SUCCESS" in out


def test_every_alert_has_a_runbook() -> None:
    doc = OPERATIONS_DOC.read_text()
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in doc.splitlines()
        if line.startswith("#")
    }
    alerts = [rule for rule in _rules() if "alert" in rule]
    assert len(alerts) >= 10
    for rule in alerts:
        name = rule["alert"]
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{name.lower()}", name
        assert name.lower() in headings, f"no runbook heading for {name} in docs/operations.md"
        assert rule["labels"]["severity"] in ("warning", "critical"), name


def test_the_dashboards_are_current() -> None:
    generator = _generator()
    for name, text in generator.render().items():
        path = MONITORING / "grafana" / name
        assert path.is_file() and path.read_text() == text, (
            f"monitoring/grafana/{name} is stale: run `python scripts/gen_dashboards.py`"
        )
    assert {path.name for path in (MONITORING / "grafana").glob("*.json")} == set(
        generator.DASHBOARDS
    )


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each panel's query, with Grafana's variables filled in, parsed by promtool as a
    recording rule (Prometheus's own PromQL parser)."""
    rules = []
    for index, expr in enumerate(_dashboard_exprs()):
        if expr.startswith("label_values("):
            continue  # Grafana's own function, not PromQL
        filled = expr.replace("$__rate_interval", "5m").replace("$__range", "6h")
        filled = filled.replace("$instance", ".*").replace("$project", ".*")
        rules.append({"record": f"dashboard:query_{index}", "expr": filled})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    _promtool("check", "rules", str(path))


def test_every_metric_named_is_exported(app_client: TestClient) -> None:
    """No panel or rule names a metric the server does not export (a typo, a rename)."""
    app_client.get("/api/v1/prompts/nothing")
    text = app_client.get("/metrics").text
    exported = {family.name for family in text_string_to_metric_families(text)}
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    named = set()
    for expr in [rule["expr"] for rule in _rules()] + _dashboard_exprs():
        named.update(METRIC.findall(expr))
    assert named
    for name in sorted(named):
        if name in recorded:
            continue
        base = name
        for suffix in SUFFIXES:
            if base.endswith(suffix) and base.removesuffix(suffix) in exported:
                base = base.removesuffix(suffix)
                break
        assert base in exported, f"{name} is named in monitoring/ but /metrics has no {base}"
