"""`python -m workbook.cli ARGS`: the `workbook` command (the MLproject's entry points run it so)."""

from workbook.cli import app

if __name__ == "__main__":
    app(prog_name="workbook")
