"""The sweep folder: its lock, sweep.json, complete points found again, finished points put in place.

    sweep.json               what was asked (notebook, grid, fixed parameters, points and their keys)
    points/<i>-<key8>/       one complete point: executed notebook, results.json, point.json
    failed/<i>-<key8>/       one failed point: <stem>.FAILED.ipynb and point.json with the error
    summary.csv, summary.html  one row per point; the best points and the metric against each parameter
    .partial/                points being written; a point appears in points/ only once it is complete
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from workbook import provenance
from workbook.errors import SweepError
from workbook.messages import first_line
from workbook.results import to_jsonable

if TYPE_CHECKING:
    from workbook.sweep.plan import Point, SweepPlan
    from workbook.sweep.point import PointOutcome

POINTS_DIR, FAILED_DIR, PARTIAL_DIR = "points", "failed", ".partial"
SWEEP_FILE, POINT_FILE, RESULTS_FILE = "sweep.json", "point.json", "results.json"
SUMMARY_CSV, SUMMARY_HTML, SUMMARY_PNG, LOCK_FILE = "summary.csv", "summary.html", "summary.png", ".sweep.lock"


@contextlib.contextmanager
def sweep_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder for one sweep at a time; a second sweep into it fails at once, naming it.

    filelock, not fcntl: Windows laptops get the same protection.
    """
    lock = FileLock(out_dir / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SweepError(f"out dir {out_dir} is in use by another sweep") from None
    try:
        yield
    finally:
        lock.release()


def read_sweep_json(out_dir: Path) -> dict[str, Any] | None:
    """The sweep.json of an earlier sweep in this folder, or None."""
    path = out_dir / SWEEP_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SweepError(f"cannot read {path}: {first_line(error)}; choose another --out") from None
    if not isinstance(data, dict) or not isinstance(data.get("sweep_key"), str):
        raise SweepError(f"{path} is not a sweep's record; choose another --out")
    return data


def completed_points(out_dir: Path) -> dict[str, Path]:
    """Folders under points/ that hold a complete point, by point key (unreadable ones count as missing)."""
    found: dict[str, Path] = {}
    points = out_dir / POINTS_DIR
    if not points.is_dir():
        return found
    for folder in sorted(points.iterdir()):
        record = read_point_json(folder)
        if record and record.get("status") == "ok" and (folder / str(record.get("notebook"))).is_file():
            found.setdefault(str(record.get("key")), folder)
    return found


def read_point_json(folder: Path) -> dict[str, Any] | None:
    """A point folder's point.json, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / POINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def clear_partial(out_dir: Path) -> None:
    """Remove what a killed sweep left half-written; none of it was ever a complete point."""
    shutil.rmtree(out_dir / PARTIAL_DIR, ignore_errors=True)


def install_outcome(out_dir: Path, point: Point, outcome: PointOutcome) -> Path:
    """Write a finished point's files into a staging folder, then rename it into points/ (or failed/)."""
    staging_root = out_dir / PARTIAL_DIR
    staging_root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{point.folder}-", dir=staging_root))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700 folders; results are for others to read too
    for relative, content in outcome.files.items():
        target = (staging / relative).resolve()
        if staging.resolve() not in target.parents:
            raise SweepError(f"point {point.folder} returned a file outside its folder: {relative}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    final = out_dir / (POINTS_DIR if outcome.status == "ok" else FAILED_DIR) / point.folder
    final.parent.mkdir(exist_ok=True)
    if final.exists():
        _discard(final, staging_root)
    os.replace(staging, final)
    if outcome.status == "ok":
        for stale in (out_dir / FAILED_DIR).glob(f"*-{point.key8}"):  # an earlier failed attempt
            _discard(stale, staging_root)
    return final


def _discard(folder: Path, staging_root: Path) -> None:
    """Move a folder aside (one rename), then delete it."""
    trash = Path(tempfile.mkdtemp(prefix="discard-", dir=staging_root))
    os.replace(folder, trash / folder.name)
    shutil.rmtree(trash, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def sweep_record(plan: SweepPlan, sweep_key: str, options: Mapping[str, Any],
                 folders: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The content of sweep.json: what was asked and the points it makes; `folders`: where points already
    complete are, by key, when not in the folder their index names."""
    request = plan.request
    return to_jsonable({
        "notebook": plan.stem,
        "sweep_key": sweep_key,
        "grid": plan.grid,
        "fixed": plan.fixed,
        "sample": request.sample,
        "seed": request.seed,
        "metric": request.metric,
        "goal": request.goal,
        "grid_points": plan.total,
        "source": source_record(plan.notebook.path.read_text(encoding="utf-8")),
        "packages": provenance.package_versions(),
        **options,
        "points": [{"index": p.index, "folder": (folders or {}).get(p.key, p.folder), "key": p.key,
                    "params": p.grid_values, "data": p.data} for p in plan.points],
    })


@lru_cache(maxsize=4)
def source_record(notebook_text: str) -> dict[str, Any]:
    """The notebook's source hash and the commit, once per notebook text (every point runs the same text)."""
    return provenance.source_record(json.loads(notebook_text))
