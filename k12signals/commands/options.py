"""Options and output shared by the report commands (`districts list`, `feed`, `segments update`).

This module registers no command. Each check raises `InputError` with the
option, the bad value and what is expected, so the command exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils

from k12signals import storage
from k12signals.errors import InputError
from k12signals.registry import VALID_STATE_CODES
from k12signals.segments import STAGES

RELATIVE_TIME = re.compile(r"^(\d+)([hdw])$")
RELATIVE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def default_database() -> str:
    return os.environ.get("SIGNALS_DB") or storage.DEFAULT_DATABASE


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=None, help="database file (default: $SIGNALS_DB, else signals.db)"
    )


def open_existing_database(path: str | None) -> sqlite_utils.Database:
    """Open a database that a crawl or import has already written.

    A report on a missing file would create an empty database and print
    nothing, which hides a wrong path, so a missing file is an input error.
    """
    path = path or default_database()
    if not Path(path).is_file():
        raise InputError(
            f"database file {path!r} not found; run a crawl first, or pass --db or set SIGNALS_DB"
        )
    return storage.open_database(path)


def check_state(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    if code not in VALID_STATE_CODES:
        raise InputError(f"invalid --state {value!r}: expected a two-letter USPS code such as NH")
    return code


def check_stage(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in STAGES:
        raise InputError(f"invalid --stage {value!r}: expected one of {', '.join(STAGES)}")
    return value


def check_choice(option: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"invalid {option} {value!r}: expected one of {', '.join(choices)}")
    return value


def parse_since(value: str, now: datetime | None = None) -> str:
    """Parse `--since` into a UTC time stamp in the database's format.

    Accepts a relative time (`12h`, `30d`, `2w` before now), an ISO date
    (midnight UTC) or an ISO date and time (UTC when it has no offset).
    """
    now = now or datetime.now(timezone.utc)
    if isinstance(value, list):
        # argparse of Python 3.11 passes "--since=--" as a list.
        value = " ".join(value)
    invalid = InputError(
        f"invalid --since {value!r}: expected an ISO date or time such as 2026-01-31 or "
        f"2026-01-31T09:00:00Z, or a relative time such as 12h, 30d or 2w"
    )
    text = value.strip()
    relative = RELATIVE_TIME.match(text)
    try:
        if relative:
            moment = now - timedelta(**{RELATIVE_UNITS[relative.group(2)]: int(relative.group(1))})
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        # OverflowError: a time outside the years 1 to 9999, such as "99999999999d".
        raise invalid from None


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], fields: Sequence[str], out: TextIO | None = None) -> int:
    """Write a header and one line a row; None becomes an empty cell, lists and objects JSON."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(fields)
    count = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in fields])
        count += 1
    return count


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_table(rows: Sequence[dict[str, Any]], fields: Sequence[str], out: TextIO | None = None) -> int:
    """Write rows as columns padded to the widest cell, for reading in a terminal."""
    out = out or sys.stdout
    cells = [[csv_cell(row.get(name)) for name in fields] for row in rows]
    widths = [max([len(name)] + [len(line[index]) for line in cells]) for index, name in enumerate(fields)]
    out.write("  ".join(name.ljust(width) for name, width in zip(fields, widths)).rstrip() + "\n")
    out.write("  ".join("-" * width for width in widths) + "\n")
    for line in cells:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() + "\n")
    return len(cells)
