"""`k12signals boards import FILE`: store districts' board meeting portals from a mapping file.

Two formats are recognised by their header row:

- BoardDocs sites: `LEAID`, `boarddocs_url` (a go.boarddocs.com/{state}/{slug}/Board.nsf URL);
- Simbli sites: `simbli_id`, `LEAID`; the portal is the Simbli meeting listing of that id.

Rows are read leniently: a row with a bad id or URL, or for a district that
is not in the database, is skipped and counted with its reason.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from crawlers.boards import boarddocs
from k12signals import storage
from k12signals.commands import options
from k12signals.errors import InputError
from k12signals.registry import normalize_nces_id

SIMBLI_LISTING = "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S={}"
FORMATS = {
    "boarddocs": ("LEAID", "boarddocs_url"),
    "simbli": ("simbli_id", "LEAID"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    boards = subparsers.add_parser("boards", help="manage districts' board meeting portals")
    actions = boards.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = actions.add_parser(
        "import",
        help="store board portals from a BoardDocs or Simbli mapping file",
        description=(
            "Store each district's board meeting portal from FILE: a CSV with LEAID and "
            "boarddocs_url (BoardDocs sites), or with simbli_id and LEAID (Simbli sites). "
            "Districts must be imported first (k12signals districts import)."
        ),
    )
    importer.add_argument("file", type=Path, help="CSV file of portals")
    options.add_database_option(importer)
    importer.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    rows, platform = read_mapping(args.file)
    db = options.open_existing_database(args.db)
    skipped: Counter = Counter()
    stored = 0
    for row in rows:
        if not (row.get("LEAID") or "").strip():
            skipped["no LEAID (site not matched to a district)"] += 1
            continue
        nces_id = normalize_nces_id(row.get("LEAID"))
        if nces_id is None:
            skipped["invalid LEAID (expected a 7-digit NCES id)"] += 1
            continue
        portal_url, reason = portal_of(platform, row)
        if portal_url is None:
            skipped[reason] += 1
            continue
        if storage.set_board_portal(db, nces_id, platform, portal_url):
            stored += 1
        else:
            skipped["district not in the database (import it with `k12signals districts import`)"] += 1

    print(f"Read {len(rows)} rows from {args.file} ({platform} sites).")
    print(f"Stored {stored} portals, skipped {sum(skipped.values())}.")
    for reason, count in skipped.most_common():
        print(f"  skipped {count}: {reason}")
    return 0


def read_mapping(path: Path) -> tuple[list[dict], str]:
    """Read the file's rows, and its platform from its header row."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError:
        raise InputError(f"file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"cannot read {str(path)!r}: {error}") from None
    for platform, required in FORMATS.items():
        if set(required) <= columns:
            return rows, platform
    expected = " or ".join(", ".join(required) for required in FORMATS.values())
    raise InputError(
        f"{str(path)!r} has neither format's columns; expected {expected} "
        f"(found: {', '.join(sorted(columns)) or 'no header'})"
    )


def portal_of(platform: str, row: dict) -> tuple[str | None, str]:
    """Return (portal URL, "") for a usable row, else (None, the reason to skip it)."""
    if platform == "boarddocs":
        url = (row.get("boarddocs_url") or "").strip()
        portal = boarddocs.BoardDocsAdapter().detect(url)
        if portal is None:
            return None, "invalid boarddocs_url (expected https://go.boarddocs.com/{state}/{slug}/Board.nsf/...)"
        return portal, ""
    simbli_id = (row.get("simbli_id") or "").strip()
    if not simbli_id.isdigit():
        return None, "invalid simbli_id (expected a number)"
    return SIMBLI_LISTING.format(simbli_id), ""
