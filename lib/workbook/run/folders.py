"""The folders runs and sweeps write to: checking a chosen one, naming and creating a new one under runs/.

One implementation for `workbook run` and `workbook sweep`; only their wording differs (a run suggests
--in-place for the notebooks folder, a sweep --out), and a sweep's errors are SweepErrors. An --out the command
cannot take (a file, the notebooks folder, another kind of folder) is refused before anything runs, with status 2
as any other bad request.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Literal

from workbook.errors import SweepError, SweepUsageError, UsageError, WorkbookError
from workbook.paths import NOTEBOOKS_DIR, RUNS_DIR

OutDirKind = Literal["run", "sweep"]

# What each kind of folder says when it is pointed at the notebooks folder or at a run's folder.
NOTEBOOKS_FOLDER_HINT: dict[OutDirKind, str] = {
    "run": "use --in-place to refresh them",
    "sweep": "choose another --out",
}
HOLDS_A_RUN: dict[OutDirKind, str] = {
    "run": "already holds a run (run.json); choose another or remove it",
    "sweep": "holds a workbook run (run.json), not a sweep; choose another --out",
}
# A sweep's record (workbook.sweep.store.SWEEP_FILE): a run written beside it would leave a folder that neither
# command can resume or `workbook diff` can read.
SWEEP_RECORD = "sweep.json"


def _error(kind: OutDirKind) -> type[WorkbookError]:
    return SweepError if kind == "sweep" else WorkbookError


def _refusal(kind: OutDirKind) -> type[UsageError]:
    return SweepUsageError if kind == "sweep" else UsageError


def new_run_dir(runs_dir: str | Path | None = None, now: datetime | None = None, prefix: str = "") -> Path:
    """Create and return a new `runs/<prefix><YYYYmmdd-HHMMSS>` folder (`-2`, `-3`, ... when taken)."""
    stamp = prefix + (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for number in count(1):
        candidate = Path(runs_dir or RUNS_DIR) / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            candidate.mkdir(parents=True)  # mkdir, not exists(): two runs starting together get two folders
            return candidate
        except FileExistsError:
            continue
        except OSError as error:
            raise WorkbookError(f"cannot create run folder {candidate}: {error.strerror or error}") from error
    raise AssertionError("unreachable")


def check_out_dir(out_dir: str | Path, notebooks_dir: str | Path = NOTEBOOKS_DIR, kind: OutDirKind = "run") -> Path:
    """The resolved out dir if it can be created and written; not the notebooks folder, a file, or a run's
    (or, for a run, a sweep's). Nothing is created here.
    """
    error = _refusal(kind)
    path = Path(out_dir).expanduser().resolve()
    if path == Path(notebooks_dir).resolve():
        raise error(f"out dir {path} is the notebooks folder; {NOTEBOOKS_FOLDER_HINT[kind]}")
    if path.exists() and not path.is_dir():
        raise error(f"out dir {path} is a file, not a folder")
    if (path / "run.json").exists():
        raise error(f"out dir {path} {HOLDS_A_RUN[kind]}")
    if kind == "run" and (path / SWEEP_RECORD).exists():
        raise error(f"out dir {path} holds a sweep ({SWEEP_RECORD}), not a run; choose another --out")
    existing = next(parent for parent in (path, *path.parents) if parent.exists())
    if not existing.is_dir():
        raise error(f"cannot create out dir {path}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise error(f"cannot write to out dir {path}: permission denied in {existing}")
    return path


def create_out_dir(path: Path, kind: OutDirKind = "run") -> Path:
    """Create the folder (if needed) and prove a file can be written there."""
    error = _error(kind)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise error(f"cannot create out dir {path}: {problem.strerror or problem}") from None
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as problem:
        raise error(f"cannot write to out dir {path}: {problem.strerror or problem}") from None
    return path


def prepare_out_dir(out_dir: str | Path | None, notebooks_dir: str | Path = NOTEBOOKS_DIR) -> Path:
    """The folder a run writes to: new when not given; an existing one must not hold a run already."""
    path = new_run_dir() if out_dir is None else check_out_dir(out_dir, notebooks_dir)
    return create_out_dir(path).resolve()
