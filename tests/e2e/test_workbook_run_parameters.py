"""End-to-end: `workbook run` with parameters — a CSV data file, a bad file, another drift scenario.

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


def workbook(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "workbook.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, object]:
    """Notebooks 02, 03 and 06 on a CSV the twin wrote with a different seed and size, named relative to the
    directory the command is typed in (the kernel itself runs in notebooks/)."""
    folder = tmp_path_factory.mktemp("csv")
    flights = make_flights(3_000, seed=7)
    csv = folder / "flights.csv"
    flights.to_csv(csv, index=False)
    out = folder / "run"
    done = workbook("run", "02", "03", "06", "-p", "data_path", csv.name, "--out", out, "--no-progress", cwd=folder)
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
    train_rows, width = results["03_encoding"]["seed_train_shape"]
    assert width == 24 and train_rows + results["03_encoding"]["seed_test_shape"][0] == eda["rows_after_filter"]


def test_a_file_is_monitored_by_its_own_later_months(csv_run) -> None:
    """Issue 13: with data_path, 06 learns the file's first two journey months and watches the later ones
    as they are; the default price shock (onset 3) starts in the file's last month, as the notebook prints."""
    done, out, _ = csv_run
    assert done.returncode == 0, done.stderr[-2000:]
    monitoring = json.loads((out / "results.json").read_text())["06_monitoring"]
    assert monitoring["monitored_months"] == ["2019-05", "2019-06"]
    assert {alert["month"] for alert in monitoring["alerts"]} <= {"2019-05", "2019-06"}
    assert {"month": "2019-06", "kind": "model_drift", "feature_or_metric": "MAE"} in monitoring["alerts"]
    executed = (out / "06_monitoring.ipynb").read_text()
    assert "trained here on the journeys of 2019-03, 2019-04" in executed
    assert "scenario 'price_shock', severity 1.0, from month 2 of 2" in executed


def test_a_file_with_one_month_cannot_be_monitored_and_says_why(tmp_path: Path) -> None:
    flights = make_flights(3_000, seed=7)
    march = flights[flights["Date_of_Journey"].str.endswith("/03/2019")]
    march.to_csv(tmp_path / "march.csv", index=False)
    done = workbook("run", "06", "-p", "data_path", tmp_path / "march.csv", "--out", tmp_path / "run",
                    "--no-progress")
    assert done.returncode == 1
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "06_monitoring failed" in error[0] and "DataContractError" in error[0], done.stderr
    assert "journeys span 1 month(s) (2019-03)" in done.stderr


def test_a_bad_data_file_stops_the_run_with_the_contract_message(tmp_path: Path) -> None:
    bad = tmp_path / "flights.csv"
    make_flights(200, seed=1).rename(columns={"Price": "Fare"}).to_csv(bad, index=False)
    out = tmp_path / "run"
    done = workbook("run", "02", "-p", "data_path", bad, "--out", out, "--no-progress")
    assert done.returncode == 1
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "02_data_and_eda failed" in error[0] and "DataContractError" in error[0]
    assert not (out / "results.json").exists()
    assert (out / "02_data_and_eda.FAILED.ipynb").is_file()


def test_every_other_drift_scenario_raises_its_alert_and_none_stays_quiet(tmp_path: Path) -> None:
    """Issue 4: notebook 06 runs for each scenario from the command line; here as one sweep of four points.
    (price_shock is the default run's scenario.) Under `none` nothing alerts and nothing is promoted."""
    out = tmp_path / "scenarios"
    done = subprocess.run(
        [sys.executable, "-m", "workbook.cli", "sweep", "06", "--grid",
         "scenario=none,mix_shift,new_category,schema_break", "-p", "rows_per_month", "1000", "--workers", "2",
         "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = {"mix_shift": ("feature_drift", "Airline"), "new_category": ("unseen_category", "Airline"),
                "schema_break": ("contract", "Date_of_Journey")}
    seen = set()
    for results_file in sorted(out.glob("points/*/results.json")):
        results = json.loads(results_file.read_text())
        scenario, alerts = results["scenario"], results["alerts"]
        seen.add(scenario)
        if scenario == "none":
            assert alerts == [] and results["promoted"] is False
            continue
        assert all(alert["month"] >= "2019-09" for alert in alerts), scenario  # nothing before the onset
        first_month = [(a["kind"], a["feature_or_metric"]) for a in alerts if a["month"] == "2019-09"]
        assert expected[scenario] in first_month, (scenario, alerts[:4])
    assert seen == set(expected) | {"none"}
