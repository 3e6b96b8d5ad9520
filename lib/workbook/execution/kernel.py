"""Executing one notebook with papermill: the kernel's environment, start-up retries and the failure's one line.

Shared by `workbook run` (one kernel per notebook) and `workbook sweep` (one kernel per point).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbook.errors import WorkbookError
from workbook.execution.catalog import NotebookInfo, cell_tags, parameters_cell_index, read_notebook
from workbook.execution.managers import manager_class, stop_kernel
from workbook.messages import ANSI_ESCAPE, first_line
from workbook.setup_env import MALLOC_REUSE, QUIET_MLFLOW

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager
    from papermill.exceptions import PapermillExecutionError

# papermill, nbformat and jupyter_client take seconds to import; they are imported where a run needs them,
# so `workbook list` and errors in the request stay instant.

logger = logging.getLogger(__name__)

NotebookStatus = Literal["ok", "failed", "interrupted", "skipped"]
Shutdown = Literal["graceful", "immediate"]

# Kernel start-up failures that are not the notebook's fault (the ZMQ port race between TCP kernels started
# at the same moment, or a slow machine); worth another attempt. A cell error is never retried.
KERNEL_START_ERRORS = ("Address already in use", "Kernel died before replying", "Kernel didn't respond")
KERNEL_START_ATTEMPTS = 3
# ipykernel 7 warns on every start that it talks TCP without encryption, and now and then logs an ERROR
# "KeyboardInterrupt caught in kernel" when jupyter_client interrupts it before shutting it down. Neither
# is about the notebook (cell errors reach us through the notebook itself); keep the run's output readable.
QUIET_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
# One native (OpenMP/BLAS) thread per kernel, unless the user set these: the workbook fits under one thread
# already (models.fitting_context), and predictions outside it spun two OpenMP threads against the other
# notebooks and tests of a busy 2-core machine (measured: 2,000 boosting predictions in 0.4-2.5 s instead
# of 0.1-0.2 s). Results do not change: a boosting prediction sums each row's trees in one thread anyway.
KERNEL_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# A batch kernel also gets QUIET_MLFLOW and MALLOC_REUSE (setup_env), unless the user set them: JupyterLab's
# kernels have them from the kernel spec.


def kernel_environment() -> dict[str, str]:
    """The variables a kernel started for a batch run inherits (one native thread, quiet MLflow, big blocks
    reused), except any the user has set already."""
    wanted = {name: "1" for name in KERNEL_THREAD_VARIABLES} | QUIET_MLFLOW | MALLOC_REUSE
    return {name: value for name, value in wanted.items() if name not in os.environ}


@dataclass
class NotebookRun:
    """How one notebook of a run went."""

    name: str
    status: NotebookStatus  # "ok", "failed", "interrupted" (Ctrl-C) or "skipped" (an earlier one did not finish)
    seconds: float | None = None
    error: str | None = None
    output: str | None = None  # file name of the executed notebook in the run folder
    parameters: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry for run.json (parameters and results are kept elsewhere in that file)."""
        keys = ("name", "status", "seconds", "error", "output")
        return {key: getattr(self, key) for key in keys}


def read_results(path: Path, notebook: str) -> dict[str, Any]:
    """A notebook's recorded results; {} when it recorded none."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problem = first_line(error)
        raise WorkbookError(f"{notebook} wrote an unreadable results file {path.name}: {problem}") from error
    if not isinstance(data, dict):
        raise WorkbookError(f"{notebook} wrote {path.name} without a key -> value mapping")
    return data


def check_kernel(kernel_name: str) -> None:
    """Fail early, with the fix, when the Jupyter kernel is not registered."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise WorkbookError(
            f"no Jupyter kernel named '{kernel_name}'; register it with: "
            f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}"
        ) from None


def interrupted_run(nb: NotebookInfo, output: Path | None = None) -> NotebookRun:
    """A notebook stopped by Ctrl-C: interrupted, its partial `output` (if any) kept as `.FAILED.ipynb`."""
    failed_name = _mark_failed(output) if output is not None else None
    return NotebookRun(nb.stem, "interrupted", None, f"{nb.stem} interrupted by the user", failed_name)


def execute_one(
    nb: NotebookInfo,
    output: Path,
    parameters: dict[str, Any],
    kernel_name: str,
    cwd: Path,
    progress_desc: str | None,
    shutdown: Shutdown = "graceful",
    kernel: AsyncKernelManager | None = None,
) -> NotebookRun:
    """Execute one notebook; a failure keeps the partial notebook as `<stem>.FAILED.ipynb`.

    `shutdown="immediate"` kills the kernel after the last cell instead of letting it run its exit hooks.
    `kernel`: a started kernel to execute in (a warm one, see execution.warm), stopped afterwards.
    """
    from papermill.exceptions import PapermillExecutionError

    start = time.monotonic()
    error: str | None = None
    try:
        execute_with_retry(nb.path, output, parameters, kernel_name, cwd, progress_desc, shutdown, kernel)
    except PapermillExecutionError as failure:
        error = describe_cell_failure(nb, failure, injected=bool(parameters))
    except Exception as failure:  # a kernel that died or never started: not a cell error, still this notebook
        error = f"{nb.stem} failed: {type(failure).__name__}: {first_line(failure)}"
    seconds = round(time.monotonic() - start, 1)
    if error:
        return NotebookRun(nb.stem, "failed", seconds, error, _mark_failed(output))
    results_file = Path(parameters["results_path"]) if "results_path" in parameters else None
    try:
        results = read_results(results_file, nb.stem) if results_file else {}
    except WorkbookError as problem:
        return NotebookRun(nb.stem, "failed", seconds, str(problem), _mark_failed(output))
    return NotebookRun(nb.stem, "ok", seconds, None, output.name, results=results)


def execute_with_retry(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    kernel_name: str,
    cwd: Path,
    progress_desc: str | None,
    shutdown: Shutdown = "graceful",
    kernel: AsyncKernelManager | None = None,
) -> None:
    """papermill.execute_notebook, tried again when the kernel fails to start; cell errors raise at once.

    A started `kernel` serves the first attempt only and is stopped after it; a retry starts a new one.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

    progress_bar: bool | dict[str, Any] = False
    if progress_desc:
        progress_bar = {"desc": progress_desc, "unit": "cell", "leave": False}

    def worth_retrying(error: BaseException) -> bool:
        return not isinstance(error, PapermillExecutionError) and is_kernel_start_failure(error)

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None  # set: called after a failed attempt
        logger.warning("%s: the kernel failed to start (%s); trying again (%d/%d)",
                       source.stem, first_line(error or ""), state.attempt_number + 1, KERNEL_START_ATTEMPTS)

    retrying = Retrying(stop=stop_after_attempt(KERNEL_START_ATTEMPTS), retry=retry_if_exception(worth_retrying),
                        before_sleep=log_retry, reraise=True)
    for attempt in retrying:
        given, kernel = kernel, None  # a started kernel serves the first attempt only
        with attempt, environment_set(kernel_environment()), _stopped_after(given):  # a new kernel inherits this
            papermill.execute_notebook(
                _brace_safe(source),
                _brace_safe(output),
                parameters=parameters,  # papermill injects a cell only when this is non-empty
                kernel_name=kernel_name,
                cwd=str(cwd),
                progress_bar=progress_bar,
                log_output=False,
                extra_arguments=QUIET_KERNEL_ARGS,
                shutdown_kernel=shutdown,  # passed on to nbclient: "graceful" or "immediate"
                # nbclient runs in the kernel given, or starts one of the same class (Unix sockets, see managers)
                **({"km": given} if given is not None else {"kernel_manager_class": manager_class()}),
            )


@contextmanager
def _stopped_after(kernel: AsyncKernelManager | None) -> Iterator[None]:
    """Stop a kernel we handed to papermill (nbclient stops only the kernels it started) when the block ends."""
    try:
        yield
    finally:
        if kernel is not None:
            stop_kernel(kernel)


def is_kernel_start_failure(error: BaseException) -> bool:
    """True for the kernel start-up failures worth retrying (anywhere in the exception's chain)."""
    seen: BaseException | None = error
    while seen is not None:
        if any(marker in str(seen) for marker in KERNEL_START_ERRORS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe_cell_failure(nb: NotebookInfo, failure: PapermillExecutionError, injected: bool) -> str:
    """`<stem> failed at cell [N] (cell index I): <ename>: <last line of the message>`.

    [N] is the execution count the executed notebook shows; I is the cell's 0-based position in the
    source notebook (papermill's index counts its injected-parameters cell, which the source lacks).
    """
    index = source_cell_index(read_notebook(nb.path), failure.cell_index, injected)
    where = f"cell index {index}"
    if failure.exec_count:
        where = f"cell [{failure.exec_count}] ({where})"
    return f"{nb.stem} failed at {where}: {one_line_error(failure.ename, failure.evalue)}"


def one_line_error(ename: str, evalue: str | None, limit: int = 400) -> str:
    """`ename: message` on one line, as a traceback's last line shows it.

    Messages of several lines (a data-contract error lists one problem a line) are joined with ' | ' so
    that no problem is hidden; very long ones are cut at `limit` characters.
    """
    lines = [line.strip() for line in ANSI_ESCAPE.sub("", str(evalue or "")).splitlines() if line.strip()]
    message = " | ".join(lines)
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{ename}: {message}" if message else str(ename)


def source_cell_index(source: Mapping[str, Any], executed_index: int, injected: bool) -> int:
    """Map a cell index of the executed notebook back to the source notebook."""
    replaced = any("injected-parameters" in cell_tags(cell) for cell in source["cells"])
    if not injected or replaced:  # papermill replaces an existing injected cell: nothing shifts
        return executed_index
    parameters_index = parameters_cell_index(source)
    injected_at = 0 if parameters_index is None else parameters_index + 1
    return executed_index - 1 if executed_index > injected_at else executed_index


def _mark_failed(output: Path) -> str | None:
    """Rename a partial executed notebook to `<stem>.FAILED.ipynb` so it never passes for a finished one."""
    if not output.exists():
        return None
    failed = output.with_name(f"{output.stem}.FAILED.ipynb")
    os.replace(output, failed)
    return failed.name


def _brace_safe(path: Path) -> str:
    """papermill formats paths with the parameters (`{name}`); escape braces in real paths."""
    return str(path).replace("{", "{{").replace("}", "}}")


@contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (a kernel started in it inherits them), then restore them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def quiet_papermill() -> Iterator[None]:
    """Silence papermill's INFO/WARNING chatter (and nbclient's, which logs through it) during a run."""
    papermill_logger = logging.getLogger("papermill")
    previous = papermill_logger.level
    papermill_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        papermill_logger.setLevel(previous)

