"""Process pools that execute notebooks and stop cleanly on Ctrl-C: a sweep's points, a parallel run's notebooks.

Each worker executes one notebook at a time with papermill. Ctrl-C typed in a terminal reaches the workers
with the parent's process group: the running notebook is interrupted once (papermill then shuts its kernel
down) and the worker runs nothing more. `stop_pool` does the same for a SIGINT sent to the parent alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

# Per worker process: `requested` stays set once Ctrl-C arrived (the pool is going down), so work the
# worker picks up afterwards returns at once instead of running.
_interrupt_state = {"executing": False, "raised": False, "requested": False}


def pool_context(preload: Sequence[str] = ("papermill",)) -> Any:
    """How workers start: forked from a fresh server that imported `preload` once, else spawned.

    Never forked from this process: it may hold MLflow's threads and connections, which a fork copies
    half-made. A forkserver saves each worker the ~2-4 s of importing papermill and friends; the first call
    starts it, so calling this early lets those imports overlap with the caller's own start-up.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return context


def new_pool(workers: int, preload: Sequence[str] = ("papermill",)) -> ProcessPoolExecutor:
    """A pool of `workers` processes whose Ctrl-C stops the running notebook and starts no other."""
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=pool_context(preload),
                               initializer=_init_worker)


def interrupt_requested() -> bool:
    """True in a worker once Ctrl-C reached it: run nothing more."""
    return _interrupt_state["requested"]


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Mark a notebook as executing, so that Ctrl-C interrupts it (once) and is ignored in between."""
    _interrupt_state.update(executing=True, raised=False)
    try:
        yield
    finally:
        _interrupt_state["executing"] = False


def stop_pool(pool: ProcessPoolExecutor, futures: Iterable[Future]) -> None:
    """Cancel waiting work and interrupt running notebooks, so their kernels shut down before we return."""
    for future in futures:
        future.cancel()
    # A Ctrl-C typed in a terminal reaches the workers too; a SIGINT sent to this process alone does not.
    # concurrent.futures has no public handle on its workers before Python 3.14. On Windows os.kill would
    # terminate a worker outright (leaving its kernel behind); there the console's Ctrl-C reaches them all.
    if os.name == "nt":
        return
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(OSError, ValueError):
            if process.is_alive():
                os.kill(process.pid, signal.SIGINT)


class CtrlC:
    """Ctrl-C in the process that waits on a pool: always noted in `interrupted`, raised only in `wait_first`.

    A Ctrl-C typed in a terminal reaches this process and the workers at once. Raised wherever this process
    happens to be, it could land while a finished notebook's result is being recorded, and be taken for
    that notebook's failure, or after the last result, and cut the run's report short.
    """

    def __init__(self) -> None:
        self.interrupted = False
        self._raising = False

    def handle(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        if self._raising:
            raise KeyboardInterrupt

    def wait_first(self, futures: Iterable[Future]) -> tuple[set[Future], set[Future]]:
        """concurrent.futures.wait for the first to finish (done, not done); a Ctrl-C noted before or during the
        wait raises KeyboardInterrupt, which ends the `noting_ctrl_c` block."""
        if self.interrupted:
            raise KeyboardInterrupt
        self._raising = True
        try:
            return wait(futures, return_when=FIRST_COMPLETED)
        finally:
            self._raising = False


@contextlib.contextmanager
def noting_ctrl_c() -> Iterator[CtrlC]:
    """SIGINT handled by a CtrlC for the block (then the previous handler again, so a second Ctrl-C while
    the pool stops is an ordinary KeyboardInterrupt). A KeyboardInterrupt that ends the block (from
    `wait_first`, or a worker's) is taken here: the caller reads `interrupted` and stops the pool. Off the
    main thread no handler can be set: SIGINT keeps its own."""
    ctrl_c = CtrlC()
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, ctrl_c.handle) if on_main_thread else None
    try:
        yield ctrl_c
    except KeyboardInterrupt:
        ctrl_c.interrupted = True
    finally:
        if on_main_thread:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGINT in a worker: stop the running notebook once."""
    _interrupt_state["requested"] = True
    if _interrupt_state["executing"] and not _interrupt_state["raised"]:
        _interrupt_state["raised"] = True
        raise KeyboardInterrupt


def _init_worker() -> None:
    """Workers get Ctrl-C with the caller's process group: handle it as `_interrupt` says."""
    signal.signal(signal.SIGINT, _interrupt)
