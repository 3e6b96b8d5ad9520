"""Unit tests for workbook.execution and workbook.run: selection, parameters, folders, reports, no real kernels.

Execution is replaced by a fake `papermill.execute_notebook` that copies the notebook and records results,
so the run logic (failure marking, results.json, run.json, index.html, retries) is checked in milliseconds.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

import workbook
from workbook import execution, made_with
from workbook.errors import UsageError, WorkbookError
from workbook.execution import NotebookInfo, NotebookRun, Param, warm
from workbook.paths import NOTEBOOKS_DIR
from workbook.results import save_results
from workbook.run import RunResult, folders, in_place, orchestrate, report, schedule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


def write_notebook(path: Path, parameters: str | None = None, title: str = "A notebook") -> Path:
    """A minimal notebook with an optional `parameters` cell."""
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "workbook", "display_name": "W", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def topics_dir(tmp_path: Path) -> Path:
    """Notebooks whose names share words, for selection tests."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name in ["01_intro", "02_data_and_eda", "03_data_quality", "10_wrap_up"]:
        write_notebook(folder / f"{name}.ipynb")
    (folder / "02_data_and_eda.FAILED.ipynb").write_text("{}")  # a failure copy is not a notebook to run
    (folder / "scratch.ipynb").write_text("{}")
    return folder


# --- discovery and selection ------------------------------------------------------------------------------


def test_discover_sorts_by_number_and_skips_other_files(topics_dir: Path) -> None:
    names = [p.name for p in execution.discover_notebooks(topics_dir)]
    assert names == ["01_intro.ipynb", "02_data_and_eda.ipynb", "03_data_quality.ipynb", "10_wrap_up.ipynb"]


def test_discover_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="notebooks folder not found: .*nowhere"):
        execution.discover_notebooks(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("2", "02_data_and_eda"),
        ("02", "02_data_and_eda"),
        ("10", "10_wrap_up"),
        ("02_data_and_eda", "02_data_and_eda"),
        ("data_and_eda", "02_data_and_eda"),
        ("quality", "03_data_quality"),  # unique suffix
        ("wrap", "10_wrap_up"),  # unique prefix of the topic
        ("02_data_a", "02_data_and_eda"),  # unique prefix of the stem
        ("notebooks/03_data_quality.ipynb", "03_data_quality"),  # a path from tab completion
    ],
)
def test_resolve_one_selector(topics_dir: Path, selector: str, expected: str) -> None:
    assert [p.stem for p in execution.resolve_notebooks([selector], topics_dir)] == [expected]


def test_resolve_keeps_notebook_order_and_drops_duplicates(topics_dir: Path) -> None:
    chosen = execution.resolve_notebooks(["10", "01", "intro"], topics_dir)
    assert [p.stem for p in chosen] == ["01_intro", "10_wrap_up"]


def test_resolve_nothing_means_all(topics_dir: Path) -> None:
    assert len(execution.resolve_notebooks([], topics_dir)) == 4


def test_resolve_ambiguous_names_the_candidates(topics_dir: Path) -> None:
    expected = r"ambiguous notebook 'data' matches 02_data_and_eda, 03_data_quality; use its number"
    with pytest.raises(UsageError, match=expected):
        execution.resolve_notebooks(["data"], topics_dir)


@pytest.mark.parametrize("selector", ["7", "nothing", ""])
def test_resolve_unknown_lists_what_exists(topics_dir: Path, selector: str) -> None:
    with pytest.raises(UsageError) as error:  # a bad request: exit 2, as in a sweep
        execution.resolve_notebooks([selector], topics_dir)
    assert str(error.value) == (
        f"unknown notebook '{selector}'; available: 01_intro, 02_data_and_eda, 03_data_quality, 10_wrap_up"
    )


# --- parameters -------------------------------------------------------------------------------------------


def test_notebook_parameters_of_a_fixture() -> None:
    params = execution.notebook_parameters(FIXTURES / "02_beta.ipynb")
    assert list(params) == ["random_state", "data_path", "fail", "results_path"]
    assert params["random_state"] == Param("random_state", "int", "42", "seed for every random step")
    # papermill 2.7's inspect_notebook skips this line because its help text contains "=".
    help_text = "optional path to a data file; None = no file"
    assert params["data_path"] == Param("data_path", "str | None", "None", help_text)
    assert params["fail"].type_name == "bool"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")), ids=lambda path: path.stem)
def test_papermill_sees_every_parameter_of_a_shipped_notebook(notebook: Path) -> None:
    """papermill's own reader skips a line holding two '=' (help comments like "None = the default"), and then
    `papermill --help-notebook` hides the parameter and `-p` warns that it is unknown. The shipped notebooks'
    comments avoid it, so a papermill user sees the parameters the workbook sees."""
    found = papermill.inspect_notebook(str(notebook))
    assert list(found) == list(execution.notebook_parameters(notebook))


def test_parse_parameters_cell_reads_what_papermill_misreads() -> None:
    source = "\n".join(
        [
            "import os  # not a parameter",
            'label = "a#b"  # text with a hash',
            "limit: int | None = None  # union annotation",
            "rate: Optional[float] = None",
            "ratio: float = 1  # annotated float, int default",
            "columns = [",
            '    "a",',
            "    2]  # a list over two lines",
            "cfg = {'k': 1}",
            "where = os.getcwd()  # code, not a literal",
            "shape = (1, 2)",
            "scale = -1.5e-3",
        ]
    )
    params = execution.parse_parameters_cell(source, "nb")
    assert {name: p.type_name for name, p in params.items()} == {
        "label": "str",
        "limit": "int | None",
        "rate": "float | None",
        "ratio": "float",
        "columns": "list",
        "cfg": "dict",
        "where": "any",
        "shape": "list",
        "scale": "float",
    }
    assert params["label"].default == '"a#b"'
    assert params["label"].help == "text with a hash"
    assert params["columns"].help == "a list over two lines"
    assert params["rate"].help == ""


def test_parse_parameters_cell_with_bad_python_names_the_notebook() -> None:
    with pytest.raises(WorkbookError, match="^02_x: the parameters cell is not valid Python"):
        execution.parse_parameters_cell("n = (1,", "02_x")


def test_notebook_without_parameters_cell_has_none() -> None:
    info = execution.read_notebook_info(FIXTURES / "03_gamma.ipynb")
    assert info.parameters == {} and info.title == "Gamma fixture"


def p(type_name: str) -> Param:
    return Param("x", type_name, "...", "")


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("int", "7", 7),
        ("int", " -3 ", -3),
        ("int", "007", 7),
        ("int", "10_683", 10683),
        ("int", 12, 12),
        ("float", "1e-3", 0.001),  # a string in YAML 1.1; a float here
        ("float", "2", 2.0),
        ("float", 2, 2.0),
        ("bool", "true", True),
        ("bool", "Yes", True),
        ("bool", "1", True),
        ("bool", "false", False),
        ("bool", "NO", False),
        ("bool", "0", False),
        ("bool", False, False),
        ("str", "007", "007"),  # papermill -p would make this 7
        ("str", "None", "None"),  # a str parameter has no None
        ("str", "1e-3", "1e-3"),
        ("str | None", "None", None),
        ("str | None", "null", None),
        ("str | None", None, None),
        ("str | None", "data/flights.csv", "data/flights.csv"),
        ("int | None", "5", 5),
        ("int | None", "null", None),
        ("list", "[1, two]", [1, "two"]),
        ("list", ["a"], ["a"]),
        ("dict", "{a: 1}", {"a": 1}),
        ("any", "anything", "anything"),
        ("any", 3, 3),
    ],
)
def test_coerce_value(type_name: str, value: object, expected: object) -> None:
    result = execution.coerce_value(p(type_name), value, "01_nb")
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("type_name", "value", "shown"),
    [
        ("int", "1.5", "'1.5'"),
        ("int", "abc", "'abc'"),
        ("int", True, "True (bool)"),
        ("int", None, "None"),
        ("float", "fast", "'fast'"),
        ("float", False, "False (bool)"),
        ("float", "nan", "'nan'"),  # NaN passes any range check: every comparison with it is false
        ("float", " -inf", "' -inf'"),
        ("float", float("nan"), "nan (float)"),  # YAML's .nan
        ("float", float("inf"), "inf (float)"),
        ("bool", "maybe", "'maybe'"),
        ("bool", 1, "1 (int)"),
        ("str", 7, "7 (int)"),
        ("list", "3", "'3'"),
        ("dict", "[1]", "'[1]'"),
        ("any", dt.date(2019, 5, 1), "datetime.date(2019, 5, 1) (date)"),
    ],
)
def test_coerce_value_rejects_naming_notebook_parameter_type_and_value(
    type_name: str, value: object, shown: str
) -> None:
    with pytest.raises(UsageError) as error:
        execution.coerce_value(p(type_name), value, "01_nb")
    message = str(error.value)
    assert message.startswith(f"bad value for parameter 'x' of 01_nb: expected {type_name}")
    assert f"got {shown}" in message
    assert "\n" not in message


def test_yaml_number_for_a_str_parameter_says_to_quote_it() -> None:
    with pytest.raises(WorkbookError, match=r"expected str, got 7 \(int\); quote it in the YAML file"):
        execution.coerce_value(p("str"), 7, "01_nb")


def info(stem: str, **types: str) -> NotebookInfo:
    return NotebookInfo(Path(f"{stem}.ipynb"), stem, {n: Param(n, t, "...", "") for n, t in types.items()})


def test_plan_gives_a_parameter_to_every_notebook_that_declares_it() -> None:
    notebooks = [
        info("01_a", random_state="int", results_path="str | None"),
        info("02_b", random_state="float", label="str"),
        info("03_c"),
    ]
    plan = execution.plan_parameters(notebooks, {"random_state": "7", "label": "007"})
    assert plan == {"01_a": {"random_state": 7}, "02_b": {"random_state": 7.0, "label": "007"}, "03_c": {}}
    assert type(plan["02_b"]["random_state"]) is float


def test_plan_rejects_unknown_parameter_listing_known_ones() -> None:
    notebooks = [info("01_a", seed="int", results_path="str | None"), info("02_b", label="str")]
    with pytest.raises(UsageError) as error:
        execution.plan_parameters(notebooks, {"seed": "1", "foo": "2"})
    assert str(error.value) == "unknown parameter 'foo': no selected notebook declares it; known: label, seed"


def test_plan_names_the_notebook_whose_type_does_not_fit() -> None:
    notebooks = [info("01_a", n="str"), info("02_b", n="int")]
    with pytest.raises(UsageError, match="bad value for parameter 'n' of 02_b: expected int, got 'x7'"):
        execution.plan_parameters(notebooks, {"n": "x7"})


def test_relative_path_parameters_are_resolved_where_the_user_typed_the_command(tmp_path: Path) -> None:
    notebooks = [info("01_a", data_path="str | None", output_dir="str", wine_csv="str", label="str")]
    params = {"data_path": "flights.csv", "output_dir": "/abs/out", "wine_csv": "w.csv", "label": "flights.csv"}
    plan = execution.plan_parameters(notebooks, params, base_dir=tmp_path)["01_a"]
    assert plan == {"data_path": str(tmp_path / "flights.csv"), "output_dir": "/abs/out",
                    "wine_csv": str(tmp_path / "w.csv"), "label": "flights.csv"}
    url = {"data_path": "https://example.org/f.csv"}
    assert execution.plan_parameters(notebooks, url, base_dir=tmp_path)["01_a"] == url


def test_run_folder_parameters_keep_a_batch_run_in_its_folder(tmp_path: Path) -> None:
    nb = info("02_b", results_path="str | None", output_dir="str", label="str")
    assert schedule.run_folder_parameters(nb, tmp_path, {}) == {
        "results_path": str(tmp_path / "02_b.results.json"), "output_dir": str(tmp_path),
    }
    assert schedule.run_folder_parameters(nb, tmp_path, {"output_dir": "/mine"}) == {
        "results_path": str(tmp_path / "02_b.results.json"),
    }
    assert schedule.run_folder_parameters(info("03_c", label="str"), tmp_path, {}) == {}


def test_one_line_error_keeps_every_line_of_a_multi_line_message() -> None:
    evalue = "flights.csv: 2 problem(s)\n- missing column(s) 'Price'\n- column 'Duration': bad"
    assert execution.one_line_error("DataContractError", evalue) == (
        "DataContractError: flights.csv: 2 problem(s) | - missing column(s) 'Price' | - column 'Duration': bad"
    )
    assert execution.one_line_error("ValueError", "x" * 1000).endswith("…")
    assert len(execution.one_line_error("ValueError", "x" * 1000)) == len("ValueError: ") + 400
    assert execution.one_line_error("KeyboardInterrupt", "") == "KeyboardInterrupt"


def test_results_path_is_reserved() -> None:
    with pytest.raises(UsageError, match="parameter 'results_path' is set by the runner"):
        execution.plan_parameters([info("01_a", results_path="str | None")], {"results_path": "/tmp/x.json"})


def test_load_params_file_keeps_yaml_types_for_later_checks(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("learning_rate: 1e-3\nrun_name: 007\nlabel: '007'\nfail: yes\ndata_path: null\n")
    params = execution.load_params_file(path)
    assert params == {"learning_rate": "1e-3", "run_name": 7, "label": "007", "fail": True, "data_path": None}
    notebooks = [info("01_a", learning_rate="float", label="str", fail="bool", data_path="str | None")]
    del params["run_name"]
    assert execution.plan_parameters(notebooks, params)["01_a"] == {
        "learning_rate": 0.001, "label": "007", "fail": True, "data_path": None,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [("- a\n- b\n", "must be a mapping of names to values, got list"), ("a: [1\n", "is not valid YAML"),
     ("n_rows: 2\nn rows: 3\n", ": key 'n rows' must be a parameter name")],
)
def test_load_params_file_rejects_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=f"parameter file {path}.*{message}"):
        execution.load_params_file(path)


def test_load_params_file_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read parameter file .*missing.yaml"):
        execution.load_params_file(tmp_path / "missing.yaml")


# --- run folders ------------------------------------------------------------------------------------------


def test_new_run_dir_adds_a_suffix_when_taken(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 26, 19, 30, 5)
    names = [folders.new_run_dir(tmp_path, now).name for _ in range(3)]
    assert names == ["20261126-193005", "20261126-193005-2", "20261126-193005-3"]


def test_default_out_dir_is_a_new_timestamped_folder_under_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folders, "RUNS_DIR", tmp_path / "runs")
    first, second = folders.prepare_out_dir(None), folders.prepare_out_dir(None)
    assert first.parent == second.parent == tmp_path / "runs" and first != second
    assert dt.datetime.strptime(first.name[:15], "%Y%m%d-%H%M%S")


def test_prepare_out_dir_refuses_a_folder_with_a_run(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(UsageError, match="already holds a run \\(run.json\\)"):
        folders.prepare_out_dir(tmp_path, FIXTURES)


def test_prepare_out_dir_refuses_a_sweeps_folder(tmp_path: Path) -> None:
    """A run written beside sweep.json left a folder the sweep could not resume and `workbook diff` not read."""
    from workbook.sweep.store import SWEEP_FILE

    assert folders.SWEEP_RECORD == SWEEP_FILE
    (tmp_path / SWEEP_FILE).write_text("{}")
    with pytest.raises(UsageError, match="holds a sweep \\(sweep.json\\), not a run; choose another --out"):
        folders.prepare_out_dir(tmp_path, FIXTURES)
    assert sorted(path.name for path in tmp_path.iterdir()) == [SWEEP_FILE]


def test_prepare_out_dir_refuses_the_notebooks_folder() -> None:
    with pytest.raises(UsageError, match="is the notebooks folder; use --in-place"):
        folders.prepare_out_dir(FIXTURES, FIXTURES)


def test_prepare_out_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        folders.prepare_out_dir(tmp_path / "file", FIXTURES)


# --- run_notebooks with a fake papermill ------------------------------------------------------------------


class FakePapermill:
    """Stands in for papermill.execute_notebook: copies the notebook, records results, fails on request."""

    def __init__(self, fail: str | None = None, errors: list[Exception] | None = None):
        self.fail = fail
        self.errors = list(errors or [])  # raised one per call before anything else
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, input_path: str, output_path: str, parameters: dict | None = None, **kw: object):
        stem = Path(input_path).stem
        self.calls.append((stem, dict(parameters or {})))
        if self.errors:
            raise self.errors.pop(0)
        nbformat.write(nbformat.read(input_path, as_version=4), output_path)
        if parameters and "results_path" in parameters:
            given = {k: v for k, v in parameters.items() if k != "results_path"}
            save_results(parameters["results_path"], given=given)
        if stem == self.fail:  # like papermill: the injected cell shifts the index and the count by one
            shift = 1 if parameters else 0
            raise PapermillExecutionError(
                5 + shift, 3 + shift, "raise ...", "ValueError", "fail=True\nasked to fail on purpose", []
            )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakePapermill:
    pm = FakePapermill()
    monkeypatch.setattr(papermill, "execute_notebook", pm)
    monkeypatch.setattr(orchestrate, "check_kernel", lambda name: None)
    monkeypatch.setattr(warm, "kernel_for", lambda *args: None)  # no kernel starts early: there is none to start
    return pm


def run(out: Path, *selectors: str, **params: object) -> RunResult:
    return orchestrate.run_notebooks(selectors, params, out_dir=out, notebooks_dir=FIXTURES, progress=False)


def test_successful_run_writes_results_html_index_and_run_json(fake: FakePapermill, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run(out, n_rows="4", random_state="7")
    assert result.ok and result.out_dir == out
    assert [c[0] for c in fake.calls] == ["01_alpha", "02_beta", "03_gamma"]
    assert fake.calls[0][1] == {"n_rows": 4, "results_path": str(out / "01_alpha.results.json")}
    assert fake.calls[2][1] == {}  # nothing declared, nothing injected

    results = json.loads((out / "results.json").read_text())
    assert results == {
        "01_alpha": {"given": {"n_rows": 4}},
        "02_beta": {"given": {"random_state": 7}},
        "03_gamma": {},  # recorded nothing
    }
    for stem in ["01_alpha", "02_beta", "03_gamma"]:
        assert (out / f"{stem}.ipynb").exists()
        assert "<html" in (out / f"{stem}.html").read_text()[:500]

    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "ok" and run_json["error"] is None
    assert [(n["name"], n["status"], n["output"]) for n in run_json["notebooks"]] == [
        ("01_alpha", "ok", "01_alpha.ipynb"),
        ("02_beta", "ok", "02_beta.ipynb"),
        ("03_gamma", "ok", "03_gamma.ipynb"),
    ]
    assert run_json["parameters"] == {
        "01_alpha": {"n_rows": 4}, "02_beta": {"random_state": 7}, "03_gamma": {},
    }
    assert run_json["workbook_version"] == workbook.__version__
    dt.datetime.fromisoformat(run_json["started"])

    index = (out / "index.html").read_text()
    assert '<a href="01_alpha.html">01_alpha</a>' in index and '<a href="03_gamma.ipynb">ipynb</a>' in index
    assert '<a href="results.json">' in index and "Run failed" not in index


def test_failing_run_marks_the_notebook_and_writes_no_results(fake: FakePapermill, tmp_path: Path) -> None:
    fake.fail = "02_beta"
    out = tmp_path / "run"
    result = run(out, fail="true")
    message = "02_beta failed at cell [4] (cell index 5): ValueError: fail=True | asked to fail on purpose"
    assert not result.ok and result.error == message
    assert [(r.name, r.status) for r in result.notebooks] == [
        ("01_alpha", "ok"), ("02_beta", "failed"), ("03_gamma", "skipped"),
    ]
    assert [c[0] for c in fake.calls] == ["01_alpha", "02_beta"]  # stops at the failure
    assert (out / "02_beta.FAILED.ipynb").exists() and not (out / "02_beta.ipynb").exists()
    assert not (out / "results.json").exists() and result.results_file is None
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "failed" and run_json["error"] == message
    assert run_json["notebooks"][1]["output"] == "02_beta.FAILED.ipynb"
    index = (out / "index.html").read_text()
    assert f'<div class="banner failed">Run failed: {message}</div>' in index
    assert '<a href="02_beta.FAILED.html">02_beta</a>' in index


def test_on_notebook_hears_about_each_notebook_as_it_ends(fake: FakePapermill, tmp_path: Path) -> None:
    fake.fail = "02_beta"
    heard: list[tuple[str, str]] = []
    orchestrate.run_notebooks(
        out_dir=tmp_path / "run", notebooks_dir=FIXTURES, progress=False,
        on_notebook=lambda run: heard.append((run.name, run.status)),
    )
    assert heard == [("01_alpha", "ok"), ("02_beta", "failed"), ("03_gamma", "skipped")]


def test_kernel_start_failure_is_retried(fake: FakePapermill, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fake.errors = [RuntimeError("Kernel died before replying to kernel_info")]
    result = run(tmp_path / "run", "03")
    assert result.ok and [c[0] for c in fake.calls] == ["03_gamma", "03_gamma"]
    assert "03_gamma: the kernel failed to start (Kernel died before replying to kernel_info); trying again (2/3)" in (
        caplog.messages)


def test_kernel_start_failure_gives_up_after_the_last_attempt(fake: FakePapermill, tmp_path: Path) -> None:
    fake.errors = [RuntimeError("zmq error: Address already in use")] * execution.KERNEL_START_ATTEMPTS
    result = run(tmp_path / "run", "03")
    assert len(fake.calls) == execution.KERNEL_START_ATTEMPTS
    assert result.error == "03_gamma failed: RuntimeError: zmq error: Address already in use"


def test_cell_errors_and_other_errors_are_not_retried(fake: FakePapermill, tmp_path: Path) -> None:
    fake.fail = "01_alpha"
    assert not run(tmp_path / "one", "01").ok and len(fake.calls) == 1
    fake.fail, fake.calls, fake.errors = None, [], [RuntimeError("boom\nmore detail")]
    result = run(tmp_path / "two", "03")
    assert len(fake.calls) == 1 and result.error == "03_gamma failed: RuntimeError: boom"


def test_unreadable_results_file_fails_the_notebook(
    fake: FakePapermill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def scribble(input_path: str, output_path: str, parameters: dict | None = None, **kw: object) -> None:
        nbformat.write(nbformat.read(input_path, as_version=4), output_path)
        Path(parameters["results_path"]).write_text("not json")

    monkeypatch.setattr(papermill, "execute_notebook", scribble)
    result = run(tmp_path / "run", "01")
    assert result.error is not None and result.error.startswith("01_alpha wrote an unreadable results file")
    assert (tmp_path / "run" / "01_alpha.FAILED.ipynb").exists()


@pytest.mark.parametrize(
    ("kwargs", "message", "exit_code"),
    [
        ({"params": {"foo": "1"}}, "unknown parameter 'foo'", 2),
        ({"params": {"n_rows": "many"}}, "bad value for parameter 'n_rows' of 01_alpha", 2),
        ({"params": {"n_rows": "2"}, "in_place": True}, "parameters cannot be combined with --in-place", 2),
        ({"selectors": ["99"]}, "unknown notebook '99'", 2),
        ({"in_place": True, "out_dir": FIXTURES}, "is the notebooks folder", 2),  # as a sweep's out dir: 2
    ],
)
def test_bad_requests_fail_before_any_kernel_or_folder(
    fake: FakePapermill, tmp_path: Path, kwargs: dict, message: str, exit_code: int
) -> None:
    out = tmp_path / "run"
    with pytest.raises(WorkbookError, match=message) as caught:
        orchestrate.run_notebooks(**{"out_dir": out, **kwargs}, notebooks_dir=FIXTURES, progress=False)
    assert caught.value.exit_code == exit_code  # a request the command cannot take exits 2, as in a sweep
    assert fake.calls == [] and not out.exists()


def test_missing_kernel_is_reported_with_the_fix(tmp_path: Path) -> None:
    expected = "no Jupyter kernel named 'no-such-kernel-42'; register it with: .* -m ipykernel install"
    with pytest.raises(WorkbookError, match=expected):
        orchestrate.run_notebooks(
            ["03"], out_dir=tmp_path / "run", notebooks_dir=FIXTURES, kernel_name="no-such-kernel-42"
        )
    assert not (tmp_path / "run").exists()


def test_in_place_run_rewrites_the_notebook_cleanly(
    fake: FakePapermill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "nbs"
    shutil.copytree(FIXTURES, folder)

    seen_switch = []

    def execute(input_path: str, output_path: str, parameters: dict | None = None, **kw: object) -> None:
        fake.calls.append((Path(input_path).stem, dict(parameters or {})))
        seen_switch.append(os.environ.get(made_with.SWITCH))  # what the kernel would inherit
        nb = nbformat.read(input_path, as_version=4)
        nb.metadata["papermill"] = {"duration": 1.0}
        for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            cell.execution_count = 10 + 2 * number
            cell.metadata["execution"] = {"iopub.execute_input": "2026-11-26T19:00:00Z"}
            cell.metadata["papermill"] = {"status": "completed"}
        nbformat.write(nb, output_path)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    switch_before = os.environ.get(made_with.SWITCH)  # `make test-latest` sets it for the whole suite
    result = orchestrate.run_notebooks(
        ["03"], in_place=True, out_dir=tmp_path / "run", notebooks_dir=folder, progress=False
    )
    assert result.ok and result.out_dir is None and not (tmp_path / "run").exists()
    assert fake.calls == [("03_gamma", {})]  # no parameters: papermill injects no cell
    nb = nbformat.read(folder / "03_gamma.ipynb", as_version=4)
    assert "papermill" not in nb.metadata
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2]
    assert all("execution" not in c.metadata and "papermill" not in c.metadata for c in nb.cells)
    assert sorted(p.name for p in folder.iterdir()) == ["01_alpha.ipynb", "02_beta.ipynb", "03_gamma.ipynb"]
    # The refreshed notebook records the versions that made it; no stale notice reached its outputs.
    assert nb.metadata["workbook"]["made_with"] == made_with.installed_versions()
    assert seen_switch == ["off"] and os.environ.get(made_with.SWITCH) == switch_before


def test_in_place_failure_leaves_the_source_and_keeps_the_partial_copy(
    fake: FakePapermill, tmp_path: Path
) -> None:
    folder = tmp_path / "nbs"
    shutil.copytree(FIXTURES, folder)
    before = (folder / "02_beta.ipynb").read_bytes()
    fake.fail = "02_beta"
    result = orchestrate.run_notebooks(
        ["02"], in_place=True, out_dir=tmp_path / "run", notebooks_dir=folder, progress=False
    )
    assert result.error == "02_beta failed at cell [3] (cell index 5): ValueError: fail=True | asked to fail on purpose"
    assert (folder / "02_beta.ipynb").read_bytes() == before
    assert (tmp_path / "run" / "02_beta.FAILED.ipynb").exists()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "failed"


# --- pieces of the failure message and the reports -------------------------------------------------------


@pytest.mark.parametrize(
    ("executed_index", "injected", "expected"),
    [(6, True, 5), (1, True, 1), (2, True, 2), (3, True, 2), (6, False, 6)],
)
def test_source_cell_index_undoes_the_injected_cell(
    executed_index: int, injected: bool, expected: int
) -> None:
    source = execution.read_notebook(FIXTURES / "02_beta.ipynb")  # parameters cell at index 1
    assert execution.source_cell_index(source, executed_index, injected) == expected


def test_strip_volatile_metadata_renumbers_and_cleans() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell(""),
                                         nbformat.v4.new_code_cell("2")])
    nb.metadata["papermill"] = {}
    nb.cells[0].execution_count, nb.cells[2].execution_count = 3, 7
    nb.cells[2].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=7)]
    nb.cells[0].metadata.update(tags=[], execution={"x": 1}, papermill={})
    nb.cells[2].metadata["tags"] = ["keep"]
    in_place.strip_volatile_metadata(nb)
    assert [c.execution_count for c in nb.cells] == [1, None, 2]
    assert nb.cells[2].outputs[0].execution_count == 2
    assert nb.cells[0].metadata == {} and nb.cells[2].metadata == {"tags": ["keep"]}
    assert "papermill" not in nb.metadata


def test_strip_volatile_metadata_joins_a_print_the_kernel_flushed_in_pieces() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(0.56)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.56"),
                           nbformat.v4.new_output("stream", name="stdout", text="\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    in_place.strip_volatile_metadata(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "0.56\n"), ("stderr", "warning\n")]


def test_index_html_escapes_names_errors_and_results(tmp_path: Path) -> None:
    error = "02_b failed at cell [1] (cell index 1): E: a < b & c"
    runs = [
        NotebookRun("01_<a>", "ok", 1.5, None, "01_<a>.ipynb", {"p": "<i>"}, {"note": "<script>x</script>"}),
        NotebookRun("02_b", "failed", 0.5, error, "02_b.FAILED.ipynb"),
    ]
    (tmp_path / "01_<a>.html").write_text("")
    runs[0].results["n"] = [1, 2]
    result = RunResult("failed", tmp_path, runs, error, "2026-11-26T19:30:00+00:00")
    page = report.write_index_html(result).read_text()
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert '<a href="01_%3Ca%3E.html">01_&lt;a&gt;</a>' in page
    assert "<code>p = &lt;i&gt;</code>" in page and "<code>n</code>: [1, 2]" in page
    assert "Run failed: 02_b failed at cell [1] (cell index 1): E: a &lt; b &amp; c" in page
    assert "02_b (<a" in page  # no HTML rendering of 02_b: only the notebook is linked
    assert "<td>1.5 s</td>" in page and "<td>0.5 s</td>" in page


def test_list_notebooks_gives_titles_and_parameters() -> None:
    listed = execution.list_notebooks(FIXTURES)
    assert [(nb.stem, nb.title) for nb in listed] == [
        ("01_alpha", "Alpha fixture"), ("02_beta", "Beta fixture"), ("03_gamma", "Gamma fixture"),
    ]
    assert listed[0].parameters["scale"] == Param("scale", "float", "1.5", "multiplier for every value")


def test_workbook_run_checks_the_ranges_and_choices_a_notebook_declares():
    """`# ...; range: 0..10` and `# ...; one of: plain, squared` bind `workbook run -p` as they bind sweeps."""
    toy = execution.read_notebook_info(FIXTURES.parent / "sweep_notebooks" / "01_toy.ipynb")
    assert execution.plan_parameters([toy], {"x": "10", "mode": "squared"})["01_toy"] == {"x": 10, "mode": "squared"}
    outside = r"value 11\.0 for parameter 'x' of 01_toy is outside its declared range 0\.\.10"
    with pytest.raises(UsageError, match=outside):
        execution.plan_parameters([toy], {"x": "11"})
    with pytest.raises(UsageError, match="'cubed' for parameter 'mode' of 01_toy is not one of: plain, squared"):
        execution.plan_parameters([toy], {"mode": "cubed"})


def test_the_committed_notebooks_declare_readable_ranges_and_choices():
    """A malformed declaration would only surface when someone passes that parameter: check them all now."""
    for info in execution.list_notebooks():
        for param in info.parameters.values():
            execution.declared_range(param), execution.declared_choices(param)
            # Every default sits inside its own declaration.
            execution.check_declared(param, ast.literal_eval(param.default), info.stem)


# --- parallel runs (--jobs): the scheduling, with a thread pool standing in for the process pool -----------


def parallel_folder(tmp_path: Path, metadata: dict[str, dict]) -> Path:
    """Copies of the fixtures whose `workbook` metadata (needs, expected_seconds) is set as given."""
    folder = tmp_path / "nbs"
    shutil.copytree(FIXTURES, folder)
    for stem, meta in metadata.items():
        nb = nbformat.read(folder / f"{stem}.ipynb", as_version=4)
        nb.metadata["workbook"] = meta
        nbformat.write(nb, folder / f"{stem}.ipynb")
    return folder


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the pool's work in threads of this process, where the fake papermill is installed."""
    from concurrent.futures import ThreadPoolExecutor

    from workbook.execution import pool

    monkeypatch.setattr(pool, "new_pool", lambda workers, preload=(): ThreadPoolExecutor(workers))


def test_notebook_metadata_gives_needs_and_expected_seconds(tmp_path: Path) -> None:
    folder = parallel_folder(tmp_path, {"03_gamma": {"needs": ["01_alpha"], "expected_seconds": 12}})
    info = execution.read_notebook_info(folder / "03_gamma.ipynb")
    assert (info.needs, info.expected_seconds) == (("01_alpha",), 12.0)
    assert execution.read_notebook_info(folder / "01_alpha.ipynb").needs == ()


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"needs": ["03_gamma"]}, "names '03_gamma'; expected the name of an earlier notebook"),
        ({"needs": "01_alpha"}, "workbook.needs must be a list of notebook names"),
        ({"expected_seconds": -1}, "workbook.expected_seconds must be a number >= 0, got -1"),
        ({"expected_seconds": "long"}, "workbook.expected_seconds must be a number >= 0"),
        ({"needs": [5]}, "workbook.needs[0] must be text, got 5"),
        ({"made_with": {"pandas": 3}}, "workbook.made_with.pandas must be text, got 3"),
        ([], "metadata workbook must be a mapping, got []"),
    ],
)
def test_bad_notebook_metadata_names_the_notebook_and_the_key(tmp_path: Path, meta: dict, message: str) -> None:
    folder = parallel_folder(tmp_path, {"02_beta": meta})
    with pytest.raises(WorkbookError, match=f"^02_beta.ipynb: .*{re.escape(message[:30])}") as raised:
        execution.read_notebook_info(folder / "02_beta.ipynb")
    assert message in str(raised.value)
    assert raised.value.exit_code == 1  # the notebook's mistake, not the request's


@pytest.mark.parametrize("jobs", [0, -2, True, "2", 1.5])
def test_jobs_must_be_a_whole_number_of_at_least_one(fake: FakePapermill, tmp_path: Path, jobs: object) -> None:
    with pytest.raises(UsageError, match="--jobs must be a whole number >= 1"):
        orchestrate.run_notebooks(out_dir=tmp_path / "run", notebooks_dir=FIXTURES, progress=False, jobs=jobs)
    assert fake.calls == [] and not (tmp_path / "run").exists()


def test_a_parallel_run_starts_the_longest_first_waits_for_needs_and_reports_in_order(
    fake: FakePapermill, threads: None, tmp_path: Path
) -> None:
    folder = parallel_folder(tmp_path, {"01_alpha": {"expected_seconds": 1},
                                        "02_beta": {"needs": ["01_alpha"], "expected_seconds": 50},
                                        "03_gamma": {"expected_seconds": 9}})
    heard: list[str] = []
    result = orchestrate.run_notebooks(out_dir=tmp_path / "run", notebooks_dir=folder, progress=False, jobs=2,
                                  on_notebook=lambda run: heard.append(run.name))
    assert result.ok
    # 02 is the longest but needs 01: 03 (next longest) and 01 start first, 02 only after 01 finished.
    started = [call[0] for call in fake.calls]
    assert set(started[:2]) == {"03_gamma", "01_alpha"} and started[2] == "02_beta"
    assert heard.index("01_alpha") < heard.index("02_beta")
    assert [run.name for run in result.notebooks] == ["01_alpha", "02_beta", "03_gamma"]  # the notebooks' order
    orchestrate.run_notebooks(out_dir=tmp_path / "seq", notebooks_dir=folder, progress=False)
    assert json.loads((tmp_path / "run" / "results.json").read_text()) == json.loads(
        (tmp_path / "seq" / "results.json").read_text())


def test_a_parallel_run_renders_each_notebook_as_it_ends_once_the_next_has_started(
    fake: FakePapermill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML of a finished notebook is written while the others run, not all at the end (make run's last
    seconds), and never before the notebooks that waited for it have been handed to a worker."""
    from concurrent.futures import ThreadPoolExecutor

    from workbook.execution import pool

    submitted: list[str] = []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, nb, *args, **kwargs):  # type: ignore[override]
            submitted.append(nb.stem)
            return super().submit(fn, nb, *args, **kwargs)

    monkeypatch.setattr(pool, "new_pool", lambda workers, preload=(): Recording(workers))
    rendered_at_finish: list[str] = []
    monkeypatch.setattr(report, "render_html", lambda path: rendered_at_finish.append(path.name))
    folder = parallel_folder(tmp_path, {"02_beta": {"needs": ["01_alpha"]}})
    run_dir = tmp_path / "run"
    heard: list[tuple[str, bool, list[str]]] = []

    def note(run: NotebookRun) -> None:
        heard.append((run.name, (run_dir / f"{run.name}.html").is_file(), list(submitted)))

    result = orchestrate.run_notebooks(out_dir=run_dir, notebooks_dir=folder, progress=False, jobs=2,
                                       on_notebook=note)
    assert result.ok and sorted(name for name, _, _ in heard) == ["01_alpha", "02_beta", "03_gamma"]
    assert all(html for _, html, _ in heard), heard  # each page exists when its notebook is reported
    alpha = next(entry for entry in heard if entry[0] == "01_alpha")
    assert "02_beta" in alpha[2]  # 02, which needed 01, was already handed out
    assert rendered_at_finish == []  # none left for the end
    assert "02_beta.html" in (run_dir / "index.html").read_text()


def test_a_parallel_run_skips_what_needs_a_failed_notebook_and_writes_no_results(
    fake: FakePapermill, threads: None, tmp_path: Path
) -> None:
    folder = parallel_folder(tmp_path, {"03_gamma": {"needs": ["02_beta"]}})
    fake.fail = "02_beta"
    result = orchestrate.run_notebooks(["02", "03"], {"fail": "true"}, out_dir=tmp_path / "run",
                                  notebooks_dir=folder, progress=False, jobs=2)
    assert [(run.name, run.status) for run in result.notebooks] == [("02_beta", "failed"), ("03_gamma", "skipped")]
    assert [call[0] for call in fake.calls] == ["02_beta"]
    assert result.error.startswith("02_beta failed at cell")
    assert (tmp_path / "run" / "02_beta.FAILED.ipynb").exists() and not (tmp_path / "run" / "results.json").exists()


def test_a_need_outside_the_selection_does_not_hold_a_notebook_back(
    fake: FakePapermill, threads: None, tmp_path: Path
) -> None:
    folder = parallel_folder(tmp_path, {"03_gamma": {"needs": ["02_beta"]}})
    result = orchestrate.run_notebooks(["01", "03"], out_dir=tmp_path / "run", notebooks_dir=folder, progress=False,
                                  jobs=2)
    assert result.ok and sorted(call[0] for call in fake.calls) == ["01_alpha", "03_gamma"]


def test_kernels_reuse_big_memory_blocks_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in execution.MALLOC_REUSE:
        monkeypatch.delenv(name, raising=False)
    assert execution.MALLOC_REUSE.items() <= execution.kernel_environment().items()
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "0")
    chosen = execution.kernel_environment()
    assert "MALLOC_TRIM_THRESHOLD_" not in chosen and chosen["MALLOC_MMAP_THRESHOLD_"] == str(2**30)


def test_kernels_get_one_native_thread_unless_the_user_chose(
    fake: FakePapermill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    seen: list[dict[str, str | None]] = []
    original = papermill.execute_notebook

    def execute(*args: object, **kw: object) -> None:
        seen.append({name: os.environ.get(name) for name in execution.KERNEL_THREAD_VARIABLES})
        original(*args, **kw)

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    for name in execution.KERNEL_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    assert orchestrate.run_notebooks(["03"], out_dir=tmp_path / "run", notebooks_dir=FIXTURES, progress=False).ok
    assert seen == [{"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "4"}]
    assert "OMP_NUM_THREADS" not in os.environ  # set for the kernel's start only
