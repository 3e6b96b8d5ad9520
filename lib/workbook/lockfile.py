"""requirements.lock against pyproject.toml and against an installed environment.

The lock (`make lock`, uv's requirements.txt format: `name==version ; marker` and its hashes) pins every
package the workbook installs. This module answers three questions, each as a list of one-line problems:

- does the lock cover pyproject.toml? (`lock_problems`: a dependency missing, or pinned outside its bound)
- does an environment hold exactly the lock? (`installed_differences`, the test of the project's .venv)
- which versions does an environment have that the lock does not? (`make test-latest` prints them)

It also runs as a script with any Python >= 3.11 before the venv exists, so it imports nothing from the
workbook and nothing outside the standard library except `packaging` (pip's own copy when no other is there):

    python lib/workbook/lockfile.py check        # lock vs pyproject.toml; exit 1, one line per problem
    python lib/workbook/lockfile.py installed    # this interpreter's packages vs the lock
    python lib/workbook/lockfile.py diff         # versions here that differ from the lock (never fails)
    python lib/workbook/lockfile.py reachable    # exit 1 with one line when the package index cannot be reached
    python lib/workbook/lockfile.py offline-hint # after a failed install: one line, offline or not
    python lib/workbook/lockfile.py header       # `make lock`: put HEADER above what uv wrote
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

try:  # pragma: no cover - which copy is there depends on the interpreter
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.version import Version
except ImportError:  # pragma: no cover - a bare Python: pip vendors the same library
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.version import Version

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCK_PATH = PROJECT_ROOT / "requirements.lock"
PYPROJECT_PATH = PROJECT_ROOT / "pyproject.toml"
# In an environment but never in the lock: the installers, and the workbook itself (`-e . --no-deps`).
NOT_LOCKED = frozenset({"pip", "setuptools", "wheel", "uv", "mlops-workbook"})

# What the lock covers, above uv's own header (`make lock` writes it).
HEADER = """\
# The workbook's locked environment: every package at an exact version, with its hashes.
# Made by `make lock` from pyproject.toml (uv pip compile --universal); do not edit by hand.
# Covers CPython 3.11 and newer on Linux, macOS and Windows (x86_64 and arm64): one version of each
# package for all of them, platform-only packages behind a marker. Tested on Linux x86_64 with Python 3.11.
"""

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)==([^\s;\\]+)\s*(?:;\s*([^\\#]*?))?\s*(?:\\|#.*)?$")


def normalise(name: str) -> str:
    """A distribution name as PyPI compares them: 'Jinja2' and 'jinja2', 'et_xmlfile' and 'et-xmlfile'."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str | None  # e.g. "sys_platform == 'win32'": the pin applies only where it holds
    hashes: int

    def applies(self, environment: dict[str, str] | None = None) -> bool:
        return self.marker is None or Marker(self.marker).evaluate(environment)


def read_lock(text: str) -> list[Pin]:
    """Every `name==version [; marker]` of a requirements.txt with hashes, with how many hashes it has."""
    pins: list[Pin] = []
    for line in text.splitlines():
        stripped = line.strip()
        if pins and stripped.startswith("--hash="):
            last = pins[-1]
            pins[-1] = Pin(last.name, last.version, last.marker, last.hashes + 1)
            continue
        match = _PIN.match(line)
        if match:
            name, version, marker = match.groups()
            pins.append(Pin(normalise(name), version, marker or None, 0))
    return pins


def pyproject_requirements(text: str) -> list[Requirement]:
    return [Requirement(r) for r in tomllib.loads(text)["project"]["dependencies"]]


def lock_problems(pins: list[Pin], requirements: list[Requirement]) -> list[str]:
    """One line per way the lock fails pyproject.toml; empty when every dependency is pinned within bounds."""
    problems: list[str] = []
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    if not pins:
        return ["requirements.lock pins no package: run `make lock`"]
    for requirement in requirements:
        name = normalise(requirement.name)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        found = by_name.get(name)
        if not found:
            problems.append(f"requirements.lock has no {name} ({requirement}, in pyproject.toml): run `make lock`")
            continue
        for pin in found:
            if not requirement.specifier.contains(Version(pin.version), prereleases=True):
                problems.append(f"requirements.lock pins {name}=={pin.version}, outside pyproject.toml's "
                                f"{requirement}: run `make lock`")
    problems += [f"requirements.lock pins {pin.name}=={pin.version} without a hash: run `make lock`"
                 for pin in pins if pin.hashes == 0]
    return problems


def installed_versions() -> dict[str, str]:
    """Every distribution this interpreter can import, by normalised name."""
    return {normalise(dist.metadata["Name"]): dist.version for dist in metadata.distributions()
            if dist.metadata["Name"]}


def installed_differences(pins: list[Pin], installed: dict[str, str], environment: dict[str, str] | None = None,
                          extras: bool = True) -> list[str]:
    """One line per package where an environment is not the lock: missing or another version, and (`extras`)
    installed without being in the lock, as a tool added by hand is (`make setup` removes those)."""
    wanted = {pin.name: pin.version for pin in pins if pin.applies(environment)}
    lines = [f"{name}: the lock has {version}, "
             + (f"this environment has {installed[name]}" if name in installed else "it is not installed")
             for name, version in sorted(wanted.items()) if installed.get(name) != version]
    if extras:
        lines += [f"{name}: {version} is installed but not in the lock" for name, version in sorted(installed.items())
                  if name not in wanted and name not in NOT_LOCKED]
    return lines


def version_moves(pins: list[Pin], installed: dict[str, str],
                  environment: dict[str, str] | None = None) -> list[tuple[str, str | None, str | None]]:
    """(name, lock's version, installed version) for every package whose version is not the lock's."""
    wanted = {pin.name: pin.version for pin in pins if pin.applies(environment)}
    names = sorted((set(wanted) | set(installed)) - NOT_LOCKED)
    return [(n, wanted.get(n), installed.get(n)) for n in names if wanted.get(n) != installed.get(n)]


OFFLINE = ("make: the first install needs PyPI (https://pypi.org), which this machine cannot reach: "
           "connect to the network and run the command again")


def index_reachable(timeout: float = 5.0) -> bool:
    """Whether the package index answers (the one uv or pip is told to use, PyPI otherwise)."""
    import urllib.request

    url = (os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL")
           or os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/")
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/pip/", timeout=timeout):
            return True
    except (OSError, ValueError):  # refused, no DNS, timed out, HTTP error (URLError is an OSError); bad URL
        return False


def main(argv: list[str]) -> int:
    """`lockfile.py COMMAND [--root DIR]`: DIR holds pyproject.toml and requirements.lock (the project's root)."""
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else PROJECT_ROOT
    lock_path, pyproject_path = root / LOCK_PATH.name, root / PYPROJECT_PATH.name
    command = argv[0] if argv and argv[0] != "--root" else "check"
    pins = read_lock(lock_path.read_text()) if lock_path.exists() else []
    if command == "check":
        if not lock_path.exists():
            print("requirements.lock is missing: run `make lock`", file=sys.stderr)
            return 1
        problems = lock_problems(pins, pyproject_requirements(pyproject_path.read_text()))
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    if command == "installed":
        differences = installed_differences(pins, installed_versions())
        for line in differences:
            print(line, file=sys.stderr)
        return 1 if differences else 0
    if command == "diff":
        moves = version_moves(pins, installed_versions())
        print(f"{len(moves)} package(s) here differ from requirements.lock"
              f"{' (lock -> this environment):' if moves else ''}")
        for name, locked, here in moves:
            print(f"  {name:32} {locked or '-':>14} -> {here or '-'}")
        return 0
    if command in ("reachable", "offline-hint"):
        if not index_reachable():
            print(OFFLINE, file=sys.stderr)
            return 1
        if command == "offline-hint":
            print("make: the install failed (the messages above say why)", file=sys.stderr)
            return 1
        return 0
    if command == "header":
        text = lock_path.read_text()
        lock_path.write_text(text if text.startswith(HEADER) else HEADER + text)
        return 0
    print(f"usage: lockfile.py [check|installed|diff|reachable|offline-hint|header], not {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
