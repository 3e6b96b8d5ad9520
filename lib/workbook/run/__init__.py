"""`workbook run`: execute the selected notebooks into a run folder and report on them.

orchestrate: the entry point (check, plan, run); schedule: sequential and needs-aware parallel execution;
folders: the one out-dir check and run-folder naming (shared with sweeps); report: results.json, run.json,
index.html; in_place: refresh the committed notebooks.
"""

from workbook.run.folders import check_out_dir, create_out_dir, new_run_dir, prepare_out_dir
from workbook.run.in_place import run_in_place, strip_volatile_metadata, write_clean_notebook
from workbook.run.orchestrate import run_notebooks
from workbook.run.report import RunResult, finish_run, render_html, write_index_html, write_run_json
from workbook.run.schedule import RunContext, check_jobs, run_folder_parameters

__all__ = [
    "RunContext",
    "RunResult",
    "check_jobs",
    "check_out_dir",
    "create_out_dir",
    "finish_run",
    "new_run_dir",
    "prepare_out_dir",
    "render_html",
    "run_folder_parameters",
    "run_in_place",
    "run_notebooks",
    "strip_volatile_metadata",
    "write_clean_notebook",
    "write_index_html",
    "write_run_json",
]
