"""Running `workbook` commands for the bad-input catalogues: in process (typer's CliRunner) or as a real process.

A real process pays 1-2 s of imports (MLflow, pandas) per command; in process the commands share one import, so
the catalogues run most cases so (issue 12). A few stay real processes: they prove the `python -m workbook.cli`
path (exit status, stderr, no traceback), and they keep out of the test worker what is unsafe in it: signal
handlers (the servers' stop_signals), Dask's client, kernels that should run at once (CliRunner swaps
sys.stdout and os.environ, so in-process commands run one at a time).

An in-process command may change the worker's global state: the app's callback exports MLflow variables and adds
a log handler, commands point MLflow at a store. `ProcessState` snapshots what the brief of issue 12 names
(os.environ, the cwd, MLflow's tracking and registry URIs, experiment and active run, every logger's handlers and
level, the stop signals' handlers) so `run_in_process` puts it back after each command, and a test can check it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

PROXY_FREE = {name: None for name in os.environ if name.lower().endswith("_proxy")}  # 127.0.0.1:9 must be direct
# The warning filters of a plain `python` (no -W, no PYTHONWARNINGS): in process, warnings show as a user would
# see them, not as pytest collects them.
PLAIN_PYTHON_FILTERS = [("default", DeprecationWarning, "__main__"), ("ignore", DeprecationWarning, ""),
                        ("ignore", PendingDeprecationWarning, ""), ("ignore", ImportWarning, ""),
                        ("ignore", ResourceWarning, "")]
STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]


@dataclass(frozen=True)
class Outcome:
    """What one command left behind: its exit status, its two streams, and any exception it let escape."""

    returncode: int
    stdout: str
    stderr: str
    escaped: str = ""  # in process: the traceback of an exception other than SystemExit ("" if none)
    in_process: bool = False
    changed: tuple[str, ...] = ()  # in process: the global state it changed (put back since), one line each


def run_subprocess(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> Outcome:
    """`python -m workbook.cli ARGS` as a user's shell runs it, in `cwd` with exactly `env`."""
    done = subprocess.run([sys.executable, "-m", "workbook.cli", *args], capture_output=True, text=True,
                          timeout=240, env=dict(env), cwd=cwd)
    return Outcome(done.returncode, done.stdout, done.stderr)


def subprocess_env(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with `overrides` (None removes a name), fixed now: threads must not read
    os.environ while an in-process command has changed it."""
    env = {**os.environ, **overrides}
    return {name: value for name, value in env.items() if value is not None}


def run_in_process(args: Sequence[str], env: Mapping[str, str | None], cwd: Path) -> Outcome:
    """The same command through CliRunner on `workbook.cli.app`, in `cwd` with `env` on top of os.environ.

    Whatever the command changed in this process is put back (ProcessState.restore). An exception that
    escapes the app is no exit status a user would see but a traceback: it is kept in `escaped`, never lost.
    Warnings a plain `python` would print end stderr, as they would a real process's.
    """
    from workbook.cli import app

    before = ProcessState.now()
    try:
        with warnings.catch_warnings(record=True) as shown:
            warnings.resetwarnings()
            for action, category, module in reversed(PLAIN_PYTHON_FILTERS):
                warnings.filterwarnings(action, category=category, module=module)
            os.chdir(cwd)
            result = CliRunner().invoke(app, list(args), env=dict(env), prog_name="workbook")
        after = ProcessState.now()
        changed = [line for line in before.differences(after) if not line.startswith("cwd:")]
        if Path(after.cwd).resolve() != Path(cwd).resolve():  # the cwd was ours to change, not the command's
            changed.append(f"cwd: {cwd} -> {after.cwd}")
    finally:
        before.restore()
    escaped = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        escaped = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(result.exception)
    printed = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in shown)
    return Outcome(result.exit_code, result.stdout, result.stderr + printed, escaped, in_process=True,
                   changed=tuple(changed))


def processes_with_env(variable: str, value: str, settle_s: float = 0.0) -> list[str]:
    """Command lines of live processes whose environment has `variable`=`value` (Linux's /proc): what a command
    left running. With `settle_s`, looked at again until none is left or that many seconds have passed."""
    wanted = f"{variable}={value}".encode()
    deadline = time.monotonic() + settle_s
    while True:
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if wanted in (proc / "environ").read_bytes().split(b"\0"):
                    found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:  # gone meanwhile, or not ours to read
                continue
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def import_what_commands_import() -> None:
    """Import the modules the commands import lazily, before a snapshot: what a module sets up once on import
    (MLflow's loggers) is no command's doing, and must not be undone as if it were."""
    import mlflow  # noqa: F401

    from workbook import leaderboard, room, run, serving, sweep, tracking  # noqa: F401
    from workbook.cli import app  # noqa: F401


def _mlflow_state() -> dict[str, Any]:
    """MLflow's process-wide choices: tracking and registry URIs, active experiment, active run."""
    import mlflow
    from mlflow.tracking import fluent
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    run = mlflow.active_run()
    return {"tracking_uri": tracking_utils._tracking_uri, "registry_uri": registry_utils._registry_uri,
            "experiment_id": fluent._active_experiment_id, "active_run": run.info.run_id if run else None}


def _logging_state() -> dict[str, tuple[int, tuple[logging.Handler, ...], bool, bool]]:
    """Every logger's level, handlers, propagation and disabled flag, by name ('' is the root)."""
    loggers = {"": logging.getLogger()}
    loggers.update({name: found for name, found in logging.root.manager.loggerDict.items()
                    if isinstance(found, logging.Logger)})
    return {name: (found.level, tuple(found.handlers), found.propagate, found.disabled)
            for name, found in loggers.items()}


@dataclass(frozen=True)
class ProcessState:
    """A snapshot of the process-wide state a command can change: compare two, or put one back."""

    environ: dict[str, str]
    cwd: str
    mlflow: dict[str, Any]
    logging: dict[str, tuple[int, tuple[logging.Handler, ...], bool, bool]]
    signals: dict[int, Any]

    @classmethod
    def now(cls) -> ProcessState:
        return cls(dict(os.environ), os.getcwd(), _mlflow_state(), _logging_state(),
                   {number: signal.getsignal(number) for number in STOP_SIGNALS})

    def differences(self, later: ProcessState) -> list[str]:
        """What changed from this snapshot to `later`, one line each (loggers created since are not a change)."""
        found = []
        for name in sorted(set(self.environ) | set(later.environ)):
            if self.environ.get(name) != later.environ.get(name):
                found.append(f"os.environ[{name!r}]: {self.environ.get(name)!r} -> {later.environ.get(name)!r}")
        if self.cwd != later.cwd:
            found.append(f"cwd: {self.cwd} -> {later.cwd}")
        found += [f"mlflow {key}: {value!r} -> {later.mlflow[key]!r}" for key, value in self.mlflow.items()
                  if later.mlflow[key] != value]
        for name, (level, handlers, propagate, disabled) in later.logging.items():
            was = self.logging.get(name, (logging.NOTSET, (), True, False))
            if was != (level, handlers, propagate, disabled):
                found.append(f"logger {name or 'root'!r}: {was} -> {(level, handlers, propagate, disabled)}")
        found += [f"signal {number}: {handler!r} -> {later.signals[number]!r}"
                  for number, handler in self.signals.items() if later.signals[number] != handler]
        return found

    def restore(self) -> None:
        """Put this snapshot back: MLflow first (its set_tracking_uri also exports or unsets a variable)."""
        import mlflow
        from mlflow.tracking import fluent

        while mlflow.active_run() and mlflow.active_run().info.run_id != self.mlflow["active_run"]:
            mlflow.end_run()
        now = _mlflow_state()
        if now["tracking_uri"] != self.mlflow["tracking_uri"]:
            mlflow.set_tracking_uri(self.mlflow["tracking_uri"])
        if now["registry_uri"] != self.mlflow["registry_uri"]:
            mlflow.set_registry_uri(self.mlflow["registry_uri"])
        fluent._active_experiment_id = self.mlflow["experiment_id"]  # MLflow has no public way to put it back
        for name in set(os.environ) - set(self.environ):
            del os.environ[name]
        os.environ.update({name: value for name, value in self.environ.items() if os.environ.get(name) != value})
        os.chdir(self.cwd)
        for name, (level, handlers, propagate, disabled) in _logging_state().items():
            was = self.logging.get(name, (logging.NOTSET, (), True, False))
            if was != (level, handlers, propagate, disabled):
                found = logging.getLogger(name or None)
                found.setLevel(was[0])
                found.handlers[:] = list(was[1])
                found.propagate, found.disabled = was[2], was[3]
        for number, handler in self.signals.items():
            if signal.getsignal(number) != handler:
                signal.signal(number, handler)
