"""Districts in batches, progress lines, -a stale_after, and stop and resume with JOBDIR."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.sitekit import FAST_CRAWL_SETTINGS, REPO_ROOT, Route, SiteServer, run_crawl, write_registry


FIRST_NAMES = ["Avery", "Jordan", "Morgan", "Riley", "Quinn", "Harper", "Rowan", "Emerson", "Sawyer", "Reese", "Hayden", "Parker"]
LAST_NAMES = ["Whitaker", "Delgado", "Okafor", "Lindqvist", "Barros", "Nakamura"]
SCHOOLS = ["Maple", "Cedar", "Willow", "Aspen", "Birch", "Spruce", "Juniper", "Hawthorn", "Linden", "Alder", "Chestnut", "Sycamore"]


def district_routes(number: int, pages: int = 3) -> dict[str, Route]:
    links = "".join(f'<li><a href="/news/item-{page}">News item {page}</a></li>' for page in range(pages))
    routes = {"/": Route(f"<html><body><main><h1>District {number}</h1><ul>{links}</ul></main></body></html>")}
    for page in range(pages):
        routes[f"/news/item-{page}"] = Route(
            f"""<html><head><meta property="article:published_time" content="2026-05-0{page + 1}"></head>
<body><main><article><h1>News item {page}</h1>
<p>The Board of Education appointed {FIRST_NAMES[page]} {LAST_NAMES[number]} as principal of {SCHOOLS[page]} Elementary School, effective July 1, 2026.</p>
</article></main></body></html>"""
        )
    return routes


def query(database, sql, *params):
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


@pytest.fixture
def three_sites():
    servers = [SiteServer(district_routes(number)) for number in range(3)]
    for server in servers:
        server.__enter__()
    yield servers
    for server in servers:
        server.__exit__()


def registry_for(tmp_path, servers):
    rows = [
        {"nces_id": f"33999{number:02d}", "name": f"District {number}", "state": "NH", "website": server.host}
        for number, server in enumerate(servers)
    ]
    return write_registry(tmp_path / "registry.csv", rows)


def test_batch_of_one_crawls_every_district(tmp_path, three_sites):
    registry = registry_for(tmp_path, three_sites)
    result = run_crawl(
        tmp_path / "signals.db", f"registry={registry}", settings={"DISTRICT_BATCH_SIZE": "1", "PROGRESS_INTERVAL": "0.2"}
    )
    assert result.returncode == 0, result.log[-2000:]
    for server in three_sites:
        assert "/news/item-2" in server.requested_paths()
    assert "'k12signals/districts_done': 3" in result.log
    assert "Progress: " in result.log
    assert "of 3 districts done" in result.log


def test_stale_after_skips_fresh_districts(tmp_path, three_sites):
    registry = registry_for(tmp_path, three_sites)
    database = tmp_path / "signals.db"
    run_crawl(database, f"registry={registry}")
    first_counts = [len(server.requested_paths()) for server in three_sites]

    fresh = run_crawl(database, f"registry={registry}", "stale_after=7d")
    assert fresh.returncode == 1
    assert [len(server.requested_paths()) for server in three_sites] == first_counts

    connection = sqlite3.connect(database)
    connection.execute("UPDATE district_crawls SET finished_at = '2020-01-01T00:00:00Z' WHERE district_id = '3399901'")
    connection.commit()
    connection.close()
    stale = run_crawl(database, f"registry={registry}", "stale_after=7d")
    assert stale.returncode == 0, stale.log[-2000:]
    counts = [len(server.requested_paths()) for server in three_sites]
    assert counts[0] == first_counts[0]
    assert counts[1] > first_counts[1]
    assert counts[2] == first_counts[2]


def test_bad_stale_after_rejected(tmp_path, three_sites):
    registry = registry_for(tmp_path, three_sites)
    result = run_crawl(tmp_path / "signals.db", f"registry={registry}", "stale_after=soon")
    assert result.returncode == 2
    assert "invalid -a stale_after='soon'" in result.log


def crawl_command(database, registry, jobdir):
    command = [sys.executable, "-m", "scrapy", "crawl", "districts", "-a", f"registry={registry}"]
    settings = {**FAST_CRAWL_SETTINGS, "SIGNALS_DB": str(database), "JOBDIR": str(jobdir),
                "CONCURRENT_REQUESTS": "1", "DOWNLOAD_DELAY": "0.15", "AUTOTHROTTLE_ENABLED": "False"}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def signal_rows(database):
    return sorted(
        (row["id"], row["person"]) for row in query(database, "SELECT id, person FROM signals")
    )


def test_killed_crawl_resumes_to_same_signals(tmp_path):
    servers = [SiteServer(district_routes(number, pages=12)) for number in range(2)]
    for server in servers:
        server.__enter__()
    try:
        registry = registry_for(tmp_path, servers)

        # The crawl that is never interrupted.
        whole = tmp_path / "whole.db"
        result = run_crawl(whole, f"registry={registry}")
        assert result.returncode == 0

        # The crawl killed partway with SIGKILL, then resumed with the same JOBDIR.
        killed = tmp_path / "killed.db"
        jobdir = tmp_path / "job"
        environment = {**os.environ, "K12SIGNALS_CONTACT": "tests@example.org"}
        process = subprocess.Popen(
            crawl_command(killed, registry, jobdir), cwd=REPO_ROOT, env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if killed.exists() and query(killed, "SELECT COUNT(*) AS n FROM signals")[0]["n"] >= 4:
                    break
            except sqlite3.OperationalError:
                pass  # the crawl has not created its tables yet
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

        assert query(killed, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
        partial = len(signal_rows(killed))
        assert 4 <= partial < len(signal_rows(whole))

        resumed = subprocess.run(
            crawl_command(killed, registry, jobdir), cwd=REPO_ROOT, env=environment,
            capture_output=True, text=True, timeout=240,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    finally:
        for server in servers:
            server.__exit__()

    assert query(killed, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert signal_rows(killed) == signal_rows(whole)
