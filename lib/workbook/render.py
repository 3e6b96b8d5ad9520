"""The HTML pages, rendered from the jinja2 templates in workbook/templates/ with every value escaped.

Each page (a run's index.html, a sweep's summary.html, the drift report, a diff, the leaderboard) is one
self-contained file: it is opened from disk and logged to MLflow, so the one stylesheet (templates/style.css)
is included inline, and figures are PNG data URLs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One environment per process: autoescape on, a misspelt variable is an error, not an empty string."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("workbook", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(template: str, **context: Any) -> str:
    """The page `template` (a file in workbook/templates/) rendered with `context`."""
    return environment().get_template(template).render(**context)
