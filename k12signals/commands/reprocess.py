"""`k12signals reprocess`: detect signals again from stored page text, with no fetching."""

from __future__ import annotations

import argparse
import logging
import time

from k12signals import segments, storage
from k12signals.commands import options
from k12signals.commands.districts import default_database
from k12signals.detector_version import detector_version
from k12signals.errors import InputError
from k12signals.registry import NCES_ID_PATTERN
from k12signals.reprocess import pages_to_reprocess, reprocess_page

# Seconds between progress lines on long runs.
PROGRESS_INTERVAL_SECONDS = 10

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reprocess",
        help="detect signals again from stored page text",
        description=(
            "Run the current detectors on the stored text of pages whose signals came from "
            "other detectors (a changed vocabulary or code), then update district segments. "
            "Nothing is fetched."
        ),
    )
    parser.add_argument("--district", metavar="NCES_ID", help="only this district's pages")
    parser.add_argument("--all", action="store_true", help="every stored page, not only outdated ones")
    parser.add_argument(
        "--db", default=default_database(), help="database file (default: $SIGNALS_DB, else signals.db)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.district is not None and not NCES_ID_PATTERN.match(args.district):
        raise InputError(f"invalid --district {args.district!r}; expected a 7-digit NCES id such as 3300001")

    db = options.open_existing_database(args.db)
    urls = pages_to_reprocess(db, district_id=args.district, everything=args.all)
    logger.info("Reprocessing %d page(s) with detector version %s", len(urls), detector_version())

    new_signals = failed = 0
    last_progress = time.monotonic()
    for number, url in enumerate(urls, start=1):
        try:
            stored = reprocess_page(db, url)
        except Exception:  # noqa: BLE001 - one bad page must not stop the batch
            failed += 1
            logger.exception("Reprocessing %s failed", url)
            continue
        new_signals += sum(1 for signal in stored.signals if signal.is_new)
        if time.monotonic() - last_progress >= PROGRESS_INTERVAL_SECONDS:
            logger.info("Reprocessed %d of %d pages", number, len(urls))
            last_progress = time.monotonic()

    counts = segments.update_segments(db)
    print(
        f"Reprocessed {len(urls) - failed} page(s); {new_signals} new signal(s); {failed} failed; "
        f"segments of {counts.total} districts updated."
    )
    db.close()
    return 1 if failed else 0
