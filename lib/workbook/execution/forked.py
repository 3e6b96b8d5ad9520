"""Kernels forked from a process that has imported the notebooks' modules once (Linux; WORKBOOK_FORK_KERNELS=0: off).

Every notebook of a run and every point of a sweep starts a kernel (~1 s) that imports pandas, scikit-learn,
MLflow and matplotlib again (5-7 s of CPU). Warm kernels (execution.warm) hide that time where a core is idle;
on a busy 2-core machine they only move it. A fork server pays the imports once per worker process; each kernel
is then a fork of it, answering in well under a second. It is fresh in every other way: a session of its own,
its own folder and environment (set before ipykernel starts), and its random generators seeded anew.

Linux only: on macOS the system frameworks numpy and matplotlib may load are not safe to fork (Python's own
multiprocessing spawns there for that reason), and Windows has no fork. A kernel spec that is not
`python -m ipykernel_launcher ...` starts as usual, and so does any kernel the server fails to fork.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workbook.errors import WorkbookError
from workbook.execution.managers import manager_class

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_client.manager import AsyncKernelManager

    from workbook.execution.warm import KernelRecipe

SWITCH = "WORKBOOK_FORK_KERNELS"
LAUNCHER = ["-m", "ipykernel_launcher"]  # a Python kernel spec's argv: interpreter, its options, this, arguments
FORK_TIMEOUT_S = 180.0  # the first fork waits for the server's imports (~10 s on a loaded 2-core machine)

# The fork server: imports the modules (a missing one is skipped), then forks a kernel per request line
# ({"args", "cwd", "env"}) and answers its pid. It ignores Ctrl-C (the batch stops kernels itself), reaps
# the kernels that exit, and ends when its requests' pipe closes (its owner ended).
SERVER_CODE = r'''
import importlib, json, os, signal, sys
if sys.path and sys.path[0] == "":
    del sys.path[0]  # as ipykernel_launcher does: the folder the server starts in is not on a kernel's path
signal.signal(signal.SIGINT, signal.SIG_IGN)
import builtins, types
# Some libraries decide at import whether they run in a Jupyter kernel (pandas: how many columns a table shows),
# by the get_ipython() a kernel defines: while they import, this server answers as one.
builtins.get_ipython = lambda: types.SimpleNamespace(kernel=True)
# matplotlib reads its backend when imported; ipykernel sets this before any notebook imports it.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:
        pass
del builtins.get_ipython

def reap(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass

signal.signal(signal.SIGCHLD, reap)
answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # what a kernel writes to fd 1 goes where the server's errors go, never into the answers
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()  # a session of its own, as jupyter_client gives every kernel
            for sig in (signal.SIGINT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            answers.close()
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel watches this process, not the batch
            import random, tempfile
            random.seed()
            tempfile._name_sequence = None
            numpy = sys.modules.get("numpy")
            if numpy is not None:
                numpy.random.seed()
            sys.argv = ["ipykernel_launcher", *request["args"]]
            from ipykernel import kernelapp
            kernelapp.launch_new_instance()
        finally:
            os._exit(0)
    answers.write(f"{pid}\n")
    answers.flush()
'''


def enabled() -> bool:
    """Whether batches fork their kernels: on Linux unless $WORKBOOK_FORK_KERNELS is 0/off/false/no. Read where
    kernels start: pool workers keep the environment they were started with."""
    switched_off = os.environ.get(SWITCH, "1").strip().lower() in {"0", "off", "false", "no"}
    return sys.platform.startswith("linux") and not switched_off


class ForkServer:
    """One fork server process: started with an environment and modules, it forks kernels on request."""

    def __init__(self, interpreter: Sequence[str], env: Mapping[str, str], modules: Sequence[str]) -> None:
        """`interpreter`: the kernel spec's Python and its options (e.g. -Xfrozen_modules=off)."""
        command = [*interpreter, "-c", SERVER_CODE, json.dumps(list(modules))]
        self.process = subprocess.Popen(command, env=dict(env),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._lock = threading.Lock()

    def fork(self, args: Sequence[str], cwd: str, env: Mapping[str, str]) -> int:
        """A new kernel's pid: ipykernel started with `args` in `cwd` with exactly `env`."""
        request = json.dumps({"args": list(args), "cwd": cwd, "env": dict(env)})
        with self._lock:
            if self.process.poll() is not None or self.process.stdin is None or self.process.stdout is None:
                raise WorkbookError(f"the kernel fork server has ended (exit code {self.process.returncode})")
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
            answered, _, _ = select.select([self.process.stdout], [], [], FORK_TIMEOUT_S)
            if not answered:  # its late answer would be read as the next kernel's: it is not used again
                self.close()
                raise WorkbookError(f"the kernel fork server did not answer within {FORK_TIMEOUT_S:g} s")
            answer = self.process.stdout.readline()
        if not answer.strip().isdigit():
            raise WorkbookError("the kernel fork server ended before answering")
        return int(answer)

    def close(self) -> None:
        """End the server at once: it holds nothing but imports (the kernels it forked are in sessions of their
        own, stopped by their managers). Waiting for its interpreter to wind down cost a sweep ~1.5 s."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a request it never read: nothing to flush it to
                    pipe.close()


class ForkedProcess:
    """The handle jupyter_client's provisioner drives (Popen's poll, wait, send_signal, kill, terminate), for
    a kernel that is the fork server's child, not ours: alive while its pid exists (the server reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # its exit status went to the server
            except PermissionError:  # the pid is someone else's now: ours has ended
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def launcher_split(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """A Python kernel spec's argv as (interpreter and its options, ipykernel's arguments); None for any other."""
    for start in range(1, len(argv) - 1):
        if list(argv[start:start + 2]) == LAUNCHER:
            return list(argv[:start]), list(argv[start + 2:])
    return None


@functools.cache
def forked_manager_class() -> type[AsyncKernelManager]:
    """The batch kernel manager (execution.managers), launching its kernel as a fork of `fork_server`."""

    class ForkedKernelManager(manager_class()):  # type: ignore[misc, valid-type]
        fork_server: ForkServer | None = None

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # jupyter_client's documented place to launch a kernel differently; the provisioner keeps the rest.
            split = launcher_split(kernel_cmd)
            if self.fork_server is None or split is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            assert provisioner is not None
            env = kw.get("env") or os.environ
            pid = self.fork_server.fork(split[1], str(kw.get("cwd") or os.getcwd()), env)
            provisioner.process = ForkedProcess(pid)
            provisioner.pid = provisioner.pgid = pid  # its own session: its group is itself
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkedKernelManager


class ForkServers:
    """This process's fork servers, one per kernel recipe; ended when the process ends."""

    def __init__(self) -> None:
        self._servers: dict[KernelRecipe, ForkServer] = {}

    def for_recipe(self, recipe: KernelRecipe) -> ForkServer:
        """The server that forks kernels of `recipe` (started now, importing its modules, if there is none)."""
        server = self._servers.get(recipe)
        if server is None or server.process.poll() is not None:
            from jupyter_client.kernelspec import KernelSpecManager

            split = launcher_split(KernelSpecManager().get_kernel_spec(recipe.kernel_name).argv)
            if split is None:
                raise WorkbookError(f"kernel {recipe.kernel_name!r} is not started by ipykernel_launcher: it "
                                    f"cannot be forked (unset {SWITCH})")
            if not self._servers:
                import atexit
                import multiprocessing.util

                atexit.register(self.close)
                multiprocessing.util.Finalize(self, self.close, exitpriority=10)  # pool workers skip atexit
            server = self._servers[recipe] = ForkServer(split[0], dict(recipe.env), recipe.modules)
        return server

    def close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()


SERVERS = ForkServers()


def start_kernel(recipe: KernelRecipe, notebook_env: Mapping[str, str], cwd: Path) -> AsyncKernelManager:
    """A started kernel of `recipe`, forked with `notebook_env` on top of the recipe's environment, in `cwd`."""
    from jupyter_core.utils import run_sync

    manager = forked_manager_class()(kernel_name=recipe.kernel_name)
    manager.fork_server = SERVERS.for_recipe(recipe)
    run_sync(manager.start_kernel)(env={**dict(recipe.env), **notebook_env}, cwd=str(cwd),
                                   extra_arguments=list(recipe.extra_arguments))
    return manager
