"""environment.yml (conda), pyproject.toml (pip) and requirements.lock must describe the same environment,
and the project's .venv must hold exactly the lock."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from workbook import lockfile
from workbook.paths import PROJECT_ROOT

# PyPI and conda-forge spell these packages differently; every other name is the same on both.
PYPI_TO_CONDA: dict[str, str] = {}
# conda has no extras: environment.yml lists the packages a pip extra adds (bounds as the package declares them).
EXTRAS_TO_CONDA: dict[str, list[str]] = {"mlflow[auth]": ["flask-wtf"]}


def _split(requirement: str) -> tuple[str, str]:
    """'pandas>=3.0' -> ('pandas', '>=3.0'), names normalised as PyPI does; an extra ('mlflow[auth]') is dropped."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*?)\s*", requirement)
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
    dependencies = _pyproject()["project"]["dependencies"]
    pip_side = dict(_split(r) for r in dependencies)
    pip_side = {PYPI_TO_CONDA.get(name, name): spec for name, spec in pip_side.items()}
    extra_packages = {package for r in dependencies for package in EXTRAS_TO_CONDA.get(r.split(">")[0].strip(), [])}
    conda_side = {n: s for n, s in _conda_requirements().items() if n not in {"python", "pip"} | extra_packages}
    assert conda_side == pip_side
    assert extra_packages <= set(_conda_requirements())  # what each extra adds is there too


def test_same_python_floor():
    requires = _pyproject()["project"]["requires-python"].replace(" ", "")
    assert _conda_requirements()["python"] == requires


def test_conda_env_installs_the_project_itself():
    pip_sections = [d["pip"] for d in _environment()["dependencies"] if isinstance(d, dict)]
    assert pip_sections and "-e ." in pip_sections[0]
    assert _environment()["channels"] == ["conda-forge"]


# --- requirements.lock -------------------------------------------------------------------------------------

LINUX_311 = {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux",
             "python_version": "3.11", "python_full_version": "3.11.7"}
WINDOWS_312 = {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
               "python_version": "3.12", "python_full_version": "3.12.4"}

SMALL_LOCK = """\
# a comment
pandas==3.1.1 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via mlops-workbook
colorama==0.4.6 ; sys_platform == 'win32' \\
    --hash=sha256:cccc
soupsieve==2.10 ; python_full_version < '3.11.5' \\
    --hash=sha256:dddd
soupsieve==4.1.4 ; python_full_version >= '3.11.5' \\
    --hash=sha256:eeee
"""


def _lock() -> list[lockfile.Pin]:
    return lockfile.read_lock((PROJECT_ROOT / "requirements.lock").read_text())


def test_every_dependency_is_locked_within_its_bound():
    requirements = lockfile.pyproject_requirements((PROJECT_ROOT / "pyproject.toml").read_text())
    assert lockfile.lock_problems(_lock(), requirements) == []


def test_lock_pins_every_package_with_hashes_for_every_platform():
    pins = _lock()
    assert len(pins) > 100 and all(pin.hashes >= 1 for pin in pins)
    # One universal resolution: the Windows-only packages are there, behind a marker Linux skips.
    pywin32 = [pin for pin in pins if pin.name == "pywin32"]
    assert pywin32 and not pywin32[0].applies(LINUX_311) and pywin32[0].applies(WINDOWS_312)


def test_environment_yml_agrees_with_the_lock():
    conda_side = {n: s for n, s in _conda_requirements().items() if n not in {"python", "pip"}}
    versions = {pin.name: pin.version for pin in _lock() if pin.applies(LINUX_311)}
    outside = [f"{name}=={versions.get(name)} ({spec})" for name, spec in conda_side.items()
               if name not in versions or not Requirement(name + spec).specifier.contains(versions[name])]
    assert outside == []


def test_read_lock_keeps_markers_and_counts_hashes():
    pins = lockfile.read_lock(SMALL_LOCK)
    assert pins[0] == lockfile.Pin("pandas", "3.1.1", None, 2)
    assert pins[1] == lockfile.Pin("colorama", "0.4.6", "sys_platform == 'win32'", 1)
    assert [pin.version for pin in pins if pin.name == "soupsieve" and pin.applies(LINUX_311)] == ["4.1.4"]


def test_lock_problems_name_a_dependency_the_lock_lacks():
    problems = lockfile.lock_problems(lockfile.read_lock(SMALL_LOCK),
                                      [Requirement("pandas>=3.0"), Requirement("Scikit_Learn>=1.8")])
    assert problems == [("requirements.lock has no scikit-learn (Scikit_Learn>=1.8, in pyproject.toml): "
                         "run `make lock`")]


def test_lock_problems_name_a_pin_outside_its_bound_and_a_pin_without_hash():
    lock = lockfile.read_lock(SMALL_LOCK + "mlflow==4.0.0\n")
    problems = lockfile.lock_problems(lock, [Requirement("mlflow>=3.17.2,<4"), Requirement("pandas>=3.2")])
    assert problems == [
        "requirements.lock pins mlflow==4.0.0, outside pyproject.toml's mlflow<4,>=3.17.2: run `make lock`",
        "requirements.lock pins pandas==3.1.1, outside pyproject.toml's pandas>=3.2: run `make lock`",
        "requirements.lock pins mlflow==4.0.0 without a hash: run `make lock`",
    ]


def _project_copy(tmp_path: Path) -> Path:
    """pyproject.toml, requirements.lock and the Makefile with the files its install step names (the lock script,
    the kernel spec's module), in a folder of their own."""
    for name in ("pyproject.toml", "requirements.lock", "Makefile"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / "lib" / "workbook").mkdir(parents=True)
    for name in ("lockfile.py", "setup_env.py"):
        shutil.copy(PROJECT_ROOT / "lib" / "workbook" / name, tmp_path / "lib" / "workbook" / name)
    return tmp_path


def test_check_script_names_a_dependency_added_to_pyproject_but_not_locked(tmp_path):
    root = _project_copy(tmp_path)
    script = root / "lib" / "workbook" / "lockfile.py"
    ok = subprocess.run([sys.executable, script, "check", "--root", root], check=False, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stderr == ""
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pyyaml>=6.0",', '"pyyaml>=6.0",\n    "polars>=1.0",'))
    bad = subprocess.run([sys.executable, script, "check", "--root", root], check=False, capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [("requirements.lock has no polars (polars>=1.0, in pyproject.toml): "
                                        "run `make lock`")]


def test_make_setup_with_a_lock_behind_pyproject_stops_before_creating_the_venv(tmp_path):
    root = _project_copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"pandas>=3.0"', '"pandas>=99"'))
    done = subprocess.run(["make", "-s", "setup", f"PYTHON={sys.executable}"], check=False, cwd=root,
                          capture_output=True, text=True)
    assert done.returncode != 0 and not (root / ".venv").exists()
    assert done.stderr.splitlines()[0] == ("requirements.lock pins pandas==3.1.1, outside pyproject.toml's "
                                           "pandas>=99: run `make lock`")


def _older_python() -> str | None:
    """A python3.10 (or 3.9, 3.8) on PATH that runs; a pyenv shim for a version not selected does not."""
    for name in ("python3.10", "python3.9", "python3.8"):
        found = shutil.which(name)
        if found and subprocess.run([found, "-c", "import sys; sys.exit(sys.version_info >= (3, 11))"],
                                    check=False, capture_output=True).returncode == 0:
            return found
    return None


def _python_reporting_3_10(folder: Path) -> str:
    """This interpreter behind a script that makes the code it runs see Python 3.10 (sys.version_info and
    sys.version, all the Makefile's check reads): the check's message is tried where no older Python exists."""
    folder.mkdir()
    script = folder / "python3.10"
    script.write_text('#!/bin/sh\n[ "$1" = "-c" ] || exit 2\n'
                      f'exec "{sys.executable}" -c "import sys; sys.version_info = (3, 10, 14, \'final\', 0); '
                      'sys.version = \'3.10.14\'; exec(sys.argv.pop(1))" "$2"\n')
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(os.name == "nt", reason="make and a POSIX shell")
def test_make_setup_with_an_old_python_says_so_in_one_line_before_anything(tmp_path):
    old = _older_python() or _python_reporting_3_10(tmp_path / "older-python")
    root = _project_copy(tmp_path)
    done = subprocess.run(["make", "-s", "setup", f"PYTHON={old}"], check=False, cwd=root, capture_output=True,
                          text=True)
    assert done.returncode != 0 and not (root / ".venv").exists()
    # make's own "make: *** ... Error 1" follows; under `make test` it is "make[1]: ***", a make inside a make.
    lines = [line for line in done.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\* ", line)]
    assert len(lines) == 1 and lines[0].startswith("make: the workbook needs Python 3.11 or newer, and ")
    assert "run make PYTHON=python3.11" in lines[0]


def test_installed_differences_name_a_missing_a_moved_and_an_extra_package():
    pins = lockfile.read_lock(SMALL_LOCK)
    installed = {"pandas": "3.2.0", "ruff": "0.17.6", "pip": "26.3", "mlops-workbook": "0.1.0"}
    assert lockfile.installed_differences(pins, installed, LINUX_311) == [
        "pandas: the lock has 3.1.1, this environment has 3.2.0",
        "soupsieve: the lock has 4.1.4, it is not installed",
        "ruff: 0.17.6 is installed but not in the lock",
    ]
    exact = {"pandas": "3.1.1", "soupsieve": "4.1.4", "pip": "26.3"}
    assert lockfile.installed_differences(pins, exact, LINUX_311) == []
    assert lockfile.installed_differences(pins, exact, WINDOWS_312) == [
        "colorama: the lock has 0.4.6, it is not installed"]


def test_the_project_venv_holds_the_locked_versions():
    venv = PROJECT_ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        pytest.skip(f"compares the project's .venv with the lock, and this interpreter is {sys.prefix} "
                    "(make test-latest, conda or another venv are not meant to match it)")
    # A tool added by hand (not in the lock) does not change what the notebooks compute: not a failure here.
    assert lockfile.installed_differences(_lock(), lockfile.installed_versions(), extras=False) == []


def test_an_unreachable_index_is_one_line_saying_the_first_install_needs_pypi(tmp_path):
    # Port 9 (discard) on this machine: nothing listens, so the connection is refused at once.
    env = {"PATH": "/usr/bin:/bin", "UV_DEFAULT_INDEX": "http://127.0.0.1:9/simple"}
    script = PROJECT_ROOT / "lib" / "workbook" / "lockfile.py"
    done = subprocess.run([sys.executable, script, "reachable"], check=False, capture_output=True, text=True, env=env)
    assert done.returncode == 1 and done.stderr.splitlines() == [lockfile.OFFLINE]
    assert "first install needs PyPI" in lockfile.OFFLINE
