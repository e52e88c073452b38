"""Check a running Promptyard from cron or a synthetic monitor, with timings.

    python scripts/healthcheck.py --url https://prompts.example.com
    python scripts/healthcheck.py --url URL --api-key KEY            # + the health score
    python scripts/healthcheck.py --url URL --api-key KEY \\
        --journey --prompt support-reply --label production \\
        --variables '{"customer": "Ada"}'                            # + the critical journey

Checks, each timed: ``GET /healthz`` (alive), ``GET /readyz`` (database, migrations,
render pool), and with credentials ``GET /api/v1/system/health`` (the health score).
``--journey`` walks what an agent and a person do every day: sign in (``POST
/api/v1/auth/login``, a session like the console's, with its CSRF token), fetch a prompt
by label, render it, and execute it on the fake provider's model ``fake/echo`` (``POST
/api/v1/prompts/execute``; no LLM is called).

Exit status, as Nagios-style monitors expect: 0 OK, 1 WARNING (the health score is
yellow, or a step was slower than ``--warn-ms``), 2 CRITICAL (a check failed or the
score is red), 3 UNKNOWN (bad arguments). Prints one line per check, or JSON with
``--json``. Needs only httpx (``pip install httpx``); credentials may also come from
``PROMPTYARD_URL``, ``PROMPTYARD_API_KEY``, ``PROMPTYARD_EMAIL``, ``PROMPTYARD_PASSWORD``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
CSRF_COOKIE, CSRF_HEADER = "promptyard_csrf", "X-CSRF-Token"


@dataclass
class Step:
    name: str
    status: int
    ms: float
    detail: str


class Checker:
    def __init__(self, client: httpx.Client, warn_ms: float) -> None:
        self.client = client
        self.warn_ms = warn_ms
        self.steps: list[Step] = []

    def call(
        self, name: str, method: str, path: str, *, expect: int = 200, **kwargs: Any
    ) -> httpx.Response | None:
        """One timed request; records a step. None when it failed (a CRITICAL step)."""
        started = time.perf_counter()
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            ms = (time.perf_counter() - started) * 1000
            self.steps.append(Step(name, CRITICAL, round(ms, 1), f"{type(exc).__name__}: {exc}"))
            return None
        ms = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            detail = f"HTTP {response.status_code}: {_error(response)}"
            self.steps.append(Step(name, CRITICAL, round(ms, 1), detail))
            return None
        status = WARNING if ms > self.warn_ms else OK
        detail = f"HTTP {response.status_code}" + (
            f" (slower than {self.warn_ms:g} ms)" if status else ""
        )
        self.steps.append(Step(name, status, round(ms, 1), detail))
        return response

    def note(self, status: int, detail: str) -> None:
        """Attach a verdict to the last step (worse wins)."""
        step = self.steps[-1]
        step.status = max(step.status, status)
        step.detail = f"{step.detail}; {detail}"


def _error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or response.text[:200])
    except ValueError:
        return response.text[:200]


def check_service(checker: Checker, args: argparse.Namespace) -> None:
    checker.call("healthz", "GET", "/healthz")
    checker.call("readyz", "GET", "/readyz")
    if not args.api_key:
        if not (args.email and args.password):
            return
        login = {"email": args.email, "password": args.password}
        if checker.call("sign in (score)", "POST", "/api/v1/auth/login", json=login) is None:
            return
    answer = checker.call("health score", "GET", "/api/v1/system/health")
    if answer is None:
        return
    body = answer.json()
    verdict = {"green": OK, "unknown": OK, "yellow": WARNING, "red": CRITICAL}[body["status"]]
    bad = [
        f"{c['name']} {c['status']}: {c['summary']}"
        for c in body["components"]
        if c["status"] in ("yellow", "red")
    ]
    checker.note(
        verdict, f"score {body['score']} ({body['status']})" + "".join(f"; {line}" for line in bad)
    )


def check_journey(checker: Checker, args: argparse.Namespace) -> None:
    """Sign in, fetch by label, render, execute on fake/echo."""
    login: dict[str, Any] = (
        {"email": args.email, "password": args.password}
        if args.email
        else {"api_key": args.api_key}
    )
    # The session is what the journey uses from here on, like the console.
    checker.client.headers.pop("Authorization", None)
    if checker.call("sign in", "POST", "/api/v1/auth/login", json=login) is None:
        return
    csrf = checker.client.cookies.get(CSRF_COOKIE) or ""
    headers = {CSRF_HEADER: csrf}
    params = {"label": args.label, "project": args.project}
    name = args.prompt
    fetched = checker.call(
        f"fetch {name}@{args.label}", "GET", f"/api/v1/prompts/{name}", params=params
    )
    if fetched is None:
        return
    version = fetched.json().get("version")
    number = version.get("number") if isinstance(version, dict) else version
    checker.note(OK, f"version {number}")
    body = {"label": args.label, "variables": args.variables}
    rendered = checker.call(
        "render",
        "POST",
        f"/api/v1/prompts/{name}/render",
        params={"project": args.project},
        json=body,
        headers=headers,
    )
    if rendered is None:
        return
    execute = {
        "prompt": name,
        "label": args.label,
        "variables": args.variables,
        "model": args.model,
    }
    ran = checker.call(
        f"execute on {args.model}",
        "POST",
        "/api/v1/prompts/execute",
        params={"project": args.project},
        json=execute,
        headers=headers,
    )
    if ran is not None:
        answer = ran.json()
        checker.note(OK, f"{answer.get('usage', {}).get('total_tokens')} tokens")
        if not answer.get("output"):
            checker.note(CRITICAL, "the execution returned no output")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check a running Promptyard (see the docstring).")
    env = os.environ.get
    parser.add_argument("--url", default=env("PROMPTYARD_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=env("PROMPTYARD_API_KEY"))
    parser.add_argument("--email", default=env("PROMPTYARD_EMAIL"))
    parser.add_argument("--password", default=env("PROMPTYARD_PASSWORD"))
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--warn-ms", type=float, default=1000.0, help="slower steps warn")
    parser.add_argument("--journey", action="store_true", help="also run the critical journey")
    parser.add_argument("--prompt", help="the journey's prompt (name)")
    parser.add_argument("--label", default="production")
    parser.add_argument("--project", default="default")
    parser.add_argument("--variables", default="{}", help="JSON object of the render variables")
    parser.add_argument("--model", default="fake/echo")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.journey:
        if not args.prompt:
            parser.error("--journey needs --prompt")
        if not (args.api_key or (args.email and args.password)):
            parser.error("--journey needs --api-key, or --email and --password")
    try:
        args.variables = json.loads(args.variables)
    except ValueError as exc:
        parser.error(f"--variables is not JSON: {exc}")
    if not isinstance(args.variables, dict):
        parser.error("--variables must be a JSON object")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse(argv)
    except SystemExit as exc:
        return UNKNOWN if exc.code else OK
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    started = time.perf_counter()
    with httpx.Client(
        base_url=args.url.rstrip("/"), headers=headers, timeout=args.timeout
    ) as client:
        checker = Checker(client, args.warn_ms)
        check_service(checker, args)
        if args.journey and all(step.status != CRITICAL for step in checker.steps[:2]):
            check_journey(checker, args)
    status = max((step.status for step in checker.steps), default=UNKNOWN)
    total = round((time.perf_counter() - started) * 1000, 1)
    if args.json:
        print(
            json.dumps(
                {
                    "status": STATUS_NAMES[status],
                    "total_ms": total,
                    "steps": [
                        asdict(step) | {"status": STATUS_NAMES[step.status]}
                        for step in checker.steps
                    ],
                },
                indent=2,
            )
        )
    else:
        print(f"PROMPTYARD {STATUS_NAMES[status]} - {args.url} in {total:g} ms")
        for step in checker.steps:
            name = STATUS_NAMES[step.status]
            print(f"  {name:<8} {step.name:<28} {step.ms:>8.1f} ms  {step.detail}")
    return status


if __name__ == "__main__":
    sys.exit(main())
