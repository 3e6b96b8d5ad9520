"""The room's pieces that need no server: names files, the secrets file, MLflow's auth config, the board's order."""

from __future__ import annotations

import base64
import http.server
import inspect
import json
import os
import re
import threading
from datetime import UTC, datetime

import pytest

from workbook import leaderboard, projects, room, tracking, wine
from workbook.leaderboard import Entry
from workbook.paths import NOTEBOOKS_DIR
from workbook.sweep import SWEEP_EXPERIMENT

# An experiment a notebook names: setup_tracking("name", ...), or the value of an EXPERIMENT/experiment variable.
EXPERIMENT_IN_CODE = re.compile(r"""setup_tracking\(\s*["']([^"']+)["']"""
                                r"""|^\s*(?:EXPERIMENT|experiment)\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def experiments_the_notebooks_log_to() -> set[str]:
    found = set()
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted((NOTEBOOKS_DIR / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                found |= {a or b for a, b in EXPERIMENT_IN_CODE.findall("".join(cell["source"]))}
    return found


def test_every_experiment_the_workbook_logs_to_is_shared_with_the_room():
    """An attendee without EDIT on one of them fails with HTTP 403 as soon as someone else created it."""
    from_notebooks = experiments_the_notebooks_log_to()
    assert {"04_model_comparison", "05_mlflow_tracking", "06_monitoring", "wine"} <= from_notebooks  # the scan works
    from_package = {projects.WINE_EXPERIMENT, projects.FLIGHTS_EXPERIMENT, SWEEP_EXPERIMENT,
                    inspect.signature(wine.run_wine_demo).parameters["experiment"].default}
    assert from_notebooks | from_package <= set(room.SHARED_EXPERIMENTS)


def test_names_are_read_one_a_line_skipping_blanks_and_comments(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\ufeffalice\n\n# the back row\nbob.smith  # late\nc_3-x\n")
    assert room.read_names(names) == ["alice", "bob.smith", "c_3-x"]


@pytest.mark.parametrize(("text", "message"), [
    ("alice\nbob jones\n", r"names\.txt:2: 'bob jones' is not a usable account name"),
    ("alice\nadmin\n", r"names\.txt:2: 'admin' is not a usable account name"),
    ("alice\nalice\n", r"names\.txt:2: 'alice' is listed twice"),
    ("# nobody\n\n", r"names\.txt: no names in it"),
])
def test_a_bad_names_file_is_one_line_naming_file_and_line(tmp_path, text, message):
    names = tmp_path / "names.txt"
    names.write_text(text)
    with pytest.raises(room.RoomError, match=message):
        room.read_names(names)


def test_a_missing_names_file_says_so(tmp_path):
    with pytest.raises(room.RoomError, match=r"missing\.txt: no such file"):
        room.read_names(tmp_path / "missing.txt")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_secrets_file_is_created_0600_kept_and_narrowed_again_if_widened(tmp_path):
    first = room.load_or_create_secrets(tmp_path)
    path = tmp_path / room.SECRETS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first.admin_password) >= 12 and first.holdout_seed > 0  # MLflow wants 12 characters at least
    path.chmod(0o644)
    assert room.load_or_create_secrets(tmp_path) == first  # the same room: nothing regenerated
    assert path.stat().st_mode & 0o777 == 0o600
    assert first.admin_password not in repr(first) and first.secret_key not in repr(first)


def test_a_folder_without_a_room_and_a_damaged_secrets_file_are_one_line_each(tmp_path):
    with pytest.raises(room.RoomError, match=r"no room here; start one with `workbook server --room`"):
        room.load_secrets(tmp_path)
    (tmp_path / room.SECRETS_FILE).write_text("{not json")
    with pytest.raises(room.RoomError, match=r"not a room's secrets file"):
        room.load_secrets(tmp_path)


def test_the_server_settings_keep_the_password_out_of_the_config_file(tmp_path):
    env, folder = room.server_settings(f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}")
    assert folder == tmp_path.resolve()
    secrets = room.load_secrets(folder)
    config = (folder / room.AUTH_CONFIG_FILE).read_text()
    assert "default_permission = READ" in config and f"sqlite:///{(folder / 'basic_auth.db').as_posix()}" in config
    assert secrets.admin_password not in config and secrets.secret_key not in config
    assert env["MLFLOW_AUTH_ADMIN_PASSWORD"] == secrets.admin_password
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == secrets.secret_key
    assert env["MLFLOW_AUTH_CONFIG_PATH"] == str((folder / room.AUTH_CONFIG_FILE).resolve())
    if os.name != "nt":  # the user store will hold password hashes: private before MLflow writes to it
        assert (folder / room.AUTH_DB_FILE).stat().st_mode & 0o777 == 0o600


def test_handout_lines_give_the_three_variables_or_say_the_account_exists():
    url = "http://10.0.0.5:5000"
    assert room.handout_line(room.Account("alice", "s3cret-s3cret"), url) == (
        "alice: MLFLOW_TRACKING_URI=http://10.0.0.5:5000 MLFLOW_TRACKING_USERNAME=alice "
        "MLFLOW_TRACKING_PASSWORD=s3cret-s3cret")
    assert "password unchanged" in room.handout_line(room.Account("bob", None), url)
    assert "s3cret" not in repr(room.Account("alice", "s3cret-s3cret"))


def test_an_admin_url_that_is_not_one_is_refused_before_any_request(tmp_path):
    with pytest.raises(room.RoomError, match=r"--url must be the room server's address"):
        room.admin_for("localhost:5000", tmp_path)


def test_the_holdout_is_the_notebooks_world_drawn_with_the_secret_seed():
    first, again, other = leaderboard.holdout(11, 200), leaderboard.holdout(11, 200), leaderboard.holdout(12, 200)
    assert first.equals(again) and not first.equals(other)
    assert first.notna().all().all() and not first.duplicated().any()
    with pytest.raises(ValueError, match="at least 10"):
        leaderboard.holdout(11, 3)


def _entry(owner: str, mae: float | None, problem: str | None = None) -> Entry:
    return Entry(f"{owner}-flights", "1", owner, datetime(2026, 12, 6, 10, 0, tzinfo=UTC), mae=mae,
                 r2=None if mae is None else 0.5, latency_ms=None if mae is None else 2.0, problem=problem)


def test_the_board_ranks_by_mae_and_lists_models_that_cannot_score_last_with_their_reason(tmp_path):
    board = leaderboard.rank([_entry("zoe", 900.0), _entry("bob", None, "missing column(s) ['Airline']"),
                              _entry("amy", 700.0)])
    assert [entry.owner for entry in board] == ["amy", "zoe", "bob"]
    lines = leaderboard.text_table(board).splitlines()
    assert lines[1].split()[:5] == ["1", "amy", "amy-flights", "v1", "700"]
    assert lines[3].split()[:3] == ["-", "bob", "bob-flights"]
    assert lines[3].endswith("cannot score: missing column(s) ['Airline']")
    page = leaderboard.write_html(board, tmp_path / "board.html", refresh_s=30).read_text()
    assert 'content="30"' in page and "missing column(s) [&#39;Airline&#39;]" in page  # jinja2 escapes ' as &#39;
    assert leaderboard.text_table([]).startswith("no submissions yet")


def test_the_board_page_escapes_owners_and_reasons():
    board = [_entry("<script>a</script>", 700.0), _entry("bob", None, "<script>b</script>")]
    page = leaderboard.html_page(board)
    assert "<script>" not in page
    assert "&lt;script&gt;a&lt;/script&gt;" in page and "cannot score: &lt;script&gt;b&lt;/script&gt;" in page


# --- the attendee's side: a wrong or missing login is one line -------------------------------------------


def _login_server() -> http.server.HTTPServer:
    """A stand-in room: /health answers anyone, the API only alice with the right password."""
    good = "Basic " + base64.b64encode(b"alice:right-password").decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            allowed = self.path == "/health" or self.headers.get("Authorization") == good
            self.send_response(200 if allowed else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("user", "password", "message"), [
    ("alice", "wrong-password", r"refused user 'alice': check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"),
    (None, None, r"asks for a login: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"),
    ("alice", "right-password", None),
])
def test_a_room_login_is_checked_once_and_a_refusal_is_one_line(monkeypatch, user, password, message):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("MLFLOW_TRACKING_USERNAME", user), ("MLFLOW_TRACKING_PASSWORD", password)):
        monkeypatch.delenv(name, raising=False) if value is None else monkeypatch.setenv(name, value)
    server = _login_server()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        if message is None:
            assert tracking.ensure_store(uri) == uri
        else:
            with pytest.raises(tracking.TrackingError, match=message) as caught:
                tracking.ensure_store(uri)
            assert str(caught.value).startswith(f"tracking server {uri} ") and "\n" not in str(caught.value)
            if password:
                assert password not in str(caught.value)
    finally:
        server.shutdown()
        server.server_close()


def test_a_room_server_runs_mlflows_basic_auth_app_and_ignores_auth_variables_left_in_the_shell(monkeypatch,
                                                                                               tmp_path):
    from workbook.serving import tracking_server

    command = tracking_server.server_command("sqlite:///x.db", tmp_path, "127.0.0.1", 5000, app_name="basic-auth")
    assert command[-2:] == ["--app-name", "basic-auth"]
    assert "--app-name" not in tracking_server.server_command("sqlite:///x.db", tmp_path, "127.0.0.1", 5000)
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", "from-an-old-shell")
    monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", "/elsewhere.ini")
    env = tracking_server.server_env("sqlite:///x.db")
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" not in env and "MLFLOW_AUTH_CONFIG_PATH" not in env


def test_submit_refuses_this_machines_own_store(tmp_path, monkeypatch):
    """The board reads the room's server only: a submission to a laptop's store would be lost silently."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}")
    with pytest.raises(room.RoomError, match=r"this machine's own, which the leaderboard never reads"):
        room.submit("flights-alice")
    assert not (tmp_path / "mlflow.db").exists()  # refused before any store is made
