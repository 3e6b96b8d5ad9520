"""MLflow for the workbook: where runs are stored (store), what each run records (runs), the registry (registry).

Notebooks use `from workbook import tracking` and `tracking.<name>`: the names below are theirs.
"""

from workbook.errors import TrackingError
from workbook.tracking.quiet import without_noisy_warnings
from workbook.tracking.registry import (
    alias_version,
    load_by_alias,
    model_version,
    promote_if_better,
    register_model,
    set_alias,
    version_metric,
)
from workbook.tracking.runs import (
    EXTRA_TAGS_ENV,
    extra_tags_from_env,
    frame_hash,
    git_commit,
    log_dataset,
    log_model_run,
    log_sklearn_model,
    run_tags,
    runs_frame,
)
from workbook.tracking.store import (
    DEFAULT_DB,
    active_uri,
    artifact_root,
    create_sqlite_store,
    default_tracking_uri,
    ensure_store,
    file_lock,
    forget_tracking_state,
    resolve_tracking_uri,
    setup_tracking,
    sqlite_path,
    ui_command,
)

__all__ = [
    "DEFAULT_DB",
    "EXTRA_TAGS_ENV",
    "TrackingError",
    "active_uri",
    "alias_version",
    "artifact_root",
    "create_sqlite_store",
    "default_tracking_uri",
    "ensure_store",
    "extra_tags_from_env",
    "file_lock",
    "forget_tracking_state",
    "frame_hash",
    "git_commit",
    "load_by_alias",
    "log_dataset",
    "log_model_run",
    "log_sklearn_model",
    "model_version",
    "promote_if_better",
    "register_model",
    "resolve_tracking_uri",
    "run_tags",
    "runs_frame",
    "set_alias",
    "setup_tracking",
    "sqlite_path",
    "ui_command",
    "version_metric",
    "without_noisy_warnings",
]
