"""A workshop room: `workbook server --room` with MLflow's own logins, and the attendee accounts.

MLflow's basic-auth app (`mlflow server --app-name basic-auth`, the `mlflow[auth]` extra) does the
authentication and the permissions; this module only prepares what it needs and talks to its REST API:

- the room folder (beside the server's SQLite database, else mlruns/server/) holds `room-secrets.json`
  (mode 0600: the admin password, Flask's secret key, the leaderboard's holdout seed), `basic_auth.ini`
  (no secret in it) and `basic_auth.db`, MLflow's user store;
- every account reads everything (`default_permission = READ`); what an account creates (an experiment, a
  registered model) is its own to change and delete. The workbook's notebooks all log into a few shared
  experiments (04_model_comparison, ...): those are created by the admin and every attendee gets EDIT on
  them, so they can add runs there but not delete anyone's (MLflow's permissions are per experiment).

Credentials travel only in HTTP headers and in the secrets file; nothing here logs or prints them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from workbook import tracking
from workbook.errors import RoomError
from workbook.messages import first_line, redacted
from workbook.paths import DEFAULT_SERVER_URL
from workbook.paths import SERVER_DIR as DEFAULT_ROOM_DIR  # the room is the tracking server's folder

SECRETS_FILE = "room-secrets.json"
AUTH_CONFIG_FILE = "basic_auth.ini"
AUTH_DB_FILE = "basic_auth.db"
ADMIN_USERNAME = "admin"
APP_NAME = "basic-auth"  # MLflow's own login and permissions app (the mlflow[auth] extra)
# Read everything, change only what you created (the creator gets MANAGE on it).
DEFAULT_PERMISSION = "READ"
# Experiments the workbook's notebooks, solutions, commands and sweeps log into under fixed names; attendees get EDIT
# on them. One left out belongs to whoever logs there first, and everyone else's run fails with HTTP 403: `wine`
# was, so 05's demo, 07 and train-wine stopped for all but the first attendee, and so was 05's solutions.
# tests/unit/test_room.py collects the names from the notebooks and the package.
SHARED_EXPERIMENTS = ("Default", "04_model_comparison", "05_mlflow_tracking", "05_mlflow_tracking_solutions",
                      "06_monitoring", "wine", "sweeps")
SHARED_PERMISSION = "EDIT"
# MLflow refuses passwords shorter than 12 characters; 16 URL-safe characters are ~96 bits.
PASSWORD_BYTES = 12
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
REQUEST_TIMEOUT_S = 30.0
AUTH_CACHE_TTL_S = 60


# --- the room folder ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomSecrets:
    """What only the instructor's machine knows. `repr` hides the values: they must never reach a log."""

    admin_password: str
    secret_key: str
    holdout_seed: int

    def __repr__(self) -> str:
        return "RoomSecrets(***)"


def room_dir_for(backend_uri: str) -> Path:
    """The room folder of a server: beside its SQLite database, else the project's mlruns/server/."""
    db = tracking.sqlite_path(backend_uri) if backend_uri.startswith("sqlite:") else None
    return db.parent if db is not None else DEFAULT_ROOM_DIR


def _new_secrets() -> RoomSecrets:
    return RoomSecrets(admin_password=secrets.token_urlsafe(PASSWORD_BYTES + 6),
                       secret_key=secrets.token_hex(32), holdout_seed=secrets.randbelow(2**31 - 1) + 1)


def _write_private(path: Path, text: str) -> None:
    """Create `path` readable by its owner only (0600 from the first byte, whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _make_private(path: Path) -> None:
    """Mode 0600 for a secrets file someone widened (POSIX; Windows keeps its ACLs)."""
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


def load_or_create_secrets(room_dir: Path) -> RoomSecrets:
    """The room's secrets from `room_dir/room-secrets.json`, generated (mode 0600) the first time."""
    path = Path(room_dir) / SECRETS_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fresh = _new_secrets()
            _write_private(path, json.dumps({"admin_username": ADMIN_USERNAME, **fresh.__dict__}, indent=1))
        _make_private(path)
    except OSError as error:
        raise RoomError(f"{path}: cannot write the room's secrets ({error.strerror or error})") from None
    return load_secrets(room_dir)


def load_secrets(room_dir: Path) -> RoomSecrets:
    """The secrets of an existing room; a one-line RoomError when the folder holds none."""
    path = Path(room_dir) / SECRETS_FILE
    if not path.is_file():
        raise RoomError(f"{path}: no room here; start one with `workbook server --room` (or pass --room-dir)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RoomSecrets(str(data["admin_password"]), str(data["secret_key"]), int(data["holdout_seed"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RoomError(f"{path}: not a room's secrets file ({type(error).__name__}); move it away "
                        "and start the room again") from None


def write_auth_config(room_dir: Path) -> Path:
    """MLflow's auth configuration for this room: its own user store, READ by default. Holds no secret."""
    db = (Path(room_dir) / AUTH_DB_FILE).resolve()
    path = Path(room_dir) / AUTH_CONFIG_FILE
    # The admin password is not written here: it reaches the server through its environment only.
    path.write_text("[mlflow]\n"
                    f"default_permission = {DEFAULT_PERMISSION}\n"
                    f"database_uri = sqlite:///{db.as_posix()}\n"
                    f"admin_username = {ADMIN_USERNAME}\n"
                    "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                    # MLflow checks a password by PBKDF2 on every request unless told to cache the result: with
                    # 20 attendees logging at once, one worker spent its time hashing and clients timed out.
                    # A changed password reaches other workers only after this TTL (none with one worker).
                    f"auth_cache_ttl_seconds = {AUTH_CACHE_TTL_S}\n",
                    encoding="utf-8")
    return path


def _private_user_store(db: Path) -> None:
    """MLflow's user store holds password hashes: created empty and 0600 here, SQLite keeps the file's mode."""
    if not db.exists():
        _write_private(db, "")  # an empty file is an empty SQLite database
    _make_private(db)


def server_settings(backend_uri: str) -> tuple[dict[str, str], Path]:
    """The environment a room server needs (auth config, admin password, Flask secret key) and its folder."""
    folder = room_dir_for(backend_uri)
    room_secrets = load_or_create_secrets(folder)
    try:
        config = write_auth_config(folder)
        _private_user_store(folder / AUTH_DB_FILE)
    except OSError as error:
        raise RoomError(f"{folder}: cannot write the auth configuration ({error.strerror or error})") from None
    env = {"MLFLOW_AUTH_CONFIG_PATH": str(config.resolve()),
           "MLFLOW_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
           "MLFLOW_AUTH_ADMIN_PASSWORD": room_secrets.admin_password,
           "MLFLOW_FLASK_SERVER_SECRET_KEY": room_secrets.secret_key}
    return env, folder


def admin_credentials(room_secrets: RoomSecrets) -> contextlib.AbstractContextManager[None]:
    """MLflow's client reads credentials from the environment: the admin's inside the block only."""
    from workbook.execution.kernel import environment_set

    return environment_set({"MLFLOW_TRACKING_USERNAME": ADMIN_USERNAME,
                            "MLFLOW_TRACKING_PASSWORD": room_secrets.admin_password})


# --- talking to the room server as its admin -------------------------------------------------------------


class Admin:
    """The room server's REST API with the admin's login; every failure is one RoomError line."""

    def __init__(self, url: str, room_secrets: RoomSecrets, room_dir: Path):
        self.url = url.rstrip("/")
        self.room_dir = Path(room_dir)
        self.session = requests.Session()
        self.session.auth = (ADMIN_USERNAME, room_secrets.admin_password)
        self.session.trust_env = False  # a proxy would answer for 127.0.0.1 itself, or see the password

    def call(self, method: str, path: str, *, ok: Sequence[int] = (200,), **kwargs: Any) -> requests.Response:
        """One request; RoomError on no answer, a refused admin login, or a status outside `ok`."""
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=REQUEST_TIMEOUT_S, **kwargs)
        except requests.RequestException as error:
            raise RoomError(f"no room server answers at {self.url} ({type(error).__name__}); start it with "
                            "`workbook server --room`, or pass --url") from None
        if response.status_code == 401:
            raise RoomError(f"the server at {self.url} refused the admin login in "
                            f"{self.room_dir / SECRETS_FILE}: is it this room's server (--room-dir, --url)?")
        if response.status_code not in ok:
            raise RoomError(f"{method} {path} at {self.url}: HTTP {response.status_code}: {_message(response)}")
        return response

    def experiment_id(self, name: str) -> str:
        """The id of experiment `name`, created by the admin when missing."""
        found = self.call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name},
                          ok=(200, 404))
        if found.status_code == 200:
            return str(found.json()["experiment"]["experiment_id"])
        created = self.call("POST", "/api/2.0/mlflow/experiments/create", json={"name": name})
        return str(created.json()["experiment_id"])

    def create_user(self, username: str, password: str) -> bool:
        """True when the account was created; False when it exists already (its password is left alone)."""
        response = self.call("POST", "/api/2.0/mlflow/users/create", ok=(200, 400),
                             json={"username": username, "password": password})
        if response.status_code == 400 and "RESOURCE_ALREADY_EXISTS" not in response.text:
            raise RoomError(f"cannot create user {username!r}: {_message(response)}")
        return response.status_code == 200

    def set_password(self, username: str, password: str) -> None:
        """A new password for an existing account (the admin needs no old one); MLflow drops its cached login."""
        self.call("PATCH", "/api/2.0/mlflow/users/update-password", json={"username": username, "password": password})

    def grant(self, username: str, experiment_id: str, permission: str = SHARED_PERMISSION) -> None:
        """`permission` on an experiment for `username`; a grant made by an earlier add-users stays as it is."""
        response = self.call("POST", "/api/3.0/mlflow/users/permissions/grant", ok=(200, 400),
                             json={"username": username, "resource_type": "experiment",
                                   "resource_id": experiment_id, "permission": permission})
        if response.status_code == 400 and "already exists" not in _message(response):
            raise RoomError(f"cannot give {username!r} {permission} on experiment {experiment_id}: "
                            f"{_message(response)}")

    def model_owners(self) -> dict[str, str]:
        """Registered model name -> the account that created it (MLflow gives the creator MANAGE on it)."""
        users = self.call("GET", "/api/2.0/mlflow/users/list").json().get("users", [])
        owners: dict[str, str] = {}
        for user in users:
            if user.get("is_admin"):
                continue
            for role in user.get("roles", []):
                for grant in role.get("permissions", []):
                    if grant.get("resource_type") == "registered_model" and grant.get("permission") == "MANAGE":
                        owners.setdefault(str(grant.get("resource_pattern")), str(user.get("username")))
        return owners


def _message(response: requests.Response) -> str:
    """The first line of an MLflow error body (JSON with "message", or text)."""
    try:
        text = str(response.json().get("message", response.text))
    except ValueError:
        text = response.text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300] if lines else "no message"


def admin_for(url: str, room_dir: Path) -> Admin:
    """An Admin for the room whose secrets are in `room_dir`, after checking the URL looks like one."""
    if not re.match(r"^https?://[^/\s]+", url or ""):
        raise RoomError(f"--url must be the room server's address, e.g. {DEFAULT_SERVER_URL}, got {url!r}")
    return Admin(url, load_secrets(room_dir), room_dir)


# --- attendee accounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One attendee: the login to hand out, or None as password when the account existed already."""

    username: str
    password: str | None

    def __repr__(self) -> str:
        return f"Account({self.username!r}, ***)"


def read_names(path: str | Path) -> list[str]:
    """Attendee names from a text file, one a line (blank lines and # comments skipped); one-line errors."""
    source = Path(path).expanduser()
    try:
        lines = source.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise RoomError(f"{source}: no such file (expected one attendee name a line)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RoomError(f"{source}: cannot be read as text ({getattr(error, 'strerror', None) or error})") from None
    names: list[str] = []
    for number, line in enumerate(lines, start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not USERNAME.fullmatch(name) or name == ADMIN_USERNAME:
            raise RoomError(f"{source}:{number}: {name!r} is not a usable account name (letters, digits, "
                            "'.', '_' or '-', up to 64, not 'admin')")
        if name in names:
            raise RoomError(f"{source}:{number}: {name!r} is listed twice")
        names.append(name)
    if not names:
        raise RoomError(f"{source}: no names in it (expected one attendee name a line)")
    return names


def add_users(admin: Admin, names: Sequence[str], reset_passwords: bool = False) -> Iterator[Account]:
    """Create an account per name with a random password and EDIT on the shared experiments, yielding each as
    it is done: a failure on a later name never loses the passwords already set (they are shown only once).

    An account that exists already keeps its password, unless `reset_passwords` (a lost handout line) gives it a
    new one; either way it gets EDIT on every shared experiment, so a room set up before one was added catches up.
    """
    shared = [admin.experiment_id(name) for name in SHARED_EXPERIMENTS]
    for name in names:
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        created = admin.create_user(name, password)
        if not created and reset_passwords:
            admin.set_password(name, password)
        yield Account(name, password if created or reset_passwords else None)  # before the grants can fail
        for experiment_id in shared:
            admin.grant(name, experiment_id)


def handout_line(account: Account, url: str) -> str:
    """The line an attendee gets: the three variables to set, or a note that the account exists already."""
    if account.password is None:
        return (f"{account.username}: exists already, password unchanged (the earlier handout still works; "
                "--reset-passwords gives it a new one)")
    return (f"{account.username}: MLFLOW_TRACKING_URI={url} MLFLOW_TRACKING_USERNAME={account.username} "
            f"MLFLOW_TRACKING_PASSWORD={account.password}")


# --- an attendee's side ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What `submit` pointed the leaderboard at."""

    model: str
    version: int
    uri: str


def submit(model: str, from_alias: str = "champion") -> Submission:
    """Point `model@submission` at the version `model@from_alias` points at, as the attendee logged in.

    The store and login are MLFLOW_TRACKING_URI/USERNAME/PASSWORD, as for every workbook command, and must be a
    server: the board never sees a laptop's own store. The call itself is MLflow's
    `set_registered_model_alias(model, "submission", version)`; here every failure is one line: the login, a
    model or alias that is not there yet, a model that belongs to someone else.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from workbook.leaderboard import ALIAS

    where = tracking.resolve_tracking_uri()
    if not where.startswith(("http://", "https://")):
        raise RoomError(f"the tracking store is {redacted(where)}, this machine's own, which the leaderboard never "
                        "reads: set MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD from "
                        "your handout line, run notebook 05 against the room, then submit")
    version = tracking.alias_version(model, from_alias)  # checks the server and the login first
    uri = tracking.active_uri()
    if version is None:
        raise RoomError(f"registered model {model!r} at {redacted(uri)} has no version with alias {from_alias!r}; "
                        f"run notebook 05 with -p model_name {model} first (it sets 'champion'), or name another "
                        "--from-alias")
    try:
        MlflowClient(uri).set_registered_model_alias(model, ALIAS, str(version))
    except MlflowException as error:
        if error.error_code == "PERMISSION_DENIED":
            raise RoomError(f"{model!r} at {redacted(uri)} belongs to another attendee: submit a model you "
                            "registered (notebook 05 with -p model_name flights-<your name>)") from None
        raise RoomError(f"cannot set alias {ALIAS!r} of {model!r} at {redacted(uri)}: {first_line(error)}") from None
    return Submission(model, version, redacted(uri))
