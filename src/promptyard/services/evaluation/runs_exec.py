"""Executing an evaluation run: its pending items, called, stored, scored.

:func:`execute` runs one claimed run to its end in the calling thread (its own event
loop): the background job (``workers/jobs.py``) calls it in a thread per run, tests call
it directly. Inside:

- items are read in pages of :data:`PAGE` pending rows and rendered page by page, so
  memory stays bounded whatever the run's size;
- at most ``run.concurrency`` calls are in flight, and never more than a connection's
  own ``max_concurrency`` on one connection (``runtime.calling`` enforces that too);
  each call goes through ``runtime.calling.call`` (timeouts, retries);
- with ``use_cache``, an item whose call (rendered messages, model, parameters,
  repetition number) was answered before in the project reuses that answer: no call, no
  new generation, the item points at the earlier generation and is marked ``cached``;
- finished items are written in batches by one writer: generations through the
  telemetry ingest (metadata ``{"evaluation_run", "case", "variant", "repetition"}``),
  the evaluators' scores through ``scores.record_scores``, the items and the run's
  counters in one transaction. The writer also refreshes the run's heartbeat and
  notices a cancellation, which stops new calls and cancels those in flight (their
  items stay pending for :func:`runs.resume_run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, select

from promptyard.domain.errors import DomainError
from promptyard.plugins.api import ChatResult, ProviderError
from promptyard.services.context import Core
from promptyard.services.evaluation import evaluators, runs, runs_results, scores
from promptyard.services.evaluation.runs import Case, Variant
from promptyard.services.runtime import calling
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.schemas import GenerationIn
from promptyard.store.models import SqlEvaluationRun, SqlEvaluationRunItem, SqlGeneration

log = logging.getLogger(__name__)

#: Pending items read (and rendered) at a time.
PAGE = 500
#: Finished items written together (or after FLUSH_SECONDS, whichever first).
BATCH = 250
FLUSH_SECONDS = 0.25
#: A running run whose heartbeat is older than this is taken over by another process.
STALE_SECONDS = 120.0


@dataclass
class Done:
    """One finished item, waiting for the writer."""

    pk: int
    case: Case
    variant: Variant
    repetition: int
    output: str | None
    error: str | None
    latency_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    messages: list[dict[str, Any]] | None
    generation_id: str | None
    cached: bool = False
    cache_key: str | None = None
    started_at: Any = None
    cost: float | None = None


@dataclass
class Plan:
    run_id: int
    project_id: int
    workspace_id: int
    prompt: str
    variants: list[Variant]
    cases: list[Case]
    specs: list[evaluators.EvaluatorSpec]
    concurrency: int
    use_cache: bool


class Cancelled(Exception):
    """The run was cancelled while it ran."""


def _plan(core: Core, run_id: int) -> Plan:
    with core.store.read() as session:
        run = session.get(SqlEvaluationRun, run_id)
        assert run is not None
        project_id, prompt = run.project_id, run.prompt_name
        stored, params = list(run.variants), dict(run.params or {})
        dataset, version, sweep = run.dataset_name, run.dataset_version, dict(run.sweep or {})
        specs = [
            evaluators.EvaluatorSpec(kind=s["kind"], name=s["name"], config=s.get("config") or {})
            for s in run.evaluators
        ]
        concurrency, use_cache = run.concurrency, run.use_cache
    workspace_id = runs.workspace_of(core, project_id)
    _, cases = runs.load_cases(core, project_id, dataset, version, sweep)
    variants = runs.resolve_variants(
        core,
        workspace_id=workspace_id,
        project_id=project_id,
        prompt=prompt,
        stored=stored,
        params=params,
        first_input=cases[0].input if cases else {},
    )
    return Plan(
        run_id, project_id, workspace_id, prompt, variants, cases, specs, concurrency, use_cache
    )


def execute(core: Core, run_id: int, *, claim: bool = True) -> int:
    """Run a run's pending items to the end (or its cancellation); the items finished.

    ``claim``: take the run first (a queued run, or a running one gone stale); when
    another process holds it, nothing is done. A run that cannot start (its dataset or
    prompt gone) is marked ``failed`` with the reason.
    """
    if claim and not runs.claim(core, run_id, stale_seconds=STALE_SECONDS):
        return 0
    try:
        plan = _plan(core, run_id)
    except DomainError as exc:
        _finish(core, run_id, "failed", error=exc.message)
        return 0
    try:
        finished = asyncio.run(_execute(core, plan))
    except Cancelled:
        return 0
    except Exception as exc:  # recorded on the run, for its owner to see
        log.exception("evaluation run %s failed", run_id)
        _finish(core, run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(core, run_id, "completed")
    return finished


def _finish(core: Core, run_id: int, status: str, *, error: str | None = None) -> None:
    with core.store.write() as session:
        run = session.get(SqlEvaluationRun, run_id)
        if run is None or run.status != "running":
            return  # cancelled meanwhile: leave it so
        run.status = status
        run.error = error
        run.finished_at = core.clock()
    if status == "completed":
        summary = runs_results.summarize(core, run_id)
        with core.store.write() as session:
            run = session.get(SqlEvaluationRun, run_id)
            if run is not None:
                run.summary = summary


# -- the event loop's side -----------------------------------------------------------------


async def _execute(core: Core, plan: Plan) -> int:
    # One thread reads and renders pages, one writes batches: two threads for the whole
    # run (not the loop's default pool), so memory stays flat.
    with (
        ThreadPoolExecutor(1, thread_name_prefix="eval-read") as reader,
        ThreadPoolExecutor(1, thread_name_prefix="eval-write") as writes,
    ):
        return await _calls(core, plan, reader, writes)


async def _calls(
    core: Core, plan: Plan, reader: ThreadPoolExecutor, writes: ThreadPoolExecutor
) -> int:
    loop = asyncio.get_running_loop()
    writer = _Writer(core, plan, writes)
    limits: dict[Any, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(plan.concurrency)
    in_flight: set[asyncio.Task[None]] = set()

    def slot(variant: Variant) -> asyncio.Semaphore:
        assert variant.connection is not None
        key = calling.ConcurrencyLimiter.key(variant.connection)
        if key not in limits:
            cap = variant.connection.max_concurrency or plan.concurrency
            limits[key] = asyncio.Semaphore(max(1, min(plan.concurrency, cap)))
        return limits[key]

    async def call(done: Done, request: Any) -> None:
        variant = done.variant
        assert variant.provider is not None and variant.connection is not None
        async with slot(variant):
            done.started_at = core.clock()
            started = time.perf_counter()
            try:
                result: ChatResult = await calling.call(
                    variant.provider, variant.connection, request
                )
                done.output = result.output
                if result.usage is not None:
                    done.input_tokens = result.usage.input_tokens
                    done.output_tokens = result.usage.output_tokens
            except ProviderError as exc:
                done.error = exc.message[:4000]
            done.latency_ms = (time.perf_counter() - started) * 1000
        await writer.put(done)

    def started(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        overall.release()

    writer_task = asyncio.create_task(writer.run())
    try:
        async for page in _pages(core, plan, reader):
            prepared = await loop.run_in_executor(reader, _prepare_page, core, plan, page)
            for done, request in prepared:
                if writer.stopped:
                    raise Cancelled
                if request is None:  # rendered badly, or answered from the cache
                    await writer.put(done)
                    continue
                await overall.acquire()
                task = asyncio.create_task(call(done, request))
                in_flight.add(task)
                task.add_done_callback(started)
            if writer.stopped:
                raise Cancelled
        if in_flight:
            await asyncio.gather(*in_flight)
        await writer.close()
        await writer_task
    except BaseException:
        for task in list(in_flight):
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        writer.abandon()
        await asyncio.gather(writer_task, return_exceptions=True)
        if writer.failure is not None:
            raise writer.failure from None
        raise
    if writer.failure is not None:
        raise writer.failure
    if writer.stopped:
        raise Cancelled
    return writer.written


async def _pages(core: Core, plan: Plan, reader: ThreadPoolExecutor) -> Any:
    after = 0
    loop = asyncio.get_running_loop()
    while True:
        rows = await loop.run_in_executor(reader, _pending, core, plan.run_id, after)
        if not rows:
            return
        after = rows[-1][0]
        yield rows


def _pending(core: Core, run_id: int, after: int) -> list[tuple[int, int, int, int]]:
    with core.store.read() as session:
        return [
            (int(r.pk), int(r.case_index), int(r.variant), int(r.repetition))
            for r in session.execute(
                select(
                    SqlEvaluationRunItem.pk,
                    SqlEvaluationRunItem.case_index,
                    SqlEvaluationRunItem.variant,
                    SqlEvaluationRunItem.repetition,
                )
                .where(
                    SqlEvaluationRunItem.run_id == run_id,
                    SqlEvaluationRunItem.status == "pending",
                    SqlEvaluationRunItem.pk > after,
                )
                .order_by(SqlEvaluationRunItem.pk)
                .limit(PAGE)
            )
        ]


def _prepare_page(
    core: Core, plan: Plan, page: list[tuple[int, int, int, int]]
) -> list[tuple[Done, Any]]:
    """Render a page's items and look their calls up in the cache (a worker thread)."""
    out: list[tuple[Done, Any]] = []
    keys: dict[str, list[int]] = {}
    with core.store.read() as session:
        for pk, case_index, variant_index, repetition in page:
            case, variant = plan.cases[case_index], plan.variants[variant_index]
            done = Done(pk, case, variant, repetition, None, None, None, None, None, None, None)
            try:
                rendered = runs.render_case(core, session, plan.project_id, variant, case)
            except DomainError as exc:
                done.error = f"render: {exc.message}"[:4000]
                out.append((done, None))
                continue
            request = variant.request(rendered)
            done.messages = request.messages
            done.cache_key = runs.cache_key(variant, request, repetition)
            keys.setdefault(done.cache_key, []).append(len(out))
            out.append((done, request))
        if plan.use_cache and keys:
            hits = _cache_hits(session, plan.project_id, list(keys))
            for key, hit in hits.items():
                for position in keys[key]:
                    done, _ = out[position]
                    done.output, done.generation_id = hit.output, hit.generation_id
                    done.input_tokens, done.output_tokens = hit.input_tokens, hit.output_tokens
                    done.latency_ms, done.cached, done.cost = 0.0, True, 0.0
                    out[position] = (done, None)
    return out


def _cache_hits(session: Any, project_id: int, keys: list[str]) -> dict[str, Any]:
    hits: dict[str, Any] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(
                SqlEvaluationRunItem.cache_key,
                SqlEvaluationRunItem.output,
                SqlEvaluationRunItem.generation_id,
                SqlEvaluationRunItem.input_tokens,
                SqlEvaluationRunItem.output_tokens,
            ).where(
                SqlEvaluationRunItem.project_id == project_id,
                SqlEvaluationRunItem.cache_key.in_(keys[start : start + 500]),
                SqlEvaluationRunItem.status == "done",
                SqlEvaluationRunItem.error.is_(None),
            )
        )
        for row in rows:
            hits.setdefault(row.cache_key, row)
    return hits


# -- the writer ----------------------------------------------------------------------------


class _Writer:
    """Collects finished items and writes them in batches (in a worker thread), one
    batch at a time; a bounded queue makes the calls wait when writing falls behind."""

    def __init__(self, core: Core, plan: Plan, pool: ThreadPoolExecutor) -> None:
        self.core, self.plan, self.pool = core, plan, pool
        self.queue: asyncio.Queue[Done | None] = asyncio.Queue(maxsize=BATCH * 8)
        self.stopped = False
        self.written = 0
        self.failure: BaseException | None = None

    async def put(self, done: Done) -> None:
        await self.queue.put(done)

    async def close(self) -> None:
        await self.queue.put(None)

    def abandon(self) -> None:
        self.stopped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def run(self) -> None:
        batch: list[Done] = []
        closing = False
        loop = asyncio.get_running_loop()
        due = loop.time() + FLUSH_SECONDS  # a batch is written at most this late
        while not closing:
            try:
                wait = max(0.0, due - loop.time())
                item = await asyncio.wait_for(self.queue.get(), timeout=wait)
                if item is None:
                    closing = True
                else:
                    batch.append(item)
                    if len(batch) < BATCH and loop.time() < due:
                        continue
            except TimeoutError:
                pass
            due = loop.time() + FLUSH_SECONDS
            if not batch and not closing:
                continue
            if self.failure is not None:
                batch = []  # draining after a failure: nothing more is written
                continue
            try:
                cancelled = await loop.run_in_executor(
                    self.pool, write_batch, self.core, self.plan, batch
                )
            except Exception as exc:
                log.exception("evaluation run %s: writing results failed", self.plan.run_id)
                self.failure, self.stopped = exc, True
                batch = []
                continue
            self.written += len(batch)
            batch = []
            if cancelled:
                self.stopped = True


def _generation(plan: Plan, done: Done) -> GenerationIn:
    variant = done.variant
    assert variant.connection is not None
    done.generation_id = uuid.uuid4().hex
    return GenerationIn(
        id=done.generation_id,
        prompt_name=plan.prompt,
        prompt_version=variant.resolved_version,
        prompt_label=variant.label,
        provider=variant.connection.kind,
        model=variant.model.partition("/")[2],
        input_tokens=done.input_tokens,
        output_tokens=done.output_tokens,
        latency_ms=min(done.latency_ms or 0.0, 86_400_000.0),
        start_time=done.started_at,
        status="ok" if done.error is None else "error",
        error=done.error,
        input=done.messages,
        output=done.output,
        feature="evaluation",
        metadata={
            "evaluation_run": plan.run_id,
            "case": done.case.id,
            "variant": variant.index,
            "repetition": done.repetition,
            "connection": variant.connection.name,
        },
    )


def _costs(core: Core, project_id: int, ids: list[str]) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    with core.store.read() as session:
        for start in range(0, len(ids), 500):
            for row in session.execute(
                select(SqlGeneration.id, SqlGeneration.input_cost, SqlGeneration.output_cost).where(
                    SqlGeneration.project_id == project_id,
                    SqlGeneration.id.in_(ids[start : start + 500]),
                )
            ):
                both = (row.input_cost, row.output_cost)
                found[row.id] = None if both[0] is None else (both[0] or 0) + (both[1] or 0)
    return found


def _score(core: Core, plan: Plan, done: Done) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every evaluator on one finished item: the item's summary and the score rows."""
    summary: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    if done.error is not None or done.output is None:
        return summary, rows
    generation = {
        "id": done.generation_id,
        "latency_ms": done.latency_ms,
        "cost": done.cost,
        "input_tokens": done.input_tokens,
        "output_tokens": done.output_tokens,
    }
    for spec in plan.specs:
        try:
            score = evaluators.evaluate(
                core,
                spec,
                case=done.case,
                output=done.output,
                generation=generation,
                project_id=plan.project_id,
            )
        except DomainError as exc:
            summary[spec.name] = {"value": None, "passed": None, "error": exc.message}
            continue
        summary[spec.name] = {"value": score.value, "passed": score.passed}
        rows.append(
            {
                "generation_id": done.generation_id,
                "name": spec.name,
                "kind": spec.kind,
                "value": score.value,
                "passed": score.passed,
                "reason": score.reason,
                "source": "evaluation",
                "run_id": plan.run_id,
                "case_id": done.case.id,
                "cost": score.cost,
                "details": score.details,
            }
        )
    return summary, rows


def write_batch(core: Core, plan: Plan, batch: list[Done]) -> bool:
    """Store a batch: generations, scores, items, counters; True when the run has been
    cancelled meanwhile (checked in the same transaction)."""
    fresh = [d for d in batch if not d.cached and d.messages is not None]
    if fresh:
        generations.ingest(
            core, plan.project_id, [_generation(plan, d) for d in fresh], source="evaluation"
        )
        costs = _costs(core, plan.project_id, [d.generation_id for d in fresh if d.generation_id])
        for d in fresh:
            d.cost = costs.get(d.generation_id or "")
    score_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    done_n = failed_n = cached_n = 0
    cost_sum = 0.0
    now = core.clock()
    for d in batch:
        summary, rows = _score(core, plan, d)
        score_rows += rows
        failed = d.error is not None
        done_n += not failed
        failed_n += failed
        cached_n += d.cached
        cost_sum += d.cost or 0.0
        updates.append(
            {
                "b_pk": d.pk,
                "status": "failed" if failed else "done",
                "generation_id": d.generation_id,
                "output": d.output,
                "cached": d.cached,
                "cache_key": d.cache_key,
                "error": d.error,
                "latency_ms": d.latency_ms,
                "cost": d.cost,
                "input_tokens": d.input_tokens,
                "output_tokens": d.output_tokens,
                "scores": summary,
                "finished_at": now,
            }
        )
    if score_rows:
        scores.record_scores(core, score_rows, project_id=plan.project_id)
    with core.store.write() as session:
        if updates:
            table = SqlEvaluationRunItem.__table__
            assert isinstance(table, Table)
            session.connection().execute(
                table.update().where(table.c.pk == bindparam("b_pk"), table.c.status == "pending"),
                updates,
            )
        run = session.get(SqlEvaluationRun, plan.run_id)
        if run is None:
            return True
        run.done_items += done_n
        run.failed_items += failed_n
        run.cached_items += cached_n
        run.actual_cost = (run.actual_cost or 0.0) + cost_sum
        run.heartbeat_at = now
        return bool(run.status != "running")


# -- the background job --------------------------------------------------------------------


class Launcher:
    """The ``evaluation_runs`` job's step: start a thread per waiting run, at most
    ``evaluation_parallel_runs`` at once in this process. ``inline=True`` (tests, the
    demo) executes each run in the caller's thread instead."""

    def __init__(self, core: Core, *, inline: bool = False) -> None:
        import threading

        self.core = core
        self.inline = inline
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def running(self) -> list[int]:
        with self._lock:
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            return sorted(self._threads)

    def step(self, core: Core) -> int:
        import threading

        free = core.settings.evaluation_parallel_runs - len(self.running())
        if free <= 0:
            return 0
        started = 0
        for run_id in runs.claimable(core, stale_seconds=STALE_SECONDS, limit=free):
            if run_id in self._threads:
                continue
            if self.inline:
                started += bool(execute(core, run_id))
                continue
            thread = threading.Thread(
                target=self._run, args=(core, run_id), name=f"evaluation-run-{run_id}", daemon=True
            )
            with self._lock:
                self._threads[run_id] = thread
            thread.start()
            started += 1
        return started

    @staticmethod
    def _run(core: Core, run_id: int) -> None:
        with contextlib.suppress(Exception):  # logged and recorded on the run by execute
            execute(core, run_id)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs started by this launcher (tests, shutdown)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
