"""One-line error messages: what the command line, the runner and the tracking helpers show a learner."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colours in tracebacks and error values


def first_line(error: BaseException | str) -> str:
    """The first non-empty line of an error's message, without colour codes.

    MLflow's `.message` is preferred (its str() adds the error code); an empty message gives the type name.
    """
    text = getattr(error, "message", None) or error
    for line in ANSI_ESCAPE.sub("", str(text)).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__ if isinstance(error, BaseException) else ""


def redacted(uri: str) -> str:
    """`uri` with any password replaced by ***, fit to print (database URLs often carry one)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
