"""Where a sweep's points run: a local process pool or a Dask cluster, chosen by name from a small registry.

Each executor takes the tasks, its resource (a worker count, a Dask client) and a handler it calls with each
point's outcome as it arrives, and says whether Ctrl-C stopped it. Adding one: a function and a name.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from enum import StrEnum
from typing import Any

from workbook.errors import SweepError, SweepUsageError
from workbook.execution import forked, pool, warm
from workbook.messages import first_line
from workbook.sweep.point import PointOutcome, PointTask, execute_point
from workbook.values import is_int

DASK_CONNECT_TIMEOUT_S = 5
POOL_PRELOAD = ("workbook.sweep.point", "papermill")  # what pool workers import once, in the forkserver

OutcomeHandler = Callable[[PointOutcome], None]


class Executor(StrEnum):
    """The executors `--executor` names."""

    LOCAL = "local"  # a process pool on this machine; its resource is the number of workers
    DASK = "dask"  # tasks on a Dask cluster; its resource is a connected distributed.Client


def run_local(tasks: Sequence[PointTask], workers: int, on_outcome: OutcomeHandler) -> bool:
    """Execute points in a pool of `workers` processes; True if Ctrl-C stopped it (running points are dropped).

    A Ctrl-C is only noted while a finished point is handed to `on_outcome` (pool.noting_ctrl_c), so no point
    is half-recorded; it stops the sweep at the next wait, as it does while the pool computes.
    """
    executor = pool.new_pool(min(workers, len(tasks)), preload=POOL_PRELOAD)
    futures: dict[Future, PointTask] = {}
    try:
        with pool.noting_ctrl_c() as ctrl_c:
            futures = {executor.submit(execute_point, task): task for task in with_warm_kernels(tasks, workers)}
            running = set(futures)
            while running:
                finished, running = ctrl_c.wait_first(running)
                for future in sorted(finished, key=lambda done: futures[done].index):
                    on_outcome(_outcome_of(future, futures[future]))
        if ctrl_c.interrupted:  # while waiting, or while the last outcomes were recorded
            pool.stop_pool(executor, futures)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return ctrl_c.interrupted


def with_warm_kernels(tasks: Sequence[PointTask], workers: int) -> list[PointTask]:
    """Tasks that take a kernel started early, each importing what the notebook imports (every point runs the
    same notebook). All but the last ones start the next point's kernel: a worker picks tasks in order, so
    once fewer than `workers` are left after a task, its worker will likely get no other."""
    if not tasks or not (warm.enabled() or forked.enabled()):
        return list(tasks)
    imports = warm.notebook_imports(json.loads(tasks[0].notebook_text).get("cells", []))
    return [replace(task, imports=imports, warm_next=len(tasks) - 1 - position >= workers)
            for position, task in enumerate(tasks)]


def _outcome_of(future: Any, task: PointTask) -> PointOutcome:
    """A future's outcome; a worker that died or a task that could not run is a failure of that point."""
    try:
        return future.result()
    except Exception as error:
        return PointOutcome(task.index, task.key, "failed",
                            error=f"the point could not run: {type(error).__name__}: {first_line(error)}")


def connect_dask(address: str, timeout: float = DASK_CONNECT_TIMEOUT_S) -> Any:
    """A distributed.Client on `address`, or SweepError naming the address within about `timeout` seconds."""
    from distributed import Client

    quiet = logging.getLogger("distributed")
    previous = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its connection retries would print several lines per attempt
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as error:
        raise SweepError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {first_line(error)}"
        ) from None
    finally:
        quiet.setLevel(previous)


def run_dask(tasks: Sequence[PointTask], client: Any, on_outcome: OutcomeHandler) -> bool:
    """Execute each point as a Dask task; True if Ctrl-C stopped it (unfinished tasks are cancelled)."""
    from distributed import as_completed as dask_completed

    batch = uuid.uuid4().hex[:8]  # task keys unique to this submission: a rerun must run again
    futures = {
        client.submit(execute_point, task, key=f"workbook-point-{task.index:03d}-{task.key[:8]}-{batch}",
                      pure=False): task
        for task in tasks
    }
    try:
        for future in dask_completed(list(futures), loop=client.loop):  # the client is not the default one
            on_outcome(_outcome_of(future, futures[future]))
    except KeyboardInterrupt:
        client.cancel(list(futures))
        return True
    return False


# How each executor runs a batch of points: (tasks, workers or client, on_outcome) -> True if interrupted.
RUNNERS: dict[Executor, Callable[[Sequence[PointTask], Any, OutcomeHandler], bool]] = {
    Executor.LOCAL: run_local,
    Executor.DASK: run_dask,
}


def run_points(executor: Executor, tasks: Sequence[PointTask], resource: Any, on_outcome: OutcomeHandler) -> bool:
    """Execute the tasks on the named executor; True if Ctrl-C stopped it."""
    return RUNNERS[executor](tasks, resource, on_outcome)


def check_executor_options(executor: str, workers: int, scheduler: str | None) -> Executor:
    """Executor, worker count and scheduler address make sense together; the executor as its name."""
    if executor not in tuple(Executor):
        raise SweepUsageError(f"--executor must be local or dask, got {executor!r}")
    if not is_int(workers) or workers < 1:
        raise SweepUsageError(f"--workers must be a whole number >= 1, got {workers!r}")
    if executor == Executor.DASK and not scheduler:
        raise SweepUsageError("--executor dask needs --scheduler ADDRESS, e.g. tcp://127.0.0.1:8786")
    if executor == Executor.LOCAL and scheduler:
        raise SweepUsageError("--scheduler is for --executor dask")
    return Executor(executor)
