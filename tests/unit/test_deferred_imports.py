"""jsonschema's IRI grammar is built on first use, not when a notebook tool starts; answers stay the same."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from workbook import setup_env
from workbook.errors import SetupError

# Each program starts from the real module: it drops the stand-in this environment's startup file put in place.
FROM_THE_REAL_MODULE = 'import sys; sys.modules.pop("rfc3987_syntax", None)\n'
IRI_ANSWERS = textwrap.dedent("""
    from jsonschema import Draft7Validator
    checker = Draft7Validator.FORMAT_CHECKER
    print(checker.conforms("http://example.com/caf\\u00e9", "iri"), checker.conforms("not an iri ::", "iri"),
          checker.conforms("../a?b#c", "iri-reference"))
""")
GRAMMAR_BUILT = 'print("rfc3987_syntax.syntax_helpers" in sys.modules)\n'


def _run(program: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_stand_in_builds_nothing_at_import_and_answers_as_the_real_module():
    deferred = _run(FROM_THE_REAL_MODULE + "from workbook.deferred_imports import defer\nassert defer()\n"
                    "import nbformat\n" + GRAMMAR_BUILT + IRI_ANSWERS + GRAMMAR_BUILT)
    real = _run(FROM_THE_REAL_MODULE + "import nbformat\n" + GRAMMAR_BUILT + IRI_ANSWERS)
    assert deferred == ["False", "True", "False", "True", "True"]  # built only when an IRI is checked
    assert real == ["True", "True", "False", "True"]
    assert deferred[1:4] == real[1:]


def test_looking_up_a_name_the_module_lacks_builds_nothing_and_its_own_names_are_the_real_ones():
    """pickle looks a class up by name in every module it knows (whichmodule), as MLflow's model logging does:
    such lookups must not build the grammar; the real module's names still work."""
    program = (FROM_THE_REAL_MODULE + "from workbook.deferred_imports import defer\nassert defer()\n"
               "import pickle, rfc3987_syntax\nfrom sklearn.dummy import DummyRegressor\n"
               "print(hasattr(rfc3987_syntax, 'DummyRegressor'), pickle.whichmodule(DummyRegressor.fit, 'fit'))\n"
               + GRAMMAR_BUILT + "print(rfc3987_syntax.RFC3987_SYNTAX_PARSER_TYPE)\n" + GRAMMAR_BUILT)
    assert _run(program) == ["False", "sklearn.dummy", "False", "earley", "True"]


def test_defer_leaves_a_module_already_imported_alone():
    assert _run(FROM_THE_REAL_MODULE + "import rfc3987_syntax\nfrom workbook.deferred_imports import defer\n"
                "print(defer(), hasattr(sys.modules['rfc3987_syntax'], '__file__'))") == ["False", "True"]


def test_the_startup_file_puts_the_stand_in_in_place_when_python_starts(tmp_path):
    path = setup_env.write_startup_file(tmp_path)
    assert path.name == setup_env.STARTUP_FILE
    program = (FROM_THE_REAL_MODULE + f"import site; site.addsitedir({str(tmp_path)!r})\n"
               "print(hasattr(sys.modules['rfc3987_syntax'], '__file__'))\nimport nbformat\n" + GRAMMAR_BUILT)
    assert _run(program) == ["False", "False"]


def test_this_environment_has_the_startup_file():
    """`make setup` and `workbook setup` wrote it: every process here starts without building the grammar."""
    assert (Path(sysconfig.get_paths()["purelib"]) / setup_env.STARTUP_FILE).read_text() == setup_env.STARTUP_LINE
    assert _run("import sys, nbformat\n" + GRAMMAR_BUILT) == ["False"]


def test_a_startup_file_that_cannot_be_written_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SetupError, match=f"^writing {blocker / setup_env.STARTUP_FILE}: "):
        setup_env.write_startup_file(blocker)
