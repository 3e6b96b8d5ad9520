"""environment.yml (conda) and pyproject.toml (pip) must describe the same environment."""

from __future__ import annotations

import re
import tomllib

import yaml

from workbook.paths import PROJECT_ROOT

# PyPI and conda-forge spell these packages differently; every other name is the same on both.
PYPI_TO_CONDA: dict[str, str] = {}


def _split(requirement: str) -> tuple[str, str]:
    """'pandas>=3.0' -> ('pandas', '>=3.0'), names normalised as PyPI does."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, f"cannot read requirement {requirement!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name, match.group(2).replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def _environment() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())


def _conda_requirements() -> dict[str, str]:
    deps = [d for d in _environment()["dependencies"] if isinstance(d, str)]
    return dict(_split(d) for d in deps)


def test_same_packages_and_bounds():
    pip_side = dict(_split(r) for r in _pyproject()["project"]["dependencies"])
    pip_side = {PYPI_TO_CONDA.get(name, name): spec for name, spec in pip_side.items()}
    conda_side = {n: s for n, s in _conda_requirements().items() if n not in {"python", "pip"}}
    assert conda_side == pip_side


def test_same_python_floor():
    requires = _pyproject()["project"]["requires-python"].replace(" ", "")
    assert _conda_requirements()["python"] == requires


def test_conda_env_installs_the_project_itself():
    pip_sections = [d["pip"] for d in _environment()["dependencies"] if isinstance(d, dict)]
    assert pip_sections and "-e ." in pip_sections[0]
    assert _environment()["channels"] == ["conda-forge"]
