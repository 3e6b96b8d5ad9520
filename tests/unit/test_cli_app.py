"""The command line's one error path (workbook.cli.app) and its `-p NAME VALUE` pairs, in process."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbook import execution
from workbook.cli import app
from workbook.cli.options import split_param_args
from workbook.errors import UsageError


@pytest.fixture(autouse=True)
def _leave_the_process_as_found(monkeypatch: pytest.MonkeyPatch):
    """The app's callback sets an MLflow variable and a log handler: undone after each test."""
    for name, value in execution.QUIET_MLFLOW.items():
        monkeypatch.setenv(name, value)
    logger = logging.getLogger("workbook")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_workbook_error_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    done = invoke("list", "--notebooks-dir", str(tmp_path / "nowhere"))
    assert done.exit_code == 1
    assert done.stderr == f"error: notebooks folder not found: {tmp_path / 'nowhere'}\n"


def test_a_usage_error_exits_2_from_every_command() -> None:
    bad_requests = (["sweep"], ["sweep", "01", "-p", "x"], ["run", "01", "--colour"], ["leaderboard", "--rows", "3"],
                    ["run", "99"], ["run", "01", "-p", "colour", "red"], ["run", "01", "--jobs", "0"])
    for args in bad_requests:  # run and sweep: the same kind of bad request, the same status
        done = invoke(*args)
        assert done.exit_code == 2, args
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(("args", "line"), [
    (["server", "--bogus"], "error: No such option: --bogus"),
    (["server", "--port", "0"], "error: Invalid value for '--port'"),
    (["server", "--workers", "abc"], "error: Invalid value for '--workers'"),
    (["server", "--workers", "0"], "error: Invalid value for '--workers'"),
    (["leaderboard", "--rows", "x"], "error: Invalid value for '--rows'"),
    (["room", "add-users"], "error: Missing argument 'names_file'"),
    (["diff"], "error: Missing argument 'A'"),
    (["nosuch"], "error: No such command 'nosuch'"),
    (["--bogus"], "error: No such option: --bogus"),
])
def test_an_option_typer_refuses_is_one_line_pointing_at_help_and_status_2(args, line) -> None:
    """Not typer's five-line usage box: the same one `error:` line as every other refused request."""
    done = invoke(*args)
    assert done.exit_code == 2, done.output
    assert done.stderr.startswith(line) and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.rstrip().endswith("--help`)") and "╭" not in done.stderr


def test_a_command_group_alone_still_shows_its_help() -> None:
    done = invoke("room")
    assert "add-users" in done.output and "error:" not in done.output
    assert done.exit_code == 2  # as before: click's status for a group called without a command


def test_a_suggestion_reads_as_one_sentence() -> None:
    done = invoke("test-modle")
    assert done.stderr == ("error: No such command 'test-modle'. Did you mean 'test-model'? "
                           "(see `workbook --help`)\n")


def test_ctrl_c_is_error_interrupted_and_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(execution, "list_notebooks", interrupted)
    done = invoke("list")
    assert (done.exit_code, done.stderr) == (130, "error: interrupted\n")


def test_library_log_lines_reach_stderr_bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def warn(*_args, **_kwargs):
        logging.getLogger("workbook.execution.kernel").warning("kernel start-up failed; trying again")
        return []

    monkeypatch.setattr(execution, "list_notebooks", warn)
    done = invoke("list")
    assert (done.exit_code, done.stderr) == (0, "kernel start-up failed; trying again\n")


def test_split_param_args_separates_pairs_from_selectors() -> None:
    assert split_param_args(["01", "-p", "n", "4", "beta", "--param", "label", "007"]) == (
        ["01", "beta"], {"n": "4", "label": "007"})
    with pytest.raises(UsageError, match="needs a NAME and a VALUE"):
        split_param_args(["-p", "n"])
    with pytest.raises(UsageError, match="no such option"):
        split_param_args(["--colour", "red"])


def test_workbook_run_says_where_its_runs_go_and_as_whom(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal without the room's variables logs to the local store: the first line says so."""
    from workbook.cli.run import tracking_target
    from workbook.paths import default_tracking_uri

    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert tracking_target(None) == default_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://10.0.0.5:5000")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret-handout")
    assert tracking_target(None) == "http://10.0.0.5:5000 as alice"
    assert tracking_target("postgresql://team:pw@db:5432/mlflow") == "postgresql://team:***@db:5432/mlflow"
    assert tracking_target("None") == "http://10.0.0.5:5000 as alice"  # -p tracking_uri None: the default
    done = invoke("run", "99")  # refused, but after saying where runs would have gone
    assert done.stdout == "tracking:   http://10.0.0.5:5000 as alice\n" and "s3cret" not in done.output


def test_server_passes_each_allowed_host_to_mlflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow's own start-up line tells a room to configure allowed hosts: the command can."""
    from workbook.serving import tracking_server

    seen = {}

    def fake_run_server(*args, **kwargs):
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(tracking_server, "run_server", fake_run_server)
    done = invoke("server", "--host", "0.0.0.0", "--allowed-host", "classroom.local", "--allowed-host", "lab.lan")
    assert done.exit_code == 0, done.output
    assert list(seen["allowed_hosts"]) == ["classroom.local", "lab.lan"]
    invoke("server")
    assert list(seen["allowed_hosts"]) == []
