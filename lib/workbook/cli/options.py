"""Options and arguments several commands share, and the `-p NAME VALUE` pairs of run and sweep.

Typer (0.29) has neither `click_type` nor repeatable two-value options (`list[tuple[str, str]]` is refused),
so `-p NAME VALUE` pairs travel with the positional arguments and `split_param_args` separates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbook.errors import UsageError

PARAM_FLAGS = ("-p", "--param")
PARAM_PAIRS_SETTINGS = {"ignore_unknown_options": True}  # lets `-p NAME VALUE` through to split_param_args
MODEL_URI_HELP = "Model URI: models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN_ID/PATH."

NotebooksDirOption = Annotated[
    Path,
    typer.Option("--notebooks-dir", help="Folder holding the NN_name.ipynb notebooks.", show_default=False),
]
KernelOption = Annotated[str, typer.Option("--kernel", help="Jupyter kernel to execute with.")]
ModelUriArgument = Annotated[str, typer.Argument(metavar="MODEL_URI", help=MODEL_URI_HELP, show_default=False)]
HostOption = Annotated[str, typer.Option("--host", help="Interface to bind; 127.0.0.1 = this machine only.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def split_param_args(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Separate notebook selectors from `-p NAME VALUE` pairs; UsageError for a pair cut short or another option."""
    selectors: list[str] = []
    params: dict[str, str] = {}
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token in PARAM_FLAGS:
            if position + 2 >= len(tokens):
                raise UsageError(f"Invalid value for '{token}': needs a NAME and a VALUE, e.g. {token} random_state 7")
            params[tokens[position + 1]] = tokens[position + 2]
            position += 3
        elif token.startswith("-"):
            raise UsageError(f"Invalid value for '{token}': no such option "
                             "(set notebook parameters with -p NAME VALUE)")
        else:
            selectors.append(token)
            position += 1
    return selectors, params


def real_file_rows() -> int:
    """The flight twin's default size, the real file's row count (read when needed: workbook.data loads pandas)."""
    from workbook import data

    return data.DEFAULT_ROWS


def warn_if_exposed(host: str) -> None:
    """Say so when a server will accept connections from other machines."""
    from workbook.serving import is_loopback  # the one loopback check; the commands calling this load MLflow anyway

    if not is_loopback(host):
        typer.echo(f"warning: listening on {host} lets other machines reach this server", err=True)
