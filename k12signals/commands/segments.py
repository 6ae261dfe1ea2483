"""`k12signals segments update`: recompute every district's CBE stage, score and evidence."""

from __future__ import annotations

import argparse

from k12signals import segments
from k12signals.commands import options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("segments", help="district CBE segments (stage, score, evidence)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    updater = actions.add_parser(
        "update",
        help="recompute every district's CBE stage, score and evidence",
        description=(
            "Recompute cbe_stage, cbe_score and cbe_evidence of every district from the signals "
            "of the last 12 months, as each crawl does when it ends. The rules are in docs/segments.md."
        ),
    )
    options.add_database_option(updater)
    updater.set_defaults(handler=run_update)


def run_update(args: argparse.Namespace) -> int:
    db = options.open_existing_database(args.db)
    counts = segments.update_segments(db)
    print(f"Updated {counts.total} districts; {counts.changed} changed stage.")
    for stage, number in counts.by_stage.items():
        print(f"  {stage}: {number}")
    return 0
