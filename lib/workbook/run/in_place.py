"""In-place runs: refresh the committed notebooks with their default parameters, written back cleaned."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workbook import made_with
from workbook.execution.catalog import NotebookInfo
from workbook.execution.kernel import environment_set
from workbook.files import atomic_write
from workbook.run.folders import prepare_out_dir
from workbook.run.report import UNFINISHED, RunResult, finish_run, now_iso
from workbook.run.schedule import RunContext, execute_all

if TYPE_CHECKING:
    import nbformat


def run_in_place(notebooks: Sequence[NotebookInfo], out_dir: str | Path | None, context: RunContext) -> RunResult:
    """Execute each notebook with its defaults and write it back, cleaned; a failure leaves the source alone.

    The partial notebook of a failure goes to a run folder (`out_dir` or a new one under runs/) with
    run.json and index.html, so nothing half-executed lands in the notebooks folder. `context.work_dir`
    is replaced by a scratch folder.
    """
    started = now_iso()
    # The notebooks' version record is about to be replaced: a notice about it would land in the new outputs.
    with tempfile.TemporaryDirectory(prefix="workbook-in-place-") as scratch, \
            environment_set({made_with.SWITCH: "off"}):
        work_dir = Path(scratch)

        def refresh(nb: NotebookInfo) -> None:
            write_clean_notebook(work_dir / nb.path.name, nb.path)

        context = dataclasses.replace(context, work_dir=work_dir, in_place=True, on_success=refresh)
        runs, interrupted = execute_all(notebooks, {}, context)
        error = next((run.error for run in runs if run.status in UNFINISHED), None)
        if error is None:
            result = RunResult("ok", None, runs, None, started)
        else:
            run_dir = prepare_out_dir(out_dir, context.notebooks_dir)
            for run in runs:
                if run.status in UNFINISHED and run.output:
                    shutil.move(work_dir / run.output, run_dir / run.output)  # /tmp may be another disk
                elif run.output:
                    run.output = None  # the refreshed notebook lives in the notebooks folder, not here
            result = finish_run(run_dir, runs, started, context.kernel_name)
    if interrupted:
        raise KeyboardInterrupt
    return result


def strip_volatile_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run (papermill/timing metadata) and number executed cells 1, 2, 3, ...

    A print can reach the notebook as several stream messages when the kernel flushes mid-way (a busy
    machine); nbconvert's CoalesceStreamsPreprocessor joins them, so a rerun does not reshuffle the diff.
    """
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    nb.metadata.pop("papermill", None)
    number = 0
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:  # papermill adds empty tag lists
            del cell.metadata["tags"]
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            number += 1
            cell.execution_count = number
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = number
    return nb


def write_clean_notebook(executed: Path, target: Path) -> None:
    """Replace `target` with the executed notebook, stripped of volatile metadata and stamped with the package
    versions that made its outputs, atomically."""
    import nbformat

    nb = strip_volatile_metadata(nbformat.read(executed, as_version=4))
    made_with.record_made_with(nb.metadata)
    with atomic_write(target) as handle:
        nbformat.write(nb, handle)

