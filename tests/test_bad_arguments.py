"""Bad registry files given to the crawl, bad `--since` values, and writes outside transactions.

`scrapy crawl districts -a registry=FILE` must reject a bad registry with the
same message as `k12signals districts import`, exit with status 2, and write
nothing. `k12signals feed --since` must exit with status 2 and name the value.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from k12signals import segments, storage
from tests.sitekit import REPO_ROOT, run_crawl

BAD_REGISTRIES = [
    ("nces_id,name,state\n3399901,Lakeview,NH\n", "missing column(s) website"),
    ("nces_id,name,state,website\n33999,Lakeview,NH,lakeview.example.org\n", "line 2: invalid nces_id '33999'"),
    ("nces_id,name,state,website\n3399901,Lakeview,XX,lakeview.example.org\n", "line 2: unknown state 'XX'"),
    (
        "nces_id,name,state,website\n3399901,Lakeview,NH,a.example.org\n3399901,Lakeview,NH,b.example.org\n",
        "line 3: duplicate nces_id 3399901 (first on line 2)",
    ),
    ("nces_id,name,state,website\n3399901,Lakeview,NH,not a site\n", "invalid website 'not a site'"),
    ("id,title\n1,2\n", "no registry header found"),
]


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "k12signals.cli", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def district_count(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return connection.execute("SELECT count(*) FROM districts").fetchone()[0] if "districts" in tables else 0
    finally:
        connection.close()


@pytest.mark.parametrize(("csv_text", "message"), BAD_REGISTRIES)
def test_crawl_rejects_bad_registry(tmp_path, csv_text, message):
    registry = tmp_path / "registry.csv"
    registry.write_text(csv_text, encoding="utf-8")
    crawl_database = tmp_path / "crawl.db"
    import_database = tmp_path / "import.db"

    crawl = run_crawl(crawl_database, f"registry={registry}", timeout=60)
    imported = run_cli("districts", "import", str(registry), "--db", str(import_database))

    assert crawl.returncode == 2, crawl.log[-3000:]
    assert message in crawl.log
    assert imported.returncode == 2
    assert message in imported.stderr
    assert "Traceback" not in crawl.log
    assert not crawl_database.exists() or district_count(crawl_database) == 0


def test_crawl_rejects_missing_registry_file(tmp_path):
    database = tmp_path / "crawl.db"
    crawl = run_crawl(database, f"registry={tmp_path / 'nope.csv'}", timeout=60)
    assert crawl.returncode == 2, crawl.log[-3000:]
    assert "registry file not found" in crawl.log
    assert not database.exists() or district_count(database) == 0


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "yesterday", "", "12x", "2026-01-31T25:00:00Z"])
def test_feed_rejects_bad_since(tmp_path, value):
    result = run_cli("feed", f"--since={value}", "--db", str(tmp_path / "signals.db"))
    assert result.returncode == 2, result.stderr
    assert f"invalid --since {value!r}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["99999999999d", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_feed_rejects_since_out_of_range(tmp_path, value):
    result = run_cli("feed", f"--since={value}", "--db", str(tmp_path / "signals.db"))
    assert result.returncode == 2, result.stderr
    assert value in result.stderr


def test_feed_rejects_double_dash_since(tmp_path):
    result = run_cli("feed", "--since=--", "--db", str(tmp_path / "signals.db"))
    assert result.returncode == 2, result.stderr
    assert "invalid --since" in result.stderr


# Every write is a transaction.
def test_every_write_inside_transaction(tmp_path):
    """Run each storage write with a statement trace: no INSERT, UPDATE or DELETE may run outside BEGIN ... COMMIT."""
    db = storage.open_database(tmp_path / "signals.db")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)

    storage.upsert_districts(db, [{"nces_id": "3399901", "name": "Lakeview", "state": "NH", "website": "lakeview.example.org"}])
    crawl_id = storage.start_crawl(db, "districts", {})
    page = {"url": "http://lakeview.example.org/news", "district_id": "3399901", "source_type": "district_site", "text": "Text.\n"}
    signal = {"kind": "cbe_language", "label": "cbe", "stage": "early", "quote": "Text."}
    storage.store_page(db, page, [signal])
    storage.refresh_unchanged_page(db, page["url"], 200)
    storage.mark_page_gone(db, page["url"], 404)
    storage.record_district_crawl(db, crawl_id, "3399901", {"pages": 1}, "ok")
    storage.finish_crawl(db, crawl_id, "finished", {"k12signals/pages_stored": 1})
    segments.update_segments(db)
    db.close()

    in_transaction = False
    writes = 0
    for statement in statements:
        keyword = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if keyword == "BEGIN":
            assert not in_transaction, statement
            in_transaction = True
        elif keyword in ("COMMIT", "ROLLBACK"):
            in_transaction = False
        elif keyword in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not statement.lstrip().upper().startswith("UPDATE SQLITE_"):
            writes += 1
            assert in_transaction, f"write outside a transaction: {statement}"
    assert writes >= 8


@pytest.mark.parametrize(
    ("setting", "message"),
    [("DISTRICT_MAX_PAGES=abc", "invalid -s DISTRICT_MAX_PAGES='abc'; expected a whole number"),
     ("RETRY_BACKOFF_BASE=-1", "invalid -s RETRY_BACKOFF_BASE='-1'; expected a value of 0 or more"),
     ("ROBOTSTXT_MAX_CRAWL_DELAY=abc", "invalid -s ROBOTSTXT_MAX_CRAWL_DELAY='abc'; expected a number"),
     ("ROBOTSTXT_MAX_CRAWL_DELAY=0", "expected a value above 0 (set ROBOTSTXT_OBEY_CRAWL_DELAY=False"),
     ("ROBOTSTXT_OBEY_CRAWL_DELAY=maybe", "invalid -s ROBOTSTXT_OBEY_CRAWL_DELAY='maybe'; expected True or False")],
)
def test_bad_number_setting_rejected(tmp_path, setting, message):
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "districts", "-s", setting, "-s", f"SIGNALS_DB={tmp_path / 's.db'}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
