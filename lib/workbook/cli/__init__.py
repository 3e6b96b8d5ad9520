"""The `workbook` command line: parsing and printing around the library, nothing more.

`app` (app.py) holds the commands, which the modules below add to it as they are imported; it is also the
one place an error becomes `error: <message>` and an exit status.
"""

from workbook.cli import run, sweep, models, servers, workshop  # noqa: I001 - the order `workbook --help` lists
from workbook.cli.app import app

__all__ = ["app", "models", "run", "servers", "sweep", "workshop"]
