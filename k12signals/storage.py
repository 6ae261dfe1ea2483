"""The SQLite database: schema, migrations and every write the project makes.

This module owns the schema. Other code opens the database with
`open_database` and writes through the functions here, so that ids, time
stamps and transactions follow one set of rules:

- Times are UTC ISO 8601 strings with a trailing "Z" (`utc_now`).
- A signal's id is a hash of fields that do not change while the fact stays
  the same (`signal_id`), so a second crawl refreshes `last_seen_at` instead of
  adding a duplicate.
- Each write function runs in one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import NotFoundError

DEFAULT_DATABASE = "signals.db"

# Seconds a writer waits for another connection's lock before SQLite gives up.
BUSY_TIMEOUT_SECONDS = 30

SIGNAL_FIELDS = (
    "kind",
    "label",
    "stage",
    "title",
    "person",
    "school",
    "position",
    "effective_date",
    "state",
    "quote",
    "page",
)


# Fields whose change makes an `updated` feed event.
TRACKED_FIELDS = ("label", "stage", "title", "person", "school", "position", "effective_date", "state")
# Evidence a signal takes from the page it was read from, also kept per source page.
EVIDENCE_COLUMNS = {"quote": str, "page": int, "source_type": str, "published_at": str}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Migrations, applied in order. PRAGMA user_version stores how many have run,
# so each runs exactly once per database file.
def _create_tables(db: sqlite_utils.Database) -> None:
    db["districts"].create(
        {
            "nces_id": str,
            "name": str,
            "state": str,
            "website": str,
            "board_platform": str,
            "board_url": str,
            "cbe_stage": str,
            "last_crawled_at": str,
            "added_at": str,
            "updated_at": str,
        },
        pk="nces_id",
    )
    db["pages"].create(
        {
            "url": str,
            "district_id": str,
            "source_type": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "published_at": str,
            "title": str,
            "content_hash": str,
            "etag": str,
            "last_modified": str,
            "error": str,
            "text_zlib": bytes,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="url",
    )
    db["signals"].create(
        {
            "id": str,
            "district_id": str,
            "kind": str,
            "label": str,
            "stage": str,
            "title": str,
            "person": str,
            "school": str,
            "position": str,
            "effective_date": str,
            "state": str,
            "quote": str,
            "page": int,
            "url": str,
            "source_type": str,
            "published_at": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="id",
    )
    db["crawls"].create(
        {
            "id": int,
            "spider": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "arguments": str,
            "stats": str,
        },
        pk="id",
    )
    db["pages"].create_index(["district_id"])
    db["signals"].create_index(["district_id", "kind"])
    db["signals"].create_index(["url"])


def _add_events_and_segments(db: sqlite_utils.Database) -> None:
    """Feed events, signals that disappear, district segments, detector versions."""
    db["signals"].add_column("updated_at", str)
    db["signals"].add_column("gone_at", str)
    db["signal_events"].create(
        {
            "id": int,
            "signal_id": str,
            "district_id": str,
            "event": str,
            "occurred_at": str,
            "changes": str,
        },
        pk="id",
    )
    db["signal_events"].create_index(["occurred_at"])
    db["signal_events"].create_index(["signal_id"])
    db["pages"].add_column("detector_version", str)
    db["pages"].add_column("gone_at", str)
    db["districts"].add_column("cbe_score", float)
    db["districts"].add_column("cbe_evidence", str)
    db["districts"].add_column("segment_updated_at", str)


SIGNALS_FTS_COLUMNS = ("quote", "title", "person", "school", "label")


def _add_search_and_states(db: sqlite_utils.Database) -> None:
    """Full-text search over signals (Datasette finds `signals_fts` by its name) and a `states` table.

    The FTS table is written with plain statements because sqlite-utils'
    `enable_fts` uses executescript, which would commit the migration's
    transaction halfway.
    """
    columns = ", ".join(SIGNALS_FTS_COLUMNS)
    new_values = ", ".join(f"new.{column}" for column in SIGNALS_FTS_COLUMNS)
    old_values = ", ".join(f"old.{column}" for column in SIGNALS_FTS_COLUMNS)
    db.execute(f"CREATE VIRTUAL TABLE signals_fts USING fts5({columns}, content=signals, content_rowid=rowid)")
    db.execute(
        f"CREATE TRIGGER signals_ai AFTER INSERT ON signals BEGIN "
        f"INSERT INTO signals_fts (rowid, {columns}) VALUES (new.rowid, {new_values}); END"
    )
    db.execute(
        f"CREATE TRIGGER signals_ad AFTER DELETE ON signals BEGIN "
        f"INSERT INTO signals_fts (signals_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old_values}); END"
    )
    db.execute(
        f"CREATE TRIGGER signals_au AFTER UPDATE ON signals BEGIN "
        f"INSERT INTO signals_fts (signals_fts, rowid, {columns}) VALUES ('delete', old.rowid, {old_values}); "
        f"INSERT INTO signals_fts (rowid, {columns}) VALUES (new.rowid, {new_values}); END"
    )
    db.execute(f"INSERT INTO signals_fts (rowid, {columns}) SELECT rowid, {columns} FROM signals")
    db["states"].create(
        {
            "code": str,
            "name": str,
            "policy_count": int,
            "policies": str,
            "cbe_friendliness": str,
            "updated_at": str,
        },
        pk="code",
    )


def _add_incremental_crawl(db: sqlite_utils.Database) -> None:
    """Add the columns and table that incremental re-crawls and per-district health need."""
    # The raw body's hash detects an unchanged page when the server sends no
    # validators; links let a crawl continue past a page that returned 304;
    # page_starts let PDF evidence keep its page numbers on reprocessing.
    db["pages"].add_column("body_hash", str)
    db["pages"].add_column("links", str)
    db["pages"].add_column("page_starts", str)
    db["pages"].add_column("state", str)
    db["district_crawls"].create(
        {
            "crawl_id": int,
            "district_id": str,
            "finished_at": str,
            "pages": int,
            "unchanged": int,
            "signals": int,
            "errors": int,
            "blocked": int,
            "robots_disallowed": int,
            "outcome": str,
        },
        pk=("crawl_id", "district_id"),
    )
    db["district_crawls"].create_index(["district_id"])


def _add_board_portals(db: sqlite_utils.Database) -> None:
    """Board meeting portals per district and how the last read of each went."""
    db["board_portals"].create(
        {
            "district_id": str,
            "platform": str,
            "portal_url": str,
            "status": str,
            "meetings": int,
            "previous_meetings": int,
            "detail": str,
            "blocked_count": int,
            "last_read_at": str,
        },
        pk=("district_id", "portal_url"),
    )


def _add_signal_sources(db: sqlite_utils.Database) -> None:
    """Record every page that shows a signal, not only the last one.

    A news article and the news listing can both show one appointment. The
    signal is gone only when no page shows it any more.
    """
    db["signal_sources"].create(
        {"signal_id": str, "url": str, "first_seen_at": str, "last_seen_at": str},
        pk=("signal_id", "url"),
    )
    db["signal_sources"].create_index(["url"])
    db.execute(
        "INSERT INTO signal_sources (signal_id, url, first_seen_at, last_seen_at) "
        "SELECT id, url, first_seen_at, last_seen_at FROM signals WHERE gone_at IS NULL"
    )


def _add_source_evidence(db: sqlite_utils.Database) -> None:
    """Keep each source page's own evidence, so that a signal can quote another page when one goes."""
    for column, column_type in EVIDENCE_COLUMNS.items():
        db["signal_sources"].add_column(column, column_type)
    db["signal_sources"].add_column("fields_known", int)
    db.execute(
        "UPDATE signal_sources SET (quote, page, source_type, published_at) = "
        "(SELECT quote, page, source_type, published_at FROM signals WHERE signals.id = signal_sources.signal_id) "
        "WHERE url = (SELECT url FROM signals WHERE signals.id = signal_sources.signal_id)"
    )


MIGRATIONS = [
    _create_tables,
    _add_events_and_segments,
    _add_search_and_states,
    _add_incremental_crawl,
    _add_board_portals,
    _add_signal_sources,
    _add_source_evidence,
]


def open_database(path: str | Path = DEFAULT_DATABASE) -> sqlite_utils.Database:
    """Open (creating if needed) the database in WAL mode and bring its schema up to date.

    WAL lets readers such as Datasette run while a crawl writes.
    """
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    db = sqlite_utils.Database(connection)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {version} is newer than this k12signals "
            f"({len(MIGRATIONS)}); upgrade k12signals to read it"
        )
    for number in range(version, len(MIGRATIONS)):
        with transaction(db):
            # Another process that opened the same file at the same time may
            # have run this migration while this one waited for the write lock.
            if db.execute("PRAGMA user_version").fetchone()[0] > number:
                continue
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")


class transaction:
    """A context manager for one write transaction (BEGIN IMMEDIATE ... COMMIT).

    IMMEDIATE takes the write lock at the start, so two writers wait for each
    other (up to BUSY_TIMEOUT_SECONDS) instead of failing halfway.
    """

    def __init__(self, db: sqlite_utils.Database):
        self.connection = db.conn

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.connection.execute("COMMIT")
        else:
            self.connection.execute("ROLLBACK")


# Districts.
@dataclass
class DistrictCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


DISTRICT_COLUMNS = ("name", "state", "website", "board_platform", "board_url")


def upsert_districts(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> DistrictCounts:
    """Insert or update districts keyed on `nces_id`, in one transaction.

    Only the columns present in a row are written, so a registry without
    board columns leaves stored board portals alone.
    """
    counts = DistrictCounts()
    now = utc_now()
    table = db["districts"]
    with transaction(db):
        for row in rows:
            record = {key: row[key] for key in DISTRICT_COLUMNS if key in row}
            try:
                existing = table.get(row["nces_id"])
            except NotFoundError:
                table.insert({"nces_id": row["nces_id"], **record, "added_at": now, "updated_at": now})
                counts.added += 1
                continue
            changes = {key: value for key, value in record.items() if existing.get(key) != value}
            if changes:
                table.update(row["nces_id"], {**changes, "updated_at": now})
                counts.updated += 1
            else:
                counts.unchanged += 1
    return counts


def select_districts(
    db: sqlite_utils.Database,
    *,
    state: str | None = None,
    nces_ids: Iterable[str] | None = None,
    limit: int | None = None,
    crawled_before: str | None = None,
) -> list[dict]:
    """Districts that have a web site, filtered, in NCES id order.

    `crawled_before` (a UTC time) keeps only districts without a successful
    crawl since then.
    """
    where = ["website IS NOT NULL", "website != ''"]
    params: list[Any] = []
    if state:
        where.append("state = ?")
        params.append(state)
    if nces_ids is not None:
        ids = list(nces_ids)
        where.append(f"nces_id IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    if crawled_before is not None:
        where.append(
            "nces_id NOT IN (SELECT district_id FROM district_crawls WHERE outcome = 'ok' AND finished_at >= ?)"
        )
        params.append(crawled_before)
    sql = f"SELECT * FROM districts WHERE {' AND '.join(where)} ORDER BY nces_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


def count_districts(db: sqlite_utils.Database) -> int:
    return db["districts"].count


# Pages and signals.
def _normalize_key(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()


def signal_id(signal: Mapping[str, Any], *, district_id: str | None, url: str) -> str:
    """Build a signal's id from the fields that identify the fact.

    A role is the same fact while its label, title and holder stay. An
    appointment is the same while its person and position stay, because its
    school or effective date may be corrected later. CBE language and state
    policy are evidence per page.
    Mutable fields (stage, effective date, quote) are left out on purpose.
    """
    kind = signal["kind"]
    if kind == "cbe_role":
        key = [signal.get("label"), _normalize_key(signal.get("title")), _normalize_key(signal.get("person"))]
    elif kind == "principal_appointment":
        key = [_normalize_key(signal.get("person")), signal.get("position")]
    elif kind == "state_policy":
        key = [signal.get("state"), url, _normalize_key(signal.get("label"))]
    else:
        key = [url, _normalize_key(signal.get("label"))]
    material = json.dumps([kind, district_id, *key], ensure_ascii=True)
    return hashlib.sha1(material.encode("utf-8")).hexdigest()[:20]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class StoredSignal:
    """A signal as stored, whether this write created it, and the fields it changed."""

    record: dict
    is_new: bool
    changes: dict = field(default_factory=dict)


@dataclass
class StoredPage:
    """Result of storing one page: its signals as stored, and how many others became gone."""

    signals: list[StoredSignal]
    """The signals the page shows, as stored."""
    signals_gone: int = 0
    """Signals that no page shows any more since this write."""


@functools.lru_cache(maxsize=8)
def _page_upsert_sql(columns: tuple[str, ...]) -> str:
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column != "url")
    return (
        f"INSERT INTO pages ({', '.join(columns)}, first_seen_at) VALUES ({', '.join('?' * len(columns))}, ?) "
        f"ON CONFLICT(url) DO UPDATE SET {updates}"
    )


def _upsert_page(db: sqlite_utils.Database, record: Mapping[str, Any], first_seen_at: str) -> None:
    """Insert or update one row of `pages`, keeping its first_seen_at.

    One SQL statement: sqlite-utils' get, insert and update each read the
    table's schema first, which cost a crawl more than the writes.
    """
    db.execute(_page_upsert_sql(tuple(record)), [*record.values(), first_seen_at])


def store_page(
    db: sqlite_utils.Database,
    page: Mapping[str, Any],
    signals: Iterable[Mapping[str, Any]],
) -> StoredPage:
    """Store one fetched page and its signals in one transaction.

    `page` has the `pages` columns plus `text`; it is stored compressed so that
    detection can run again without fetching.
    """
    now = utc_now()
    url = page["url"]
    district_id = page.get("district_id")
    text = page.get("text") or ""
    page_record = {
        key: page.get(key)
        for key in (
            "url",
            "district_id",
            "source_type",
            "fetched_at",
            "status",
            "content_type",
            "published_at",
            "title",
            "etag",
            "last_modified",
            "error",
            "detector_version",
            "body_hash",
            "state",
        )
    }
    page_record["links"] = json.dumps(page.get("links") or [])
    page_record["page_starts"] = json.dumps(page["page_starts"]) if page.get("page_starts") else None
    page_record["gone_at"] = None
    page_record["content_hash"] = content_hash(text)
    page_record["text_zlib"] = zlib.compress(text.encode("utf-8"))
    page_record["last_seen_at"] = now

    stored: list[StoredSignal] = []
    # Built directly: db["signals"] and db.table() first query the schema to tell a view from a table.
    table = sqlite_utils.db.Table(db, "signals")
    with transaction(db):
        _upsert_page(db, page_record, first_seen_at=now)

        seen_ids: set[str] = set()
        for signal in signals:
            record = {key: signal.get(key) for key in SIGNAL_FIELDS}
            record.update(
                id=signal_id(signal, district_id=district_id, url=url),
                district_id=district_id,
                url=url,
                source_type=page.get("source_type"),
                published_at=page.get("published_at"),
                last_seen_at=now,
                gone_at=None,
            )
            if record["id"] in seen_ids:
                continue
            seen_ids.add(record["id"])
            _touch_source(db, record, now)
            try:
                existing = table.get(record["id"])
            except NotFoundError:
                record["first_seen_at"] = now
                table.insert(record)
                _add_event(db, record, "new", now)
                stored.append(StoredSignal(record, is_new=True))
                continue

            record = _merge_with_stored(existing, record)
            changes = {
                key: [existing.get(key), record.get(key)]
                for key in TRACKED_FIELDS
                if existing.get(key) != record.get(key)
            }
            if existing.get("gone_at"):
                changes["gone_at"] = [existing["gone_at"], None]
            if changes:
                record["updated_at"] = now
                _add_event(db, record, "updated", now, changes)
            table.update(record["id"], record)
            stored.append(StoredSignal({**existing, **record}, is_new=False, changes=changes))

        # Signals this page showed before and shows no more lose it as a
        # source; those that no page shows any more are gone.
        dropped = [
            row["signal_id"]
            for row in db.query("SELECT signal_id FROM signal_sources WHERE url = ?", [url])
            if row["signal_id"] not in seen_ids
        ]
        signals_gone = _drop_sources(db, dropped, url, now)
    return StoredPage(stored, signals_gone=signals_gone)


def _merge_with_stored(existing: Mapping[str, Any], record: dict) -> dict:
    """Merge a signal found on a page with the stored one.

    The page it was found on before may say more: a news article gives an
    appointment's effective date, the news listing that repeats the headline
    does not. So another page never erases a stored field, and its quote and
    URL replace the stored evidence only when it gives more fields, or as many
    and an earlier or the only publication date. The same page, detected
    again, replaces everything, because its text changed.
    """
    if existing.get("url") == record["url"]:
        return record
    merged = dict(record)
    for key in TRACKED_FIELDS:
        if merged.get(key) is None and existing.get(key) is not None:
            merged[key] = existing[key]
    known_before = _fields_known(existing)
    known_now = _fields_known(record)
    if known_now < known_before or (known_now == known_before and _published_earlier(existing, record)):
        for key in ("url", "quote", "page", "source_type", "published_at"):
            merged[key] = existing.get(key)
    return merged


def _fields_known(signal: Mapping[str, Any]) -> int:
    return sum(signal.get(key) is not None for key in TRACKED_FIELDS)


def _published_earlier(existing: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Tell whether the stored evidence was published before the new page, or the new page has no date.

    Between two pages that give as many fields, the first to publish a fact
    (the board meeting that made an appointment, not a later packet that
    repeats it) stays its evidence, whatever order the crawl stores them in.
    """
    if not existing.get("published_at"):
        return False
    return not record.get("published_at") or existing["published_at"] <= record["published_at"]


def _touch_source(db: sqlite_utils.Database, record: Mapping[str, Any], now: str) -> None:
    """Record the page of `record` as a source of its signal, with that page's own evidence."""
    evidence = [record.get(column) for column in EVIDENCE_COLUMNS]
    fields_known = _fields_known(record)
    db.execute(
        "INSERT INTO signal_sources (signal_id, url, first_seen_at, last_seen_at, quote, page, source_type, "
        "published_at, fields_known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (signal_id, url) DO UPDATE SET last_seen_at = excluded.last_seen_at, quote = excluded.quote, "
        "page = excluded.page, source_type = excluded.source_type, published_at = excluded.published_at, "
        "fields_known = excluded.fields_known",
        [record["id"], record["url"], now, now, *evidence, fields_known],
    )


def _drop_sources(db: sqlite_utils.Database, signal_ids: Iterable[str], url: str, now: str) -> int:
    """Remove `url` as a source of these signals; mark gone those left without a source.

    Returns the number of signals marked gone. Runs inside the caller's transaction.
    """
    gone = 0
    for signal in signal_ids:
        db.execute("DELETE FROM signal_sources WHERE signal_id = ? AND url = ?", [signal, url])
        remaining = db.execute("SELECT COUNT(*) FROM signal_sources WHERE signal_id = ?", [signal]).fetchone()[0]
        if remaining:
            _quote_another_source(db, signal, url)
            continue
        row = db.execute("SELECT id, district_id, gone_at FROM signals WHERE id = ?", [signal]).fetchone()
        if row is None or row[2] is not None:
            continue
        db["signals"].update(signal, {"gone_at": now})
        _add_event(db, {"id": row[0], "district_id": row[1]}, "gone", now)
        gone += 1
    return gone


def _quote_another_source(db: sqlite_utils.Database, signal: str, dropped_url: str) -> None:
    """Move a signal's URL and quote off a page that no longer shows it, to the best remaining source.

    The best source gives the most fields, then was published first, as the
    merge of pages prefers, then was seen last. Sources stored before their evidence was kept have no quote
    and are not used.
    """
    row = db.execute(
        "SELECT url, quote, page, source_type, published_at FROM signal_sources "
        "WHERE signal_id = ? AND quote IS NOT NULL "
        "ORDER BY fields_known DESC, published_at IS NULL, published_at, last_seen_at DESC LIMIT 1",
        [signal],
    ).fetchone()
    if row is None:
        return
    db.execute(
        "UPDATE signals SET url = ?, quote = ?, page = ?, source_type = ?, published_at = ? WHERE id = ? AND url = ?",
        [*row, signal, dropped_url],
    )


def mark_page_gone(db: sqlite_utils.Database, url: str, status: int | None) -> int:
    """Record that a stored page now returns 404 or 410.

    The page stops being a source of its signals, and those that no other
    page shows become gone. Returns the number of signals marked gone. A URL
    that was never stored is left alone.
    """
    now = utc_now()
    with transaction(db):
        try:
            db["pages"].get(url)
        except NotFoundError:
            return 0
        db["pages"].update(url, {"status": status, "gone_at": now, "fetched_at": now})
        sources = [row["signal_id"] for row in db.query("SELECT signal_id FROM signal_sources WHERE url = ?", [url])]
        return _drop_sources(db, sources, url, now)


def _add_event(
    db: sqlite_utils.Database,
    signal: Mapping[str, Any],
    event: str,
    when: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    db["signal_events"].insert(
        {
            "signal_id": signal["id"],
            "district_id": signal.get("district_id"),
            "event": event,
            "occurred_at": when,
            "changes": json.dumps(changes, sort_keys=True) if changes else None,
        }
    )


def stored_page_fingerprint(db: sqlite_utils.Database, url: str) -> dict | None:
    """Return what a re-crawl needs to know of a stored page: validators, body hash, detector version, links, fetch time."""
    rows = list(
        db.query(
            "SELECT etag, last_modified, body_hash, detector_version, links, fetched_at FROM pages "
            "WHERE url = ? AND gone_at IS NULL",
            [url],
        )
    )
    if not rows:
        return None
    row = rows[0]
    row["links"] = json.loads(row["links"]) if row["links"] else []
    return row


def district_has_pages(db: sqlite_utils.Database, district_id: str) -> bool:
    """Tell whether a district has stored pages that are not gone, that is, whether its next crawl is a re-crawl."""
    row = db.execute("SELECT 1 FROM pages WHERE district_id = ? AND gone_at IS NULL LIMIT 1", [district_id]).fetchone()
    return row is not None


def refresh_unchanged_page(db: sqlite_utils.Database, url: str, status: int | None) -> int:
    """Record that a stored page is unchanged: refresh `last_seen_at` of it and its signals.

    `status` is that of the response that showed it unchanged (304, or 200 with
    the same body), which also counts as a new fetch. None means no request
    was sent, because the sitemap showed the page unchanged. Then `fetched_at`
    keeps the time of the last real fetch, so that a sitemap `lastmod` after it
    still brings a request. Returns the number of signals refreshed.
    """
    now = utc_now()
    with transaction(db):
        if status is None:
            db.execute("UPDATE pages SET last_seen_at = ? WHERE url = ?", [now, url])
        else:
            db.execute("UPDATE pages SET last_seen_at = ?, fetched_at = ?, status = ? WHERE url = ?", [now, now, status, url])
        db.execute("UPDATE signal_sources SET last_seen_at = ? WHERE url = ?", [now, url])
        cursor = db.execute(
            "UPDATE signals SET last_seen_at = ? WHERE gone_at IS NULL "
            "AND id IN (SELECT signal_id FROM signal_sources WHERE url = ?)",
            [now, url],
        )
        return cursor.rowcount


def record_district_crawl(
    db: sqlite_utils.Database, crawl_id: int, district_id: str, counts: Mapping[str, int], outcome: str
) -> None:
    with transaction(db):
        db["district_crawls"].upsert(
            {
                "crawl_id": crawl_id,
                "district_id": district_id,
                "finished_at": utc_now(),
                "outcome": outcome,
                **{key: int(counts.get(key, 0)) for key in ("pages", "unchanged", "signals", "errors", "blocked", "robots_disallowed")},
            },
            pk=("crawl_id", "district_id"),
        )
        db["districts"].update(district_id, {"last_crawled_at": utc_now()})


def set_board_portal(db: sqlite_utils.Database, nces_id: str, platform: str, board_url: str) -> bool:
    """Store a district's board portal; returns False when the district is not in the table."""
    with transaction(db):
        try:
            db["districts"].get(nces_id)
        except NotFoundError:
            return False
        db["districts"].update(nces_id, {"board_platform": platform, "board_url": board_url, "updated_at": utc_now()})
        return True


def record_portal_status(
    db: sqlite_utils.Database,
    district_id: str,
    platform: str,
    portal_url: str,
    status: str,
    meetings: int,
    detail: str | None = None,
) -> dict:
    """Store how a portal read went; returns the stored row, with `previous_meetings` from the last read."""
    table = db["board_portals"]
    with transaction(db):
        try:
            previous = table.get((district_id, portal_url))
        except NotFoundError:
            previous = {}
        row = {
            "district_id": district_id,
            "platform": platform,
            "portal_url": portal_url,
            "status": status,
            "meetings": meetings,
            "previous_meetings": previous.get("meetings"),
            "detail": detail,
            "blocked_count": (previous.get("blocked_count") or 0) + (1 if status == "blocked" else 0),
            "last_read_at": utc_now(),
        }
        table.upsert(row, pk=("district_id", "portal_url"))
    return row


def read_page_text(db: sqlite_utils.Database, url: str) -> str | None:
    try:
        row = db["pages"].get(url)
    except NotFoundError:
        return None
    blob = row.get("text_zlib")
    return zlib.decompress(blob).decode("utf-8") if blob else ""


# Crawls.
def start_crawl(db: sqlite_utils.Database, spider: str, arguments: Mapping[str, Any]) -> int:
    with transaction(db):
        table = db["crawls"]
        table.insert(
            {"spider": spider, "started_at": utc_now(), "arguments": json.dumps(dict(arguments), sort_keys=True)}
        )
        return table.last_pk


def finish_crawl(db: sqlite_utils.Database, crawl_id: int, reason: str, stats: Mapping[str, Any]) -> None:
    with transaction(db):
        db["crawls"].update(
            crawl_id,
            {
                "finished_at": utc_now(),
                "finish_reason": reason,
                "stats": json.dumps(dict(stats), sort_keys=True, default=str),
            },
        )
