"""End-to-end: the `workbook` command line run as a subprocess against the fixture notebooks.

Real kernels start here (about 1-2 s each), so each run is made once per module and checked by several tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


def stderr_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command printed to stderr, minus the (rare, legitimate) kernel start-up retry notes."""
    return [line for line in done.stderr.splitlines() if "trying again" not in line]


def workbook(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m workbook.cli ARGS` and capture its output."""
    command = [sys.executable, "-m", "workbook.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Notebooks 01 and 02 with -p values and a YAML file (-p wins over the file)."""
    out = tmp_path_factory.mktemp("good") / "run"
    params = out.parent / "params.yaml"
    params.write_text("n_rows: 10\nscale: 1e-3\nrandom_state: 3\n")  # 1e-3 is a string in YAML 1.1
    done = workbook("run", "01", "beta", "-p", "n_rows", "4", "-p", "label", "007", "-f", params,
                    "--out", out, "--notebooks-dir", FIXTURES, "--no-progress")
    return done, out


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """All three notebooks with `fail` true: 02_beta (the only one declaring it) fails, 03 never runs."""
    out = tmp_path_factory.mktemp("failed") / "run"
    done = workbook("run", "-p", "fail", "true", "--out", out, "--notebooks-dir", FIXTURES)
    return done, out


def test_good_run_exits_zero_and_says_where_things_are(good_run) -> None:
    done, out = good_run
    assert done.returncode == 0, done.stderr
    assert f"results:    {out / 'results.json'}" in done.stdout
    assert f"report:     {out / 'index.html'}" in done.stdout
    assert stderr_lines(done) == []  # no kernel warnings, no papermill logging


def test_good_run_results_reflect_the_parameters(good_run) -> None:
    _, out = good_run
    results = json.loads((out / "results.json").read_text())
    assert results["01_alpha"] == {"label": "007", "total": pytest.approx(0.006)}  # (0+1+2+3) * 1e-3
    assert results["02_beta"] == {"random_state": 3, "data_path": None, "finished": True}


def test_good_run_writes_notebooks_html_index_and_run_json(good_run) -> None:
    _, out = good_run
    for stem in ["01_alpha", "02_beta"]:
        assert (out / f"{stem}.ipynb").exists()
        assert "Alpha fixture" in (out / "01_alpha.html").read_text()
    index = (out / "index.html").read_text()
    assert '<a href="01_alpha.html">01_alpha</a>' in index and '<a href="02_beta.html">02_beta</a>' in index
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "ok"
    assert [(n["name"], n["status"]) for n in run_json["notebooks"]] == [
        ("01_alpha", "ok"), ("02_beta", "ok"),
    ]
    assert run_json["parameters"]["01_alpha"] == {"n_rows": 4, "scale": 0.001, "label": "007"}


def test_good_run_injects_typed_parameters_after_the_parameters_cell(good_run) -> None:
    _, out = good_run
    nb = nbformat.read(out / "01_alpha.ipynb", as_version=4)
    injected = nb.cells[2]
    assert "injected-parameters" in injected.metadata["tags"]
    for line in ['label = "007"', "n_rows = 4", "scale = 0.001"]:
        assert line in injected.source
    assert f'results_path = "{out / "01_alpha.results.json"}"' in injected.source


def test_failed_run_exits_one_with_a_one_line_error(failed_run) -> None:
    done, _ = failed_run
    assert done.returncode == 1
    assert stderr_lines(done) == [
        "error: 02_beta failed at cell [4] (cell index 5): ValueError: fail=True | asked to fail on purpose"
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_failed_run_marks_the_partial_notebook_and_writes_no_results(failed_run) -> None:
    done, out = failed_run
    assert (out / "02_beta.FAILED.ipynb").exists() and not (out / "02_beta.ipynb").exists()
    assert not (out / "results.json").exists() and not (out / "03_gamma.ipynb").exists()
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "failed"
    assert [(n["name"], n["status"]) for n in run_json["notebooks"]] == [
        ("01_alpha", "ok"), ("02_beta", "failed"), ("03_gamma", "skipped"),
    ]
    assert 'class="banner failed"' in (out / "index.html").read_text()
    assert "skipped  03_gamma" in done.stdout


def test_unknown_parameter_fails_before_any_kernel_starts(tmp_path: Path) -> None:
    out = tmp_path / "run"
    started = time.monotonic()
    done = workbook("run", "-p", "foo", "1", "--out", out, "--notebooks-dir", FIXTURES)
    assert done.returncode == 2  # a request the command cannot take, as in a sweep
    assert done.stderr.strip() == (
        "error: unknown parameter 'foo': no selected notebook declares it; "
        "known: data_path, fail, label, n_rows, random_state, scale"
    )
    assert not out.exists()
    assert time.monotonic() - started < 30  # generous: it only imports; a kernel run would also leave files


def test_list_shows_parameters_types_defaults_and_help() -> None:
    done = workbook("list", "--notebooks-dir", FIXTURES)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "01_alpha  Alpha fixture"
    assert lines[1].split() == ["n_rows", "int", "3", "how", "many", "values", "to", "add", "up"]
    assert any(line.split()[:4] == ["data_path", "str", "|", "None"] for line in lines)
    assert "results_path" not in done.stdout  # set by the runner, not by users
    assert lines[-2:] == ["03_gamma  Gamma fixture", "    (no parameters)"]


def test_in_place_refreshes_a_notebook_without_papermill_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "nbs"
    shutil.copytree(FIXTURES, folder)
    done = workbook("run", "03", "--in-place", "--out", tmp_path / "run", "--notebooks-dir", folder)
    assert done.returncode == 0, done.stderr
    nb = nbformat.read(folder / "03_gamma.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2]
    assert nb.cells[1].outputs[0].text == "gamma says hello\n"
    assert nb.cells[2].outputs[0].data["text/plain"] == "42"
    assert "papermill" not in nb.metadata and all("execution" not in c.metadata for c in nb.cells)
    assert not (tmp_path / "run").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["01_alpha.ipynb", "02_beta.ipynb", "03_gamma.ipynb"]


def test_twin_writes_a_file_the_loader_accepts_and_rejects_unknown_formats(tmp_path: Path) -> None:
    from workbook.data import load_flights, make_flights

    done = workbook("twin", tmp_path / "t.xlsx", "--rows", "80", "--seed", "5")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 80 rows to {tmp_path / 't.xlsx'}"
    assert load_flights(tmp_path / "t.xlsx").equals(make_flights(80, seed=5))
    bad = workbook("twin", tmp_path / "t.json")
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"error: {tmp_path / 't.json'}: expected a .csv or .xlsx file name"
    assert not (tmp_path / "t.json").exists()


def test_twin_report_prints_the_price_structure_beside_the_real_file(tmp_path: Path) -> None:
    done = workbook("twin", tmp_path / "unused.csv", "--rows", "400", "--seed", "3", "--report")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["figure", "this", "data", "real", "file", "ratio"]
    assert any(line.startswith("median CV, same flight same date") and "0.163" in line for line in lines)
    assert not (tmp_path / "unused.csv").exists()  # a report writes nothing
    bad = workbook("twin", "--seed", "seven", "--report")
    assert bad.returncode == 2 and "'--seed'" in bad.stderr and "integer" in bad.stderr


# --- parallel runs (--jobs 2) -----------------------------------------------------------------------------


def test_a_parallel_run_gives_the_results_of_a_sequential_one(good_run, tmp_path: Path) -> None:
    _, sequential = good_run
    out = tmp_path / "run"
    params = sequential.parent / "params.yaml"
    done = workbook("run", "01", "beta", "-p", "n_rows", "4", "-p", "label", "007", "-f", params, "--jobs", "2",
                    "--out", out, "--notebooks-dir", FIXTURES, "--no-progress")
    assert done.returncode == 0, done.stderr
    assert stderr_lines(done) == []
    assert json.loads((out / "results.json").read_text()) == json.loads((sequential / "results.json").read_text())
    assert sorted(line.split()[1] for line in done.stdout.splitlines() if line.startswith("  ok ")) == [
        "01_alpha", "02_beta"]


def slow_notebooks(folder: Path) -> Path:
    """Two notebooks that sleep: a Ctrl-C finds both running."""
    folder.mkdir()
    for stem in ["01_slow", "02_slower"]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {stem}"),
                                             nbformat.v4.new_code_cell("import time\ntime.sleep(120)")])
        nb.metadata["kernelspec"] = {"name": "workbook", "display_name": "W", "language": "python"}
        nbformat.write(nb, folder / f"{stem}.ipynb")
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group as Ctrl-C would")
def test_ctrl_c_stops_a_parallel_run_and_leaves_no_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "workbook.cli", "run", "--jobs", "2", "--out", str(out),
               "--notebooks-dir", str(slow_notebooks(tmp_path / "nbs")), "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)  # its own process group, like a terminal's job
    deadline = time.monotonic() + 120
    # papermill writes each output notebook as its kernel starts executing
    while len(list(out.glob("0*.ipynb"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # into the sleeping cell
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "error: interrupted"
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["status"] == "interrupted"
    assert [(n["name"], n["status"], n["error"]) for n in run_json["notebooks"]] == [
        ("01_slow", "interrupted", "01_slow interrupted by the user"),
        ("02_slower", "interrupted", "02_slower interrupted by the user"),
    ]
    assert "<span class=\"interrupted\">INTERRUPTED</span>" in (out / "index.html").read_text()
    assert not (out / "results.json").exists()
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["01_slow.FAILED.ipynb", "02_slower.FAILED.ipynb"]


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to this process")
def test_ctrl_c_while_a_finished_notebook_is_recorded_keeps_its_result_and_ends_the_run_as_interrupted(
        tmp_path: Path) -> None:
    """The race behind a flaky CI run: Ctrl-C reaches the run's process and its workers at once, and a worker's
    result can wake the run first. Here the SIGINT lands exactly then, while 01's result is being recorded (in
    `on_notebook`). 01 keeps its result, 02 is interrupted, and the run ends as interrupted (exit 130 at the
    command line), not as a failed notebook (exit 1) and not with 01 marked skipped."""
    from workbook.run import run_notebooks

    folder = tmp_path / "nbs"
    folder.mkdir()
    for stem, source in [("01_quick", "1 + 1"), ("02_slow", "import time\ntime.sleep(120)")]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "workbook", "display_name": "W", "language": "python"}
        nbformat.write(nb, folder / f"{stem}.ipynb")

    def ctrl_c_on_the_first_result(run) -> None:
        if run.name == "01_quick":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the signal is handled while this callback still runs

    out = tmp_path / "run"
    before = signal.getsignal(signal.SIGINT)  # a test worker of pytest-xdist ignores SIGINT; a terminal does not
    with pytest.raises(KeyboardInterrupt):
        run_notebooks(out_dir=out, notebooks_dir=folder, progress=False, jobs=2,
                      on_notebook=ctrl_c_on_the_first_result)
    runs = {n["name"]: (n["status"], n["error"]) for n in json.loads((out / "run.json").read_text())["notebooks"]}
    assert runs == {"01_quick": ("ok", None), "02_slow": ("interrupted", "02_slow interrupted by the user")}
    assert signal.getsignal(signal.SIGINT) == before  # the run's own handler is gone
