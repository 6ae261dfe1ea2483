"""`k12signals status`: how the last crawls went, and the districts that need a look."""

from __future__ import annotations

import argparse
import json

from k12signals import storage
from k12signals.commands import options
from k12signals.commands.districts import default_database

# Outcomes of a district's last crawl that a person should look into.
NEEDS_A_LOOK = ("blocked", "robots_disallowed", "unreachable", "no_pages")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="summarize the last crawls and list districts that need a look",
        description=(
            "Print the last crawls, the outcome of each district's last crawl (ok, blocked, "
            "robots_disallowed, unreachable, no_pages), and the districts whose last crawl "
            "failed or found no pages where an earlier crawl found some."
        ),
    )
    parser.add_argument(
        "--db", default=default_database(), help="database file (default: $SIGNALS_DB, else signals.db)"
    )
    parser.add_argument("--limit", type=int, default=25, help="districts listed per problem (default 25)")
    parser.set_defaults(handler=run)


LATEST_DISTRICT_CRAWLS = """
SELECT dc.*, d.name, d.state,
       (SELECT MAX(previous.pages + previous.unchanged) FROM district_crawls previous
         WHERE previous.district_id = dc.district_id AND previous.crawl_id < dc.crawl_id) AS earlier_pages
FROM district_crawls dc
JOIN districts d ON d.nces_id = dc.district_id
WHERE dc.crawl_id = (SELECT MAX(crawl_id) FROM district_crawls latest WHERE latest.district_id = dc.district_id)
ORDER BY dc.district_id
"""


def run(args: argparse.Namespace) -> int:
    db = options.open_existing_database(args.db)

    crawls = list(db.query("SELECT * FROM crawls ORDER BY id DESC LIMIT 5"))
    print("Last crawls:")
    if not crawls:
        print("  none yet; run `scrapy crawl districts`")
    for crawl in crawls:
        stats = json.loads(crawl["stats"] or "{}")
        print(
            f"  #{crawl['id']} {crawl['spider']}: {crawl['started_at']} to {crawl['finished_at'] or '(running or killed)'}, "
            f"{crawl['finish_reason'] or '-'}; {stats.get('k12signals/pages_stored', 0)} pages stored, "
            f"{stats.get('k12signals/signals_new', 0)} new signals"
        )

    latest = list(db.query(LATEST_DISTRICT_CRAWLS))
    by_outcome: dict[str, int] = {}
    for row in latest:
        by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + 1
    print(f"\nDistricts by outcome of their last crawl ({len(latest)} crawled):")
    for outcome, count in sorted(by_outcome.items()):
        print(f"  {outcome}: {count}")

    problems = [row for row in latest if row["outcome"] in NEEDS_A_LOOK]
    dropped = [row for row in latest if row["pages"] + row["unchanged"] == 0 and (row["earlier_pages"] or 0) > 0]
    print(f"\nNeed a look: {len(problems)} district(s)")
    for row in problems[: args.limit]:
        print(
            f"  {row['district_id']} {row['name']} ({row['state']}): {row['outcome']}; "
            f"errors {row['errors']}, blocked {row['blocked']}, robots-disallowed {row['robots_disallowed']}"
        )
    if dropped:
        print(f"\nZero pages where an earlier crawl had pages: {len(dropped)} district(s)")
        for row in dropped[: args.limit]:
            print(f"  {row['district_id']} {row['name']} ({row['state']}): {row['earlier_pages']} pages before")
    db.close()
    return 0
