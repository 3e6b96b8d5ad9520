"""Unit tests for workbook.execution.forked: kernels forked from a server that imported their modules once.

The tests start a real fork server and `workbook` kernels (importing only the standard library).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from workbook.execution import execute_one, forked, read_notebook_info, warm
from workbook.execution.managers import stop_kernel

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked kernels are Linux only")

PROBE = ("import json, os, random, sys\n"
         "print(json.dumps({'env': os.environ.get('PROBE'), 'cwd': os.getcwd(), 'wave': 'wave' in sys.modules,"
         " 'own_session': os.getsid(0) == os.getpid(), 'draw': random.random()}))")


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch):
    """Fork servers of this test only, ended after it."""
    fresh = forked.ForkServers()
    monkeypatch.setattr(forked, "SERVERS", fresh)
    yield fresh
    fresh.close()


def probe_notebook(folder: Path) -> Path:
    source = folder / "01_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)]), source)
    return source


def run_probe(source: Path, out: Path, manager) -> dict:
    run = execute_one(read_notebook_info(source), out, {}, "workbook", source.parent, None, shutdown="immediate",
                      kernel=manager)
    assert run.status == "ok", run.error
    (cell,) = nbformat.read(out, as_version=4).cells
    return json.loads(cell.outputs[0]["text"])


def test_forked_kernels_have_the_servers_imports_and_their_own_env_folder_session_and_seeds(
        tmp_path: Path, servers: forked.ForkServers) -> None:
    source = probe_notebook(tmp_path)
    recipe = warm.recipe_for(("wave",), "workbook", {"PROBE": ""})
    seen, managers = [], []
    for number in (1, 2):
        folder = tmp_path / f"point{number}"
        folder.mkdir()
        manager = forked.start_kernel(recipe, {"PROBE": f"point {number}"}, folder)
        managers.append(manager)
        seen.append(run_probe(source, tmp_path / f"out{number}.ipynb", manager))
    assert [(s["env"], s["cwd"], s["wave"], s["own_session"]) for s in seen] == [
        ("point 1", str(tmp_path / "point1"), True, True), ("point 2", str(tmp_path / "point2"), True, True)]
    assert seen[0]["draw"] != seen[1]["draw"]  # seeded anew, not the server's generator twice
    assert len(servers._servers) == 1  # one server forked both
    for manager in managers:
        assert not manager.has_kernel
        assert manager.provisioner is None or manager.provisioner.process is None


def test_a_forked_kernel_is_interrupted_stopped_and_reaped(tmp_path: Path, servers: forked.ForkServers) -> None:
    from jupyter_core.utils import run_sync

    recipe = warm.recipe_for((), "workbook", {})
    manager = forked.start_kernel(recipe, {}, tmp_path)
    pid = manager.provisioner.pid
    client = manager.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        sleeping = client.execute("import time\ntime.sleep(60)")
        time.sleep(1)
        began = time.monotonic()
        run_sync(manager.interrupt_kernel)()
        # The reply to the sleep, not an earlier one: on a slow start wait_for_ready asks for kernel_info more
        # than once and reads one reply, so another (status ok) may still be waiting on the shell channel.
        reply = run_sync(client.get_shell_msg)(timeout=20)
        while reply["parent_header"].get("msg_id") != sleeping:
            reply = run_sync(client.get_shell_msg)(timeout=20)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert time.monotonic() - began < 20
    finally:
        stop_kernel(manager)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:  # gone, not a zombie of the server
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()


def test_a_server_that_has_ended_says_so(tmp_path: Path) -> None:
    server = forked.ForkServer([sys.executable], dict(os.environ), [])
    server.close()
    with pytest.raises(forked.WorkbookError, match="fork server has ended"):
        server.fork([], str(tmp_path), {})


def test_on_by_default_on_linux_off_with_the_switch_and_never_on_macos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(forked.SWITCH, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert forked.enabled()
    monkeypatch.setenv(forked.SWITCH, "0")
    assert not forked.enabled()
    monkeypatch.setenv(forked.SWITCH, "1")
    monkeypatch.setattr(sys, "platform", "darwin")  # system frameworks that are not safe to fork
    assert not forked.enabled()


def test_only_an_ipykernel_launcher_command_is_forked() -> None:
    argv = ["/venv/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert forked.launcher_split(argv) == (argv[:2], ["-f", "{connection_file}"])
    assert forked.launcher_split(["/usr/bin/R", "--slave", "-e", "IRkernel::main()"]) is None


def test_a_kernel_that_cannot_be_forked_is_started_as_usual(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    """kernel_for answers None (papermill then starts the kernel itself) with one warning, never an error."""
    def broken(*args: object) -> None:
        raise forked.WorkbookError("the kernel fork server has ended (exit code 1)")

    monkeypatch.setenv(forked.SWITCH, "1")
    monkeypatch.setattr(forked, "start_kernel", broken)
    recipe = warm.recipe_for((), "workbook", {})
    with caplog.at_level("WARNING", logger=warm.__name__):
        assert warm.kernel_for(recipe, {}, tmp_path, None) is None
    expected = "could not fork a kernel (the kernel fork server has ended (exit code 1)); starting one as usual"
    assert expected in caplog.text


def test_a_server_that_does_not_answer_in_time_is_ended_not_asked_again(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A late answer would be read as the next kernel's pid: the server is stopped on the timeout."""
    monkeypatch.setattr(forked, "FORK_TIMEOUT_S", 0.5)
    silent = forked.ForkServer(["sh", "-c", "cat > /dev/null", "sh"], dict(os.environ), [])  # reads, never answers
    with pytest.raises(forked.WorkbookError, match="did not answer within 0.5 s"):
        silent.fork([], str(tmp_path), {})
    assert silent.process.poll() is not None
    with pytest.raises(forked.WorkbookError, match="fork server has ended"):
        silent.fork([], str(tmp_path), {})
