"""`workbook diff A B`: what differs between two runs of one notebook, and by how much.

A and B are each a run folder (`workbook run`), a sweep point folder (`points/<i>-<key8>/`), an MLflow run id,
or, to compare two sweeps point by point, two sweep folders. Each side becomes a flat record of fields by
section (parameters, results, data fingerprints, packages, source version, duration, status), and the diff
is one row per field, with B − A for numbers. Nothing here prints; `workbook.diff_report` makes the text table
the command line shows and the HTML page it writes beside B's folder.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook.errors import DiffError, DiffInputError, WorkbookError
from workbook.execution.catalog import read_notebook_info
from workbook.execution.params import literal_default
from workbook.messages import first_line
from workbook.paths import NOTEBOOKS_DIR
from workbook.values import is_finite_number

SECTIONS = ("run", "params", "results", "data", "source", "packages", "duration")
RUN_ID = re.compile(r"(?:runs:/)?([0-9a-f]{32})/?")
# Set by the runner or the sweep for every notebook: a folder of its own each time, never the user's choice.
RUNNER_PARAMETERS = ("results_path", "output_dir")
# An MLflow run's status in the words run folders and sweep points use, so FINISHED and ok are no difference.
RUN_STATUS = {"FINISHED": "ok", "FAILED": "failed", "KILLED": "interrupted"}
RUN_FILE, POINT_FILE, SWEEP_FILE = "run.json", "point.json", "sweep.json"


class _NotRecorded:
    """The value of a field one side does not have (an older run, another kind of run)."""

    def __repr__(self) -> str:
        return "—"


NOT_RECORDED: Any = _NotRecorded()
Fields = dict[tuple[str, str], Any]  # (section, name) -> value


@dataclass(frozen=True)
class Side:
    """One side of a diff: what it is, the notebooks it ran and their fields by notebook."""

    kind: str  # "run folder", "sweep point", "MLflow run" or "sweep"
    label: str  # as the user gave it
    fields: dict[str, Fields]  # notebook stem (or "experiment NAME") -> fields
    folder: Path | None = None

    @property
    def notebooks(self) -> list[str]:
        return list(self.fields)


@dataclass(frozen=True)
class Row:
    """One field on both sides."""

    section: str
    name: str
    a: Any
    b: Any
    unrecorded: bool = False  # one side records nothing of this section (an MLflow run has no package list)

    @property
    def equal(self) -> bool:
        return _same(self.a, self.b)

    @property
    def delta(self) -> float | None:
        """B − A when both are numbers (not booleans), else None."""
        if is_finite_number(self.a) and is_finite_number(self.b):
            return float(self.b) - float(self.a)
        return None

    @property
    def relative(self) -> float | None:
        """(B − A) / |A| when A is a non-zero number."""
        delta = self.delta
        return None if delta is None or self.a == 0 else delta / abs(float(self.a))


@dataclass(frozen=True)
class Diff:
    """Every field of the compared notebook(s), equal or not."""

    a: Side
    b: Side
    rows: tuple[Row, ...]

    @property
    def differing(self) -> list[Row]:
        """The rows whose values differ where both sides record the section."""
        return [row for row in self.rows if not row.equal and not row.unrecorded]

    def shown(self, show_all: bool = False) -> list[Row]:
        """Every row with `show_all`, else the differing ones."""
        return list(self.rows) if show_all else self.differing


# --- reading a side ---------------------------------------------------------------------------------------


def load_side(ref: str) -> Side:
    """The run, point, sweep or MLflow run that `ref` names, or DiffInputError saying what was expected."""
    path = Path(ref).expanduser()
    if path.exists():
        return _load_folder(path, ref)
    if RUN_ID.fullmatch(ref):
        return _load_mlflow_run(RUN_ID.fullmatch(ref).group(1), ref)
    raise DiffInputError(f"{ref}: no such folder, and not an MLflow run id (32 hex characters); expected a run "
                         "folder, a sweep point folder, a sweep folder or a run id")


def _load_folder(path: Path, ref: str) -> Side:
    """A run folder, a sweep point or a sweep, told apart by the record each one writes."""
    if not path.is_dir():
        raise DiffInputError(f"{ref} is a file; expected a run folder (with {RUN_FILE}), a sweep point "
                             f"(with {POINT_FILE}) or a sweep (with {SWEEP_FILE})")
    if (path / RUN_FILE).is_file():
        return _load_run_folder(path, ref)
    if (path / POINT_FILE).is_file():
        return _load_point(path, ref)
    if (path / SWEEP_FILE).is_file():
        return _load_sweep(path, ref)
    raise DiffInputError(f"{ref} is not a run: no {RUN_FILE}, {POINT_FILE} or {SWEEP_FILE} in it; expected a "
                         "folder written by workbook run or workbook sweep")


def _read_json(path: Path, ref: str) -> dict[str, Any]:
    """A JSON object from a run's record, or DiffInputError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DiffInputError(f"{ref}: cannot read {path.name}: {error}") from None
    if not isinstance(data, dict):
        raise DiffInputError(f"{ref}: {path.name} is not a JSON object")
    return data


def _load_run_folder(path: Path, ref: str) -> Side:
    """Each notebook of a `workbook run` folder: parameters with defaults, results, data, source, duration."""
    run = _read_json(path / RUN_FILE, ref)
    recorded = run.get("provenance") or {}
    fields: dict[str, Fields] = {}
    for entry in run.get("notebooks") or []:
        stem, status = str(entry.get("name")), entry.get("status")
        if status == "skipped":
            continue  # it never ran: nothing of it to compare
        results_file = path / f"{stem}.results.json"
        results = _read_json(results_file, ref) if results_file.is_file() else {}
        given = (run.get("parameters") or {}).get(stem) or {}
        own = recorded.get(stem) or {}
        fields[stem] = _fields(
            status=status, params=_effective(path / str(entry.get("output")), given), results=results,
            data=own.get("data"), source=own.get("source"), packages=run.get("packages"),
            seconds=entry.get("seconds"))
    if not fields:
        raise DiffInputError(f"{ref}: {RUN_FILE} lists no notebook that ran")
    return Side("run folder", ref, fields, path.resolve())


def _load_point(path: Path, ref: str) -> Side:
    """One sweep point: its parameters with the notebook's defaults, results, data, source and duration."""
    point = _read_json(path / POINT_FILE, ref)
    stem = str(point.get("notebook_stem") or "")
    if not stem:
        raise DiffInputError(f"{ref}: {POINT_FILE} does not name its notebook (notebook_stem)")
    executed = path / str(point.get("notebook"))
    fields = _fields(status=point.get("status"), params=_effective(executed, point.get("params") or {}),
                     results=point.get("results") or {}, data=point.get("data"), source=point.get("source"),
                     packages=point.get("packages"), seconds=point.get("seconds"))
    return Side("sweep point", ref, {stem: fields}, path.resolve())


def _load_sweep(path: Path, ref: str) -> Side:
    """A whole sweep: its grid, fixed values, source and packages, and each point's results by grid values."""
    sweep = _read_json(path / SWEEP_FILE, ref)
    stem = str(sweep.get("notebook") or "")
    grid = sweep.get("grid") or {}
    folders = [folder for kind in ("points", "failed") if (path / kind).is_dir()
               for folder in sorted((path / kind).iterdir()) if (folder / POINT_FILE).is_file()]
    points = [_read_json(folder / POINT_FILE, ref) for folder in folders]
    # The fixed values with the notebook's defaults (from a point's executed copy): a value fixed in one sweep
    # and left to its default in the other differs only if the default differs.
    executed = next((folder / str(point.get("notebook")) for folder, point in zip(folders, points)
                     if point.get("notebook")), path / "none")
    fixed = {k: v for k, v in _effective(executed, sweep.get("fixed") or {}).items() if k not in grid}
    fields: Fields = {("params", f"grid {name}"): values for name, values in grid.items()}
    fields |= {("params", name): value for name, value in fixed.items()}
    fields |= _flat("source", sweep.get("source")) | _flat("packages", sweep.get("packages"))
    total = 0.0
    for point in points:
        label = grid_label(point.get("grid_values") or {})
        fields[("run", f"{label}: status")] = point.get("status")
        for section in ("data", "results"):
            fields |= {(section, f"{label}: {name}"): value
                       for (_, name), value in _flat(section, point.get(section)).items()}
        total += float(point.get("seconds") or 0)
    fields[("duration", "points, total seconds")] = round(total, 1)
    return Side("sweep", ref, {stem: fields}, path.resolve())


def grid_label(values: Mapping[str, Any]) -> str:
    """`alpha=0.3, l1_ratio=0.7`: a point's grid values by name, so two sweeps' points pair up by value."""
    return ", ".join(f"{name}={value_text(values[name])}" for name in sorted(values))


def _effective(executed: Path, given: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a notebook ran with: the defaults of its parameters cell, overridden by `given`."""
    defaults: dict[str, Any] = {}
    if executed.is_file():
        try:
            params = read_notebook_info(executed).parameters
        except WorkbookError:
            params = {}
        defaults = {name: literal_default(param) for name, param in params.items()}
    merged = defaults | dict(given)
    return {name: value for name, value in merged.items() if name not in RUNNER_PARAMETERS}


def _fields(*, status: Any, params: Mapping[str, Any], results: Mapping[str, Any], data: Any, source: Any,
            packages: Any, seconds: Any) -> Fields:
    """A side's fields by section; nested results and data become dotted names (`airline_counts.IndiGo`)."""
    fields: Fields = {("run", "status"): status}
    fields |= {("params", name): value for name, value in params.items()}
    fields |= _flat("results", results) | _flat("data", data)
    fields |= _flat("source", source) | _flat("packages", packages)
    fields[("duration", "seconds")] = seconds
    # None is a value for a parameter, a result or a data file (the twin); elsewhere it means "not recorded".
    return {key: value for key, value in fields.items() if value is not None or key[0] in ("params", "results", "data")}


def _flat(section: str, values: Any, prefix: str = "") -> Fields:
    """A mapping as (section, dotted name) -> value; None or a non-mapping gives nothing."""
    if not isinstance(values, Mapping):
        return {}
    flat: Fields = {}
    for name, value in values.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            flat |= _flat(section, value, f"{key}.")
        else:
            flat[(section, key)] = value
    return flat


def _load_mlflow_run(run_id: str, ref: str) -> Side:
    """An MLflow run of the workbook's store (or MLFLOW_TRACKING_URI): params, metrics, tags, duration.

    A sweep point's own run (the one its notebook logged, e.g. in `wine`) stands for the point's record: the
    child run the sweep logged under its parent, with the point's results under the notebook's result names.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from workbook import tracking  # imports MLflow: only a diff of MLflow runs pays for it

    uri = tracking.resolve_tracking_uri()
    db = tracking.sqlite_path(uri)
    if db is not None and not db.exists():
        raise DiffInputError(f"{ref}: no MLflow store at {db} to look the run up in (set MLFLOW_TRACKING_URI?)")
    try:
        client = MlflowClient(uri)
        run = _point_record(client, client.get_run(run_id))
        experiment = client.get_experiment(run.info.experiment_id).name
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise DiffInputError(f"{ref}: no MLflow run with this id in {uri}") from None
        raise DiffError(f"{ref}: tracking store {uri}: {first_line(error)}") from None
    tags, metrics = run.data.tags, dict(run.data.metrics)
    notebook = tags.get("workbook.notebook")
    params = {k: _param(v) for k, v in run.data.params.items()}
    if tags.get(ROLE_TAG) == "point":
        # The sweep's record of a point: its run time is the `seconds` metric (the record itself was logged in
        # milliseconds). Its parameters are every value the point ran with, the notebook's defaults of that day
        # included, as the sweep logged them. A record logged before sweeps did so holds only the grid and
        # fixed values: the rest is filled from the notebook in notebooks/ as it is now, the best left to know.
        seconds = metrics.pop("seconds", None)
        if tags.get(ALL_PARAMS_TAG) != "all":
            params = _effective(NOTEBOOKS_DIR / f"{notebook}.ipynb", params)
    else:
        seconds = (run.info.end_time - run.info.start_time) / 1000 if run.info.end_time else None
    version = tags.get("workbook.version")
    fields = _fields(status=RUN_STATUS.get(run.info.status, run.info.status), params=params, results=metrics,
                     seconds=seconds,
                     data={k.removeprefix("workbook."): v for k, v in tags.items() if k.startswith("workbook.data")},
                     source={"git_commit": tags.get("mlflow.source.git.commit")},
                     packages={"mlops-workbook": version} if version else None)
    return Side("MLflow run", ref, {notebook or f"experiment {experiment}": fields})


# A sweep's tags (workbook.sweep.tracker; spelled here so a diff of folders imports no sweep code).
SWEEP_TAG, POINT_TAG, ROLE_TAG = "workbook.sweep_key", "workbook.point_key", "workbook.sweep_role"
ALL_PARAMS_TAG = "workbook.params_logged"


def _point_record(client: Any, run: Any) -> Any:
    """The sweep's child run for a point's own run (same sweep and point keys); any other run as it is."""
    tags = run.data.tags
    if tags.get(ROLE_TAG) or not (tags.get(SWEEP_TAG) and tags.get(POINT_TAG)):
        return run
    experiments = [experiment.experiment_id for experiment in client.search_experiments()]
    found = client.search_runs(experiments, f"tags.`{SWEEP_TAG}` = '{tags[SWEEP_TAG]}' AND "
                                            f"tags.`{POINT_TAG}` = '{tags[POINT_TAG]}' AND tags.`{ROLE_TAG}` = 'point'")
    return found[0] if found else run


def _param(text: str) -> Any:
    """An MLflow parameter (always text) as the number, boolean or None it spells, so it meets a folder's."""
    try:
        return json.loads(text)
    except ValueError:
        return {"True": True, "False": False, "None": None}.get(text, text)


# --- comparing --------------------------------------------------------------------------------------------


def diff_runs(a_ref: str, b_ref: str, notebook: str | None = None) -> Diff:
    """Read both sides and compare them; DiffInputError when they are not two runs of one notebook."""
    return compare(load_side(a_ref), load_side(b_ref), notebook)


def compare(a: Side, b: Side, notebook: str | None = None) -> Diff:
    """One row per field of the notebook(s) both sides ran, in section order."""
    if (a.kind == "sweep") != (b.kind == "sweep"):
        raise DiffInputError(f"{a.label} is a {a.kind} and {b.label} a {b.kind}; compare a sweep with a sweep, "
                             "or a run or point with a run or point")
    stems = _common_notebooks(a, b, notebook)
    rows: list[Row] = []
    for stem in stems:
        fa, fb = a.fields[stem], b.fields[stem]
        keys = list(dict.fromkeys([*fa, *fb]))
        keys.sort(key=lambda key: SECTIONS.index(key[0]))  # stable: each side's own order within a section
        prefix = f"{stem}: " if len(stems) > 1 else ""
        recorded = {section for section, _ in fa} & {section for section, _ in fb}
        rows += [Row(section, prefix + name, fa.get((section, name), NOT_RECORDED),
                     fb.get((section, name), NOT_RECORDED), section not in recorded) for section, name in keys]
    return Diff(a, b, tuple(rows))


def _common_notebooks(a: Side, b: Side, notebook: str | None) -> list[str]:
    """The notebooks to compare: --notebook's, or all when both ran the same ones."""
    common = [stem for stem in a.notebooks if stem in b.notebooks]
    if notebook is not None:
        chosen = [stem for stem in common if stem == notebook or stem.startswith(notebook)
                  or stem.split("_", 1)[-1] == notebook]
        if len(chosen) != 1:
            raise DiffInputError(f"--notebook {notebook}: expected one notebook both sides ran; they both ran: "
                                 f"{', '.join(common) or 'none'}")
        return chosen
    if not common:
        raise DiffInputError(f"{a.label} ran {', '.join(a.notebooks)} and {b.label} ran {', '.join(b.notebooks)}: "
                             "runs of different notebooks do not compare")
    if set(a.notebooks) != set(b.notebooks):
        raise DiffInputError(f"{a.label} ran {', '.join(a.notebooks)} and {b.label} ran {', '.join(b.notebooks)}; "
                             f"choose one both ran with --notebook, e.g. --notebook {common[0]}")
    return common


# --- values -----------------------------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A value as compact text: floats to 6 significant digits, lists and dicts as JSON."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "null" if value is None else str(value)


def _same(a: Any, b: Any) -> bool:
    """Equal values; 1 and 1.0 count as equal, True and 1 do not."""
    if is_finite_number(a) and is_finite_number(b):
        return float(a) == float(b)
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b
