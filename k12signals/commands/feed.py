"""`k12signals feed`: print signal events (new, updated, gone) in time order.

The fields and their order are a public format that CRM imports depend on;
docs/feed.md documents them. Add fields only at the end, and never rename or
reorder them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import sqlite_utils

from k12signals.commands import options
from k12signals.segments import STAGES

FEED_FIELDS = (
    "event_id",
    "event",
    "occurred_at",
    "changes",
    "signal_id",
    "kind",
    "label",
    "stage",
    "title",
    "person",
    "school",
    "position",
    "effective_date",
    "state",
    "published_at",
    "first_seen_at",
    "last_seen_at",
    "gone_at",
    "district_id",
    "district_name",
    "district_state",
    "district_stage",
    "quote",
    "url",
    "source_type",
)
FEED_FORMATS = ("jsonl", "csv")
SIGNAL_KINDS = ("cbe_language", "cbe_role", "principal_appointment", "state_policy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "feed",
        help="print signal events (new, updated, gone) in time order",
        description=(
            "Print one line per signal event, oldest first: new, updated (with the changed "
            "fields) and gone, each with the signal's current fields, its district's name and "
            "CBE stage, and the evidence quote and URL. The fields are listed in docs/feed.md."
        ),
    )
    parser.add_argument(
        "--since",
        help="only events at or after this time: an ISO date or time (2026-01-31, "
        "2026-01-31T09:00:00Z; UTC without an offset) or a relative time (12h, 30d, 2w)",
    )
    parser.add_argument("--kind", help="only signals of this kind: " + ", ".join(SIGNAL_KINDS))
    parser.add_argument(
        "--state",
        help="only signals of districts in this state, and state policy of this state (two-letter USPS code)",
    )
    parser.add_argument("--stage", help="only districts at this CBE stage now: " + ", ".join(STAGES))
    parser.add_argument("--format", default="jsonl", help="output format: jsonl (default) or csv")
    options.add_database_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    since = options.parse_since(args.since) if args.since is not None else None
    kind = options.check_choice("--kind", args.kind, SIGNAL_KINDS) if args.kind is not None else None
    state = options.check_state(args.state)
    stage = options.check_stage(args.stage)
    output_format = options.check_choice("--format", args.format, FEED_FORMATS)
    db = options.open_existing_database(args.db)
    events = feed_events(db, since=since, kind=kind, state=state, stage=stage)
    if output_format == "csv":
        options.write_csv(events, FEED_FIELDS)
    else:
        options.write_jsonl(events)
    return 0


def feed_events(
    db: sqlite_utils.Database,
    *,
    since: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    stage: str | None = None,
) -> Iterator[dict]:
    """Yield events as dicts with FEED_FIELDS in order, oldest first (by `occurred_at`, then event id).

    The signal and district fields are their values now, not at the time of
    the event. An `updated` event's `changes` contains the old and new values.
    """
    where, params = [], []
    if since:
        where.append("e.occurred_at >= ?")
        params.append(since)
    if kind:
        where.append("s.kind = ?")
        params.append(kind)
    if state:
        where.append("coalesce(d.state, s.state) = ?")
        params.append(state)
    if stage:
        where.append("d.cbe_stage = ?")
        params.append(stage)
    sql = """
        SELECT e.id AS event_id, e.event, e.occurred_at, e.changes,
               s.id AS signal_id, s.kind, s.label, s.stage, s.title, s.person, s.school, s.position,
               s.effective_date, s.state, s.published_at, s.first_seen_at, s.last_seen_at, s.gone_at,
               coalesce(s.district_id, e.district_id) AS district_id,
               d.name AS district_name, d.state AS district_state, d.cbe_stage AS district_stage,
               s.quote, s.url, s.source_type
        FROM signal_events e
        JOIN signals s ON s.id = e.signal_id
        LEFT JOIN districts d ON d.nces_id = coalesce(s.district_id, e.district_id)
    """
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY e.occurred_at, e.id"
    for row in db.query(sql, params):
        row["changes"] = format_changes(row["changes"])
        yield {name: row[name] for name in FEED_FIELDS}


def format_changes(stored: str | None) -> dict | None:
    """Turn the stored {"field": [old, new]} JSON into {"field": {"old": ..., "new": ...}}."""
    if not stored:
        return None
    return {name: {"old": pair[0], "new": pair[1]} for name, pair in sorted(json.loads(stored).items())}
