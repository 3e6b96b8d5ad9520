"""A catalogue of bad inputs across the CLI, loaders, parameters, sweeps and tracking (issue 5).

Each must end in ONE line `error: ...` that names what is wrong and where, a non-zero exit status (2 for a
request the command cannot take, in `run` as in `sweep`), no traceback, and no output folder that looks
complete. Most cases run in this process through typer's CliRunner, one after another (a process each cost
1-2 s of imports: issue 12); the few marked `process=True` run at the same time as real `python -m workbook.cli`
processes: they prove that path, and keep kernels, signal handlers and Dask's client out of the test worker
(see cli_outcomes).
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cli_outcomes import (
    Outcome,
    ProcessState,
    import_what_commands_import,
    run_in_process,
    run_subprocess,
    subprocess_env,
)

from workbook.data import make_flights

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TOY = FIXTURES / "sweep_notebooks" / "01_toy.ipynb"
NOBODY = "http://127.0.0.1:9"  # the discard port: nothing answers there


@dataclass
class Case:
    """One bad command: its arguments, the fragments its error line must contain, the folder it must not complete."""

    args: list[str]
    names: list[str]
    out: str | None = None  # a folder (under tmp) that must not look complete afterwards
    env: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # the exit status, where the case pins it (2: a bad request)
    process: bool = False  # True: a real process (why: at the case), else in this process


def _cases(tmp: Path, busy_port: int) -> dict[str, Case]:
    a_file = tmp / "a-file.txt"
    bad_yaml = tmp / "bad.yaml"
    renamed = tmp / "renamed.csv"
    return {
        # --- workbook run: notebooks, parameters, folders, data
        "run: unknown notebook": Case(["run", "99"], ["99", "notebook"], status=2),
        "run: unknown parameter": Case(["run", "02", "-p", "colour", "red"], ["unknown parameter 'colour'"],
                                       status=2),
        "run: value of the wrong type": Case(["run", "02", "-p", "n_rows", "many"], ["n_rows", "many"], status=2),
        "run: value outside the declared range": Case(["run", "06", "-p", "severity", "5"],
                                                       ["severity", "declared range 0..3"], status=2),
        "run: value outside the declared choices": Case(["run", "06", "-p", "scenario", "price_crash"],
                                                         ["scenario", "price_crash", "one of: none"], status=2),
        "run: a parameter the runner sets": Case(["run", "02", "-p", "results_path", "x.json"], ["results_path"],
                                                 status=2),
        "run: parameter file that is not YAML": Case(["run", "02", "-f", str(bad_yaml)], [bad_yaml.name], status=2),
        "run: output folder that is a file": Case(["run", "02", "--out", str(a_file)], [a_file.name]),
        # A kernel each (20-30 s): as processes, the two run beside each other and the in-process cases. They
        # are also the `run` error a user's shell sees, from a failing notebook.
        "run: data file missing": Case(["run", "02", "-p", "data_path", str(tmp / "nowhere.xlsx"), "--out",
                                        str(tmp / "run-missing"), "--no-progress"], ["nowhere.xlsx"],
                                       out="run-missing", process=True),
        "run: data file breaks the contract": Case(["run", "02", "-p", "data_path", str(renamed), "--out",
                                                    str(tmp / "run-renamed"), "--no-progress"],
                                                   ["02_data_and_eda failed", "DataContractError", "Price"],
                                                   out="run-renamed", process=True),
        "run: no notebooks at once": Case(["run", "02", "--jobs", "0", "--out", str(tmp / "run-jobs0")],
                                          ["--jobs", "got 0"], out="run-jobs0", status=2),
        "run: a notebook that needs a later one": Case(["run", "--jobs", "2", "--notebooks-dir", str(tmp / "nbs"),
                                                        "--out", str(tmp / "run-needs")],
                                                       ["01_first.ipynb", "workbook.needs", "02_second"],
                                                       out="run-needs"),
        # --- sweeps
        "sweep: empty grid": Case(["sweep", str(TOY), "--grid", "x=", "--out", str(tmp / "sw-empty")], ["x"],
                                  out="sw-empty", status=2),
        "sweep: unknown parameter": Case(["sweep", str(TOY), "--grid", "colour=red,blue", "--out",
                                          str(tmp / "sw-unknown")], ["colour"], out="sw-unknown", status=2),
        "sweep: value of the wrong type": Case(["sweep", str(TOY), "--grid", "x=1,abc", "--out",
                                                str(tmp / "sw-type")], ["x", "abc"], out="sw-type", status=2),
        "sweep: value outside the declared range": Case(["sweep", str(TOY), "--grid", "x=1,11", "--out",
                                                         str(tmp / "sw-range")], ["x", "0..10"], out="sw-range",
                                                        status=2),
        "sweep: unwritable output folder": Case(["sweep", str(TOY), "--grid", "x=1,2", "--out", str(a_file)],
                                                [a_file.name]),
        # A process: distributed's Client (its event loop thread, its logging set-up) stays out of the worker.
        "sweep: unreachable scheduler": Case(["sweep", str(TOY), "--grid", "x=1,2", "--executor", "dask",
                                              "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp / "sw-dask")],
                                             ["tcp://127.0.0.1:9"], out="sw-dask", process=True),
        "sweep: unreachable tracking server": Case(["sweep", str(TOY), "--grid", "x=1,2", "--out",
                                                    str(tmp / "sw-server")], [NOBODY], out="sw-server",
                                                   env={"MLFLOW_TRACKING_URI": NOBODY}),
        "sweep: grid file that is not YAML": Case(["sweep", str(TOY), "-f", str(bad_yaml), "--out",
                                                   str(tmp / "sw-yaml")], [bad_yaml.name], out="sw-yaml",
                                                  status=2),
        # --- tracking, registry, scoring, servers
        "predict: model alias that does not exist": Case(
            ["predict", "models:/no-such-model@champion", str(renamed), str(tmp / "scored.csv")],
            ["no-such-model"], env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'empty-store' / 'mlflow.db'}"}),
        "predict: tracking server that does not answer": Case(
            ["predict", "models:/flights@champion", str(renamed), str(tmp / "scored2.csv")], [NOBODY],
            env={"MLFLOW_TRACKING_URI": NOBODY}),
        "test-model: unknown model URI form": Case(["test-model", "flights@champion"], ["flights@champion"]),
        "twin: unknown file format": Case(["twin", str(tmp / "flights.parquet")], ["flights.parquet"]),
        "server: backend URI of an unknown kind": Case(["server", "--backend-store-uri", "ftp://host/db"],
                                                       ["ftp://host/db"]),
        # A process: the server's SIGINT/SIGTERM/SIGHUP handlers (stop_signals) are no test worker's to take.
        "server: port already in use": Case(["server", "--port", str(busy_port),
                                             "--backend-store-uri", f"sqlite:///{tmp / 'srv' / 'mlflow.db'}",
                                             "--artifacts-dir", str(tmp / "srv" / "artifacts")],
                                            [str(busy_port)], process=True),
    }


def _write_notebooks_needing_a_later_one(folder: Path) -> None:
    """01_first says it needs 02_second: a parallel run could never start it."""
    import nbformat

    folder.mkdir()
    for stem, needs in [("01_first", ["02_second"]), ("02_second", [])]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        nb.metadata["workbook"] = {"needs": needs}
        nbformat.write(nb, folder / f"{stem}.ipynb")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory):
    """Every case's outcome; the real processes run in threads while the in-process cases run here, one by one."""
    tmp = tmp_path_factory.mktemp("bad-inputs")
    (tmp / "a-file.txt").write_text("not a folder\n")
    (tmp / "bad.yaml").write_text("grid: [unclosed\n")
    make_flights(200, seed=1).rename(columns={"Price": "Fare"}).to_csv(tmp / "renamed.csv", index=False)
    _write_notebooks_needing_a_later_one(tmp / "nbs")
    import_what_commands_import()
    with socket.socket() as listener:  # holds a port for the "port already in use" case
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        cases = _cases(tmp, listener.getsockname()[1])
        before = ProcessState.now()
        with ThreadPoolExecutor(max_workers=4) as pool:
            # Each process's environment is fixed here, before any in-process command changes os.environ.
            started = {name: pool.submit(run_subprocess, case.args, subprocess_env(case.env), tmp)
                       for name, case in cases.items() if case.process}
            done: dict[str, Outcome] = {name: run_in_process(case.args, case.env, tmp)
                                        for name, case in cases.items() if not case.process}
            done.update({name: future.result() for name, future in started.items()})
        left = before.differences(ProcessState.now())
    return tmp, cases, done, left


def test_the_catalogue_has_at_least_twenty_cases(outcomes) -> None:
    _, cases, _, _ = outcomes
    assert len(cases) >= 20


def test_a_few_cases_run_as_real_processes_and_most_in_this_one(outcomes) -> None:
    """The real `python -m workbook.cli` path stays proven: a `run` error, a sweep and a server error."""
    _, cases, done, _ = outcomes
    real = {name.split(":")[0] for name, outcome in done.items() if not outcome.in_process}
    assert {"run", "sweep", "server"} <= real
    assert sum(outcome.in_process for outcome in done.values()) >= len(cases) - 5


def test_the_in_process_cases_leave_the_worker_as_they_found_it(outcomes) -> None:
    """os.environ, cwd, MLflow's URIs and runs, log handlers, signal handlers: as before, for the next tests."""
    _, _, done, left = outcomes
    assert left == []
    # the app's callback does change the process (MLflow variables, a log handler): the guard put it back
    assert any(outcome.changed for outcome in done.values())


@pytest.mark.parametrize("name", list(_cases(Path("/tmp"), 0)))
def test_bad_input_ends_in_one_line_naming_what_and_where(outcomes, name: str) -> None:
    tmp, cases, done, _ = outcomes
    case, result = cases[name], done[name]
    assert not result.escaped, f"{name}: an exception escaped the app\n{result.escaped}"
    assert result.returncode != 0, f"{name}: exit 0\n{result.stdout[-1000:]}"
    assert case.status in (None, result.returncode), f"{name}: exit {result.returncode}, expected {case.status}"
    assert "Traceback" not in result.stderr, f"{name}: traceback\n{result.stderr[-2000:]}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"{name}: expected one error line, got\n{result.stderr[-2000:]}"
    for fragment in case.names:
        assert fragment in errors[0], f"{name}: {fragment!r} not in {errors[0]!r}"
    if case.out:
        folder = tmp / case.out
        assert not (folder / "results.json").exists() and not (folder / "summary.csv").exists(), name


# --- the in-process runner itself: it must lose nothing a real process would show, and leave nothing behind


def test_an_exception_escaping_the_app_is_kept_with_its_traceback(monkeypatch, tmp_path: Path) -> None:
    """In process no interpreter prints it to stderr: run_in_process keeps it, so the case above fails on it."""
    from workbook import execution

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug, not a bad input")

    monkeypatch.setattr(execution, "list_notebooks", broken)
    outcome = run_in_process(["list"], {}, tmp_path)
    assert outcome.returncode == 1 and outcome.in_process
    assert "Traceback" in outcome.escaped and "RuntimeError: a bug, not a bad input" in outcome.escaped


def test_a_warning_a_user_would_see_ends_stderr(monkeypatch, tmp_path: Path) -> None:
    """pytest collects warnings; a plain `python` prints them, and so the one-line checks above see them."""
    import warnings

    from workbook import execution

    def warns(*_args, **_kwargs):
        warnings.warn("a library grumbles", FutureWarning, stacklevel=1)
        return []

    monkeypatch.setattr(execution, "list_notebooks", warns)
    outcome = run_in_process(["list"], {}, tmp_path)
    assert outcome.returncode == 0 and "FutureWarning: a library grumbles" in outcome.stderr


def test_process_state_sees_and_puts_back_what_a_command_changes(tmp_path: Path) -> None:
    import logging
    import os

    import mlflow

    before = ProcessState.now()
    os.environ["WORKBOOK_LEAK_PROBE"] = "1"
    logging.getLogger("workbook").addHandler(logging.NullHandler())
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    changed = before.differences(ProcessState.now())
    assert any("WORKBOOK_LEAK_PROBE" in line for line in changed)
    assert any(line.startswith("logger 'workbook'") for line in changed)
    assert any(line.startswith("mlflow tracking_uri") for line in changed)
    before.restore()
    assert before.differences(ProcessState.now()) == []
