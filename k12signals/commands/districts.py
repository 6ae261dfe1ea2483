"""`k12signals districts import` loads the district registry; `districts list` reports on districts."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from k12signals import __version__, storage
from k12signals.commands import options
from k12signals.errors import InputError
from k12signals.registry import read_registry_file
from k12signals.segments import STAGES

# The NCES CCD directory file for school year 2024-25. NCES publishes a new
# file each year under a new name; pass --url or set the environment variable
# to use another.
NCES_DIRECTORY_URL = "https://nces.ed.gov/ccd/Data/zip/ccd_lea_029_2425_w_1a_073025.zip"
NCES_DIRECTORY_URL_VARIABLE = "K12SIGNALS_NCES_DIRECTORY_URL"
DOWNLOAD_TIMEOUT_SECONDS = 120

# Principals count as new when their appointment date is no more than this
# many days ago, or in the future.
NEW_PRINCIPAL_DAYS = 90

LIST_FIELDS = (
    "nces_id",
    "name",
    "state",
    "cbe_stage",
    "cbe_score",
    "cbe_roles",
    "new_principals",
    "last_signal_at",
)
LIST_FORMATS = ("table", "jsonl", "csv")

logger = logging.getLogger(__name__)


def default_database() -> str:
    return os.environ.get("SIGNALS_DB") or storage.DEFAULT_DATABASE


def register(subparsers: argparse._SubParsersAction) -> None:
    districts = subparsers.add_parser("districts", help="manage the district registry")
    actions = districts.add_subparsers(dest="action", required=True, metavar="ACTION")

    importer = actions.add_parser(
        "import",
        help="load districts from an NCES file or a registry CSV",
        description=(
            "Load districts into the database from FILE: the NCES ELSI export, the CCD "
            "directory file (plain or zipped) or a CSV with nces_id, name, state, website. "
            "Without FILE, download the CCD directory file from NCES."
        ),
    )
    importer.add_argument("file", nargs="?", type=Path, help="registry file; omit to download")
    importer.add_argument(
        "--url",
        default=os.environ.get(NCES_DIRECTORY_URL_VARIABLE) or NCES_DIRECTORY_URL,
        help=f"address of the CCD directory file to download when FILE is omitted "
        f"(default: ${NCES_DIRECTORY_URL_VARIABLE}, else {NCES_DIRECTORY_URL})",
    )
    importer.add_argument(
        "--db", default=default_database(), help="database file (default: $SIGNALS_DB, else signals.db)"
    )
    importer.set_defaults(handler=run_import)

    lister = actions.add_parser(
        "list",
        help="list districts with their CBE stage, CBE roles and new principals",
        description=(
            "Print one row per district: its CBE stage and score, the CBE roles found "
            f"(not gone), the principals appointed in the last {NEW_PRINCIPAL_DAYS} days, and "
            "when its newest signal was first seen. Districts come in order of CBE score, highest first."
        ),
    )
    lister.add_argument("--state", help="only districts of this state (two-letter USPS code such as NH)")
    lister.add_argument("--stage", help="only districts at this CBE stage: " + ", ".join(STAGES))
    lister.add_argument("--format", default="table", help="output format: table (default), jsonl or csv")
    options.add_database_option(lister)
    lister.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    state = options.check_state(args.state)
    stage = options.check_stage(args.stage)
    output_format = options.check_choice("--format", args.format, LIST_FORMATS)
    db = options.open_existing_database(args.db)
    rows = list_districts(db, state=state, stage=stage)
    if output_format == "jsonl":
        options.write_jsonl(rows)
    elif output_format == "csv":
        options.write_csv((flatten_district(row) for row in rows), LIST_FIELDS)
    else:
        options.write_table([flatten_district(row) for row in rows], LIST_FIELDS)
    return 0


def run_import(args: argparse.Namespace) -> int:
    if args.file is None:
        with tempfile.TemporaryDirectory() as folder:
            downloaded = download(args.url, Path(folder))
            return import_file(downloaded, args.db, source=args.url)
    return import_file(args.file, args.db, source=str(args.file))


def download(url: str, folder: Path) -> Path:
    if not url.startswith(("http://", "https://")):
        raise InputError(f"invalid --url {url!r}; expected an http(s) address")
    target = folder / (Path(url.split("?")[0]).name or "registry.zip")
    logger.info("downloading %s", url)
    request = urllib.request.Request(url, headers={"User-Agent": f"k12-signals/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as error:
        raise InputError(
            f"download of {url} failed: {error}; download the file by hand and pass its path as FILE"
        ) from error
    logger.info("downloaded %s (%d bytes)", url, target.stat().st_size)
    return target


def import_file(path: Path, database: str, source: str) -> int:
    registry = read_registry_file(path)
    db = storage.open_database(database)
    rows = [district.as_row(with_board=registry.has_board_columns) for district in registry.districts]
    counts = storage.upsert_districts(db, rows)

    with_website = sum(1 for district in registry.districts if district.website)
    skipped = sum(registry.skipped.values())
    print(f"Read {registry.read} district(s) from {source} ({registry.format}).")
    print(
        f"Added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"skipped {skipped}; {with_website} have a web site to crawl."
    )
    for reason, count in registry.skipped.most_common():
        print(f"  skipped {count}: {reason}")
    print(f"Database: {database} ({storage.count_districts(db)} districts in all)")
    return 0


def list_districts(
    db, *, state: str | None = None, stage: str | None = None, today: date | None = None
) -> list[dict]:
    """Districts with their segment, CBE roles, new principals and newest signal time, as `LIST_FIELDS` dicts.

    A principal is new when the appointment date (`effective_date`, else the
    page's `published_at`, else the signal's `first_seen_at`) is at most
    NEW_PRINCIPAL_DAYS days before `today` (default: today in UTC) or later.
    Gone signals are left out.
    """
    today = today or datetime.now(timezone.utc).date()
    cutoff = (today - timedelta(days=NEW_PRINCIPAL_DAYS)).isoformat()
    where, params = [], []
    if state:
        where.append("state = ?")
        params.append(state)
    if stage:
        where.append("cbe_stage = ?")
        params.append(stage)
    sql = "SELECT nces_id, name, state, cbe_stage, cbe_score FROM districts"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY cbe_score DESC NULLS LAST, nces_id"
    districts = list(db.query(sql, params))

    roles: dict[str, list[dict]] = defaultdict(list)
    for row in db.query(
        "SELECT district_id, label, title, person, url FROM signals "
        "WHERE kind = 'cbe_role' AND gone_at IS NULL ORDER BY first_seen_at, id"
    ):
        roles[row.pop("district_id")].append(row)

    principals: dict[str, list[dict]] = defaultdict(list)
    for row in db.query(
        "SELECT district_id, person, school, position, "
        "coalesce(effective_date, published_at, substr(first_seen_at, 1, 10)) AS appointed_on, url "
        "FROM signals WHERE kind = 'principal_appointment' AND gone_at IS NULL "
        "AND coalesce(effective_date, published_at, substr(first_seen_at, 1, 10)) >= ? "
        "ORDER BY appointed_on DESC, id",
        [cutoff],
    ):
        principals[row.pop("district_id")].append(row)

    newest = {
        row["district_id"]: row["newest"]
        for row in db.query(
            "SELECT district_id, max(first_seen_at) AS newest FROM signals "
            "WHERE gone_at IS NULL AND district_id IS NOT NULL GROUP BY district_id"
        )
    }

    return [
        {
            **district,
            "cbe_roles": roles.get(district["nces_id"], []),
            "new_principals": principals.get(district["nces_id"], []),
            "last_signal_at": newest.get(district["nces_id"]),
        }
        for district in districts
    ]


def flatten_district(row: dict) -> dict:
    """Render a `list_districts` row's roles and principals as "; "-separated text, for CSV and tables."""
    roles = [f"{role['title']}: {role['person']}" if role["person"] else role["title"] for role in row["cbe_roles"]]
    principals = []
    for principal in row["new_principals"]:
        details = ", ".join(
            part for part in (principal["position"], principal["school"], principal["appointed_on"]) if part
        )
        principals.append(f"{principal['person']} ({details})")
    return {**row, "cbe_roles": "; ".join(roles), "new_principals": "; ".join(principals)}
