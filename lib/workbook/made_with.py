"""Which package versions made a notebook's committed outputs, and one line when this kernel's differ.

`make notebooks` records the versions in each refreshed notebook's metadata (`workbook.made_with`). A
notebook's first cell calls `version_notice("NN_name")`: nothing when the kernel matches, one line naming each
package that differs when it does not, so a learner on other versions knows why a number may not match the
page, and is never stopped by it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook import provenance
from workbook.execution.catalog import NotebookMetadata
from workbook.paths import NOTEBOOKS_DIR

# The packages whose versions shape the outputs a learner compares with the page.
OUTPUT_PACKAGES = ("pandas", "numpy", "scikit-learn", "mlflow", "matplotlib", "seaborn")
# Set to "off" where a notice would be noise: while `make notebooks` re-executes (the record is about to be
# replaced) and in the upgrade lane, which reports changed outputs anyway.
SWITCH = "WORKBOOK_VERSION_NOTICE"


def installed_versions(packages: tuple[str, ...] = OUTPUT_PACKAGES) -> dict[str, str]:
    """Each package's installed version, "not installed" when it is missing."""
    return provenance.installed_versions(packages)


def record_made_with(metadata: dict[str, Any]) -> None:
    """Write this environment's versions into a notebook's metadata (`workbook.made_with`), in place."""
    metadata.setdefault("workbook", {})["made_with"] = installed_versions()


def recorded_versions(path: Path) -> dict[str, str]:
    """The versions a committed notebook says made its outputs; empty when it records none, or none readable
    (its `workbook` metadata does not fit `NotebookMetadata`): the notice never stops a learner."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return NotebookMetadata.model_validate(nb["metadata"].get("workbook", {})).made_with
    except (OSError, ValueError, LookupError, AttributeError):  # a pydantic ValidationError is a ValueError
        return {}


@dataclass(frozen=True)
class VersionNotice:
    """Packages whose installed version differs from the one that made the outputs: (name, made, installed)."""

    differences: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        made = ", ".join(f"{name} {was}" for name, was, _ in self.differences)
        now = ", ".join(f"{name} {is_}" for name, _, is_ in self.differences)
        return f"Note: these outputs were made with {made}; this kernel has {now}. Numbers may differ slightly."

    __repr__ = __str__  # what a notebook shows when the notice is a cell's last expression


def version_notice(notebook: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> VersionNotice | None:
    """The notice for notebook `notebook` (e.g. "04_model_comparison"), or None when nothing differs."""
    if os.environ.get(SWITCH, "").lower() == "off":
        return None
    made = recorded_versions(Path(notebooks_dir) / f"{notebook}.ipynb")
    installed = installed_versions(tuple(made))
    differences = tuple((name, was, installed[name]) for name, was in made.items() if installed[name] != was)
    return VersionNotice(differences) if differences else None
