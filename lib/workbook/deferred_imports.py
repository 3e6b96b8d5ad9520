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

import importlib
import importlib.util
import sys
import types
from typing import Any

GRAMMAR_MODULE = "rfc3987_syntax"


def defer() -> bool:
    """Put the stand-in in place unless the real module is imported already or absent; True when it did."""
    if GRAMMAR_MODULE in sys.modules or importlib.util.find_spec(GRAMMAR_MODULE) is None:
        return False
    stand_in = types.ModuleType(GRAMMAR_MODULE, "A stand-in: the real module is imported on first use.")

    def real() -> types.ModuleType:
        if sys.modules.get(GRAMMAR_MODULE) is stand_in:
            del sys.modules[GRAMMAR_MODULE]
        return importlib.import_module(GRAMMAR_MODULE)

    def is_valid_syntax(term: str, value: str) -> bool:
        return real().is_valid_syntax(term, value)

    def parse(term: str, value: str) -> Any:
        return real().parse(term, value)

    stand_in.is_valid_syntax = is_valid_syntax  # what jsonschema imports
    stand_in.parse = parse
    def attribute(name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__, __spec__, ...: not a first use
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.__getattr__ = attribute  # anything else: the real module's
    sys.modules[GRAMMAR_MODULE] = stand_in
    return True
