"""The package's shape (issue 11): small modules, no import cycle, importing changes nothing, only the CLI prints."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lib" / "workbook"
MAX_LINES = 400
# Scripts with a command line of their own (run by the Makefile), besides the cli package.
PRINTING_MODULES = {"workbook.lockfile"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def top_level_imports(name: str) -> set[str]:
    """The workbook modules `name` imports when it is imported (not those imported inside functions)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from .x import y
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from workbook import tracking`
    return {module for module in found if module in MODULES and module != name}


def test_no_module_is_longer_than_400_lines() -> None:
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (lines): {long}"


def test_the_modules_import_each_other_without_a_cycle() -> None:
    graph = {name: top_level_imports(name) for name in MODULES}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for nxt in sorted(graph[name]):
            if state.get(nxt) == "open":
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [name, nxt]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_cycle_check_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: two modules importing each other are reported."""
    (tmp_path / "workbook").mkdir()
    for mine, other in (("a", "b"), ("b", "a")):
        (tmp_path / "workbook" / f"{mine}.py").write_text(f"from workbook import {other}\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "workbook")
    fake = {module_name(path): path for path in (tmp_path / "workbook").glob("*.py")}
    monkeypatch.setattr(sys.modules[__name__], "MODULES", fake)
    with pytest.raises(pytest.fail.Exception, match="import cycle: workbook.a -> workbook.b -> workbook.a"):
        test_the_modules_import_each_other_without_a_cycle()


def test_only_the_command_line_prints() -> None:
    printing = []
    for name, path in MODULES.items():
        if name.startswith("workbook.cli") or name in PRINTING_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{name}:{node.lineno}")
    assert not printing, f"libraries log or call back; these print: {printing}"


# Importing a module may import MLflow, which sets variables of its own; the workbook's must add nothing more.
IMPORT_PROBE = """
import json, os, sys, warnings, logging
before_env, before_filters = dict(os.environ), list(warnings.filters)
import mlflow, matplotlib, pandas, sklearn  # third-party side effects are theirs, not the workbook's
baseline_env, baseline_filters = dict(os.environ), list(warnings.filters)
baseline_handlers = {n: len(logging.getLogger(n).handlers) for n in ("", "workbook", "mlflow")}
for name in sys.argv[1:]:
    __import__(name)
changed = sorted(k for k in set(os.environ) | set(baseline_env) if os.environ.get(k) != baseline_env.get(k))
handlers = {n: len(logging.getLogger(n).handlers) for n in baseline_handlers}
print(json.dumps({"env": changed, "filters": len(warnings.filters) - len(baseline_filters),
                  "handlers": {n: handlers[n] - baseline_handlers[n] for n in handlers},
                  "mlflow_uri_set": mlflow.is_tracking_uri_set()}))
"""


def test_importing_any_module_changes_nothing() -> None:
    names = sorted(name for name in MODULES if "model_tests" not in name)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHONPATH": str(PACKAGE.parent)}
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, *names], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"env": [], "filters": 0, "handlers": {"": 0, "workbook": 0, "mlflow": 0},
                    "mlflow_uri_set": False}, seen
