"""End-to-end: `workbook run` with parameters: a CSV data file and a drift scenario other than the default.

One run serves every test here: notebooks 02 and 06 on a small CSV. What a kernel adds nothing to is tested on
the library instead: each scenario's alerts on the twin's months (tests/unit/test_monitoring.py) and on a file's
own months (tests/unit/test_journey_months.py), a file with one month refused there too, and a bad data file
stopping a run in the catalogue of bad inputs (test_bad_inputs.py).
Separate from test_workbook_run.py so that a parallel test run can put these beside the long full run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbook.data import make_flights

pytestmark = pytest.mark.e2e
# The smallest twin file 06 can watch with room to spare: its held-out dates (a quarter of the two training
# months') must give the covariate-shift example 100 rows, and 1,200 rows gave it only ~115.
FILE_ROWS = 1_500


def workbook(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "workbook.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, object]:
    """Notebooks 02 and 06 on a CSV the twin wrote with a different seed and size, named relative to the
    directory the command is typed in (the kernel itself runs in notebooks/), with scenario new_category
    (06's default is price_shock): the data file and the scenario both have to reach the kernels."""
    folder = tmp_path_factory.mktemp("csv")
    flights = make_flights(FILE_ROWS, seed=7)
    csv = folder / "flights.csv"
    flights.to_csv(csv, index=False)
    out = folder / "run"
    done = workbook("run", "02", "06", "-p", "data_path", csv.name, "-p", "scenario", "new_category",
                    "--out", out, "--no-progress", cwd=folder)
    return done, out, flights


def test_data_path_reaches_the_notebooks(csv_run) -> None:
    done, out, flights = csv_run
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    eda = results["02_data_and_eda"]
    assert eda["rows_raw"] == len(flights)
    assert eda["rows_after_dropna"] == len(flights.dropna())
    assert eda["airline_counts"] == flights["Airline"].value_counts().to_dict()
    assert eda["duplicate_rows"] == int(flights.duplicated().sum())
    # 06 read the file too: its months, not the twin's July to December.
    assert results["06_monitoring"]["monitored_months"] == ["2019-05", "2019-06"]


def test_a_file_is_monitored_by_its_own_later_months(csv_run) -> None:
    """Issue 13: with data_path, 06 learns the file's first two journey months and watches the later ones
    as they are; the scenario (default onset 3) starts in the file's last month, as the notebook prints."""
    done, out, _ = csv_run
    assert done.returncode == 0, done.stderr[-2000:]
    monitoring = json.loads((out / "results.json").read_text())["06_monitoring"]
    assert monitoring["monitored_months"] == ["2019-05", "2019-06"]
    assert {alert["month"] for alert in monitoring["alerts"]} <= {"2019-05", "2019-06"}
    executed = (out / "06_monitoring.ipynb").read_text()
    assert "trained here on the journeys of 2019-03, 2019-04" in executed
    assert "scenario 'new_category', severity 1.0, from month 2 of 2" in executed


def test_a_scenario_parameter_reaches_06_and_its_alert_reaches_results_json(csv_run) -> None:
    """Issue 4: the scenario is a run parameter. Its alert at onset is in results.json, and not before it
    (which alerts each scenario raises is tested on the library, in tests/unit/)."""
    done, out, _ = csv_run
    assert done.returncode == 0, done.stderr[-2000:]
    monitoring = json.loads((out / "results.json").read_text())["06_monitoring"]
    assert monitoring["scenario"] == "new_category"
    new_airline = {"kind": "unseen_category", "feature_or_metric": "Airline"}
    assert {**new_airline, "month": "2019-06"} in monitoring["alerts"]
    assert {**new_airline, "month": "2019-05"} not in monitoring["alerts"]
