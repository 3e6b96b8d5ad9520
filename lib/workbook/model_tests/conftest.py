"""Options and fixtures of the model test suite: which model, which held-out rows, which limits."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from workbook.models import MIN_PERFORMANCE, CheckResult

RESULTS_KEY = pytest.StashKey[list[CheckResult]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workbook model tests")
    group.addoption("--model-uri", default=None, help="Model to test, e.g. models:/flight-fares@champion.")
    group.addoption("--data", default=None,
                    help="Flight file (.csv/.xlsx) with Price; default: the synthetic twin.")
    group.addoption("--all-rows", action="store_true",
                    help="Test on every row of --data (a new batch) instead of the talk's test split of it.")
    group.addoption("--max-mae", type=float, default=MIN_PERFORMANCE["max_mae"],
                    help="Largest acceptable MAE in rupees (default: %(default)s).")
    group.addoption("--min-r2", type=float, default=MIN_PERFORMANCE["min_r2"],
                    help="Smallest acceptable R² (default: %(default)s).")
    group.addoption("--seed", type=int, default=42, help="Seed of the twin and of the train/test split.")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS_KEY] = []


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread():
    """Boosting models predict on one OpenMP thread: on 2 busy cores two threads spin and take twice as long."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="session")
def model(pytestconfig: pytest.Config):
    """The model under test, loaded as MLflow pyfunc (what a server would run)."""
    from workbook.serving import load_model  # imported here: MLflow is slow to import
    from workbook.tracking import TrackingError

    uri = pytestconfig.getoption("--model-uri")
    if not uri:
        pytest.skip("no model to test: pass --model-uri models:/<name>@<alias>")
    try:
        return load_model(uri)
    except TrackingError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def holdout(pytestconfig: pytest.Config) -> pd.DataFrame:
    """Held-out raw flight rows with their Price: the talk's test split of the data, or every row with --all-rows."""
    from workbook.data import DataContractError, load_flights
    from workbook.models import comparison_splits, talk_rows

    data_path = pytestconfig.getoption("--data")
    seed = pytestconfig.getoption("--seed")
    try:
        data = load_flights(Path(data_path) if data_path else None, seed=seed)
    except DataContractError as error:
        pytest.fail(str(error), pytrace=False)
    if pytestconfig.getoption("--all-rows"):
        return talk_rows(data).reset_index(drop=True)
    _, raw_test, _, y_test = comparison_splits(data, random_state=seed)["improved"]
    return raw_test.assign(Price=y_test).reset_index(drop=True)


@pytest.fixture(scope="session")
def limits(pytestconfig: pytest.Config) -> dict[str, float]:
    return {"max_mae": pytestconfig.getoption("--max-mae"), "min_r2": pytestconfig.getoption("--min-r2")}


@pytest.fixture
def record(pytestconfig: pytest.Config):
    """A function that keeps a check's result for the summary printed at the end, and returns it."""

    def keep(result: CheckResult) -> CheckResult:
        pytestconfig.stash[RESULTS_KEY].append(result)
        return result

    return keep


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line per check: what was measured, passed or not (pytest alone shows only dots for passes)."""
    results = config.stash.get(RESULTS_KEY, [])
    if not results:
        return
    terminalreporter.section("model checks")
    uri = config.getoption("--model-uri")
    terminalreporter.write_line(f"model: {uri}")
    for result in results:
        terminalreporter.write_line(f"{'PASS' if result.passed else 'FAIL'}  {result.name}: {result.detail}")
