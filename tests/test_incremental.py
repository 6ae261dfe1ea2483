"""Incremental re-crawls: conditional requests, unchanged pages, re-detection and reprocessing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from tests.sitekit import REPO_ROOT, Route, SiteServer, run_crawl, write_registry

ARTICLE = """<html><head><title>New principal</title>
<meta property="article:published_time" content="2026-04-02"></head>
<body><main><article><h1>Board names new principal</h1>
<p>The Birch Hill Board of Education appointed Lena Marsh as principal of Birch Hill Elementary School, effective July 1, 2026.</p>
</article></main></body></html>"""
HOME = """<html><head><title>Birch Hill School District</title></head><body><main>
<p>Welcome to the Birch Hill School District.</p>
<a href="/news/new-principal">Board names new principal</a>
</main></body></html>"""


def site_routes():
    return {
        "/": Route(HOME, headers={"ETag": '"home-1"'}),
        "/news/new-principal": Route(ARTICLE, headers={"ETag": '"article-1"', "Last-Modified": "Thu, 02 Apr 2026 12:00:00 GMT"}),
        "/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain"),
    }


def query(database, sql, *params):
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("incremental")
    database = folder / "signals.db"
    with SiteServer(site_routes()) as site:
        registry = write_registry(
            folder / "registry.csv", [{"nces_id": "3399907", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        first = run_crawl(database, f"registry={registry}")
        signals_first = query(database, "SELECT * FROM signals")
        second = run_crawl(database, f"registry={registry}")
        yield {
            "first": first,
            "second": second,
            "database": database,
            "site": site,
            "signals_first": signals_first,
            "registry": registry,
            "folder": folder,
        }


def test_first_crawl_stores_appointment(two_crawls):
    rows = query(two_crawls["database"], "SELECT person FROM signals WHERE kind = 'principal_appointment'")
    assert rows == [{"person": "Lena Marsh"}], two_crawls["first"].log[-2000:]


def test_second_crawl_sends_validators(two_crawls):
    article_requests = two_crawls["site"].headers_of("/news/new-principal")
    assert len(article_requests) == 2
    assert "If-None-Match" not in article_requests[0]
    assert article_requests[1]["If-None-Match"] == '"article-1"'
    assert article_requests[1]["If-Modified-Since"] == "Thu, 02 Apr 2026 12:00:00 GMT"


def test_second_crawl_follows_links_of_304_home(two_crawls):
    # The home page returns 304, so its links come from the stored page.
    assert two_crawls["site"].requested_paths().count("/news/new-principal") == 2


def test_second_crawl_counts_unchanged(two_crawls):
    assert "'k12signals/incremental/unchanged_304': 2" in two_crawls["second"].log
    assert "'k12signals/pages_stored'" not in two_crawls["second"].log


def test_second_crawl_refreshes_last_seen(two_crawls):
    before = {row["id"]: row for row in two_crawls["signals_first"]}
    after = query(two_crawls["database"], "SELECT * FROM signals")
    assert [row["id"] for row in after] == list(before)
    for row in after:
        assert row["first_seen_at"] == before[row["id"]]["first_seen_at"]
        assert row["last_seen_at"] >= before[row["id"]]["last_seen_at"]


def test_status_reports_ok_district(two_crawls):
    result = subprocess.run(
        [sys.executable, "-m", "k12signals.cli", "status", "--db", str(two_crawls["database"])],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "ok: 1" in result.stdout
    assert "Need a look: 0 district(s)" in result.stdout


def test_changed_vocabulary_redetects_without_fetching(two_crawls, tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text("# An extra vocabulary file changes the detector version.\n", encoding="utf-8")
    with SiteServer(site_routes()) as site:
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": "3399907", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        # The site moved to a new port, so these URLs are new: crawl once, then crawl with the new vocabulary.
        database = tmp_path / "signals.db"
        run_crawl(database, f"registry={registry}")
        os.environ["K12SIGNALS_VOCABULARY"] = str(extra)
        try:
            result = run_crawl(database, f"registry={registry}")
        finally:
            del os.environ["K12SIGNALS_VOCABULARY"]
    assert "'k12signals/incremental/redetected': 2" in result.log
    versions = {row["detector_version"] for row in query(database, "SELECT detector_version FROM pages")}
    assert len(versions) == 1
    assert query(database, "SELECT COUNT(*) AS n FROM signals WHERE kind = 'principal_appointment'") == [{"n": 1}]


def run_reprocess(database, *arguments, env=None):
    return subprocess.run(
        [sys.executable, "-m", "k12signals.cli", "reprocess", "--db", str(database), *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env,
    )


def test_reprocess_only_outdated_pages(two_crawls, tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text("# Another vocabulary file.\n", encoding="utf-8")
    environment = {**os.environ, "K12SIGNALS_VOCABULARY": str(extra)}

    first = run_reprocess(two_crawls["database"], env=environment)
    assert first.returncode == 0, first.stderr
    assert "Reprocessed 2 page(s)" in first.stdout

    again = run_reprocess(two_crawls["database"], env=environment)
    assert "Reprocessed 0 page(s)" in again.stdout
    assert query(two_crawls["database"], "SELECT COUNT(*) AS n FROM signals") == [{"n": len(two_crawls["signals_first"])}]


def test_reprocess_rejects_bad_district(two_crawls):
    result = run_reprocess(two_crawls["database"], "--district", "12")
    assert result.returncode == 2
    assert "invalid --district '12'" in result.stderr


def sitemap_routes(host: str) -> dict[str, Route]:
    routes = site_routes()
    # Linked from no page, so the crawl finds it through the sitemap only.
    # Linked from the archived article only, and not in the sitemap.
    routes["/news/archive-principal"] = Route(
        ARTICLE.replace("Lena Marsh", "Omar Haddad").replace("</article>", '<a href="/news/related">Related</a></article>')
    )
    routes["/news/related"] = Route("<html><body><main><p>More news from the Birch Hill School District.</p></main></body></html>")
    routes["/about"] = Route("<html><body><main><p>About the Birch Hill School District and its schools.</p></main></body></html>")
    routes["/sitemap.xml"] = Route(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://{host}/news/archive-principal</loc><lastmod>2026-04-02</lastmod></url>
<url><loc>http://{host}/about</loc><lastmod>2999-01-01</lastmod></url>
</urlset>""",
        content_type="application/xml",
    )
    return routes


def test_sitemap_lastmod_skips_unchanged_page(tmp_path):
    with SiteServer() as site:
        site.routes.update(sitemap_routes(site.host))
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": "3399908", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        database = tmp_path / "signals.db"
        serial = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
        run_crawl(database, f"registry={registry}", settings=serial)
        before = query(database, "SELECT last_seen_at FROM signals WHERE kind = 'principal_appointment' AND person = 'Omar Haddad'")
        time.sleep(1.1)
        second = run_crawl(database, f"registry={registry}", settings=serial)
        paths = site.requested_paths()

    assert paths.count("/news/archive-principal") == 1
    assert paths.count("/about") == 2
    assert "'k12signals/incremental/skipped_by_sitemap': 1" in second.log
    after = query(database, "SELECT last_seen_at FROM signals WHERE kind = 'principal_appointment' AND person = 'Omar Haddad'")
    assert after[0]["last_seen_at"] > before[0]["last_seen_at"]


def test_recrawl_reads_sitemap_first(tmp_path):
    with SiteServer() as site:
        site.routes.update(sitemap_routes(site.host))
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": "3399909", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        database = tmp_path / "signals.db"
        run_crawl(database, f"registry={registry}")
        first_paths = site.requested_paths()
        time.sleep(1.1)
        run_crawl(database, f"registry={registry}")
        second_paths = site.requested_paths()[len(first_paths):]

    assert second_paths.index("/sitemap.xml") < second_paths.index("/")
    assert "/news/related" in first_paths
    assert "/news/related" in second_paths
    assert "/news/archive-principal" not in second_paths


@pytest.mark.parametrize(
    ("lastmod", "fetched_at", "unchanged"),
    [
        ("2026-01-15", "2026-12-04T21:00:00Z", True),
        ("2026-12-04", "2026-12-04T21:00:00Z", False),  # a date only: the page may have changed later that day
        ("2026-12-04T20:00:00+00:00", "2026-12-04T21:00:00Z", True),
        ("2026-12-04T22:00:00Z", "2026-12-04T21:00:00Z", False),
        ("last week", "2026-12-04T21:00:00Z", False),
        (None, "2026-12-04T21:00:00Z", False),
        ("2026-01-15", None, False),
    ],
)
def test_sitemap_lastmod_rule(lastmod, fetched_at, unchanged):
    from crawlers.scope import unchanged_since_fetch

    assert unchanged_since_fetch(lastmod, fetched_at) is unchanged


def test_lastmod_after_real_fetch_brings_request(tmp_path):
    with SiteServer() as site:
        site.routes.update(sitemap_routes(site.host))
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": "3399910", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        database = tmp_path / "signals.db"
        run_crawl(database, f"registry={registry}")
        fetched = query(database, "SELECT fetched_at FROM pages WHERE url LIKE '%/news/archive-principal'")[0]["fetched_at"]
        time.sleep(1.1)
        run_crawl(database, f"registry={registry}")
        after_skip = query(database, "SELECT fetched_at FROM pages WHERE url LIKE '%/news/archive-principal'")[0]["fetched_at"]

        # The page changes a second after its real fetch; the sitemap shows it only now.
        changed_at = (datetime.fromisoformat(fetched.replace("Z", "+00:00")) + timedelta(seconds=1)).isoformat()
        site.routes["/sitemap.xml"] = Route(
            site.routes["/sitemap.xml"].body.replace("<lastmod>2026-04-02</lastmod>", f"<lastmod>{changed_at}</lastmod>"),
            content_type="application/xml",
        )
        site.routes["/news/archive-principal"] = Route(ARTICLE.replace("Lena Marsh", "Ruth Alvarez"))
        time.sleep(1.1)
        run_crawl(database, f"registry={registry}")
        paths = site.requested_paths()

    assert after_skip == fetched
    assert paths.count("/news/archive-principal") == 2
    assert query(database, "SELECT person FROM signals WHERE person = 'Ruth Alvarez'")


def chain_routes(host: str) -> dict[str, Route]:
    """A home page and a chain of five pages, each linking the next, all in the sitemap."""
    routes = {"/": Route('<html><body><main><p>Birch Hill School District.</p><a href="/p1">First</a></main></body></html>'),
              "/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")}
    for number in range(1, 6):
        routes[f"/p{number}"] = Route(
            f'<html><body><main><p>Page {number} of the district.</p><a href="/p{number + 1}">Next</a></main></body></html>'
        )
    entries = "".join(f"<url><loc>http://{host}{path}</loc><lastmod>2026-01-15</lastmod></url>" for path in ["/"] + [f"/p{n}" for n in range(1, 6)])
    routes["/sitemap.xml"] = Route(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
        content_type="application/xml",
    )
    return routes


def test_recrawl_of_skipped_chain_logs_no_depth_skips(tmp_path):
    with SiteServer() as site:
        site.routes.update(chain_routes(site.host))
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": "3399911", "name": "Birch Hill SD", "state": "NH", "website": site.host}]
        )
        database = tmp_path / "signals.db"
        run_crawl(database, f"registry={registry}", settings={"DISTRICT_MAX_DEPTH": "2"})
        time.sleep(1.1)
        second = run_crawl(database, f"registry={registry}", settings={"DISTRICT_MAX_DEPTH": "2"})

    assert "'k12signals/incremental/skipped_by_sitemap': 5" in second.log
    assert "k12signals/skipped/depth" not in second.log
