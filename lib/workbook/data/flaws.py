"""The real file's flaws, put into the twin: a 5-minute flight, 'No Info', a missing route, exact duplicates."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from workbook.data.formats import arrival_texts, clock_minutes
from workbook.data.twin_config import TwinConfig


def make_rows_distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """Nudge the price of accidental exact repeats by a rupee, so the only duplicates are the injected ones."""
    frame = frame.copy()
    while True:
        repeats = frame.duplicated(keep="first").to_numpy()
        if not repeats.any():
            return frame
        frame.loc[repeats, "Price"] = frame.loc[repeats, "Price"] + 1


def inject_flaws(frame: pd.DataFrame, flights: np.ndarray, config: TwinConfig,
                 rng: np.random.Generator) -> pd.DataFrame:
    """The real file's flaws: a 5-minute flight, 'No Info' spellings, one incomplete Air India row, duplicates.

    Rows are changed (never added): a duplicate overwrites a row with a copy of another row of the same
    scheduled flight, so airline counts, market totals and route variety stay exactly as drawn, and one-off
    journeys (the lone 4-stop flight) stay unique.
    """
    frame = frame.copy()
    n = len(frame)
    touched = np.zeros(n, dtype=bool)

    def pick(candidates: np.ndarray) -> int | None:
        pool = np.flatnonzero(candidates & ~touched)
        if len(pool) == 0:
            return None
        row = int(rng.choice(pool))
        touched[row] = True
        return row

    # 1. One impossible 5-minute flight: a normal Mumbai -> Hyderabad non-stop whose Duration says "5m".
    nonstop = (frame["Total_Stops"] == "non-stop").to_numpy()
    bom_hyd = nonstop & (frame["Route"] == "BOM → HYD").to_numpy()
    row = pick(bom_hyd) if bom_hyd.any() else pick(nonstop)
    if row is not None:
        dep = clock_minutes(frame.loc[[row], "Dep_Time"])[0]
        journey = pd.Timestamp(datetime.strptime(frame.at[row, "Date_of_Journey"], "%d/%m/%Y"))
        frame.at[row, "Duration"] = "5m"
        frame.at[row, "Arrival_Time"] = arrival_texts(pd.DatetimeIndex([journey]), np.array([dep]),
                                                       np.array([5]))[0]
    # 2. 'No Info' (capital I) on a few rows, the inconsistent-spelling flaw.
    n_variants = max(1, round(config.no_info_variant_share * n)) if config.no_info_variant_share > 0 else 0
    for _ in range(n_variants):
        row = pick((frame["Additional_Info"] == "No info").to_numpy())
        if row is not None:
            frame.at[row, "Additional_Info"] = "No Info"
    # 3. One Air India row without Route and Total_Stops (preferably Delhi -> Cochin, as in the real file).
    air_india = (frame["Airline"] == "Air India").to_numpy()
    delhi_cochin = air_india & (frame["Source"] == "Delhi").to_numpy() & (frame["Total_Stops"] != "non-stop").to_numpy()
    row = pick(delhi_cochin) if (delhi_cochin & ~touched).any() else pick(air_india)
    if row is not None:
        frame.loc[row, ["Route", "Total_Stops"]] = np.nan
    # 4. Exact duplicates: a row re-scraped, i.e. overwritten by a copy of another row of the same flight.
    frame = make_rows_distinct(frame)  # the flaws above must not have created repeats of their own
    n_dup = int(round(config.duplicate_rate * n))
    recurring = np.bincount(flights)[flights] > 1
    # A label only one row carries (e.g. '1 Short layover') must not be overwritten by a copy of another row.
    info = frame["Additional_Info"]
    one_off = info.map(info.value_counts()).to_numpy() == 1
    victims = rng.permutation(np.flatnonzero(~touched & recurring & ~one_off))
    sources_used = np.zeros(n, dtype=bool)
    pairs: list[tuple[int, int]] = []
    for victim in victims:
        if len(pairs) >= n_dup:
            break
        if sources_used[victim]:
            continue
        same_flight = np.flatnonzero((flights == flights[victim]) & ~touched)
        same_flight = same_flight[same_flight != victim]
        if len(same_flight) == 0:
            continue
        source = int(rng.choice(same_flight))
        pairs.append((int(victim), source))
        touched[victim] = True
        sources_used[source] = True
    if pairs:
        targets, sources = (np.array(side) for side in zip(*pairs))
        for column in frame.columns:  # one vectorised copy per column (row-by-row assignment is slow)
            values = frame[column].to_numpy(copy=True)
            values[targets] = values[sources]
            frame[column] = pd.Series(values, index=frame.index).astype(frame[column].dtype)
    return frame
