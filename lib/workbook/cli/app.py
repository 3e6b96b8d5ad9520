"""The `workbook` typer app: its callback (logging, quiet MLflow) and the one place errors become exit codes.

Every command raises `workbook.errors.WorkbookError` (or lets the library's one through) for anything that
goes wrong; `WorkbookGroup.invoke` turns it into `error: <message>` on stderr and the error's `exit_code`
(2 for a request the command cannot take, 1 for the rest), and a Ctrl-C into `error: interrupted` and 130.
The command modules (run, sweep, models, servers, workshop) add their commands to `app`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from workbook.errors import WorkbookError

try:  # typer (0.29) parses with its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # a typer on the installed click
    from click import exceptions as click_exceptions

OptionError = click_exceptions.UsageError
# click >= 8.2 raises it when a group is called alone (its help is shown); an older one has no such class.
NoArgsIsHelpError = getattr(click_exceptions, "NoArgsIsHelpError", type("NoArgsIsHelpError", (Exception,), {}))

INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: <message>` to stderr and exit with `code` (no traceback for expected errors).

    A stderr gone away (a terminal closed: the hang-up that stopped a server) loses the line, not the code.
    """
    with contextlib.suppress(OSError):
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def expected(*kinds: type[Exception]) -> Iterator[None]:
    """Let built-in errors a command expects (a file it cannot read: OSError) end as one-line WorkbookErrors."""
    try:
        yield
    except WorkbookError:
        raise  # already one line, with its own exit code (a DataFileNotFoundError is an OSError too)
    except kinds as error:
        raise WorkbookError(str(error)) from error


class WorkbookGroup(TyperGroup):
    """The `workbook` command: every subcommand's WorkbookError, bad option and Ctrl-C end here, in one line."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkbookError as error:
            fail(str(error), error.exit_code)
        except NoArgsIsHelpError:
            raise  # `workbook room` alone shows its help
        except OptionError as error:  # a subcommand's unknown option, a value of the wrong type
            fail_on_usage(error)
        except KeyboardInterrupt:
            fail("interrupted", INTERRUPTED)

    def make_context(self, *args: Any, **kwargs: Any) -> typer.Context:
        try:
            return super().make_context(*args, **kwargs)
        except NoArgsIsHelpError:
            raise  # `workbook` alone shows its help
        except OptionError as error:  # `workbook --bogus`
            fail_on_usage(error)


def fail_on_usage(error: OptionError) -> NoReturn:
    """A usage error as one `error:` line pointing at the command's --help, not typer's five-line box; status 2."""
    where = f" (see `{error.ctx.command_path} --help`)" if error.ctx is not None else ""
    fail(f"{error.format_message().rstrip('.')}{where}", error.exit_code)


app = typer.Typer(
    name="workbook",
    cls=WorkbookGroup,
    help="Run the MLOps workbook's notebooks and collect their results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",  # joins the lines of a docstring paragraph
)


class EchoHandler(logging.Handler):
    """The library's log lines as the command's own lines on stderr (a stderr gone away loses them)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError):
            typer.echo(self.format(record), err=True)


def show_library_logs() -> None:
    """Libraries log instead of printing: show `workbook.*` info and warnings as bare lines on stderr."""
    logger = logging.getLogger("workbook")
    if not any(isinstance(handler, EchoHandler) for handler in logger.handlers):
        logger.addHandler(EchoHandler())
    logger.setLevel(logging.INFO)


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from importing rfc3987_syntax, whose import builds a grammar for 2-3 s in every process.

    papermill and nbval import nbformat, which imports jsonschema, whose format checkers import rfc3987_syntax
    (the iri/iri-reference formats) at once (python-jsonschema/jsonschema#1428). nbformat's schemas use no
    format, and jsonschema treats the package as optional: marked absent, the formats go unchecked and
    `workbook run` starts ~2 s sooner. Left alone when something imported it already.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not installed"


@app.callback()
def configure() -> None:
    """Run the MLOps workbook's notebooks and collect their results."""
    from workbook.execution.kernel import QUIET_MLFLOW  # at call time: `workbook --help` does not need it

    show_library_logs()
    skip_slow_iri_checker()
    # A command's output is its one line per result or error: no MLflow download bars on the terminal.
    for name, value in QUIET_MLFLOW.items():
        os.environ.setdefault(name, value)
