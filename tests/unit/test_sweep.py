"""Unit tests for workbook.sweep: grids, validation, point keys, the sweep folder, MLflow runs and the summary.

No kernel starts here: the executor is replaced by a fake that "runs" each point in this process, so the
orchestration (resume, failure isolation, idempotent logging, summary) is checked in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from workbook import execution, sweep, tracking
from workbook.errors import WorkbookError
from workbook.execution import Param
from workbook.results import save_results
from workbook.run import folders
from workbook.sweep import Executor, PointOutcome, SweepError, SweepRequest, SweepUsageError, executors
from workbook.sweep import report as sweep_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweep_notebooks"
TOY = FIXTURES / "01_toy.ipynb"


def write_notebook(path: Path, parameters: str) -> Path:
    """A minimal notebook whose `parameters` cell is `parameters`."""
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("1")]), path)
    return path


def toy_plan(grid: dict, fixed: dict | None = None, **request) -> sweep.SweepPlan:
    return sweep.plan_sweep(SweepRequest(str(TOY), grid, fixed or {}, **request))


# --- the request ------------------------------------------------------------------------------------------


def test_grid_option_splits_on_commas_or_reads_a_yaml_list() -> None:
    assert sweep.parse_grid_option("alpha=0.1, 0.5,1") == ("alpha", ["0.1", "0.5", "1"])
    assert sweep.parse_grid_option("label=['a,b', c]") == ("label", ["a,b", "c"])
    assert sweep.parse_grid_option("alpha=") == ("alpha", [])


@pytest.mark.parametrize("text", ["alpha", "=1,2", "1x=3", "a b=1"])
def test_grid_option_without_a_name_says_what_is_expected(text: str) -> None:
    with pytest.raises(SweepUsageError, match=r"expected NAME=V1,V2,\.\.\., e\.g\. --grid alpha=0\.1,0\.5"):
        sweep.parse_grid_option(text)


def test_command_line_overrides_the_grid_file_name_by_name(tmp_path: Path) -> None:
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("grid: {x: [1, 2], y: [0, 1]}\nparams: {mode: squared}\nsample: 2\nseed: 7\ngoal: max\n")
    request = sweep.build_request("toy", ["x=3,4"], {"y": "5"}, grid_file, seed=9)
    assert request.grid == {"x": ["3", "4"]}  # x replaced; y moved to the fixed values by -p
    assert request.fixed == {"mode": "squared", "y": "5"}
    assert (request.sample, request.seed, request.goal, request.metric) == (2, 9, "max", None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("grid: {x: [1, 2]", "is not valid YAML: while parsing a flow mapping"),
        ("- 1\n- 2\n", "must be a mapping of names to values, got list"),
        ("grid: {x: [1]}\nworkers: 2\n", "unknown key 'workers'; expected grid, params, sample, seed, metric, goal"),
        ("grid: {x: 1}\n", "grid.x must be a list of values, got 1"),
        ("grid: {x: [1]}\nparams: {x: 2}\n", "'x' is both in grid and in params"),
        ("grid: {x: [1]}\nsample: lots\n", "sample must be a whole number, got 'lots'"),
        ("grid: {x: [1]}\nseed: 2.5\n", "seed must be a whole number, got 2.5"),
        ("grid: {x: [1]}\ngoal: up\n", "goal must be min or max, got 'up'"),
        ("grid: [x, y]\n", "grid must map parameter names to lists of values, got ['x', 'y']"),
        ("grid: {x-y: [1]}\n", "grid key 'x-y' must be a parameter name"),
    ],
)
def test_bad_grid_files_name_the_file_and_the_problem(tmp_path: Path, content: str, message: str) -> None:
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(content)
    with pytest.raises(SweepUsageError) as caught:
        sweep.build_request("toy", grid_file=grid_file)
    assert str(caught.value).startswith(f"grid file {grid_file}")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "empty grid: give at least one --grid NAME=V1,V2,..."),
        ({"grid_options": ["x=1", "x=2"]}, "--grid x is given twice"),
        ({"grid_options": ["x=1"], "fixed_options": {"x": "2"}}, "'x' is both in --grid and fixed with -p"),
        ({"grid_options": ["x=1"], "goal": "up"}, "--goal must be min or max, got 'up'"),
    ],
)
def test_bad_requests_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(SweepUsageError, match=message.replace(".", r"\.").replace("+", r"\+")):
        sweep.build_request("toy", **kwargs)


# --- the grid ---------------------------------------------------------------------------------------------


def test_expand_grid_is_the_cartesian_product_with_the_last_name_fastest() -> None:
    grid = {"a": [1, 2], "b": ["x", "y", "z"]}
    points = sweep.expand_grid(grid)
    assert points[:4] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"}, {"a": 2, "b": "x"}]
    assert len(points) == sweep.grid_size(grid) == 6
    assert [sweep.grid_point(grid, i) for i in range(6)] == points


def test_sampling_draws_distinct_points_in_grid_order_and_depends_on_the_seed() -> None:
    grid = {"a": list(range(10)), "b": list(range(10))}
    first = sweep.select_points(grid, sample=12, seed=1)
    assert first == sweep.select_points(grid, sample=12, seed=1)
    assert first != sweep.select_points(grid, sample=12, seed=2)
    assert len({(p["a"], p["b"]) for p in first}) == 12
    positions = [p["a"] * 10 + p["b"] for p in first]
    assert positions == sorted(positions)


def test_sampling_more_points_than_the_grid_has_is_an_error() -> None:
    with pytest.raises(SweepUsageError, match=r"--sample 5 is more than the grid's 4 points"):
        sweep.sample_indices(4, 5)
    with pytest.raises(SweepUsageError, match=r"--sample must be a whole number of points >= 1, got 0"):
        sweep.sample_indices(4, 0)


def test_a_huge_grid_asks_for_sampling_but_can_be_sampled() -> None:
    grid = {f"p{i}": list(range(10)) for i in range(5)}  # 100,000 points
    with pytest.raises(SweepUsageError, match=r"the grid has 100,000 points .*; use --sample N"):
        sweep.select_points(grid)
    assert len(sweep.select_points(grid, sample=3)) == 3


# --- declared ranges and choices --------------------------------------------------------------------------


def param(help_text: str, type_name: str = "float") -> Param:
    return Param("alpha", type_name, "0.5", help_text)


def test_declared_range_and_choices_are_read_from_the_comment() -> None:
    assert execution.declared_range(param("penalty; range: 0..10")) == (0.0, 10.0)
    assert execution.declared_range(param("range: 1e-4..")) == (1e-4, None)
    assert execution.declared_range(param("price range: cheap")) is None  # a part must start with `range:`
    assert execution.declared_range(param("penalty")) is None
    assert execution.declared_choices(param("scenario; one of: none, 'price_shock'", "str")) == ["none", "price_shock"]
    assert execution.declared_choices(param("scenario")) is None


@pytest.mark.parametrize("help_text", ["range: a..b", "range: 5", "range: 10..1", "range: .."])
def test_a_malformed_range_is_the_notebooks_error_naming_the_parameter(help_text: str) -> None:
    with pytest.raises(WorkbookError, match=r"^nb: parameter 'alpha' declares range .*; expected LOW\.\.HIGH"):
        execution.check_declared(param(help_text), 1.0, "nb")


def test_check_declared_accepts_bounds_and_rejects_values_outside() -> None:
    ranged = param("penalty; range: 0..10")
    for ok in (0.0, 10.0, None):
        execution.check_declared(ranged, ok, "nb")
    outside = r"^value 10\.5 for parameter 'alpha' of nb is outside its declared range 0\.\.10$"
    with pytest.raises(WorkbookError, match=outside):
        execution.check_declared(ranged, 10.5, "nb")
    chosen = Param("k", "int", "1", "folds; one of: 3, 5")
    execution.check_declared(chosen, 5, "nb")
    with pytest.raises(WorkbookError, match=r"^value 4 for parameter 'k' of nb is not one of: 3, 5$"):
        execution.check_declared(chosen, 4, "nb")


# --- the plan: every value checked against the notebook before anything runs ------------------------------


def test_plan_types_values_and_numbers_points_in_grid_order() -> None:
    plan = toy_plan({"x": ["1", "2.5"], "mode": ["plain", "squared"]}, {"y": "3"})
    assert plan.grid == {"x": [1.0, 2.5], "mode": ["plain", "squared"]}
    assert [(p.index, p.params) for p in plan.points][:2] == [
        (1, {"y": 3, "x": 1.0, "mode": "plain"}), (2, {"y": 3, "x": 1.0, "mode": "squared"})]
    assert plan.points[1].label == "x=1.0, mode=squared"
    assert plan.points[1].folder == f"002-{plan.points[1].key[:8]}"
    assert len({p.key for p in plan.points}) == 4


@pytest.mark.parametrize(
    ("grid", "fixed", "message"),
    [
        ({"z": ["1"]}, {}, ("unknown parameter 'z' in the grid: 01_toy does not declare it; "
                            "known: x, y, mode, fail, sleep_s, log_run")),
        ({"x": ["1"]}, {"zz": "1"}, "unknown parameter 'zz' in the fixed parameters: 01_toy does not declare it"),
        ({"x": ["a"]}, {}, "bad value for parameter 'x' of 01_toy: expected float, got 'a'"),
        ({"x": ["1", "11"]}, {}, "value 11.0 for parameter 'x' of 01_toy is outside its declared range 0..10"),
        ({"mode": ["cubic"]}, {}, "value 'cubic' for parameter 'mode' of 01_toy is not one of: plain, squared"),
        ({"x": ["1"]}, {"results_path": "r.json"}, "parameter 'results_path' is set by the sweep"),
        ({"x": []}, {}, "empty grid: 'x' has no values; give them as --grid x=V1,V2,..."),
        ({"x": ["1", "1.0"]}, {}, "grid 'x' lists 1.0 twice"),
        ({"fail": ["maybe"]}, {}, "bad value for parameter 'fail' of 01_toy: expected bool (true/false/yes/no/1/0)"),
    ],
)
def test_bad_values_are_usage_errors_naming_parameter_and_notebook(grid: dict, fixed: dict, message: str) -> None:
    with pytest.raises(SweepUsageError) as caught:
        toy_plan(grid, fixed)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_unknown_notebook_or_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SweepUsageError, match=r"^notebook file not found: .*missing\.ipynb$"):
        sweep.plan_sweep(SweepRequest(str(tmp_path / "missing.ipynb"), {"x": ["1"]}))
    with pytest.raises(SweepUsageError, match=r"^unknown notebook '7'; available: 01_toy, 02_wine$"):
        sweep.plan_sweep(SweepRequest("7", {"x": ["1"]}), notebooks_dir=FIXTURES)
    assert sweep.plan_sweep(SweepRequest("1", {"x": ["1"]}), notebooks_dir=FIXTURES).stem == "01_toy"


# --- point keys -------------------------------------------------------------------------------------------


@pytest.fixture
def data_notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "03_data.ipynb", "data_path = None  # data file; None = the twin\n"
                          "n_rows = 100  # twin rows\nrandom_state = 42  # seed\nalpha = 0.5  # penalty\n")


def keys(notebook: Path, grid: dict, fixed: dict | None = None) -> list[str]:
    plan = sweep.plan_sweep(SweepRequest(str(notebook), grid, fixed or {}))
    return [point.key for point in plan.points]


def test_same_parameters_and_data_give_the_same_key(data_notebook: Path, tmp_path: Path) -> None:
    data = tmp_path / "flights.csv"
    data.write_text("a,b\n1,2\n")
    first = keys(data_notebook, {"alpha": ["0.1", "0.2"]}, {"data_path": str(data)})
    assert first == keys(data_notebook, {"alpha": [0.1, 0.2]}, {"data_path": str(data)})  # text or YAML alike
    assert keys(data_notebook, {"alpha": ["0.2"]}, {"data_path": str(data)})[0] == first[1]  # grid or alone
    assert first[0] != first[1]


def test_changing_the_data_file_content_changes_the_key(data_notebook: Path, tmp_path: Path) -> None:
    data = tmp_path / "flights.csv"
    data.write_text("a,b\n1,2\n")
    before = keys(data_notebook, {"alpha": ["0.1"]}, {"data_path": str(data)})
    data.write_text("a,b\n1,3\n")  # same name, same size, new content
    after = keys(data_notebook, {"alpha": ["0.1"]}, {"data_path": str(data)})
    assert before != after
    plan = sweep.plan_sweep(SweepRequest(str(data_notebook), {"alpha": ["0.1"]}, {"data_path": str(data)}))
    assert plan.points[0].data["data_path"].startswith("sha256:")


def test_the_twin_is_fingerprinted_by_its_rows_and_seed(data_notebook: Path) -> None:
    plan = sweep.plan_sweep(SweepRequest(str(data_notebook), {"alpha": ["0.1"]}))
    assert plan.points[0].data == {"data_path": None, "twin": {"n_rows": 100, "random_state": 42}}
    default = keys(data_notebook, {"alpha": ["0.1"]})
    assert default == keys(data_notebook, {"alpha": ["0.1"]}, {"n_rows": "100"})  # the default, spelt out
    assert default != keys(data_notebook, {"alpha": ["0.1"]}, {"n_rows": "200"})


def test_relative_path_values_are_made_absolute(data_notebook: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("x\n1\n")
    plan = sweep.plan_sweep(SweepRequest(str(data_notebook), {"alpha": ["0.1"]}, {"data_path": "d.csv"}))
    assert plan.points[0].params["data_path"] == str(tmp_path / "d.csv")


# --- the sweep folder -------------------------------------------------------------------------------------


def outcome_for(point: sweep.Point, status: str = "ok", score: float = 1.0) -> PointOutcome:
    """What a worker would send back for a point, without running anything."""
    notebook = "01_toy.ipynb" if status == "ok" else "01_toy.FAILED.ipynb"
    results = {"score": score, "label": "x"} if status == "ok" else {}
    record = {"index": point.index, "key": point.key, "status": status, "notebook": notebook, "results": results,
              "seconds": 0.5, "error": None if status == "ok" else "ValueError: boom"}
    files = {notebook: b"{}", sweep.POINT_FILE: json.dumps(record).encode()}
    if status == "ok":
        files[sweep.RESULTS_FILE] = json.dumps(results).encode()
    return PointOutcome(point.index, point.key, status, 0.5, record["error"], notebook, results, files)


def test_install_puts_complete_points_in_points_and_failures_in_failed(tmp_path: Path) -> None:
    point = toy_plan({"x": ["1"]}).points[0]
    failed = sweep.install_outcome(tmp_path, point, outcome_for(point, "failed"))
    assert failed == tmp_path / "failed" / point.folder
    assert sweep.completed_points(tmp_path) == {}
    done = sweep.install_outcome(tmp_path, point, outcome_for(point))
    assert done == tmp_path / "points" / point.folder
    assert sorted(p.name for p in done.iterdir()) == ["01_toy.ipynb", "point.json", "results.json"]
    assert not failed.exists()  # the earlier failed attempt is gone once the point succeeds
    assert sweep.completed_points(tmp_path) == {point.key: done}
    assert list((tmp_path / ".partial").iterdir()) == []


def test_only_folders_with_a_good_point_json_and_notebook_count_as_complete(tmp_path: Path) -> None:
    plan = toy_plan({"x": ["1", "2", "3"]})
    for point in plan.points:
        sweep.install_outcome(tmp_path, point, outcome_for(point))
    first, second, third = (tmp_path / "points" / p.folder for p in plan.points)
    (second / "01_toy.ipynb").unlink()
    (third / "point.json").write_text("{not json")
    assert sweep.completed_points(tmp_path) == {plan.points[0].key: first}


def test_out_dir_checks_refuse_files_runs_and_unwritable_places(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SweepUsageError, match=r"cannot create out dir .*/file/sub: .*/file is a file"):
        folders.check_out_dir(tmp_path / "file" / "sub", kind="sweep")
    with pytest.raises(SweepUsageError, match=r"is a file, not a folder"):
        folders.check_out_dir(tmp_path / "file", kind="sweep")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    with pytest.raises(SweepUsageError, match=r"holds a workbook run \(run\.json\), not a sweep"):
        folders.check_out_dir(tmp_path / "run", kind="sweep")
    assert folders.check_out_dir(tmp_path / "new" / "sweep", kind="sweep") == tmp_path / "new" / "sweep"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_the_default_sweep_folder_is_made_by_mkdir_and_never_shared(store, fake_pool, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(folders, "RUNS_DIR", tmp_path / "runs")
    first = sweep.run_sweep(toy_plan({"x": ["1"]}))
    second = sweep.run_sweep(toy_plan({"x": ["1"]}))
    assert first.out_dir.parent == second.out_dir.parent == tmp_path / "runs" and first.out_dir != second.out_dir
    assert first.out_dir.name.startswith("sweep-01_toy-")


def test_a_second_sweep_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    with sweep.sweep_lock(tmp_path), pytest.raises(SweepError, match=r"is in use by another sweep"), \
            sweep.sweep_lock(tmp_path):
        pass


def test_executor_options_are_checked_together() -> None:
    sweep.check_executor_options("dask", 1, "tcp://h:8786")
    for args, message in [(("slurm", 1, None), "--executor must be local or dask"),
                          (("local", 0, None), "--workers must be a whole number >= 1, got 0"),
                          (("dask", 1, None), "--executor dask needs --scheduler ADDRESS"),
                          (("local", 1, "tcp://h:1"), "--scheduler is for --executor dask")]:
        with pytest.raises(SweepUsageError, match=message):
            sweep.check_executor_options(*args)


# --- MLflow: one parent, one child per point, never twice -------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, new_store):
    """A fresh temporary store (a copy of the session's empty one), active in this process."""
    tracking.forget_tracking_state()
    uri = f"sqlite:///{new_store(tmp_path / 'mlflow.db')}"
    tracking.setup_tracking("exp", uri)
    yield uri
    tracking.forget_tracking_state()


def runs_of(uri: str, experiment: str = "sweeps") -> list:
    client = MlflowClient(uri)
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def test_child_logging_is_idempotent_and_replaces_unfinished_leftovers(store: str) -> None:
    plan = toy_plan({"x": ["1", "2"]})
    tracker = sweep.SweepTracker("sweeps", "k" * 32, "01_toy", store)
    parent = tracker.start(plan)
    first = tracker.ensure_child(plan.points[0], {"score": 2.0, "label": "x"}, 1.5, "points/a")
    assert tracker.ensure_child(plan.points[0], {"score": 2.0}, 1.5, "points/a") == first
    leftover = tracker.client.create_run(tracker.experiment_id, tags={
        sweep.PARENT_TAG: parent, sweep.POINT_TAG: plan.points[1].key, sweep.ROLE_TAG: "point",
        sweep.SWEEP_TAG: "k" * 32}).info.run_id  # a sweep killed while logging: RUNNING forever
    second = tracker.ensure_child(plan.points[1], {"score": 1.0}, 1.0, "points/b")
    assert second != leftover
    children = [r for r in runs_of(store) if r.data.tags.get(sweep.ROLE_TAG) == "point"]
    assert sorted(r.info.run_id for r in children) == sorted([first, second])
    assert {r.info.status for r in children} == {"FINISHED"}
    run = tracker.client.get_run(first)
    assert run.data.metrics == {"score": 2.0, "seconds": 1.5}
    assert run.data.params == {"x": "1.0"}
    assert run.data.tags[sweep.PARENT_TAG] == parent


def test_a_points_run_logs_the_notebooks_defaults_of_that_day_beside_its_own_values(store: str) -> None:
    """diff reads a point's run without the notebook: its parameters must all be in the run."""
    plan = toy_plan({"x": ["1", "2"]}, {"mode": "squared"})
    defaults = sweep.effective_parameters(plan.notebook, {})
    assert defaults["y"] == 0 and defaults["mode"] == "plain" and "results_path" not in defaults
    tracker = sweep.SweepTracker("sweeps", "d" * 32, "01_toy", store, defaults=defaults)
    tracker.start(plan)
    run = tracker.client.get_run(tracker.ensure_child(plan.points[1], {"score": 1.0}, 1.0, "points/b"))
    assert run.data.params == {"x": "2.0", "y": "0", "mode": "squared", "fail": "false", "sleep_s": "0.0",
                               "log_run": "false"}
    assert run.data.tags["workbook.params_logged"] == "all"  # diff then reads them as logged


def test_the_parent_run_is_found_again_and_leftovers_of_points_to_rerun_are_deleted(store: str) -> None:
    import mlflow

    plan = toy_plan({"x": ["1", "2"]})
    tracker = sweep.SweepTracker("sweeps", "s" * 32, "01_toy", store)
    parent = tracker.start(plan)
    tracker.finish("KILLED", {"points_ok": 1})
    tracking.setup_tracking("notebook-exp", store)  # a point's notebook logs to its own experiment
    with mlflow.start_run(tags={sweep.SWEEP_TAG: "s" * 32, sweep.POINT_TAG: plan.points[1].key}):
        pass
    again = sweep.SweepTracker("sweeps", "s" * 32, "01_toy", store)
    assert again.start(plan) == parent
    assert again.client.get_run(parent).info.status == "RUNNING"
    assert again.forget_points({plan.points[1].key}) == 1
    assert runs_of(store, "notebook-exp") == []
    assert len(runs_of(store)) == 1  # the parent only


def test_an_unreachable_tracking_server_is_a_one_line_sweep_error() -> None:
    tracking.forget_tracking_state()
    with pytest.raises(SweepError, match=r"^tracking server http://127\.0\.0\.1:9 did not answer"):
        sweep.SweepTracker("sweeps", "k", "01_toy", "http://127.0.0.1:9")


# --- a whole sweep with a fake executor: resume, failures, summary ----------------------------------------


@pytest.fixture
def fake_pool(monkeypatch):
    """Replace the process pool: 'run' each point here, scoring |x - 3|; x = 9 fails; record what ran."""
    ran: list[int] = []

    def run_local(tasks, workers, on_outcome, stop_after=None):
        for task in tasks:
            point = sweep.Point(task.index, task.params, {}, task.key)
            ran.append(task.index)
            x = task.params["x"]
            on_outcome(outcome_for(point, "failed" if x == 9 else "ok", abs(x - 3)))
        return False

    monkeypatch.setitem(executors.RUNNERS, Executor.LOCAL, run_local)
    return ran


def test_a_sweep_records_points_logs_children_and_writes_the_summary(store, fake_pool, tmp_path) -> None:
    plan = toy_plan({"x": ["1", "4", "9"]}, goal="min")
    result = sweep.run_sweep(plan, tmp_path / "out", experiment="sweeps")
    assert fake_pool == [1, 2, 3]
    assert [r.status for r in result.reports] == ["ok", "ok", "failed"]
    assert result.exit_code == 1 and result.metric == "score" and result.metric_is_default
    frame = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(frame["status"]) == ["ok", "ok", "failed"]
    assert list(frame["metrics.score"].fillna(-1)) == [2.0, 1.0, -1]
    assert frame["notebook"][2] == f"failed/{plan.points[2].folder}/01_toy.FAILED.ipynb"
    assert sweep_report.best_value(result) == 1.0
    runs = runs_of(store)
    assert sorted(r.data.tags[sweep.ROLE_TAG] for r in runs) == ["point", "point", "sweep"]
    parent = next(r for r in runs if r.data.tags[sweep.ROLE_TAG] == "sweep")
    assert parent.info.status == "FAILED" and parent.data.metrics["best_score"] == 1.0
    assert parent.data.tags["workbook.ranked_by"] == "score (min)"  # what best_score follows
    recorded = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert recorded["grid"] == {"x": [1.0, 4.0, 9.0]} and len(recorded["points"]) == 3


def test_rerunning_into_the_same_folder_runs_only_missing_points_and_logs_nothing_twice(
    store, fake_pool, tmp_path
) -> None:
    out = tmp_path / "out"
    sweep.run_sweep(toy_plan({"x": ["1", "4"]}), out)
    fake_pool.clear()
    result = sweep.run_sweep(toy_plan({"x": ["1", "4", "5", "9"]}), out)  # two more points, same folder
    assert fake_pool == [3, 4]
    assert [r.resumed for r in result.reports] == [True, True, False, False]
    fake_pool.clear()
    again = sweep.run_sweep(toy_plan({"x": ["1", "4", "5", "9"]}), out)
    assert fake_pool == [4]  # only the failed point runs again
    assert [r.status for r in again.reports] == ["ok", "ok", "ok", "failed"]
    runs = runs_of(store)
    assert len([r for r in runs if r.data.tags[sweep.ROLE_TAG] == "sweep"]) == 1
    children = [r.data.tags[sweep.POINT_TAG] for r in runs if r.data.tags[sweep.ROLE_TAG] == "point"]
    assert len(children) == len(set(children)) == 3


def test_sweep_json_names_the_folders_resumed_points_are_in(store, fake_pool, tmp_path) -> None:
    """The same grid in another order: resumed points keep their folders, and sweep.json points at them."""
    out = tmp_path / "out"
    sweep.run_sweep(toy_plan({"x": ["1", "4"]}), out)
    sweep.run_sweep(toy_plan({"x": ["4", "1"]}), out)
    recorded = json.loads((out / "sweep.json").read_text())["points"]
    assert all((out / "points" / point["folder"]).is_dir() for point in recorded)
    assert [point["folder"][:3] for point in recorded] == ["002", "001"]  # their first indexes, not the new ones


def test_a_rerun_after_the_notebooks_code_changed_is_refused_not_answered_with_old_points(
    store, fake_pool, tmp_path
) -> None:
    """A point's key covers parameters and data, not code: old results must not pass for the edited notebook's."""
    copy = tmp_path / "nb" / TOY.name
    copy.parent.mkdir()
    copy.write_text(TOY.read_text())
    out = tmp_path / "out"
    plan = lambda: sweep.plan_sweep(SweepRequest(str(copy), {"x": ["1", "4"]}, {}))  # noqa: E731
    sweep.run_sweep(plan(), out)
    notebook = nbformat.read(copy, as_version=4)
    notebook.cells[-1].outputs = [nbformat.v4.new_output("stream", text="an output is not code\n")]
    nbformat.write(notebook, copy)
    fake_pool.clear()
    assert [r.resumed for r in sweep.run_sweep(plan(), out).reports] == [True, True]  # outputs changed only
    notebook.cells[-1].source += "\n# a learner's edit"
    nbformat.write(notebook, copy)
    with pytest.raises(SweepUsageError, match="the notebook has changed since .* another --out"):
        sweep.run_sweep(plan(), out)
    assert fake_pool == []  # nothing ran


def test_an_interrupted_sweep_writes_no_summary_and_is_finished_by_a_rerun(store, monkeypatch, tmp_path) -> None:
    def interrupted_after_one(tasks, workers, on_outcome):
        task = tasks[0]
        on_outcome(outcome_for(sweep.Point(task.index, task.params, {}, task.key)))
        return True

    monkeypatch.setitem(executors.RUNNERS, Executor.LOCAL, interrupted_after_one)
    out = tmp_path / "out"
    result = sweep.run_sweep(toy_plan({"x": ["1", "2", "4"]}), out)
    assert result.interrupted and result.exit_code == 130
    assert not (out / "summary.csv").exists() and not (out / ".partial").exists()
    assert len(sweep.completed_points(out)) == 1
    parent = next(r for r in runs_of(store) if r.data.tags[sweep.ROLE_TAG] == "sweep")
    assert parent.info.status == "KILLED"


def test_a_folder_holding_another_notebooks_sweep_is_refused(store, fake_pool, tmp_path) -> None:
    out = tmp_path / "out"
    sweep.run_sweep(toy_plan({"x": ["1"]}), out)
    wine = sweep.plan_sweep(SweepRequest(str(FIXTURES / "02_wine.ipynb"), {"alpha": ["0.1"]}))
    with pytest.raises(SweepUsageError, match=r"holds a sweep of 01_toy, not 02_wine; choose another --out"):
        sweep.run_sweep(wine, out)


@pytest.mark.parametrize("experiment", ["", "  "])
def test_an_empty_experiment_name_is_a_usage_error_naming_the_option(experiment, tmp_path) -> None:
    with pytest.raises(SweepUsageError, match=r"--experiment must name an MLflow experiment"):
        sweep.run_sweep(toy_plan({"x": ["1"]}), tmp_path / "out", experiment=experiment)
    assert not (tmp_path / "out").exists()


# --- the summary ------------------------------------------------------------------------------------------


def reports_for(plan: sweep.SweepPlan, scores: list[float | None]) -> list[sweep.PointReport]:
    return [
        sweep.PointReport(p, "ok" if s is not None else "failed", 1.0, None if s is not None else "boom",
                          {"score": s, "note": "n"} if s is not None else {}, f"points/{p.folder}",
                          f"points/{p.folder}/01_toy.ipynb")
        for p, s in zip(plan.points, scores)
    ]


def test_summary_frame_has_one_row_per_point_with_params_and_results() -> None:
    plan = toy_plan({"x": ["1", "2", "3"]}, {"mode": "squared"})
    frame = sweep_report.summary_frame(reports_for(plan, [4.0, None, 0.0]), plan)
    assert list(frame.columns) == ["point", "key", "status", "params.x", "params.mode", "metrics.score",
                                   "results.note", "seconds", "notebook", "error"]
    assert list(frame["params.x"]) == [1.0, 2.0, 3.0] and set(frame["params.mode"]) == {"squared"}
    assert frame["metrics.score"].isna().tolist() == [False, True, False]
    assert frame["results.note"].fillna("").tolist() == ["n", "", "n"]  # text results too: which model won where


def test_text_and_flag_results_are_columns_and_lists_are_not() -> None:
    plan = toy_plan({"x": ["1", "2"]})
    reports = [sweep.PointReport(p, "ok", 1.0, None, {"best_model": f"model-{p.index}", "passed": p.index == 1,
                                                       "params": {"depth": 3}, "mae": 10.0 * p.index},
                                 f"points/{p.folder}", None) for p in plan.points]
    frame = sweep_report.summary_frame(reports, plan)
    assert frame["results.best_model"].tolist() == ["model-1", "model-2"]
    assert frame["results.passed"].tolist() == [True, False]
    assert "results.params" not in frame.columns and frame["metrics.mae"].tolist() == [10.0, 20.0]
    assert sweep_report.choose_metric(frame, None) == ("mae", True)  # a text result never ranks the points


def test_the_default_metric_is_the_first_result_the_notebook_recorded_not_the_first_alphabetically(
        tmp_path: Path) -> None:
    """07 records wine_rmse, then wine_mae: its sweeps rank by RMSE unless --metric says otherwise."""
    plan = toy_plan({"x": ["1", "2"]})
    records = []
    for point in plan.points:
        path = tmp_path / f"{point.index}.json"
        save_results(path, wine_rmse=0.6 + point.index, wine_mae=0.5 - point.index)
        records.append(json.loads(path.read_text()))  # as the sweep reads a point's results file back
    reports = [sweep.PointReport(p, "ok", 1.0, None, results, f"points/{p.folder}", None)
               for p, results in zip(plan.points, records, strict=True)]
    frame = sweep_report.summary_frame(reports, plan)
    assert sweep_report.choose_metric(frame, None) == ("wine_rmse", True)
    assert list(sweep_report.best_points(frame, "wine_rmse", "min")["point"]) == [1, 2]


def test_whole_number_results_stay_whole_in_summary_csv_and_still_rank_and_plot(tmp_path: Path) -> None:
    plan = toy_plan({"x": ["1", "2"], "mode": ["plain", "squared"]})
    counts = [1000, None, 998, 1003]  # rows_raw-like counts; the second point failed
    reports = [sweep.PointReport(p, "ok" if n is not None else "failed", 1.0, None if n is not None else "boom",
                                 {"rows": n, "share": 0.5} if n is not None else {}, f"points/{p.folder}", None)
               for p, n in zip(plan.points, counts)]
    result = sweep.SweepResult(tmp_path, plan, reports)
    sweep_report.write_summary(result)
    text = (tmp_path / "summary.csv").read_text()
    assert ",1000,0.5," in text and "1000.0" not in text and ",998," in text
    assert sweep_report.choose_metric(result.frame, None) == ("rows", True)
    assert list(sweep_report.best_points(result.frame, "rows", "min")["point"]) == [3, 1, 4]
    assert (tmp_path / "summary.png").is_file() and "heat map" in (tmp_path / "summary.html").read_text()


def test_best_points_follow_the_goal_and_skip_failures() -> None:
    plan = toy_plan({"x": ["1", "2", "3", "4"]})
    frame = sweep_report.summary_frame(reports_for(plan, [4.0, None, 0.5, 0.5]), plan)
    assert list(sweep_report.best_points(frame, "score", "min")["point"]) == [3, 4, 1]  # ties keep grid order
    assert list(sweep_report.best_points(frame, "score", "max", 1)["point"]) == [1]
    assert sweep_report.best_points(frame, "rmse", "min").empty
    assert sweep_report.choose_metric(frame, None) == ("score", True)
    assert sweep_report.choose_metric(frame, "rmse") == ("rmse", False)


def test_summary_html_shows_the_best_points_and_one_plot_per_grid_parameter(tmp_path: Path) -> None:
    plan = toy_plan({"x": ["1", "2"], "mode": ["plain", "squared"]})
    result = sweep.SweepResult(tmp_path, plan, reports_for(plan, [3.0, 1.0, None, 2.0]))
    sweep_report.write_summary(result)
    page = (tmp_path / "summary.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3  # the heat map of the two, then one per parameter
    assert "<h2>score over the grid: heat map</h2>" in page
    assert "best point (framed in red): x=1.0, mode=squared" in page
    assert (tmp_path / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ranked by score (min; the first numeric result, set --metric to choose)" in page
    best_table = page.split("<h2>Best points</h2>")[1].split("</table>")[0]
    assert best_table.index(plan.points[1].key8) < best_table.index(plan.points[3].key8)
    assert plan.points[2].key8 not in best_table  # the failed point is not among the best
    table = sweep_report.summary_table(result)
    assert table.splitlines()[0].split() == ["point", "key", "status", "x", "mode", "score", "seconds"]


def test_summary_html_escapes_what_a_point_reports(tmp_path: Path) -> None:
    plan = toy_plan({"x": ["1", "2"]})
    reports = reports_for(plan, [3.0, None])
    reports[1].error = "<script>alert(1)</script>"
    page = sweep_report.summary_html(sweep.SweepResult(tmp_path, plan, reports))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
