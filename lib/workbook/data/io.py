"""Reading and writing flight files: `load_flights` (the one CSV/XLSX reader) and `write_flights`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbook.data.contract import table_problem, validate_flights
from workbook.data.formats import COLUMNS
from workbook.data.network import DEFAULT_ROWS
from workbook.data.twin import make_flights
from workbook.errors import DataContractError, DataFileNotFoundError
from workbook.files import atomic_write

EMPTY_FILE = "the file is empty: no header row and no data"


def load_flights(data_path: str | Path | None = None, *, n_rows: int = DEFAULT_ROWS, seed: int = 42) -> pd.DataFrame:
    """Load the flight data: the synthetic twin when `data_path` is None, else an .xlsx/.xls/.csv file.

    The result always passed the contract: text columns as str (missing Route/Total_Stops stay NaN),
    Price as int64. Anything else raises DataContractError naming the file, columns, rows and expectation.
    """
    if data_path is None:
        return validate_flights(make_flights(n_rows, seed), source="synthetic twin")
    path = Path(data_path).expanduser()
    source = path.name
    if not path.exists():
        raise _file_error(str(path), f"file not found: {path.resolve()}", DataFileNotFoundError)
    if path.is_dir():
        raise _file_error(str(path), "this is a folder; expected a .xlsx, .xls or .csv file")
    raw = read_table(path)
    if raw.shape[1] == 0:
        raise _file_error(source, EMPTY_FILE)
    if raw.shape[1] == 1 and ";" in str(raw.columns[0]):
        raise _file_error(source, "the file looks ';'-separated (one column named "
                                  f"{str(raw.columns[0])[:40]!r}...): save it with commas as separators")
    return validate_flights(raw, source=source)


def read_table(path: Path) -> pd.DataFrame:
    """Read a .csv, .xlsx or .xls file with every cell as text (missing cells stay NaN): the one reader of
    the flight file's formats, for loading and for scoring. A workbook's flight sheet is picked by its
    columns. Reader failures become a DataContractError whose one problem says what went wrong."""
    suffix = path.suffix.lower()
    source = path.name
    if suffix not in (".xlsx", ".xls", ".csv"):
        raise _file_error(source, f"not a spreadsheet: expected a .xlsx, .xls or .csv file, "
                                  f"got {suffix or 'no extension'!r}")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=True, encoding="utf-8-sig")
        engine = "openpyxl" if suffix == ".xlsx" else None
        return _flights_sheet(pd.read_excel(path, sheet_name=None, dtype=str, engine=engine), source)
    except DataContractError:
        raise
    except pd.errors.EmptyDataError:
        raise _file_error(source, EMPTY_FILE) from None
    except UnicodeDecodeError as err:
        raise _file_error(source, f"not readable as UTF-8 text (byte {err.start}): save the CSV as UTF-8") from None
    except ImportError as err:
        raise _file_error(source, f"cannot read {suffix} files here ({err}); save it as .xlsx or .csv") from None
    except Exception as err:  # corrupt workbooks raise zipfile/openpyxl/parser errors of many kinds
        kind = "an Excel workbook" if suffix != ".csv" else "a CSV file"
        raise _file_error(source, f"cannot be read as {kind} ({type(err).__name__}: {err}); "
                                  f"is it really a {suffix} file?") from None


def _flights_sheet(sheets: dict[str, pd.DataFrame], source: str) -> pd.DataFrame:
    """The one sheet of a workbook, or the sheet that has the flight columns; several candidates or none is
    an error naming the sheets found."""
    if len(sheets) == 1:
        return next(iter(sheets.values()))
    # Price may be missing (rows to score have none): the other columns say which sheet holds flights.
    wanted = set(COLUMNS) - {"Price"}
    having = [name for name, sheet in sheets.items() if wanted <= set(map(str, sheet.columns))]
    if len(having) == 1:
        return sheets[having[0]]
    names = ", ".join(repr(name) for name in sheets)
    if having:
        raise _file_error(source, f"sheets {', '.join(map(repr, having))} all have the flight columns; "
                                  "keep the one to use in a workbook of its own")
    raise _file_error(source, f"none of its sheets ({names}) has the flight columns ({', '.join(COLUMNS)})")


def _file_error(source: str, message: str,
                kind: type[DataContractError] = DataContractError) -> DataContractError:
    """A contract error about the file as a whole: its one line, and one `Problem` with no column."""
    return kind(source, [message], [table_problem("file", message)])


def write_flights(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write flight rows as .csv or .xlsx (the real file's format), atomically; return the path."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return write_csv_atomic(frame, path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: expected a .csv or .xlsx file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.xlsx")
    try:
        frame.to_excel(tmp, index=False, engine="openpyxl")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` as CSV (no index) so that a reader never sees half a file; return the path."""
    with atomic_write(path, newline="") as handle:
        frame.to_csv(handle, index=False)
    return Path(path)
