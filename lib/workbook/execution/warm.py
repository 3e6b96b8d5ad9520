"""Warm kernels: the next notebook's kernel started, and its imports done, while the current one computes.

A sweep point or a notebook of a parallel run costs a kernel start-up (~1 s) and its imports (pandas,
scikit-learn, MLflow: ~3-4 s) before its first line of real work. A pool worker (or a sequential run) that
knows more work follows starts the next kernel beside the running one and has it import what the notebook
imports. This pays where a core is idle; where every core computes already, it only moves work. Each notebook
still gets a kernel of its own, fresh (nothing of an earlier notebook is in it); only its modules are loaded.

What differs between notebooks of one batch (a point's tags, the folder it runs in) is set in the kernel
just before its notebook runs, in a silent first execution the executed notebook does not show.
"""

from __future__ import annotations

import ast
import atexit
import json
import logging
import multiprocessing.util
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbook.execution import forked
from workbook.execution.kernel import QUIET_KERNEL_ARGS, kernel_environment
from workbook.execution.managers import manager_class, stop_kernel

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from jupyter_client.manager import AsyncKernelManager

logger = logging.getLogger(__name__)

# Set to 0 to start every kernel when its notebook starts, as papermill does: a waiting kernel holds its imports
# (~0.3 GB) beside the running one, and a benchmark compares both ways.
SWITCH = "WORKBOOK_WARM_KERNELS"
WARM_UP_TIMEOUT_S = 120  # imports on a loaded 2-core machine take ~10 s; beyond this the kernel is not used
# Loaded by MLflow on first use rather than at `import mlflow`, and slow: skops (MLflow's model format, 2.5 s),
# the SQL stores behind a sqlite:// tracking URI (SQLAlchemy and alembic, 1.1 s, then 0.3 s to configure their
# mappers on the first query) and MLflow's map of installed distributions, which each first log_model builds
# to check requirements (2 s). Measured: setup_tracking on an existing store 1.27 s cold, 0.19 s after these.
MLFLOW_LAZY_MODULES = ("mlflow.sklearn", "skops.io", "mlflow.store.tracking.sqlalchemy_store",
                       "mlflow.store.model_registry.sqlalchemy_store")
MLFLOW_DISTRIBUTIONS_MAP = ("mlflow.utils.requirements_utils", "_init_modules_to_packages_map")
SQLALCHEMY_MAPPERS = ("sqlalchemy.orm", "configure_mappers")


@dataclass(frozen=True)
class KernelRecipe:
    """What makes a started kernel fit a notebook: the kernel, the environment it starts with, its imports."""

    kernel_name: str
    env: tuple[tuple[str, str], ...]  # the variables it starts with, sorted (the same for every notebook)
    modules: tuple[str, ...]  # imported before the notebook runs
    extra_arguments: tuple[str, ...] = ()


def notebook_imports(cells: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The modules a notebook's code cells import at top level, in order (cells that do not parse are skipped)."""
    modules: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.append(node.module)
    if any(module == "mlflow" or module.startswith("mlflow.") for module in modules):
        modules += MLFLOW_LAZY_MODULES
    return tuple(dict.fromkeys(modules))


def warm_up_code(modules: Iterable[str]) -> str:
    """Code that imports `modules` (a missing one is skipped: the notebook will say so itself), builds MLflow's
    map of distributions and configures SQLAlchemy's mappers, leaving no name behind in the kernel's namespace."""
    prepare = [f"getattr(sys.modules.get({holder!r}), {function!r}, None)"
               for holder, function in (MLFLOW_DISTRIBUTIONS_MAP, SQLALCHEMY_MAPPERS)]
    return _leaving_no_name("_workbook_warm_up", [
        "import importlib",
        f"for name in {json.dumps(list(modules))}:",
        "    try:",
        "        importlib.import_module(name)",
        "    except Exception:",
        "        pass",
        "import sys",
        f"for build in [{', '.join(prepare)}]:",
        "    if build is not None:",
        "        try:",
        "            build()",
        "        except Exception:",
        "            pass",
    ])


def point_setup_code(env: Mapping[str, str], cwd: Path) -> str:
    """Code that gives a warm kernel what a fresh one would have started with: `env` and its working folder."""
    return _leaving_no_name("_workbook_setup", [
        "import os",
        f"os.environ.update({json.dumps(dict(env))})",
        f"os.chdir({json.dumps(str(cwd))})",
    ])


def _leaving_no_name(function: str, body: list[str]) -> str:
    """`body` as a function that is defined, called and deleted: the notebook's namespace stays as a fresh
    kernel's (its imports and variables stay local to the function)."""
    return "\n".join([f"def {function}():", *(f"    {line}" for line in body), f"{function}()", f"del {function}"])


class WarmKernel:
    """A kernel started ahead of its notebook, importing the notebook's modules."""

    def __init__(self, recipe: KernelRecipe, cwd: Path) -> None:
        from jupyter_core.utils import run_sync

        self.recipe = recipe
        self.manager: AsyncKernelManager = manager_class()(kernel_name=recipe.kernel_name)
        run_sync(self.manager.start_kernel)(env=dict(recipe.env), cwd=str(cwd),
                                            extra_arguments=list(recipe.extra_arguments))
        self._client = self.manager.client()
        # No heartbeat: nothing here reads it, and jupyter_client's heartbeat thread sets itself running only
        # after it has started, so a stop that comes first is lost and stop_channels() waits forever (a spare
        # stopped right after its start, on a loaded machine: 11 of 150 stops hung, 0 without it).
        self._client.start_channels(hb=False)
        self._warm_up = self._client.execute(warm_up_code(recipe.modules), silent=True, store_history=False)

    def ready_for(self, env: Mapping[str, str], cwd: Path) -> AsyncKernelManager | None:
        """The kernel, its imports done and `env` and `cwd` set; None (and the kernel stopped) if it failed."""
        from jupyter_core.utils import run_sync

        try:  # no wait_for_ready: it would read (and drop) the warm-up's reply; requests queue until the kernel is up
            for msg_id in (self._warm_up,
                           self._client.execute(point_setup_code(env, cwd), silent=True, store_history=False)):
                run_sync(self._reply_to)(msg_id)
        except Exception as error:  # a kernel that died or hung: the notebook starts a cold one instead
            logger.warning("a warm kernel was not ready (%s); starting a new one", error)
            self.stop()
            return None
        self._client.stop_channels()
        return self.manager

    async def _reply_to(self, msg_id: str) -> None:
        """Wait for the reply to `msg_id`; an error in it is raised (the kernel is then not used)."""
        while True:
            reply = await self._client.get_shell_msg(timeout=WARM_UP_TIMEOUT_S)
            if reply["parent_header"].get("msg_id") == msg_id:
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
                return

    def stop(self) -> None:
        """Stop the kernel at once and close every client made for it."""
        stop_kernel(self.manager)


class Spare:
    """At most one warm kernel per process, waiting for the next notebook of the same recipe."""

    def __init__(self) -> None:
        self._kernel: WarmKernel | None = None
        self._stopped_at_exit = False

    def take(self, recipe: KernelRecipe) -> WarmKernel | None:
        """The waiting kernel if it was made by `recipe`; any other is stopped."""
        kernel, self._kernel = self._kernel, None
        if kernel is not None and kernel.recipe != recipe:
            kernel.stop()
            return None
        return kernel

    def start(self, recipe: KernelRecipe, cwd: Path) -> None:
        """Start a kernel for the next notebook now (it boots and imports while the caller works)."""
        self.discard()
        if not self._stopped_at_exit:  # a pool worker exits through multiprocessing's finalizers, not atexit
            multiprocessing.util.Finalize(self, self.discard, exitpriority=10)
            atexit.register(self.discard)
            self._stopped_at_exit = True
        try:
            self._kernel = WarmKernel(recipe, cwd)
        except Exception as error:  # no spare: the next notebook starts its own kernel, as without this
            logger.warning("could not start a warm kernel: %s", error)

    def discard(self) -> None:
        """Stop the waiting kernel, if any (when the batch ends)."""
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            kernel.stop()


def recipe_for(modules: tuple[str, ...], kernel_name: str, notebook_env: Mapping[str, str]) -> KernelRecipe:
    """The kernel a batch notebook gets: this process's environment and the batch kernels' variables, but
    none of the notebook's own (`notebook_env`, set just before it runs), with `modules` imported."""
    base = {name: value for name, value in os.environ.items() if name not in notebook_env}
    env = tuple(sorted((base | kernel_environment()).items()))
    return KernelRecipe(kernel_name, env, modules, tuple(QUIET_KERNEL_ARGS))


def enabled() -> bool:
    """Whether batches start kernels early ($WORKBOOK_WARM_KERNELS, on unless 0/off/false/no). Read where the
    batch is planned: pool workers keep the environment they were started with."""
    return os.environ.get(SWITCH, "1").strip().lower() not in {"0", "off", "false", "no"}


def kernel_for(recipe: KernelRecipe, notebook_env: Mapping[str, str], cwd: Path,
               next_cwd: Path | None) -> AsyncKernelManager | None:
    """The kernel started for this notebook while the previous one ran, ready to run in `cwd` (None: papermill
    starts one); and, given `next_cwd`, the next notebook's kernel started now there (where it imports from).
    With forked kernels switched on (execution.forked), the kernel is forked now instead: no spare is needed."""
    if forked.enabled():
        try:
            return forked.start_kernel(recipe, notebook_env, cwd)
        except Exception as error:  # papermill starts a kernel the usual way instead
            logger.warning("could not fork a kernel (%s); starting one as usual", error)
            return None
    spare = SPARE.take(recipe)
    if next_cwd is not None:
        SPARE.start(recipe, next_cwd)
    return spare.ready_for(notebook_env, cwd) if spare is not None else None


# One per process: a pool worker executes one notebook at a time.
SPARE = Spare()
