"""Running a sweep: tasks in chunks, on an executor, streamed to the store, resumable.

Executors: ``serial`` (this process), ``processes`` (local worker processes, default all
cores), ``dask`` (a running Dask scheduler by address, or a local cluster started here). All
run the same picklable :func:`runoff_abm.studies.outcomes.run_chunk` on the same tasks; rows depend only
on the spec and the master seed, never on the executor, the worker count or the chunking.
At most a few chunks per worker are in flight, so memory stays flat however many runs.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from runoff_abm.model.errors import SweepError
from runoff_abm.model.present import WIDTH, html_table, wrap
from runoff_abm.model.provenance import rule_records_from_specs, scenario_sha256
from runoff_abm.model.runoff import SHAPING
from runoff_abm.studies.outcomes import Task, run_chunk
from runoff_abm.studies.progress import Progress
from runoff_abm.studies.spec import SweepSpec
from runoff_abm.studies.store import Store, git_commit, versions

__all__ = ["SweepError", "SweepSummary", "run_sweep", "plan_tasks", "iter_rows", "run_tasks", "ENGINE"]

#: The engine every sweep run uses (``run_outcomes`` runs ``runoff_abm.run`` with its default;
#: both engines give identical results, see tests/test_determinism.py).
ENGINE = "array"


@dataclass
class SweepSummary:
    """What a sweep did: runs in all, already done, run now, failed, seconds, output directory."""

    total: int
    skipped: int
    ran: int
    failed: int
    seconds: float
    out: str

    def line(self, width: int | None = WIDTH) -> str:
        """The one-paragraph summary ``runoff sweep`` prints (fitting ``width`` columns)."""
        rate = self.ran / self.seconds if self.seconds > 0 else float("nan")
        return "\n".join(wrap(f"{self.total} runs: {self.skipped} already done, {self.ran} run now "
                              f"({rate:.1f} runs/s), {self.failed} failed in all; results in {self.out}", width))

    def _repr_html_(self) -> str:
        rate = self.ran / self.seconds if self.seconds > 0 else float("nan")
        return html_table(["runs", "already done", "run now", "runs/s", "failed", "results in"],
                          [[self.total, self.skipped, self.ran, f"{rate:.1f}", self.failed, self.out]],
                          caption="sweep")


def _scenario_dir(scn) -> Path | None:
    return Path(scn.path).parent if scn.path not in ("<memory>", "") else None


def plan_tasks(spec: SweepSpec) -> list[Task]:
    """Every run of the sweep: each design point x each replicate (common replicate seeds)."""
    points = spec.design()
    if spec.common_random_numbers:
        seeds = spec.replicate_seeds()
        seed = lambda p, r: seeds[r]  # noqa: E731
    else:
        from runoff_abm.model.rng import replicate_seeds

        flat = replicate_seeds(spec.seed, len(points) * spec.replicates)
        seed = lambda p, r: flat[p * spec.replicates + r]  # noqa: E731
    return [Task(point=p.point, replicate=r, seed=seed(p.point, r), params=p.params, levels=p.levels)
            for p in points for r in range(spec.replicates)]


def _chunks(tasks: list[Task], size: int) -> list[list[Task]]:
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def shape_group(spec: SweepSpec, task: Task) -> tuple:
    """The runs that can share a population and graph: same seed and same values of the
    population- and graph-shaping parameters (``ParamSpec.shapes``) among the overrides."""
    return (task.seed, tuple((k, task.params[k]) for k in sorted(task.params) if k in SHAPING))


def grouped_chunks(spec: SweepSpec, tasks: list[Task], size: int, exact: bool = False) -> list[list[Task]]:
    """Chunks of about ``size`` runs made of whole :func:`shape_group` groups (a group of more
    than ``max(size, 50)`` runs is split), so that a worker builds each population and graph
    once; with ``exact`` (a chunk size the user asked for) no chunk exceeds ``size``. Without
    common random numbers every run has its own seed: plain chunks."""
    if not spec.common_random_numbers or spec.run_function is not None:
        return _chunks(tasks, size)
    groups: dict[tuple, list[Task]] = {}
    for t in tasks:
        groups.setdefault(shape_group(spec, t), []).append(t)
    chunks: list[list[Task]] = []
    cur: list[Task] = []
    for g in groups.values():
        step = size if exact or len(g) > max(size, 50) else len(g)  # a group in one chunk: built once
        for i in range(0, len(g), step):
            part = g[i:i + step]
            if cur and len(cur) + len(part) > size:
                chunks.append(cur)
                cur = []
            cur = cur + part
    if cur:
        chunks.append(cur)
    return chunks


# ---------------------------------------------------------------------- executors
def _serial(spec, chunks, reuse: bool = True, batch: int = 1) -> Iterator[list[dict]]:
    for c in chunks:
        yield run_chunk(spec, c, reuse, batch)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (and is not this process's reaped parent)."""
    if os.getppid() == pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the sweep's process dies, however it dies.

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere a daemon thread polls the sweep's pid. Either way a SIGKILLed sweep leaves no
    worker behind, and the multiprocessing resource tracker, whose pipe the workers held, then
    exits too. (PR_SET_PDEATHSIG fires when the *thread* that started the worker ends: the pool
    is created and drained in one thread, :func:`_processes`.) On Linux the workers' parent is
    the multiprocessing fork server (:func:`_context`): a worker then also polls the sweep's
    pid (once a second) and ends when it is gone; the server ends when its last client does.
    """
    import signal

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if not _alive(parent):  # the sweep died before the signal was armed
        os._exit(1)
    # a worker forked by the fork server has the server as its parent, and holds (as every
    # client does) the pipe whose end tells the server to stop: so it watches the sweep too
    if not armed or os.getppid() != parent:
        import threading

        def watch() -> None:
            while _alive(parent):
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


_WORKER_SPEC: SweepSpec | None = None


def _worker_init(parent: int, spec: SweepSpec) -> None:
    """Worker initializer: die with the parent (:func:`_die_with_parent`), keep the spec (sent
    once per worker, not with every chunk) and import the model now, so that no chunk pays for
    imports or for reading the scenario."""
    global _WORKER_SPEC
    _die_with_parent(parent)
    _WORKER_SPEC = spec
    import runoff_abm.model.runoff  # noqa: F401


def _worker_chunk(tasks: list[Task], reuse: bool, batch: int) -> list[dict]:
    """Run a chunk on the spec this worker was started with."""
    assert _WORKER_SPEC is not None
    return run_chunk(_WORKER_SPEC, tasks, reuse, batch)


#: Modules a worker needs, imported once by the fork server (Linux) that forks the workers.
_PRELOAD = ["runoff_abm.model.runoff", "runoff_abm.studies.outcomes", "runoff_abm.studies.sweep"]


def _context():
    """How workers start. Linux: forked from multiprocessing's fork server, which imports the
    model once (:data:`_PRELOAD`) and is reused by every pool of this process, so a worker
    starts in milliseconds instead of importing Mesa, pandas and scipy again (seconds, the
    price of every worker of every sweep with ``spawn``). A clean single-threaded server: no
    fork of a process with threads. Elsewhere: ``spawn``."""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and "forkserver" in mp.get_all_start_methods():
        import importlib.util

        ctx = mp.get_context("forkserver")
        # numba too, when the fused kernel will use it (its import is most of a worker's start)
        ctx.set_forkserver_preload(_PRELOAD + (["numba"] if importlib.util.find_spec("numba") else []))
        return ctx
    return mp.get_context("spawn")


def _processes(spec, chunks, workers: int, reuse: bool = True, batch: int = 1) -> Iterator[list[dict]]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = _context()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(), spec))
    finished = False
    try:
        pending = set()
        it = iter(chunks)
        for c in it:
            pending.add(pool.submit(_worker_chunk, c, reuse, batch))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(_worker_chunk, nxt, reuse, batch))
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # an error (disk full, Ctrl-C) or an abandoned generator: stop at once, keep nothing running
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.terminate()
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.join(5)


def connect_dask(scheduler: str | None, local_cluster: int | None, timeout: float = 5.0):
    """A dask.distributed Client: to ``scheduler`` (address), or to a new local cluster of
    ``local_cluster`` worker processes on 127.0.0.1. Returns (client, cluster_or_None)."""
    if scheduler:
        from runoff_abm.studies.dask_check import check_scheduler

        check_scheduler(scheduler, timeout)  # a real handshake within the timeout, or what is there instead
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise SweepError("dask.distributed is not installed; pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout}s"), None
        except (OSError, TimeoutError) as err:
            raise SweepError(f"--scheduler {scheduler}: cannot reach a Dask scheduler within {timeout:g} s "
                             f"({type(err).__name__}); start one with `dask scheduler` and check the address") from None
        except ValueError as err:
            raise SweepError(f"--scheduler {scheduler}: not a scheduler address ({err}); expected e.g. "
                             "tcp://127.0.0.1:8786") from None
        except Exception as err:  # it speaks Dask's protocol but is no scheduler, e.g. a worker's port
            raise SweepError(f"--scheduler {scheduler}: a Dask process answered, but not as a scheduler (a worker's "
                             f"address?): {type(err).__name__}: {' '.join(str(err).split())[:200]}; give the "
                             "scheduler's address, e.g. tcp://127.0.0.1:8786") from None
    cluster = LocalCluster(n_workers=local_cluster, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    return Client(cluster), cluster


def _dask(spec, chunks, client, reuse: bool = True, batch: int = 1) -> Iterator[list[dict]]:
    from dask.distributed import as_completed

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    spec_future = client.scatter(spec, broadcast=True)
    it = iter(chunks)
    first = [client.submit(run_chunk, spec_future, c, reuse, batch, pure=False) for _, c in zip(range(3 * workers), it, strict=False)]
    ac = as_completed(first)
    for fut in ac:
        yield fut.result()
        fut.release()
        nxt = next(it, None)
        if nxt is not None:
            ac.add(client.submit(run_chunk, spec_future, nxt, reuse, batch, pure=False))


def iter_rows(spec: SweepSpec, tasks: list[Task], *, executor: str = "processes", workers: int | None = None,
              scheduler: str | None = None, local_cluster: int | None = None,
              chunk: int | None = None, reuse: bool = True, batch: int = 1) -> Iterator[list[dict]]:
    """Run ``tasks`` on an executor; yield the rows of each chunk as it finishes (any order).

    With ``reuse`` (the default) runs that share a population and graph (:func:`shape_group`)
    are chunked together and each worker builds them once (:func:`runoff_abm.studies.outcomes.run_chunk`);
    the rows are the same without it (benchmarks compare the two). ``batch`` > 1 runs up to
    that many of them side by side as columns (:func:`runoff_abm.model.runoff.run_together`).
    """
    if executor not in ("serial", "processes", "dask"):
        raise SweepError(f"executor {executor!r}: allowed serial, processes, dask")
    client = cluster = None
    if executor == "processes":
        workers = workers or os.cpu_count() or 1
    elif executor == "dask":
        client, cluster = connect_dask(scheduler, local_cluster or (None if scheduler else os.cpu_count()))
        workers = max(1, len(client.scheduler_info().get("workers", {})))
    else:
        workers = 1
    size = chunk or (max(1, min(50, math.ceil(len(tasks) / (4 * workers)))) if tasks else 1)
    chunks = grouped_chunks(spec, tasks, size, exact=chunk is not None) if reuse else _chunks(tasks, size)
    try:
        if executor == "serial":
            yield from _serial(spec, chunks, reuse, batch)
        elif executor == "processes":
            yield from _processes(spec, chunks, workers, reuse, batch)
        else:
            yield from _dask(spec, chunks, client, reuse, batch)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(spec: SweepSpec, tasks: list[Task], *, desc: str, progress: bool | None = True,
              executor: str = "processes", workers: int | None = None, scheduler: str | None = None,
              local_cluster: int | None = None, chunk: int | None = None, reuse: bool = True,
              batch: int = 1) -> list[dict]:
    """Run ``tasks`` on an executor with a progress bar (:mod:`runoff_abm.studies.progress`) and
    return every row, in task order (point, replicate). Used by prediction, calibration's
    posterior predictive and ``runoff run --replicates``."""
    rows: list[dict] = []
    with Progress(len(tasks), desc=desc, show=progress) as bar:
        for chunk_rows in iter_rows(spec, tasks, executor=executor, workers=workers, scheduler=scheduler,
                                    local_cluster=local_cluster, chunk=chunk, reuse=reuse, batch=batch):
            rows += chunk_rows
            bar.update(len(chunk_rows))
    return sorted(rows, key=lambda r: (r["point"], r["replicate"]))


# ---------------------------------------------------------------------- the sweep
def run_sweep(spec: SweepSpec, out: str, *, executor: str = "processes", workers: int | None = None,
              scheduler: str | None = None, local_cluster: int | None = None, chunk: int | None = None,
              progress: bool = True, on_chunk: Callable[[int], None] | None = None,
              reuse: bool = True, batch: int = 1) -> SweepSummary:
    """Run (or resume) ``spec`` into directory ``out``.

    Args:
        spec: a validated sweep spec.
        out: output directory; created if missing; resumed if it holds this spec's sweep.
        executor: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (``processes``; default all cores).
        scheduler: Dask scheduler address (``dask``), e.g. ``tcp://10.0.0.5:8786``.
        local_cluster: start a local Dask cluster with this many worker processes (``dask``).
        chunk: runs per task (default: about 4 tasks per worker, 1..50 runs each).
        progress: show a progress bar (runs done, rate, time left) when someone is watching:
            stderr is a terminal or this is a notebook (:mod:`runoff_abm.studies.progress`).
        on_chunk: called with the number of runs after each chunk is stored (tests, UIs).
        reuse: build each population and graph once per worker for the runs that share them
            (:func:`shape_group`); the rows are identical without it.
        batch: with ``reuse``, advance up to this many runs that share a graph together, as
            the columns of one state matrix (:func:`runoff_abm.model.runoff.run_together`);
            identical rows. 1 (the default) runs them one by one.

    Raises:
        SweepError: the directory holds another spec or is being written by another sweep (its
            host and pid named), cannot be written (disk full, read-only: the file named), holds
            a damaged shard, or the executor cannot start.
    """
    t0 = time.monotonic()
    store = Store(out)
    store.check_writable(spec.hash)
    if executor == "dask" and scheduler:  # fail fast, before anything is written
        client, _ = connect_dask(scheduler, None)
        client.close()
    with store.lock():
        store.check_writable(spec.hash)  # again, now that no one else can change it
        return _run_locked(spec, store, out, t0, executor=executor, workers=workers, scheduler=scheduler,
                           local_cluster=local_cluster, chunk=chunk, progress=progress, on_chunk=on_chunk,
                           reuse=reuse, batch=batch)


def _run_locked(spec: SweepSpec, store: Store, out: str, t0: float, *, executor: str, workers: int | None,
                scheduler: str | None, local_cluster: int | None, chunk: int | None, progress: bool,
                on_chunk: Callable[[int], None] | None, reuse: bool = True, batch: int = 1) -> SweepSummary:
    """The body of :func:`run_sweep`, run while holding the directory's lock."""
    tasks = plan_tasks(spec)
    points = spec.design()
    design = pd.DataFrame([{"point": p.point, **p.params, **{f"factor.{k}": v for k, v in p.levels.items()}}
                           for p in points])
    if spec.design_kind != "factorial":  # the unrounded sample matrix, for SALib's analysis
        x = spec.sample_matrix()
        reps = len(points) // len(x)
        for j, name in enumerate(spec.ranges):
            design[f"x.{name}"] = [x[i // reps, j] for i in range(len(points))]
    manifest = store.manifest() if store.exists() else {
        "format": 1, "name": spec.name, "spec_file": spec.path, "spec": spec.raw, "spec_hash": spec.hash,
        "master_seed": spec.seed, "scenario": spec.scenario.name, "finalists": list(spec.scenario.finalists),
        "design": {"kind": spec.design_kind, "points": len(points), "replicates": spec.replicates,
                   "runs": len(tasks), "varied": spec.varied},
        "problem": spec.problem() if spec.ranges else None,
        "replicate_seeds": spec.replicate_seeds(), "versions": versions(), "git_commit": git_commit(),
        # how every run is made: engine, parameter overrides, plug-in rules (file + sha256), and the
        # scenario's resolved tables (runoff_abm.model.scenario.parse_scenario reads them back)
        "engine": ENGINE, "overrides": dict(spec.fixed), "run_function": spec.run_function,
        "rules": rule_records_from_specs(spec.scenario.rules, _scenario_dir(spec.scenario)),
        "scenario_sha256": scenario_sha256(spec.scenario.to_dict()), "scenario_data": spec.scenario.to_dict(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": {"ok": 0, "failed": 0, "pending": len(tasks)}, "failed": [],
    }
    store.create(manifest, design)
    rec = store.recorded()
    done = set(zip(rec["point"].tolist(), rec["replicate"].tolist(), strict=True))
    todo = [t for t in tasks if (t.point, t.replicate) not in done]
    bad = rec[rec["status"] != "ok"]
    failed = [{"point": int(r.point), "replicate": int(r.replicate), "seed": int(r.seed), "error": r.error}
              for r in bad.itertuples()]
    counts = {"ok": len(rec) - len(bad), "failed": len(bad), "pending": len(todo)}

    stream = iter_rows(spec, todo, executor=executor, workers=workers, scheduler=scheduler,
                       local_cluster=local_cluster, chunk=chunk, reuse=reuse, batch=batch)

    bar = Progress(len(tasks), initial=len(done), desc=f"sweep {spec.name}", show=progress)
    for rows in stream:
        store.write_shard(rows)
        for r in rows:
            if r["status"] == "ok":
                counts["ok"] += 1
            else:
                counts["failed"] += 1
                failed.append({"point": r["point"], "replicate": r["replicate"], "seed": r["seed"],
                               "error": r["error"]})
        counts["pending"] -= len(rows)
        manifest["runs"], manifest["failed"] = counts, failed
        store.write_manifest(manifest)
        bar.update(len(rows))
        if on_chunk:
            on_chunk(len(rows))
    manifest["runs"], manifest["failed"] = counts, failed
    store.write_manifest(manifest)
    bar.close()
    return SweepSummary(total=len(tasks), skipped=len(done), ran=len(todo), failed=counts["failed"],
                        seconds=time.monotonic() - t0, out=str(out))
