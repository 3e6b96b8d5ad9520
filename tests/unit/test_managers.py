"""Unit tests for workbook.execution.managers: batch kernels on Unix sockets, so none races another for a port.

The kernel tests start real `workbook` kernels (about a second each).
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import nbformat
import pytest

from workbook.execution import execute_one, read_notebook_info
from workbook.execution.managers import manager_class, stop_kernel, uses_unix_sockets

pytestmark = pytest.mark.skipif(not uses_unix_sockets(), reason="Unix sockets are the POSIX transport")

# What the kernel itself says it listens on: ipykernel's application knows its transport and address.
PROBE = "from ipykernel.kernelapp import IPKernelApp\napp = IPKernelApp.instance()\nprint(app.transport, app.ip)"


def test_each_manager_has_socket_paths_of_its_own_and_no_tcp_port() -> None:
    first, second = manager_class()(kernel_name="workbook"), manager_class()(kernel_name="workbook")
    assert first.transport == second.transport == "ipc"
    assert os.path.isabs(first.ip) and first.ip != second.ip
    assert len(first.ip) + len("-65535") < 100  # a Unix socket path is limited to about 104 bytes


def test_a_started_kernel_listens_on_its_sockets_and_leaves_none_behind() -> None:
    from jupyter_core.utils import run_sync

    manager = manager_class()(kernel_name="workbook")
    run_sync(manager.start_kernel)()
    try:
        client = manager.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)  # the kernel has bound its sockets once it answers
        sockets = glob.glob(f"{manager.ip}-*")
        assert len(sockets) == 5  # shell, iopub, stdin, control, heartbeat
        assert all(Path(path).is_socket() for path in sockets)
    finally:
        stop_kernel(manager)
    assert glob.glob(f"{manager.ip}-*") == []


def test_a_notebook_papermill_starts_a_kernel_for_runs_on_unix_sockets(tmp_path: Path) -> None:
    source = tmp_path / "01_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)]), source)
    run = execute_one(read_notebook_info(source), tmp_path / "out.ipynb", {}, "workbook", tmp_path, None,
                      shutdown="immediate")
    assert run.status == "ok", run.error
    (cell,) = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells
    transport, prefix = cell.outputs[0]["text"].split()
    assert transport == "ipc" and prefix.startswith(os.path.join(os.path.dirname(prefix), "workbook-kernel-"))
    assert glob.glob(f"{prefix}-*") == []  # removed when the kernel stopped


def test_a_client_that_does_not_close_holds_the_stop_for_its_timeout_only(caplog: pytest.LogCaptureFixture) -> None:
    """A client stuck in closing (ZMQ's context termination) is left behind with a warning; the stop goes on."""
    import threading
    import time

    from workbook.execution import managers

    release = threading.Event()

    class StuckClient:
        def stop_channels(self) -> None:
            release.wait(30)

    began = time.monotonic()
    with caplog.at_level("WARNING", logger=managers.__name__):
        managers.close_client(StuckClient(), timeout=0.2)
    release.set()
    assert time.monotonic() - began < 5
    assert "did not close within 0.2 s" in caplog.text
