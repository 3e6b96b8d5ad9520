"""What a notebook's results depend on besides its parameters: its source, its data, the packages, the commit.

`workbook run` records this in run.json and a sweep in sweep.json and each point.json, so that `workbook diff`
can say *why* two runs differ (another data file, another scikit-learn, an edited notebook), not only that
they do. Everything here is cheap (no MLflow, no kernel): a run pays a few milliseconds for it.
"""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbook.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from workbook.execution.catalog import NotebookInfo

# The packages whose versions move the workbook's numbers or its behaviour; a diff shows the ones that differ.
PACKAGES = ("mlops-workbook", "mlflow", "scikit-learn", "pandas", "numpy", "scipy", "matplotlib", "papermill",
            "nbclient", "ipykernel", "skops")
GIT_TIMEOUT_S = 2.0


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Python's version and each of PACKAGES' installed version ("not installed" when missing)."""
    return {"python": platform.python_version(), **installed_versions(PACKAGES)}


def installed_versions(packages: Iterable[str]) -> dict[str, str]:
    """Each package's installed version, "not installed" when it is missing."""
    found = {}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def notebook_source_hash(nb: Mapping[str, Any]) -> str:
    """`sha256:<hex>` of a notebook's cells (type and source, in order), outputs and metadata left out.

    Outputs change on every execution and papermill adds a cell of parameters; neither is the notebook's
    code, so an executed copy hashes like its source once the injected cell is skipped.
    """
    digest = hashlib.sha256()
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        digest.update(f"{cell.get('cell_type')}\0{text}\0".encode())
    return f"sha256:{digest.hexdigest()}"


@lru_cache(maxsize=1)
def git_commit(cwd: Path = PROJECT_ROOT) -> str | None:
    """The commit checked out in the project, with `+dirty` when tracked files changed; None without git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()
    if head.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return None
    return commit + ("+dirty" if status.returncode == 0 and status.stdout.strip() else "")


def source_record(nb: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's source hash and the project's commit: the "which code" of a run."""
    return {"notebook_sha256": notebook_source_hash(nb), "git_commit": git_commit()}


def notebook_record(info: NotebookInfo, nb: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Source and data of one notebook about to run with `params` (the values given; defaults fill the rest)."""
    from workbook.sweep.plan import data_fingerprint  # the sweep's own rule, so a run and a point compare alike

    return {"source": source_record(nb), "data": data_fingerprint(info, params)}
