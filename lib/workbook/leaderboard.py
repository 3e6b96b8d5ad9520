"""The workshop leaderboard: every attendee's `submission` model scored on a holdout only the room keeps.

Attendees register a model of their own and point the alias `submission` at the version they want scored
(`MlflowClient().set_registered_model_alias(name, "submission", version)`). The instructor's machine draws
the holdout from the synthetic twin's world (the notebooks' timetable, seed 42) with a secret draw seed kept
in the room's secrets file, so attendees never see those rows. Each model is scored on MAE, R² and the
latency of a one-row prediction; a model that cannot score is listed with its one-line reason, and never
stops the others from being scored.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from threadpoolctl import threadpool_limits

from workbook import room, serving
from workbook.data import make_flights
from workbook.messages import first_line
from workbook.render import render_page

ALIAS = "submission"
TWIN_SEED = 42  # the timetable every notebook trains on: the holdout flies the same flights, on other days
HOLDOUT_ROWS = 400  # enough for a stable MAE, small enough to score 60 models in a minute
LATENCY_REPEATS = 5
TARGET = "Price"


@dataclass
class Entry:
    """One submission on the board: who, what, when, and its scores or the reason it has none."""

    model: str
    version: str
    owner: str
    submitted: datetime | None
    mae: float | None = None
    r2: float | None = None
    latency_ms: float | None = None
    problem: str | None = None


def holdout(seed: int, rows: int = HOLDOUT_ROWS) -> pd.DataFrame:
    """The secret holdout: twin rows of the notebooks' world drawn with `seed`, clean (no gaps, no duplicates)."""
    if not isinstance(rows, int) or rows < 10:
        raise ValueError(f"holdout rows must be a whole number of at least 10, got {rows!r}")
    frame = make_flights(rows, TWIN_SEED, draw_seed=seed)
    return frame.dropna().drop_duplicates().reset_index(drop=True)


@contextlib.contextmanager
def _tracking_uri(url: str) -> Iterator[None]:
    """mlflow.pyfunc.load_model reads the registry of the global tracking URI: this server's, inside the block.

    MLflow's set_tracking_uri also exports MLFLOW_TRACKING_URI; both come back as they were.
    """
    before = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    exported = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before)
        if exported is not None:
            os.environ["MLFLOW_TRACKING_URI"] = exported


def submissions(client: MlflowClient, owners: dict[str, str]) -> list[Entry]:
    """An unscored entry per registered model whose alias `submission` points at a version."""
    entries, token = [], None
    while True:
        page = client.search_registered_models(max_results=200, page_token=token)
        for model in page:
            version = (getattr(model, "aliases", None) or {}).get(ALIAS)
            if version is None:
                continue
            entries.append(_entry(client, model.name, str(version), owners))
        token = page.token
        if not token:
            return entries


def _entry(client: MlflowClient, name: str, version: str, owners: dict[str, str]) -> Entry:
    """Who submitted `name` (its creator's account, else the version's user) and when the version was made."""
    try:
        found = client.get_model_version(name, version)
    except Exception as error:
        return Entry(name, version, owners.get(name, "?"), None, problem=f"version {version}: {first_line(error)}")
    when = datetime.fromtimestamp(found.creation_timestamp / 1000, UTC) if found.creation_timestamp else None
    return Entry(name, version, owners.get(name) or found.user_id or "?", when)


def _one_row_latency_ms(model: Any, rows: pd.DataFrame, model_uri: str) -> float:
    """Median wall time of a one-row prediction, in milliseconds (what a request to a served model waits)."""
    timings = []
    for index in range(LATENCY_REPEATS):
        started = time.perf_counter()
        serving.predict_frame(model, rows.iloc[[index % len(rows)]], source="the holdout", model_uri=model_uri)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _declared_columns(model: Any, features: pd.DataFrame) -> pd.DataFrame:
    """The holdout's columns the model's signature names: a model built on fewer columns is scored, not refused.

    A column it needs and the holdout lacks stays a problem, which predict_frame names.
    """
    required, optional = serving.input_columns(model)
    if not required:
        return features
    return features[[column for column in features.columns if column in {*required, *optional}]]


def score(entry: Entry, rows: pd.DataFrame) -> Entry:
    """Fill in MAE, R² and latency for `entry` on the holdout `rows`; or its one-line reason for not scoring."""
    uri = f"models:/{entry.model}/{entry.version}"
    try:
        model = mlflow.pyfunc.load_model(uri)
        features = _declared_columns(model, rows.drop(columns=[TARGET]))
        predicted = serving.predict_frame(model, features, source="the holdout", model_uri=uri)
        truth = rows[TARGET].astype(float).to_numpy()
        if predicted.shape != truth.shape:
            raise ValueError(f"{len(predicted)} predictions for {len(truth)} rows")
        if not np.isfinite(predicted).all():
            raise ValueError(f"{int((~np.isfinite(predicted)).sum())} predictions are not finite numbers")
        entry.mae = float(np.mean(np.abs(predicted - truth)))
        entry.r2 = float(1 - np.sum((truth - predicted) ** 2) / np.sum((truth - truth.mean()) ** 2))
        entry.latency_ms = _one_row_latency_ms(model, features, uri)
    except Exception as error:
        entry.problem = first_line(error) or type(error).__name__
    return entry


def rank(entries: Sequence[Entry]) -> list[Entry]:
    """Scored entries by MAE (then R², then latency), best first; the ones without scores after them."""
    scored = [entry for entry in entries if entry.problem is None and entry.mae is not None]
    unscored = [entry for entry in entries if entry not in scored]
    scored.sort(key=lambda entry: (entry.mae, -(entry.r2 or 0.0), entry.latency_ms or 0.0))
    unscored.sort(key=lambda entry: (entry.owner, entry.model))
    return scored + unscored


def build_board(url: str, room_dir: Path, rows: int = HOLDOUT_ROWS) -> list[Entry]:
    """The whole board of the room at `url` whose secrets are in `room_dir`; RoomError if it cannot be read."""
    admin = room.admin_for(url, room_dir)
    owners = admin.model_owners()  # also proves the server answers and takes the admin's login
    room_secrets = room.load_secrets(room_dir)
    rows_frame = holdout(room_secrets.holdout_seed, rows)
    with room.admin_credentials(room_secrets), _tracking_uri(url):
        try:
            entries = submissions(MlflowClient(url), owners)
        except Exception as error:
            raise room.RoomError(f"cannot list the registered models at {url}: {first_line(error)}") from None
        # One OpenMP/BLAS thread, as a served model gets (serving.child_env): boosting's threads spinning on
        # two busy cores made a one-row prediction ~10x slower, and the latency column would measure that.
        with threadpool_limits(1):
            return rank([score(entry, rows_frame) for entry in entries])


# --- showing it --------------------------------------------------------------------------------------------

COLUMNS = ("#", "who", "model", "MAE", "R²", "latency", "submitted (UTC)")


def _cells(position: int, entry: Entry) -> list[str]:
    when = entry.submitted.strftime("%H:%M:%S") if entry.submitted else "?"
    model = f"{entry.model} v{entry.version}"
    if entry.problem is not None:
        return ["-", entry.owner, model, "cannot score:", entry.problem, "", when]
    return [str(position), entry.owner, model, f"{entry.mae:,.0f}", f"{entry.r2:.3f}",
            f"{entry.latency_ms:.1f} ms", when]


def text_table(board: Sequence[Entry]) -> str:
    """The board as aligned text, one line per submission (a reason runs past its columns)."""
    if not board:
        return (f"no submissions yet: register a model and set its alias '{ALIAS}' "
                "(`workbook room submit <model>` does it for its champion)")
    rows = [list(COLUMNS)] + [_cells(position, entry) for position, entry in enumerate(board, start=1)]
    widths = [max(len(row[column]) for row in rows if not (row[3] == "cannot score:" and column == 4))
              for column in range(len(COLUMNS))]
    lines = []
    for row in rows:
        if row[3] == "cannot score:":
            lines.append("  ".join(row[i].ljust(widths[i]) for i in range(3)) + f"  cannot score: {row[4]}")
        else:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def html_page(board: Sequence[Entry], refresh_s: int | None = None) -> str:
    """The board as a standalone HTML page; with `refresh_s` the browser reloads it that often."""
    rows = [(entry.problem, _cells(position, entry)) for position, entry in enumerate(board, start=1)]
    return render_page("leaderboard.html.j2", columns=COLUMNS, rows=rows, refresh_s=int(refresh_s or 0),
                       stamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def write_html(board: Sequence[Entry], path: str | Path, refresh_s: int | None = None) -> Path:
    """Write the page atomically (a browser reloading it never sees half a file)."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(html_page(board, refresh_s), encoding="utf-8")
    partial.replace(target)
    return target
