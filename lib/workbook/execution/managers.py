"""The kernel manager every batch kernel gets, and stopping a kernel we started.

Kernels talk over Unix sockets on POSIX. Over TCP, jupyter_client picks each kernel's five ports by binding
port 0 and closing it again, so two kernels started at the same moment (a parallel run, a sweep's warm
kernels) now and then pick the same port and one dies with "ZMQError: Address already in use". A socket
path of the kernel's own cannot be taken by another kernel.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

logger = logging.getLogger(__name__)

CLIENT_CLOSE_TIMEOUT_S = 10.0  # closing a client takes milliseconds; beyond this it is stuck (see close_client)


def uses_unix_sockets() -> bool:
    """Whether batch kernels talk over Unix sockets (POSIX) rather than TCP (Windows)."""
    return os.name == "posix"


def socket_prefix() -> str:
    """A path prefix of a kernel's own for its sockets (jupyter_client appends `-<n>`): short, as a socket path
    has a limit of about 100 characters, and absolute, as the kernel and its clients run in other folders."""
    return os.path.join(tempfile.gettempdir(), f"workbook-kernel-{uuid.uuid4().hex[:12]}")


@functools.cache
def manager_class() -> type[AsyncKernelManager]:
    """An AsyncKernelManager (what nbclient drives) on Unix sockets where there are some, which remembers the
    clients made for it so they are closed with the kernel; made on first use, as jupyter_client is slow to
    import."""
    from jupyter_client.manager import AsyncKernelManager

    class BatchKernelManager(AsyncKernelManager):
        """Unix sockets (no port race); remembers its clients (nbclient leaves one open on a kernel it did not
        start). jupyter_client removes the socket files when the kernel is cleaned up."""

        def __init__(self, **kwargs: Any) -> None:
            if uses_unix_sockets():
                kwargs.setdefault("transport", "ipc")
                kwargs.setdefault("ip", socket_prefix())
            super().__init__(**kwargs)

        def client(self, **kwargs: Any) -> Any:
            client = super().client(**kwargs)
            self.__dict__.setdefault("clients", []).append(client)
            return client

    return BatchKernelManager


def stop_kernel(manager: AsyncKernelManager) -> None:
    """Kill a kernel we started, close the clients made for it (ours and nbclient's), free its files."""
    from jupyter_core.utils import run_sync

    for client in getattr(manager, "clients", []):
        close_client(client)
    try:
        if run_sync(manager.is_alive)():
            run_sync(manager.shutdown_kernel)(now=True)
    except Exception as error:  # the kernel died on its own
        logger.debug("stopping a kernel: %s", error)
    finally:
        run_sync(manager.cleanup_resources)()


def close_client(client: Any, timeout: float = CLIENT_CLOSE_TIMEOUT_S) -> None:
    """Close a client's channels, waiting at most `timeout` seconds.

    Closing ends in ZMQ's context termination, which waits for every socket of the context to be closed; a
    socket left open by a coroutine that Ctrl-C cut short would make it wait forever (seen once: a sweep
    interrupted under load never exited). The kernel is killed after this either way.
    """
    def close() -> None:
        try:
            client.stop_channels()
        except Exception as error:  # already closed
            logger.debug("closing a kernel client: %s", error)

    closing = threading.Thread(target=close, name="close-kernel-client", daemon=True)
    closing.start()
    closing.join(timeout)
    if closing.is_alive():
        logger.warning("a kernel client did not close within %g s; left behind", timeout)
