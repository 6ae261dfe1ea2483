"""`k12signals districts import`: load the district registry into the database."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from k12signals import __version__, storage
from k12signals.errors import InputError
from k12signals.registry import read_registry_file

# The NCES CCD directory file for school year 2024-25. NCES publishes a new
# file each year under a new name; pass --url or set the environment variable
# to use another.
NCES_DIRECTORY_URL = "https://nces.ed.gov/ccd/Data/zip/ccd_lea_029_2425_w_1a_073025.zip"
NCES_DIRECTORY_URL_VARIABLE = "K12SIGNALS_NCES_DIRECTORY_URL"
DOWNLOAD_TIMEOUT_SECONDS = 120

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
    print(f"Read {registry.read} districts from {source} ({registry.format}).")
    print(
        f"Added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"skipped {skipped}; {with_website} have a web site to crawl."
    )
    for reason, count in registry.skipped.most_common():
        print(f"  skipped {count}: {reason}")
    print(f"Database: {database} ({storage.count_districts(db)} districts in all)")
    return 0
