"""One-line error messages: what the command line, the runner and the tracking helpers show a learner."""

from __future__ import annotations

import re

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
