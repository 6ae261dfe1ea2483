"""The database module: schema, ids, upserts and transactions."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlite_utils

from k12signals import storage

PAGE = {
    "url": "https://www.lakeview.example.org/news/new-principal",
    "district_id": "3399901",
    "source_type": "district_site",
    "fetched_at": "2026-03-10T12:00:00Z",
    "status": 200,
    "content_type": "text/html",
    "published_at": "2026-03-10",
    "title": "New principal",
    "text": "The board appointed Dana Whitfield as principal of Cedar Ridge Elementary School.",
}
APPOINTMENT = {
    "kind": "principal_appointment",
    "person": "Dana Whitfield",
    "school": "Cedar Ridge Elementary School",
    "position": "principal",
    "effective_date": "2026-07-01",
    "quote": "The board appointed Dana Whitfield as principal of Cedar Ridge Elementary School.",
}


@pytest.fixture
def db(tmp_path):
    database = storage.open_database(tmp_path / "signals.db")
    yield database
    database.close()


def test_schema_created_with_wal(db):
    assert set(db.table_names()) >= {"districts", "pages", "signals", "crawls"}
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(storage.MIGRATIONS)


def test_reopen_runs_no_migration_twice(tmp_path):
    path = tmp_path / "signals.db"
    storage.open_database(path).close()
    reopened = storage.open_database(path)
    assert reopened.execute("PRAGMA user_version").fetchone()[0] == len(storage.MIGRATIONS)
    reopened.close()


def test_source_evidence_backfilled_on_upgrade(tmp_path):
    path = tmp_path / "signals.db"
    older = sqlite_utils.Database(path)
    for migration in storage.MIGRATIONS[:6]:
        migration(older)
    older.execute("PRAGMA user_version = 6")
    older["signals"].insert({"id": "s1", "kind": "principal_appointment", "url": PAGE["url"], "quote": "Quoted.",
                             "page": 2, "first_seen_at": "2026-01-01T00:00:00Z", "last_seen_at": "2026-01-01T00:00:00Z"})
    older["signal_sources"].insert({"signal_id": "s1", "url": PAGE["url"], "first_seen_at": "2026-01-01T00:00:00Z",
                                    "last_seen_at": "2026-01-01T00:00:00Z"})
    older.close()

    upgraded = storage.open_database(path)
    source = upgraded["signal_sources"].get(("s1", PAGE["url"]))
    upgraded.close()
    assert source["quote"] == "Quoted."
    assert source["page"] == 2


def test_newer_schema_rejected(tmp_path):
    path = tmp_path / "signals.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 999")
    connection.close()
    with pytest.raises(RuntimeError, match="upgrade k12signals"):
        storage.open_database(path)


def test_utc_now_format():
    assert time.strptime(storage.utc_now(), "%Y-%m-%dT%H:%M:%SZ")


def test_signal_id_ignores_mutable_fields():
    changed = {**APPOINTMENT, "effective_date": "2026-08-01", "quote": "Another sentence.", "school": None}
    first = storage.signal_id(APPOINTMENT, district_id="3399901", url=PAGE["url"])
    second = storage.signal_id(changed, district_id="3399901", url="https://other.example.org/minutes.pdf")
    assert first == second


def test_signal_id_differs_by_district_and_person():
    base = storage.signal_id(APPOINTMENT, district_id="3399901", url=PAGE["url"])
    other_district = storage.signal_id(APPOINTMENT, district_id="3399902", url=PAGE["url"])
    other_person = storage.signal_id({**APPOINTMENT, "person": "Sam Ortega"}, district_id="3399901", url=PAGE["url"])
    assert base != other_district
    assert base != other_person


def test_cbe_language_id_is_per_page():
    signal = {"kind": "cbe_language", "label": "competency-based education", "stage": "early"}
    one = storage.signal_id(signal, district_id="3399901", url="https://a.example.org/1")
    same_later_stage = storage.signal_id({**signal, "stage": "mature"}, district_id="3399901", url="https://a.example.org/1")
    other_page = storage.signal_id(signal, district_id="3399901", url="https://a.example.org/2")
    assert one == same_later_stage
    assert one != other_page


def test_store_page_inserts_then_refreshes(db):
    first = storage.store_page(db, PAGE, [APPOINTMENT])
    assert [signal.is_new for signal in first.signals] == [True]
    stored = db["signals"].get(first.signals[0].record["id"])
    assert stored["first_seen_at"] == stored["last_seen_at"]

    time.sleep(1.1)
    second = storage.store_page(db, PAGE, [{**APPOINTMENT, "effective_date": "2026-08-01"}])
    assert [signal.is_new for signal in second.signals] == [False]
    assert db["signals"].count == 1
    refreshed = db["signals"].get(first.signals[0].record["id"])
    assert refreshed["first_seen_at"] == stored["first_seen_at"]
    assert refreshed["last_seen_at"] > stored["last_seen_at"]
    assert refreshed["effective_date"] == "2026-08-01"


def test_page_text_round_trip(db):
    storage.store_page(db, PAGE, [])
    assert storage.read_page_text(db, PAGE["url"]) == PAGE["text"]
    assert db["pages"].get(PAGE["url"])["content_hash"] == storage.content_hash(PAGE["text"])


def test_failed_write_rolls_back(db):
    broken_signal = {**APPOINTMENT, "person": object()}  # not storable in SQLite
    with pytest.raises(Exception):
        storage.store_page(db, PAGE, [APPOINTMENT, broken_signal])
    assert db["pages"].count == 0
    assert db["signals"].count == 0


def test_upsert_districts_counts(db):
    rows = [
        {"nces_id": "3399901", "name": "Lakeview", "state": "NH", "website": "lakeview.example.org"},
        {"nces_id": "3399902", "name": "Birch Hill", "state": "NH", "website": None},
    ]
    first = storage.upsert_districts(db, rows)
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    second = storage.upsert_districts(db, [{**rows[0], "website": "lakeview.example.net"}, rows[1]])
    assert (second.added, second.updated, second.unchanged) == (0, 1, 1)


def test_select_districts_filters(db):
    storage.upsert_districts(
        db,
        [
            {"nces_id": "3399901", "name": "Lakeview", "state": "NH", "website": "lakeview.example.org"},
            {"nces_id": "3399902", "name": "Birch Hill", "state": "NH", "website": None},
            {"nces_id": "5099903", "name": "Green Valley", "state": "VT", "website": "gv.example.org"},
        ],
    )
    assert [d["nces_id"] for d in storage.select_districts(db)] == ["3399901", "5099903"]
    assert [d["nces_id"] for d in storage.select_districts(db, state="VT")] == ["5099903"]
    assert [d["nces_id"] for d in storage.select_districts(db, nces_ids=["3399902", "3399901"])] == ["3399901"]
    assert len(storage.select_districts(db, limit=1)) == 1


def test_crawl_rows(db):
    crawl_id = storage.start_crawl(db, "districts", {"state": "NH"})
    storage.finish_crawl(db, crawl_id, "finished", {"item_scraped_count": 3})
    row = db["crawls"].get(crawl_id)
    assert row["finish_reason"] == "finished"
    assert '"item_scraped_count": 3' in row["stats"]
    assert row["finished_at"] >= row["started_at"]


def events(db):
    return [(row["event"], row["signal_id"]) for row in db.query("SELECT * FROM signal_events ORDER BY id")]


def test_new_signal_event(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    assert events(db) == [("new", stored.signals[0].record["id"])]


def test_unchanged_signal_adds_no_event(db):
    storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, PAGE, [APPOINTMENT])
    assert len(events(db)) == 1


def test_changed_effective_date_is_updated_event(db):
    storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, PAGE, [{**APPOINTMENT, "effective_date": "2026-08-01"}])
    row = list(db.query("SELECT * FROM signal_events WHERE event = 'updated'"))[0]
    assert row["changes"] == '{"effective_date": ["2026-07-01", "2026-08-01"]}'


def test_signal_missing_from_refetched_page_is_gone(db):
    role = {"kind": "cbe_role", "label": "cbe_coordinator", "title": "CBE Coordinator", "person": "Ana Ruiz", "quote": "x"}
    stored = storage.store_page(db, PAGE, [APPOINTMENT, role])
    storage.store_page(db, PAGE, [APPOINTMENT])
    role_id = stored.signals[1].record["id"]
    assert ("gone", role_id) in events(db)
    assert db["signals"].get(role_id)["gone_at"] is not None


def test_returning_signal_clears_gone(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, PAGE, [])
    storage.store_page(db, PAGE, [APPOINTMENT])
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["gone_at"] is None
    assert [event for event, _ in events(db)] == ["new", "gone", "updated"]


def test_removed_page_makes_signals_gone(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    assert storage.mark_page_gone(db, PAGE["url"], 404) == 1
    assert db["pages"].get(PAGE["url"])["status"] == 404
    assert db["signals"].get(stored.signals[0].record["id"])["gone_at"] is not None


def test_unknown_page_gone_is_ignored(db):
    assert storage.mark_page_gone(db, "https://never.example.org/x", 404) == 0
    assert db["pages"].count == 0


def test_quotes_searchable(db):
    storage.store_page(db, PAGE, [APPOINTMENT])
    rows = list(db.query("SELECT person FROM signals WHERE rowid IN (SELECT rowid FROM signals_fts WHERE signals_fts MATCH 'Whitfield')"))
    assert rows == [{"person": "Dana Whitfield"}]


LISTING = {**PAGE, "url": "https://www.lakeview.example.org/news/", "published_at": None, "title": "News"}
TEASER = {**APPOINTMENT, "effective_date": None, "quote": "Board names Dana Whitfield principal of Cedar Ridge Elementary School"}


def test_listing_does_not_erase_article_date(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["effective_date"] == "2026-07-01"
    assert signal["url"] == PAGE["url"]
    assert signal["quote"] == APPOINTMENT["quote"]
    assert [event for event, _ in events(db)] == ["new"]


def test_richer_page_replaces_evidence(db):
    stored = storage.store_page(db, LISTING, [TEASER])
    storage.store_page(db, PAGE, [APPOINTMENT])
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["url"] == PAGE["url"]
    assert signal["effective_date"] == "2026-07-01"


def test_signal_stays_while_another_page_shows_it(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    storage.store_page(db, LISTING, [])
    assert db["signals"].get(stored.signals[0].record["id"])["gone_at"] is None
    storage.store_page(db, PAGE, [])
    assert db["signals"].get(stored.signals[0].record["id"])["gone_at"] is not None


def test_removed_listing_keeps_article_signal(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    assert storage.mark_page_gone(db, LISTING["url"], 404) == 0
    assert db["signals"].get(stored.signals[0].record["id"])["gone_at"] is None


def test_gone_article_moves_quote_to_listing(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    assert storage.mark_page_gone(db, PAGE["url"], 404) == 0
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["gone_at"] is None
    assert signal["url"] == LISTING["url"]
    assert signal["quote"] == TEASER["quote"]
    assert signal["effective_date"] == "2026-07-01"


def test_article_without_signal_moves_quote(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    storage.store_page(db, PAGE, [])
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["url"] == LISTING["url"]
    assert signal["quote"] == TEASER["quote"]


def test_gone_listing_keeps_article_quote(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    storage.mark_page_gone(db, LISTING["url"], 410)
    signal = db["signals"].get(stored.signals[0].record["id"])
    assert signal["url"] == PAGE["url"]
    assert signal["quote"] == APPOINTMENT["quote"]


def test_unchanged_listing_refreshes_signal(db):
    stored = storage.store_page(db, PAGE, [APPOINTMENT])
    storage.store_page(db, LISTING, [TEASER])
    before = db["signals"].get(stored.signals[0].record["id"])["last_seen_at"]
    time.sleep(1.1)
    assert storage.refresh_unchanged_page(db, LISTING["url"], 304) == 1
    assert db["signals"].get(stored.signals[0].record["id"])["last_seen_at"] > before


def test_refetched_page_reports_gone_signal(db):
    storage.store_page(db, PAGE, [APPOINTMENT])
    assert storage.store_page(db, PAGE, []).signals_gone == 1


def test_skipped_page_keeps_fetch_time(db):
    storage.store_page(db, PAGE, [APPOINTMENT])
    before = db["pages"].get(PAGE["url"])
    time.sleep(1.1)
    assert storage.refresh_unchanged_page(db, PAGE["url"], None) == 1
    after = db["pages"].get(PAGE["url"])
    assert after["fetched_at"] == before["fetched_at"]
    assert after["status"] == before["status"]
    assert after["last_seen_at"] > before["last_seen_at"]


def test_earlier_page_keeps_evidence_either_order(tmp_path):
    later_packet = {**PAGE, "url": "https://www.lakeview.example.org/board/2026-07-14.pdf", "published_at": "2026-07-14"}
    earlier_packet = {**PAGE, "url": "https://www.lakeview.example.org/board/2026-05-12.pdf", "published_at": "2026-05-12"}
    for order in ([earlier_packet, later_packet], [later_packet, earlier_packet]):
        database = storage.open_database(tmp_path / f"{order[0]['published_at']}.db")
        for page in order:
            stored = storage.store_page(database, page, [APPOINTMENT])
        signal = database["signals"].get(stored.signals[0].record["id"])
        database.close()
        assert signal["url"] == earlier_packet["url"]
