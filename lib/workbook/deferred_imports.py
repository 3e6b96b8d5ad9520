"""Defer jsonschema's IRI grammar to its first use: every notebook tool starts ~1.4 s of CPU sooner.

jsonschema imports `rfc3987_syntax` eagerly for its "iri" format check, and that module compiles a Lark Earley
grammar when imported: 1.4-1.75 s of CPU on a 2-core machine
(benchmarks/startup_imports.py). nbformat imports jsonschema, so every process that
reads, runs or checks a notebook (the `workbook` command, papermill, nbval, Jupyter's server) paid it, though no
notebook or Jupyter schema uses the "iri" format (jsonschema issue 1428). `defer()` puts a stand-in in its place
whose functions import the real module on their first call: the same answers, paid only by a process that
validates an IRI. `workbook setup` installs a .pth file that calls `defer()` when this environment's Python
starts; nothing else does, and importing this module changes nothing.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

GRAMMAR_MODULE = "rfc3987_syntax"


def defer() -> bool:
    """Put the stand-in in place unless the real module is imported already or absent; True when it did."""
    spec = None if GRAMMAR_MODULE in sys.modules else importlib.util.find_spec(GRAMMAR_MODULE)
    if spec is None:
        return False
    stand_in = types.ModuleType(GRAMMAR_MODULE, "A stand-in: the real module is imported on first use.")
    stand_in.__spec__ = spec  # where the real one is, for importlib.util.find_spec

    def real() -> types.ModuleType:
        if sys.modules.get(GRAMMAR_MODULE) is stand_in:
            del sys.modules[GRAMMAR_MODULE]
        return importlib.import_module(GRAMMAR_MODULE)

    def is_valid_syntax(term: str, value: str) -> bool:
        return real().is_valid_syntax(term, value)

    # jsonschema imports this name when it is imported itself: a function that imports on its first call.
    stand_in.is_valid_syntax = is_valid_syntax
    folders = tuple(spec.submodule_search_locations or ())

    def attribute(name: str) -> Any:
        # Only the real module's own names are a first use. Others are lookups, not uses: the import system
        # asks for __path__ and __spec__, and pickle looks for a class by name in every module it knows.
        if name not in _public_names(folders):
            raise AttributeError(f"module {GRAMMAR_MODULE!r} has no attribute {name!r}")
        return getattr(real(), name)

    stand_in.__getattr__ = attribute  # anything else: the real module's
    sys.modules[GRAMMAR_MODULE] = stand_in
    return True


@functools.cache  # read on the first lookup, not at every start
def _public_names(folders: tuple[str, ...]) -> frozenset[str]:
    """The names the real package in `folders` exports (its __init__ is `from .syntax_helpers import *`), read
    from the source without running it: what it defines or imports at top level, minus private ones."""
    names: set[str] = set()
    for folder in folders:
        for source in Path(folder).glob("*.py"):
            for node in ast.parse(source.read_text(encoding="utf-8")).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names.update(target.id for target in targets if isinstance(target, ast.Name))
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(name for name in names if not name.startswith("_") and name != "*")
