"""Every error the workbook raises on purpose, under one root.

A `WorkbookError`'s message is one line a learner can act on (a data-contract error adds one line per
problem). The command line is the one place that turns it into `error: <message>` and its `exit_code`:
2 for a request the command cannot take (an option, a parameter, a grid, something to compare), 1 for
everything that went wrong while doing it. Each error also keeps the built-in type it used to be
(ValueError, OSError, ...), so code that caught those still catches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from workbook.data.contract import Problem


class WorkbookError(Exception):
    """A problem with the user's request or what it needs; its message is one line."""

    exit_code: ClassVar[int] = 1


class UsageError(WorkbookError):
    """A request the command cannot take: a bad option, parameter, value, grid or thing to compare."""

    exit_code: ClassVar[int] = 2


# --- data --------------------------------------------------------------------------------------------


class DataContractError(WorkbookError, ValueError):
    """Data that breaks the flight-file contract; `.problems` holds one readable line per problem.

    `.details` holds the same problems as `workbook.data.contract.Problem`s (column, check, rows, message),
    for callers that need the column without parsing the lines.
    """

    def __init__(self, source: str, problems: list[str], details: Sequence[Problem] = ()):
        self.source = source
        self.problems = list(problems)
        self.details: list[Problem] = list(details)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{lines}")


class DataFileNotFoundError(DataContractError, FileNotFoundError):
    """The data file does not exist (catchable as DataContractError or FileNotFoundError)."""


class WineDataUnavailable(WorkbookError, OSError):
    """The wine file cannot be had (missing file, no network): a reason to skip the demo, not a bug."""


class WineDataError(WorkbookError, ValueError):
    """The wine file was read but is not the UCI red-wine table; the message names the file and the problem."""


class TransparencyError(WorkbookError, ValueError):
    """Input the transparency helpers cannot use; the message names the parameter or column."""


# --- tracking and servers ----------------------------------------------------------------------------


class TrackingError(WorkbookError, RuntimeError):
    """A tracking store, experiment or registered model the workbook cannot use; the message says which."""


class ServingError(WorkbookError, RuntimeError):
    """The model server would not start, died, or answered a request with an error; the message says why."""

    def __init__(self, message: str, log_tail: Sequence[str] = ()):
        super().__init__(message)
        self.log_tail = list(log_tail)  # the server's last log lines, for a closer look


class TrackingServerError(ServingError):
    """The tracking server cannot be configured, would not start, or died; the message says why in one line."""


class InputSchemaError(WorkbookError, ValueError):
    """Rows to score do not match the model's signature; the message names the file and the columns."""


class RoomError(WorkbookError, RuntimeError):
    """The room cannot be prepared, reached or changed; the message says why in one line."""


class SetupError(WorkbookError, RuntimeError):
    """A setup step failed; the message names the step and its last line of output."""


# --- runs, sweeps, comparisons -----------------------------------------------------------------------


class SweepUsageError(UsageError):
    """A bad sweep request (grid, parameter, value, option, grid file)."""


class SweepError(WorkbookError):
    """A sweep that cannot start or go on (folder, kernel, tracking store, scheduler)."""


class DiffInputError(UsageError):
    """A or B is not something to compare (unknown, not a run, another notebook)."""


class DiffError(WorkbookError):
    """The comparison could not be made (an MLflow store that fails)."""


class EntryPointError(WorkbookError):
    """A bad value for an entry point's parameter, missing data, or a store that fails; the message says which."""
