"""`workbook.diff`: reading run folders, points, sweeps and MLflow runs, and comparing them, on hand-made folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbook import diff, diff_report, provenance
from workbook.diff import NOT_RECORDED, DiffInputError, Row

PARAMETERS_CELL = 'alpha = 0.5  # penalty\nl1_ratio = 0.5  # share\nwine_csv = None  # data\nresults_path = None\n'


def notebook(path: Path, source: str = "x = 1", injected: str | None = None) -> Path:
    """A minimal executed notebook: a parameters cell (the defaults), optionally papermill's injected cell."""
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": PARAMETERS_CELL, "outputs": []}]
    if injected:
        cells.append({"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": injected,
                      "outputs": []})
    cells.append({"cell_type": "code", "metadata": {}, "source": source, "outputs": [{"text": "out"}]})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def run_folder(path: Path, params: dict[str, Any], results: dict[str, Any], stem: str = "02_wine",
               seconds: float = 3.0, data: Any = None, packages: dict[str, str] | None = None) -> Path:
    """A folder as `workbook run` leaves it, for one notebook."""
    notebook(path / f"{stem}.ipynb")
    (path / f"{stem}.results.json").write_text(json.dumps(results))
    record = {"status": "ok", "notebooks": [{"name": stem, "status": "ok", "seconds": seconds,
                                             "output": f"{stem}.ipynb", "error": None}],
              "parameters": {stem: {**params, "output_dir": str(path)}},
              "packages": packages or {"python": "3.11.7", "scikit-learn": "1.9.1"},
              "provenance": {stem: {"data": {"wine_csv": data}, "source": {"notebook_sha256": "sha256:aa"}}}}
    (path / "run.json").write_text(json.dumps(record))
    return path


def point_folder(path: Path, grid: dict[str, Any], results: dict[str, Any], stem: str = "02_wine") -> Path:
    """A complete sweep point as the sweep installs it."""
    notebook(path / f"{stem}.ipynb")
    record = {"notebook_stem": stem, "params": grid, "grid_values": grid, "data": {"wine_csv": None},
              "status": "ok", "seconds": 2.0, "notebook": f"{stem}.ipynb", "results": results,
              "source": {"notebook_sha256": "sha256:aa"}, "packages": {"python": "3.11.7", "scikit-learn": "1.9.1"}}
    (path / "point.json").write_text(json.dumps(record))
    return path


def sweep_folder(path: Path, points: list[tuple[dict[str, Any], dict[str, Any]]], sha: str = "sha256:aa") -> Path:
    """A sweep folder with its sweep.json and one folder per complete point."""
    for index, (grid, results) in enumerate(points, 1):
        point_folder(path / "points" / f"{index:03d}-0000000{index}", grid, results)
    grid_names = {name: sorted({grid[name] for grid, _ in points}) for name in points[0][0]}
    (path / "sweep.json").write_text(json.dumps({"notebook": "02_wine", "sweep_key": "k", "grid": grid_names,
                                                 "fixed": {}, "source": {"notebook_sha256": sha}}))
    return path


def shown(result: diff.Diff) -> dict[tuple[str, str], Row]:
    return {(row.section, row.name): row for row in result.differing}


# --- run folders ---------------------------------------------------------------------------------------------


def test_two_runs_show_only_what_differs_with_b_minus_a(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {}, {"rmse": 0.7932, "r2": 0.1086})
    b = run_folder(tmp_path / "b", {"alpha": 0.3}, {"rmse": 0.7574, "r2": 0.1086}, seconds=2.0)
    result = diff.diff_runs(str(a), str(b))
    rows = shown(result)
    assert set(rows) == {("params", "alpha"), ("results", "rmse"), ("duration", "seconds")}
    assert rows[("params", "alpha")].a == 0.5  # the default from the executed notebook's parameters cell
    assert rows[("results", "rmse")].delta == pytest.approx(-0.0358)
    assert rows[("results", "rmse")].relative == pytest.approx(-0.0358 / 0.7932)
    assert ("params", "output_dir") not in {(r.section, r.name) for r in result.rows}  # the runner's, not a choice


def test_a_default_spelt_out_is_not_a_difference(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {"alpha": 0.5, "l1_ratio": 0.5}, {"rmse": 0.79})
    b = run_folder(tmp_path / "b", {}, {"rmse": 0.79}, seconds=3.0)
    assert diff.diff_runs(str(a), str(b)).differing == []


def test_data_packages_and_source_differences_are_named(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {}, {"rmse": 0.79}, data=None)
    b = run_folder(tmp_path / "b", {}, {"rmse": 0.79}, data="sha256:ff",
                   packages={"python": "3.11.7", "scikit-learn": "1.10.0"})
    rows = shown(diff.diff_runs(str(a), str(b)))
    assert rows[("data", "wine_csv")].b == "sha256:ff"
    assert (rows[("packages", "scikit-learn")].a, rows[("packages", "scikit-learn")].b) == ("1.9.1", "1.10.0")


def test_runs_of_several_notebooks_compare_each_or_the_chosen_one(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {}, {"rmse": 0.79})
    b = run_folder(tmp_path / "b", {}, {"rmse": 0.70}, stem="05_mlflow_tracking")
    with pytest.raises(DiffInputError, match="ran 02_wine and .* ran 05_mlflow_tracking: runs of different notebooks"):
        diff.diff_runs(str(a), str(b))
    with pytest.raises(DiffInputError, match="--notebook 05: expected one notebook both sides ran"):
        diff.diff_runs(str(a), str(b), notebook="05")


# --- bad input: one line naming the argument ----------------------------------------------------------------


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "no such folder, and not an MLflow run id"),
    (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "is a file; expected a run folder"),
    (lambda p: p, "is not a run: no run.json, point.json or sweep.json"),
])
def test_what_is_not_a_run_is_refused_naming_it(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(DiffInputError, match=message) as caught:
        diff.load_side(str(make(tmp_path)))
    assert "\n" not in str(caught.value)


def test_an_unreadable_record_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{half")
    with pytest.raises(DiffInputError, match="cannot read run.json"):
        diff.load_side(str(tmp_path))


def test_a_sweep_compares_only_with_a_sweep(tmp_path: Path) -> None:
    run = run_folder(tmp_path / "run", {}, {"rmse": 0.79})
    sweep = sweep_folder(tmp_path / "sweep", [({"alpha": 0.3}, {"rmse": 0.75})])
    with pytest.raises(DiffInputError, match="compare a sweep with a sweep"):
        diff.diff_runs(str(run), str(sweep))


# --- points and sweeps --------------------------------------------------------------------------------------


def test_a_point_compares_with_a_run_of_the_same_notebook(tmp_path: Path) -> None:
    run = run_folder(tmp_path / "run", {}, {"rmse": 0.7932}, seconds=2.0)
    point = point_folder(tmp_path / "points" / "001-00000001", {"alpha": 0.3}, {"rmse": 0.7574})
    rows = shown(diff.diff_runs(str(run), str(point)))
    assert set(rows) == {("params", "alpha"), ("results", "rmse")}


def test_two_sweeps_pair_their_points_by_grid_values(tmp_path: Path) -> None:
    a = sweep_folder(tmp_path / "a", [({"alpha": 0.3}, {"rmse": 0.75}), ({"alpha": 0.5}, {"rmse": 0.79})])
    b = sweep_folder(tmp_path / "b", [({"alpha": 0.5}, {"rmse": 0.80}), ({"alpha": 0.3}, {"rmse": 0.75})],
                     sha="sha256:bb")
    rows = shown(diff.diff_runs(str(a), str(b)))
    assert set(rows) == {("results", "alpha=0.5: rmse"), ("source", "notebook_sha256")}
    assert rows[("results", "alpha=0.5: rmse")].delta == pytest.approx(0.01)


# --- rows, table, page --------------------------------------------------------------------------------------


def test_numbers_compare_by_value_and_booleans_by_type() -> None:
    assert Row("results", "n", 1, 1.0).equal
    assert not Row("results", "flag", True, 1).equal
    assert Row("results", "flag", True, 1).delta is None
    assert Row("results", "x", 0, 2).relative is None and Row("results", "x", 0, 2).delta == 2


def test_a_section_one_side_never_records_is_hidden_unless_all(tmp_path: Path) -> None:
    a = diff.Side("MLflow run", "abc", {"02_wine": {("results", "rmse"): 0.7}})
    b = diff.Side("sweep point", "p", {"02_wine": {("results", "rmse"): 0.7, ("packages", "numpy"): "2.4"}})
    result = diff.compare(a, b)
    assert result.differing == [] and result.rows[-1].a is NOT_RECORDED and result.rows[-1].unrecorded
    table = diff_report.diff_table(result)
    assert table == ("no differences in 2 fields (1 equal field and 1 only one side records not shown; "
                     "--all shows them)")
    assert "numpy" in diff_report.diff_table(result, show_all=True)


def test_the_table_and_page_show_values_and_deltas_escaped(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {}, {"rmse": 0.7932, "note": "<b>"})
    b = run_folder(tmp_path / "b", {}, {"rmse": 0.7574, "note": "<i>"})
    result = diff.diff_runs(str(a), str(b))
    lines = diff_report.diff_table(result).splitlines()
    assert lines[0].split() == ["section", "field", "A", "B", "B", "−", "A"]
    assert any(line.split() == ["results", "rmse", "0.7932", "0.7574", "-0.0358", "(-4.5%)"] for line in lines)
    assert lines[-1].startswith("(") and "equal fields" in lines[-1]
    page = diff_report.diff_html(result)
    assert "&lt;b&gt;" in page and "<b>" not in page.split("<body>")[1].replace("<br>", "")
    target = diff_report.default_html_path(result)
    assert target == (tmp_path / "b" / "diff-a.html").resolve()
    assert diff_report.write_html(result, target).read_text() == page


def test_a_long_value_is_cut_in_the_middle_so_its_end_still_tells_it_apart() -> None:
    commit = "f9eda8628cb8" + "0" * 28
    side = lambda value: diff.Side("run folder", "x", {"07": {("source", "git_commit"): value}})  # noqa: E731
    table = diff_report.diff_table(diff.compare(side(commit), side(commit + "+dirty")))
    row = next(line for line in table.splitlines() if line.startswith("source"))
    assert "…" in row and row.split()[3].endswith("+dirty") and row.split()[2].startswith("f9eda8628cb8")


def test_the_page_escapes_a_script_in_a_value(tmp_path: Path) -> None:
    a = run_folder(tmp_path / "a", {}, {"note": "<script>alert(1)</script>"})
    b = run_folder(tmp_path / "b", {}, {"note": "plain"})
    page = diff_report.diff_html(diff.diff_runs(str(a), str(b)))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_html_path_when_neither_side_is_a_folder() -> None:
    side = diff.Side("MLflow run", "0" * 32, {"x": {}})
    assert diff_report.default_html_path(diff.compare(side, side)) is None


# --- provenance ---------------------------------------------------------------------------------------------


def test_the_source_hash_ignores_outputs_and_injected_parameters(tmp_path: Path) -> None:
    source = json.loads(notebook(tmp_path / "a.ipynb").read_text())
    executed = json.loads(notebook(tmp_path / "b.ipynb", injected="alpha = 0.3").read_text())
    executed["cells"][-1]["outputs"] = [{"text": "something else"}]
    edited = json.loads(notebook(tmp_path / "c.ipynb", source="x = 2").read_text())
    assert provenance.notebook_source_hash(source) == provenance.notebook_source_hash(executed)
    assert provenance.notebook_source_hash(source) != provenance.notebook_source_hash(edited)
    assert {"python", "mlflow", "scikit-learn"} <= set(provenance.package_versions())


# --- MLflow run ids -----------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")
def test_mlflow_runs_are_read_from_the_store_and_unknown_ids_refused(tmp_path: Path, monkeypatch,
                                                                     new_store) -> None:
    from mlflow.tracking import MlflowClient

    from workbook import tracking

    uri = f"sqlite:///{new_store(tmp_path / 'mlflow.db')}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    tracking.ensure_store(uri)
    client = MlflowClient(uri)
    ids = []
    for alpha, rmse in ((0.5, 0.7932), (0.3, 0.7574)):
        run = client.create_run("0", tags={"workbook.notebook": "02_wine", "workbook.data_hash": "h"})
        client.log_param(run.info.run_id, "alpha", str(alpha))
        client.log_metric(run.info.run_id, "rmse", rmse)
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    rows = shown(diff.diff_runs(ids[0], f"runs:/{ids[1]}"))
    assert rows[("params", "alpha")].a == 0.5 and rows[("results", "rmse")].b == 0.7574
    assert diff.load_side(ids[0]).fields["02_wine"][("run", "status")] == "ok"  # FINISHED, in a folder's words
    assert ("data", "data_hash") not in rows  # equal
    with pytest.raises(DiffInputError, match=f"{'0' * 32}: no MLflow run with this id in {uri}"):
        diff.load_side("0" * 32)


@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")
def test_a_point_record_logged_before_sweeps_logged_defaults_gets_todays(tmp_path: Path, monkeypatch,
                                                                          new_store) -> None:
    """Older point runs hold only the grid and fixed values: the notebook's defaults now stand in for the rest.
    A point run tagged as holding every parameter is read as logged."""
    from mlflow.tracking import MlflowClient

    from workbook import tracking
    from workbook.execution import literal_default, read_notebook_info
    from workbook.paths import NOTEBOOKS_DIR

    uri = f"sqlite:///{new_store(tmp_path / 'mlflow.db')}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    tracking.ensure_store(uri)
    client = MlflowClient(uri)
    ids = []
    for tags in ({}, {diff.ALL_PARAMS_TAG: "all"}):
        run = client.create_run("0", tags={"workbook.notebook": "07_batch_runs", diff.ROLE_TAG: "point", **tags})
        client.log_param(run.info.run_id, "alpha", "0.3")
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    default = literal_default(read_notebook_info(NOTEBOOKS_DIR / "07_batch_runs.ipynb").parameters["l1_ratio"])
    rows = shown(diff.diff_runs(ids[0], ids[1]))
    assert rows[("params", "l1_ratio")].a == default and rows[("params", "l1_ratio")].b is diff.NOT_RECORDED
    assert ("params", "alpha") not in rows  # 0.3 on both sides


def test_the_names_diff_spells_itself_are_the_ones_runs_and_sweeps_write():
    """diff reads folders without importing the sweep's code, so it spells these again: they must agree."""
    from workbook.run import folders
    from workbook.sweep import store, tracker

    assert (diff.SWEEP_TAG, diff.POINT_TAG, diff.ROLE_TAG, diff.ALL_PARAMS_TAG) == (
        tracker.SWEEP_TAG, tracker.POINT_TAG, tracker.ROLE_TAG, tracker.ALL_PARAMS_TAG)
    assert (diff.SWEEP_FILE, diff.POINT_FILE) == (store.SWEEP_FILE, store.POINT_FILE) == (folders.SWEEP_RECORD,
                                                                                         store.POINT_FILE)
