"""Unit tests for workbook.execution.warm: a kernel started ahead of its notebook, with its imports done.

The kernel tests start real `workbook` kernels (about a second each) and import only the standard library.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import types
from pathlib import Path

import nbformat
import pytest

from workbook.execution import execute_one, forked, read_notebook_info, warm
from workbook.execution.managers import stop_kernel
from workbook.sweep.executors import with_warm_kernels
from workbook.sweep.point import PointTask


def code(source: str) -> dict:
    return {"cell_type": "code", "source": source}


def test_notebook_imports_lists_top_level_modules_in_order_once() -> None:
    cells = [
        {"cell_type": "markdown", "source": "import not_code"},
        code("%matplotlib inline\nimport json, os.path\nfrom collections import abc\nfrom . import local"),
        code(["import json\n", "def f():\n", "    import hidden\n"]),
        code("this is not python ("),
    ]
    assert warm.notebook_imports(cells) == ("json", "os.path", "collections")


def test_notebook_imports_adds_what_mlflow_loads_on_first_use() -> None:
    modules = warm.notebook_imports([code("import mlflow")])
    assert modules == ("mlflow", *warm.MLFLOW_LAZY_MODULES)


def test_warm_up_imports_builds_mlflows_map_and_configures_the_sql_mappers_leaving_no_name(monkeypatch) -> None:
    """The warm-up's preparation steps run where their module is loaded; a failing one is skipped."""
    called: list[str] = []

    def failing() -> None:
        called.append("distributions")
        raise RuntimeError("not this time")

    monkeypatch.setitem(sys.modules, warm.MLFLOW_DISTRIBUTIONS_MAP[0],
                        types.SimpleNamespace(**{warm.MLFLOW_DISTRIBUTIONS_MAP[1]: failing}))
    monkeypatch.setitem(sys.modules, warm.SQLALCHEMY_MAPPERS[0],
                        types.SimpleNamespace(**{warm.SQLALCHEMY_MAPPERS[1]: lambda: called.append("mappers")}))
    namespace: dict[str, object] = {}
    exec(warm.warm_up_code(["wave", "no_such_module"]), namespace)  # what a kernel runs
    assert called == ["distributions", "mappers"]
    assert "wave" in sys.modules
    assert [name for name in namespace if name != "__builtins__"] == []


def test_recipe_keeps_the_notebooks_own_variables_out_of_the_kernels_start(monkeypatch) -> None:
    monkeypatch.setenv("WORKBOOK_RUN_TAGS", '{"leaked": "from the last point"}')
    recipe = warm.recipe_for(("json",), "workbook", {"WORKBOOK_RUN_TAGS": "{}"})
    env = dict(recipe.env)
    assert "WORKBOOK_RUN_TAGS" not in env
    assert env["OMP_NUM_THREADS"] == os.environ.get("OMP_NUM_THREADS", "1")
    assert recipe.modules == ("json",)


@pytest.mark.parametrize(("points", "workers", "expected"), [
    (6, 2, [True, True, True, True, False, False]),
    (2, 2, [False, False]),
    (3, 1, [True, True, False]),
])
def test_only_points_with_more_to_follow_start_the_next_kernel(points, workers, expected) -> None:
    notebook = json.dumps({"cells": [code("import json")]})
    tasks = [PointTask(i, f"k{i}", "x.ipynb", notebook, ".", {}, "workbook", {}, {}) for i in range(points)]
    marked = with_warm_kernels(tasks, workers)
    assert [task.warm_next for task in marked] == expected
    assert {task.imports for task in marked} == {("json",)}


def run_in(manager, source: str) -> dict:
    """Execute `source` in the kernel of `manager` and return the JSON it prints."""
    client = manager.client()
    client.start_channels()
    printed: list[str] = []
    try:
        from jupyter_core.utils import run_sync

        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)(
            source, timeout=60, output_hook=lambda msg: printed.append(msg["content"].get("text", "")))
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
    return json.loads("".join(printed))


def test_a_warm_kernel_has_its_modules_the_notebooks_env_and_folder_and_no_names_of_ours(tmp_path: Path) -> None:
    recipe = warm.KernelRecipe("workbook", tuple(sorted(os.environ.items())), ("wave", "no_such_module"))
    kernel = warm.WarmKernel(recipe, Path.cwd())
    manager = kernel.ready_for({"WORKBOOK_RUN_TAGS": '{"point": "p1"}'}, tmp_path)
    assert manager is not None
    try:
        seen = run_in(manager, "import json, os, sys\nprint(json.dumps({'tags': os.environ.get('WORKBOOK_RUN_TAGS'),"
                               " 'cwd': os.getcwd(), 'wave': 'wave' in sys.modules,"
                               " 'names': [n for n in dir() if 'workbook' in n]}))")
    finally:
        stop_kernel(manager)
    assert seen == {"tags": '{"point": "p1"}', "cwd": str(tmp_path), "wave": True, "names": []}
    assert not manager.has_kernel
    assert all(not client.channels_running for client in manager.clients)


def heartbeat_threads() -> set[threading.Thread]:
    from jupyter_client.channels import HBChannel

    return {thread for thread in threading.enumerate() if isinstance(thread, HBChannel)}


def test_a_spare_of_another_recipe_is_stopped_not_used() -> None:
    """Stopped at once, right after its start: a heartbeat thread stopped that early could miss the stop (its
    `_running = True` comes after it started) and hang the close, so a spare starts none."""
    spare = warm.Spare()
    first = warm.KernelRecipe("workbook", tuple(sorted(os.environ.items())), ("json",))
    before = heartbeat_threads()
    spare.start(first, Path.cwd())
    kernel = spare._kernel
    assert kernel is not None and kernel.manager.has_kernel
    assert heartbeat_threads() == before
    assert spare.take(warm.KernelRecipe(first.kernel_name, first.env, ("os",))) is None
    assert not kernel.manager.has_kernel
    assert spare.take(first) is None  # nothing waits any more


def test_a_notebook_executes_in_a_warm_kernel_and_shows_no_trace_of_it(tmp_path: Path) -> None:
    source = tmp_path / "01_probe.ipynb"
    cells = [nbformat.v4.new_code_cell("import os\nprint(os.environ['PROBE'], os.path.basename(os.getcwd()))")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    folder = tmp_path / "here"
    folder.mkdir()
    recipe = warm.recipe_for(warm.notebook_imports(json.loads(source.read_text())["cells"]), "workbook", {"PROBE": ""})
    manager = warm.WarmKernel(recipe, Path.cwd()).ready_for({"PROBE": "set for this notebook"}, folder)
    run = execute_one(read_notebook_info(source), tmp_path / "out.ipynb", {}, "workbook", folder, None,
                      shutdown="immediate", kernel=manager)
    assert run.status == "ok", run.error
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    (cell,) = executed.cells
    assert cell.execution_count == 1
    assert [output["text"] for output in cell.outputs] == ["set for this notebook here\n"]
    assert not manager.has_kernel  # stopped with its clients after the notebook
    assert all(not client.channels_running for client in manager.clients)


def test_the_switch_turns_warm_kernels_off(monkeypatch) -> None:
    tasks = [PointTask(i, f"k{i}", "x.ipynb", "{}", ".", {}, "workbook", {}, {}) for i in range(4)]
    monkeypatch.setenv(forked.SWITCH, "0")  # forked kernels need the imports too: both off here
    assert warm.enabled()
    monkeypatch.setenv(warm.SWITCH, "off")
    assert not warm.enabled()
    assert with_warm_kernels(tasks, 1) == tasks  # no kernel is started early, none is taken
