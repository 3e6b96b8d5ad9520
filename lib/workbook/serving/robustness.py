"""The packaged robustness suite (workbook/model_tests) run against a model: `workbook test-model`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbook.serving.model import check_model_uri

MODEL_TESTS_DIR = Path(__file__).resolve().parents[1] / "model_tests"


def run_model_tests(model_uri: str, data_path: str | Path | None = None, max_mae: float | None = None,
                    min_r2: float | None = None, all_rows: bool = False, extra_args: Sequence[str] = (),
                    tracking_uri: str | None = None) -> int:
    """Run the packaged robustness suite (workbook/model_tests) against `model_uri`; pytest's exit code.

    An unknown model URI raises TrackingError, a missing data file FileNotFoundError, before pytest starts.
    The project's pytest options (nbval) are switched off and no third-party plugin is loaded: the suite is its own
    root and needs none (nbval alone took seconds to import). No conftest.py above it is read either: a checkout's
    test-suite conftest would point MLflow at a throwaway store and name hooks of plugins not loaded here.
    """
    import pytest  # imported here: only this command needs it

    check_model_uri(model_uri, tracking_uri)
    if data_path is not None and not Path(data_path).expanduser().is_file():
        raise FileNotFoundError(f"{data_path}: no such file (--data expects a .csv or .xlsx flight file)")
    args = [str(MODEL_TESTS_DIR), "--rootdir", str(MODEL_TESTS_DIR), "--confcutdir", str(MODEL_TESTS_DIR),
            "-o", "addopts=", "-p", "no:cacheprovider", "--disable-plugin-autoload", "-q", "--model-uri", model_uri]
    if data_path is not None:
        args += ["--data", str(Path(data_path).expanduser().resolve())]
    if max_mae is not None:
        args += ["--max-mae", str(max_mae)]
    if min_r2 is not None:
        args += ["--min-r2", str(min_r2)]
    if all_rows:
        args.append("--all-rows")
    return int(pytest.main(args + list(extra_args)))
