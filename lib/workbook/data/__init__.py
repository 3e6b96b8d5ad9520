"""Flight-fare data: the synthetic twin, the loader and its contract, the quality report and PII masking.

- `network`, `twin_config`, `timetable`, `prices`, `flaws`, `twin`: the synthetic twin (`make_flights`);
- `formats`: the real file's columns and text formats; `contract`: the schema, `validate_flights`, `Problem`;
- `io`: `load_flights` (the one CSV/XLSX reader) and `write_flights`; `labels`: known category labels;
- `quality`: the quality report; `pii`: PII masking; `fidelity`: the twin fidelity report (imports
  scikit-learn through `workbook.features`, so it is not imported here).
"""

from workbook.data.contract import Problem, flights_schema, validate_flights
from workbook.data.formats import COLUMNS, STOPS_LABELS, TEXT_COLUMNS
from workbook.data.io import load_flights, write_flights
from workbook.data.network import DEFAULT_ROWS, REAL_AIRLINE_COUNTS, REAL_MARKET_COUNTS
from workbook.data.pii import PII_COLUMNS, ingest_bookings, make_bookings, mask_pii, pii_preview, redact
from workbook.data.quality import quality_report
from workbook.data.twin import make_flights
from workbook.data.twin_config import TwinConfig
from workbook.errors import DataContractError

__all__ = [
    "COLUMNS",
    "DEFAULT_ROWS",
    "PII_COLUMNS",
    "REAL_AIRLINE_COUNTS",
    "REAL_MARKET_COUNTS",
    "STOPS_LABELS",
    "TEXT_COLUMNS",
    "DataContractError",
    "Problem",
    "TwinConfig",
    "flights_schema",
    "ingest_bookings",
    "load_flights",
    "make_bookings",
    "make_flights",
    "mask_pii",
    "pii_preview",
    "quality_report",
    "redact",
    "validate_flights",
    "write_flights",
]
