"""PII at ingestion: a synthetic bookings extract with raw PII, redacted previews, keyed tokens, masked writes."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbook.data.io import write_csv_atomic

PII_COLUMNS = ["passenger_name", "email", "phone"]
PII_PREFIXES = {"passenger_name": "name", "email": "email", "phone": "phone"}
TOKEN_HEX_CHARS = 12
FIRST_NAMES = ["Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Krishna", "Ishaan", "Rohan",
               "Ananya", "Diya", "Aadhya", "Saanvi", "Kavya", "Priya", "Meera", "Lakshmi", "Neha", "Pooja",
               "Rahul", "Suresh", "Fatima", "Imran", "Joseph", "Mary", "Harpreet", "Gurpreet", "Anil", "Sunita"]
LAST_NAMES = ["Sharma", "Verma", "Iyer", "Nair", "Reddy", "Patel", "Shah", "Gupta", "Singh", "Kumar",
              "Das", "Banerjee", "Mukherjee", "Menon", "Pillai", "Rao", "Khan", "Fernandes", "Joshi", "Kulkarni"]
EMAIL_DOMAINS = ["example.com", "example.in", "example.org"]  # reserved domains: no real mailbox


def make_bookings(flights: pd.DataFrame, n_rows: int = 500, seed: int = 42) -> pd.DataFrame:
    """A synthetic bookings extract WITH raw PII (names, e-mails, +91 phones) on rows drawn from `flights`."""
    needed = ["Airline", "Date_of_Journey", "Route", "Price"]
    missing = [c for c in needed if c not in flights.columns]
    if missing:
        raise ValueError(f"make_bookings needs flight columns {needed}; missing: {missing}")
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    complete = flights.dropna(subset=needed).reset_index(drop=True)
    if complete.empty:
        raise ValueError("make_bookings: flights has no complete row to book")
    rng = np.random.default_rng(seed)
    picked = complete.iloc[rng.integers(0, len(complete), n_rows)].reset_index(drop=True)
    first = rng.choice(FIRST_NAMES, n_rows)
    last = rng.choice(LAST_NAMES, n_rows)
    numbers = rng.integers(1, 100, n_rows)
    domains = rng.choice(EMAIL_DOMAINS, n_rows)
    mobiles = rng.integers(6_000_000_000, 10_000_000_000, n_rows)  # Indian mobiles start with 6-9
    return pd.DataFrame({
        "booking_id": [f"BK{i:06d}" for i in rng.choice(1_000_000, n_rows, replace=False)],
        "passenger_name": [f"{given} {family}" for given, family in zip(first, last)],
        "email": [f"{given.lower()}.{family.lower()}{k}@{d}"
                  for given, family, k, d in zip(first, last, numbers, domains)],
        "phone": [f"+91 {str(m)[:5]} {str(m)[5:]}" for m in mobiles],
        "Airline": picked["Airline"], "Date_of_Journey": picked["Date_of_Journey"],
        "Route": picked["Route"], "Price": picked["Price"].astype(np.int64),
    })


def redact(value: object) -> str:
    """'Asha Rao' -> 'A••• R••': keeps each word's first character and the punctuation, hides the rest."""
    return re.sub(r"(?<=\w)\w", "•", str(value))


def pii_preview(df: pd.DataFrame, rows: int = 3, columns: list[str] = PII_COLUMNS) -> pd.DataFrame:
    """The first rows with PII columns redacted: a notebook output is a file on disk too."""
    preview = df.head(rows).copy()
    for column in columns:
        if column in preview.columns:
            preview[column] = preview[column].map(redact)
    return preview


def pii_token(value: object, salt: str, prefix: str) -> str:
    """Stable pseudonym: prefix + the first 12 hex characters of HMAC-SHA256 of value, with `salt` as the key."""
    digest = hmac.new(salt.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}_{digest[:TOKEN_HEX_CHARS]}"


def mask_pii(df: pd.DataFrame, salt: str, columns: list[str] = PII_COLUMNS) -> pd.DataFrame:
    """Replace each PII value by a keyed token (HMAC, `salt` the key): same value -> same token, new key -> new ones."""
    if not isinstance(salt, str) or not salt:
        raise ValueError("mask_pii: salt must be a non-empty string (keep it secret, outside the repository)")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"mask_pii: column(s) {missing} not in the data; columns are {list(df.columns)}")
    masked = df.copy()
    for column in columns:
        prefix = PII_PREFIXES.get(column, column)
        masked[column] = df[column].map(lambda v, p=prefix: pii_token(v, salt, p) if pd.notna(v) else v)
    return masked


def ingest_bookings(raw: pd.DataFrame, out_path: str | Path, salt: str) -> pd.DataFrame:
    """Mask PII first, then write the masked frame as CSV atomically (temp file + rename); return it."""
    masked = mask_pii(raw, salt)
    write_csv_atomic(masked, out_path)
    return masked
