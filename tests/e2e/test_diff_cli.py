"""End-to-end: `workbook diff` as a subprocess, on real run folders, sweep points and MLflow runs.

The runs come from the light wine fixture (the talk's ElasticNet, a second a fit): two runs that differ in
alpha, a run of another notebook, and two versions of a two-point sweep logging to a store in tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from workbook.run import run_notebooks

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sweep_notebooks"


def workbook(*args: str | Path, store: Path, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start `workbook ARGS` logging to the SQLite store `store`."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store}"}
    return subprocess.Popen([sys.executable, "-m", "workbook.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, new_store) -> dict[str, Path]:
    """Two wine runs (alpha 0.5 and 0.3), a run of the toy notebook and a wine sweep over alpha 0.3 and 0.5.

    The sweeps log to MLflow, so they are `workbook sweep` processes (two at once) on an empty store in tmp_path,
    copied (making one, two processes racing included, is tested in test_tracking.py). The runs touch no MLflow:
    they are executed here meanwhile by the function `workbook run` calls, which writes the same run folder; a
    process each would only add its start-up (the `run` command itself is tested in test_cli.py).
    """
    base = tmp_path_factory.mktemp("diff")
    store = new_store(base / "mlflow.db")
    started = [
        workbook("sweep", FIXTURES / "02_wine.ipynb", "--grid", "alpha=0.3,0.5", "--workers", "1",
                 "--out", base / "sweep", "--no-progress", store=store),
        # The same grid with another l1_ratio fixed: a second version of the sweep to compare point by point.
        workbook("sweep", FIXTURES / "02_wine.ipynb", "--grid", "alpha=0.5,0.3", "-p", "l1_ratio", "0.7",
                 "--workers", "1", "--out", base / "sweep2", "--no-progress", store=store),
    ]
    for name, notebook, params in (("toy", "01", {}), ("a", "02", {}), ("b", "02", {"alpha": "0.3"})):
        result = run_notebooks([notebook], params=params, out_dir=base / name, notebooks_dir=FIXTURES,
                               progress=False)
        assert result.ok, result.error
    for process in started:
        done = finish(process)
        assert done.returncode == 0, done.stderr
    return {"base": base, "store": store, "a": base / "a", "b": base / "b", "toy": base / "toy",
            "sweep": base / "sweep", "sweep2": base / "sweep2",
            "point": next((base / "sweep" / "points").glob("001-*"))}


def diff(*args: str | Path, runs: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    return finish(workbook("diff", *args, store=runs["store"], cwd=runs["base"]))


def table_rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    """The printed table's rows by (section, field): the remaining cells split on spaces."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) >= 3 and cells[0] in ("run", "params", "results", "data", "source", "packages", "duration"):
            rows[(cells[0], cells[1])] = cells[2:]
    return rows


def test_two_runs_show_the_changed_parameter_and_the_results_it_moved(runs) -> None:
    done = diff("a", "b", runs=runs)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("A: run folder a\nB: run folder b\n")
    rows = table_rows(done.stdout)
    assert rows[("params", "alpha")] == ["0.5", "0.3", "-0.2", "(-40.0%)"]
    assert rows[("results", "rmse")] == ["0.7932", "0.7574", "-0.0358", "(-4.5%)"]  # the talk's, then alpha 0.3
    assert ("results", "mae") in rows and ("results", "r2") in rows
    assert not any(section in ("packages", "source", "data") for section, _ in rows)  # equal: not shown
    page = runs["b"] / "diff-a.html"
    assert done.stdout.rstrip().endswith(f"html: {page}") and "0.7932" in page.read_text()


def test_all_shows_the_equal_fields_too(runs) -> None:
    done = diff("a", "b", "--all", "--html", runs["base"] / "all.html", runs=runs)
    rows = table_rows(done.stdout)
    assert rows[("packages", "scikit-learn")][0] == rows[("packages", "scikit-learn")][1]
    assert ("source", "notebook_sha256") in rows and ("data", "wine_csv") in rows
    seconds = [json.loads((runs[side] / "run.json").read_text())["notebooks"][0]["seconds"] for side in "ab"]
    assert [float(cell) for cell in rows[("duration", "seconds")][:2]] == seconds
    assert (runs["base"] / "all.html").is_file()


def test_a_sweep_point_and_its_mlflow_child_run_compare_with_a_run(runs) -> None:
    point = json.loads((runs["point"] / "point.json").read_text())
    assert point["params"] == {"alpha": 0.3}
    same = table_rows(diff("b", runs["point"], runs=runs).stdout)
    assert ("params", "alpha") not in same and ("results", "rmse") not in same  # b ran alpha 0.3 too
    client = MlflowClient(f"sqlite:///{runs['store']}")
    child = client.search_runs([e.experiment_id for e in client.search_experiments()],
                               f"tags.`workbook.point_key` = '{point['key']}'")[0]
    assert child.data.params == {"alpha": "0.3", "l1_ratio": "0.5", "wine_csv": "null"}  # the defaults of that day
    done = diff(child.info.run_id, "a", runs=runs)
    assert done.returncode == 0, done.stderr
    rows = table_rows(done.stdout)
    assert rows[("results", "rmse")][:2] == ["0.7574", "0.7932"]
    assert set(rows) & {("params", "l1_ratio"), ("params", "wine_csv")} == set()  # equal on both sides
    # The child's duration is the point's run time (not the milliseconds its record took to log), not a result.
    rows = table_rows(diff(child.info.run_id, runs["point"], "--all", runs=runs).stdout)
    assert ("results", "seconds") not in rows
    assert float(rows[("duration", "seconds")][0]) == float(rows[("duration", "seconds")][1]) == point["seconds"]


def test_a_sweep_points_own_run_stands_for_its_record(runs) -> None:
    """The run id a user copies from the notebook's experiment (07 logs to `wine`, tagged with its point)."""
    point = json.loads((runs["point"] / "point.json").read_text())
    client = MlflowClient(f"sqlite:///{runs['store']}")
    experiment = client.create_experiment("points-own-runs")
    own = client.create_run(experiment, run_name="elasticnet", tags={"workbook.sweep_key": point["sweep_key"],
                                                                    "workbook.point_key": point["key"]})
    client.log_metric(own.info.run_id, "rmse_under_another_name", 1.0)
    done = diff(own.info.run_id, "a", runs=runs)
    assert done.returncode == 0, done.stderr
    rows = table_rows(done.stdout)
    assert rows[("results", "rmse")][:2] == ["0.7574", "0.7932"]  # the point's results, by the notebook's names
    assert ("results", "rmse_under_another_name") not in rows


def test_two_sweeps_compare_point_by_point(runs) -> None:
    done = diff("sweep", "sweep2", runs=runs)
    assert done.returncode == 0, done.stderr
    rows = table_rows(done.stdout)
    assert rows[("params", "l1_ratio")][:2] == ["0.5", "0.7"]
    results = {" ".join(line.split()[1:3]): line.split()[3:] for line in done.stdout.splitlines()
               if line.startswith("results ")}
    assert results["alpha=0.3: rmse"][:2] == ["0.7574", "0.7747"]  # points pair up by grid value, not position
    assert results["alpha=0.5: rmse"][:2] == ["0.7932", "0.8296"]
    assert (runs["sweep2"] / "diff-sweep.html").is_file()


@pytest.mark.parametrize(("args", "expected"), [
    (("a", "nowhere"), "error: nowhere: no such folder, and not an MLflow run id (32 hex characters)"),
    (("a", "."), "error: . is not a run: no run.json, point.json or sweep.json in it"),
    (("a", "toy"), "error: a ran 02_wine and toy ran 01_toy: runs of different notebooks do not compare"),
    (("a", "sweep"), "error: a is a run folder and sweep a sweep; compare a sweep with a sweep"),
    (("a", "0" * 32), f"error: {'0' * 32}: no MLflow run with this id in sqlite:///"),
])
def test_bad_input_ends_in_one_line_and_status_2(runs, args, expected: str) -> None:
    done = diff(*args, runs=runs)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(expected), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
