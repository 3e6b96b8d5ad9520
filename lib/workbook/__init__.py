"""The MLOps workbook's shared library: data, features, models, tracking, monitoring and the runner.

Notebooks import from the modules here so that every cell stays a few lines long and every piece of
logic has a unit test.
"""

__version__ = "0.1.0"
