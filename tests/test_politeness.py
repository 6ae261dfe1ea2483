"""Politeness and scope of `scrapy crawl districts`, checked with real crawls on 127.0.0.1.

Each fixture serves one small district site (or a few) built for one
behaviour. The behaviours are robots.txt failures and redirects, the
User-Agent, retries of 429 and 5xx responses, redirects to a new domain and
off the site, the page and query-string limits, media links, the spider
arguments that pick districts, and the messages for bad arguments and an
empty registry. The tests assert on the server's request log, on the SQLite
file and on the crawl's log.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from crawlers import settings as project_settings
from k12signals import storage
from tests.sitekit import CrawlResult, Route, SiteServer, run_crawl, write_registry

NCES_ID = "3399911"
OTHER_NCES_ID = "5099912"

RETRY_TIMES = project_settings.RETRY_TIMES
MAX_QUERY_VARIANTS = project_settings.DISTRICT_MAX_QUERY_VARIANTS

# Files that the crawl requests for its own bookkeeping, not as pages of the district.
NON_PAGE_PATHS = {"/robots.txt", "/sitemap.xml"}


def html_page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Birch Valley School District</title></head>
<body><main><h1>{title}</h1>
{body}
</main></body></html>"""


def links(*paths: str) -> str:
    items = "".join(f'<li><a href="{path}">Page {path}</a></li>' for path in paths)
    return f"<ul>{items}</ul>"


def crawl_one_site(folder: Path, site: SiteServer, *arguments: str, settings: dict[str, str] | None = None) -> CrawlResult:
    registry = write_registry(
        folder / "registry.csv",
        [{"nces_id": NCES_ID, "name": "Birch Valley School District", "state": "NH", "website": site.host}],
    )
    return run_crawl(folder / "signals.db", f"registry={registry}", *arguments, settings=settings)


def query(database: Path, sql: str, *params) -> list[dict]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def stats_dump(log: str) -> str:
    """The part of a crawl log from Scrapy's closing stats dump on."""
    marker = "Dumping Scrapy stats:"
    assert marker in log, log[-3000:]
    return log[log.index(marker) :]


def page_requests(paths: list[str]) -> list[str]:
    return [path for path in paths if path not in NON_PAGE_PATHS]


# robots.txt returning 404: no rules, so everything is allowed.


@pytest.fixture(scope="module")
def robots_missing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robots-404")
    routes = {
        "/": Route(html_page("Welcome", links("/about", "/news/"))),
        "/about": Route(html_page("About", "<p>Birch Valley serves 900 students.</p>")),
        "/news/": Route(html_page("News", "<p>No news yet.</p>")),
    }
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_robots_404_crawl_exits_cleanly(robots_missing):
    assert robots_missing["result"].returncode == 0, robots_missing["result"].log[-3000:]


def test_robots_404_was_requested(robots_missing):
    assert "/robots.txt" in robots_missing["site"].requested_paths()


def test_robots_404_allows_inner_pages(robots_missing):
    paths = robots_missing["site"].requested_paths()
    assert "/about" in paths, paths
    assert "/news/" in paths, paths


def test_robots_404_pages_stored(robots_missing):
    urls = {row["url"] for row in query(robots_missing["database"], "SELECT url FROM pages")}
    assert f"{robots_missing['site'].base_url}/about" in urls, urls


# User-Agent: the contact address from K12SIGNALS_CONTACT (run_crawl sets tests@example.org).


def test_user_agent_of_page_has_contact(robots_missing):
    requests = robots_missing["site"].headers_of("/about")
    assert requests, robots_missing["site"].requested_paths()
    assert "tests@example.org" in requests[0].get("User-Agent", ""), requests[0]


def test_user_agent_of_robots_has_contact(robots_missing):
    requests = robots_missing["site"].headers_of("/robots.txt")
    assert requests, robots_missing["site"].requested_paths()
    assert "tests@example.org" in requests[0].get("User-Agent", ""), requests[0]


# robots.txt returning 500 on every attempt: RFC 9309 treats that as
# "unreachable", so the crawl fetches nothing else from the site.


@pytest.fixture(scope="module")
def robots_server_error(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robots-500")
    routes = {
        "/robots.txt": Route("Internal Server Error", status=500, content_type="text/plain"),
        "/": Route(html_page("Welcome", links("/about"))),
        "/about": Route(html_page("About", "<p>Birch Valley serves 900 students.</p>")),
    }
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_robots_500_crawl_exits_cleanly(robots_server_error):
    assert robots_server_error["result"].returncode == 0, robots_server_error["result"].log[-3000:]


def test_robots_500_only_robots_fetched(robots_server_error):
    paths = robots_server_error["site"].requested_paths()
    assert set(paths) == {"/robots.txt"}, paths


def test_robots_500_retried(robots_server_error):
    paths = robots_server_error["site"].requested_paths()
    assert paths.count("/robots.txt") == RETRY_TIMES + 1, paths


def test_robots_500_counted_in_stats(robots_server_error):
    dump = stats_dump(robots_server_error["result"].log)
    assert "'k12signals/robotstxt/server_error': 1" in dump, dump


def test_robots_500_no_pages_stored(robots_server_error):
    assert query(robots_server_error["database"], "SELECT url FROM pages") == []


# robots.txt that redirects to another path on the same host: the rules at
# the redirect's target apply. RFC 9309 says that crawlers should follow at
# least five consecutive redirects for robots.txt.


@pytest.fixture(scope="module")
def robots_redirected(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robots-redirect")
    with SiteServer() as site:
        site.routes.update(
            {
                "/robots.txt": Route(
                    "", status=301, content_type="text/plain", headers={"Location": f"{site.base_url}/config/crawler-rules.txt"}
                ),
                "/config/crawler-rules.txt": Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
                "/": Route(html_page("Welcome", links("/private/draft-budget.html", "/public-budget.html"))),
                "/private/draft-budget.html": Route(html_page("Draft budget", "<p>Staff only.</p>")),
                "/public-budget.html": Route(html_page("Budget", "<p>The adopted budget.</p>")),
            }
        )
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site}


def test_robots_redirect_followed(robots_redirected):
    assert "/config/crawler-rules.txt" in robots_redirected["site"].requested_paths()


def test_robots_redirect_rules_obeyed(robots_redirected):
    paths = robots_redirected["site"].requested_paths()
    assert not any(path.startswith("/private/") for path in paths), paths


def test_robots_redirect_allowed_page_fetched(robots_redirected):
    paths = robots_redirected["site"].requested_paths()
    assert "/public-budget.html" in paths, paths


# 429 with Retry-After, then 200: the page is fetched again after the wait and stored.


@pytest.fixture(scope="module")
def rate_limited(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rate-limited")
    answered = []

    def news(path: str) -> Route:
        answered.append(path)
        if len(answered) == 1:
            return Route("Too Many Requests", status=429, content_type="text/plain", headers={"Retry-After": "1"})
        return Route(html_page("News", "<p>The spring concert is on May 2.</p>"))

    routes = {
        "/": Route(html_page("Welcome", links("/news/"))),
        "/news/": Route(news),
    }
    with SiteServer(routes) as site:
        # A maximum above the Retry-After value, so that the server's value is the wait.
        result = crawl_one_site(folder, site, settings={"RETRY_BACKOFF_MAX": "5"})
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_429_page_requested_twice(rate_limited):
    paths = rate_limited["site"].requested_paths()
    assert paths.count("/news/") == 2, paths


def test_429_page_stored_after_retry(rate_limited):
    rows = query(rate_limited["database"], "SELECT status FROM pages WHERE url = ?", f"{rate_limited['site'].base_url}/news/")
    assert rows == [{"status": 200}], rate_limited["result"].log[-3000:]


def test_429_retry_logged_with_retry_after(rate_limited):
    pattern = r"\[crawlers\.middlewares\] INFO: Retrying http://\S+/news/ after 429 in 1\.0 s"
    assert re.search(pattern, rate_limited["result"].log), rate_limited["result"].log[-3000:]


# 429 with a Retry-After value that is neither seconds nor a date: the
# crawl falls back to its own backoff and still retries. The header is sent
# as the Latin-1 byte B2 ("²"), a character that str.isdigit accepts.


@pytest.fixture(scope="module")
def junk_retry_after(tmp_path_factory):
    folder = tmp_path_factory.mktemp("junk-retry-after")
    answered = []

    def news(path: str) -> Route:
        answered.append(path)
        if len(answered) == 1:
            return Route("Too Many Requests", status=429, content_type="text/plain", headers={"Retry-After": "\u00b2"})
        return Route(html_page("News", "<p>The spring concert is on May 2.</p>"))

    routes = {
        "/": Route(html_page("Welcome", links("/news/"))),
        "/news/": Route(news),
    }
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_junk_retry_after_page_retried(junk_retry_after):
    paths = junk_retry_after["site"].requested_paths()
    assert paths.count("/news/") == 2, junk_retry_after["result"].log[-3000:]


def test_junk_retry_after_page_stored(junk_retry_after):
    url = f"{junk_retry_after['site'].base_url}/news/"
    rows = query(junk_retry_after["database"], "SELECT status FROM pages WHERE url = ?", url)
    assert rows == [{"status": 200}], junk_retry_after["result"].log[-3000:]


def test_junk_retry_after_no_error(junk_retry_after):
    log = junk_retry_after["result"].log
    assert "ValueError" not in log, log[-3000:]


# 503 on every request for one page: the crawl gives up on it after RETRY_TIMES
# retries and goes on with the rest of the site.


@pytest.fixture(scope="module")
def always_unavailable(tmp_path_factory):
    folder = tmp_path_factory.mktemp("always-503")
    routes = {
        "/": Route(html_page("Welcome", links("/board/", "/staff/"))),
        "/board/": Route("Service Unavailable", status=503, content_type="text/plain"),
        "/staff/": Route(html_page("Staff", "<p>Our staff.</p>")),
    }
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_503_crawl_exits_cleanly(always_unavailable):
    assert always_unavailable["result"].returncode == 0, always_unavailable["result"].log[-3000:]


def test_503_page_retried_then_dropped(always_unavailable):
    paths = always_unavailable["site"].requested_paths()
    assert paths.count("/board/") == RETRY_TIMES + 1, paths


def test_503_counted_in_stats(always_unavailable):
    dump = stats_dump(always_unavailable["result"].log)
    assert "'k12signals/errors/http_503': 1" in dump, dump


def test_503_other_pages_stored(always_unavailable):
    urls = {row["url"] for row in query(always_unavailable["database"], "SELECT url FROM pages")}
    base = always_unavailable["site"].base_url
    assert f"{base}/" in urls, urls
    assert f"{base}/staff/" in urls, urls


def test_503_page_not_stored(always_unavailable):
    urls = {row["url"] for row in query(always_unavailable["database"], "SELECT url FROM pages")}
    assert f"{always_unavailable['site'].base_url}/board/" not in urls, urls


# The home page redirects to a new domain (another port on 127.0.0.1 is
# another host): the new host joins the district. An inner page that
# redirects to a third host is dropped.


@pytest.fixture(scope="module")
def moved_domain(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moved-domain")
    with SiteServer() as old, SiteServer() as new, SiteServer() as third:
        old.routes["/"] = Route("", status=301, headers={"Location": f"{new.base_url}/"})
        new.routes.update(
            {
                "/": Route(html_page("Welcome to our new site", links("/news/", "/partner-program"))),
                "/news/": Route(html_page("News", "<p>We have a new web address.</p>")),
                "/partner-program": Route("", status=302, headers={"Location": f"{third.base_url}/landing"}),
            }
        )
        third.routes["/landing"] = Route(html_page("Partner", "<p>Not a district page.</p>"))
        result = crawl_one_site(folder, old)
        yield {
            "result": result,
            "old": old,
            "new": new,
            "third_requests": third.requested_paths(),
            "database": folder / "signals.db",
        }


def test_moved_domain_crawl_exits_cleanly(moved_domain):
    assert moved_domain["result"].returncode == 0, moved_domain["result"].log[-3000:]


def test_moved_domain_inner_page_fetched(moved_domain):
    paths = moved_domain["new"].requested_paths()
    assert "/news/" in paths, paths


def test_moved_domain_pages_stored_under_district(moved_domain):
    rows = query(moved_domain["database"], "SELECT district_id FROM pages WHERE url = ?", f"{moved_domain['new'].base_url}/news/")
    assert rows == [{"district_id": NCES_ID}], moved_domain["result"].log[-3000:]


def test_moved_domain_logged(moved_domain):
    log = moved_domain["result"].log
    assert f"District {NCES_ID} moved to {moved_domain['new'].host}" in log, log[-3000:]


def test_inner_redirect_offsite_not_followed(moved_domain):
    assert moved_domain["third_requests"] == []


def test_inner_redirect_offsite_counted(moved_domain):
    dump = stats_dump(moved_domain["result"].log)
    assert "'k12signals/skipped/offsite_redirect': 1" in dump, dump


# A district hosted under a path of a shared host, with a registry web site
# that names a page: the crawl starts at that page as written, and stays
# under its folder.


@pytest.fixture(scope="module")
def shared_host(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared-host")
    routes = {
        "/": Route(html_page("County Office of Education", links("/districts/birch/news/", "/districts/cedar/news/"))),
        "/districts/birch/district.aspx": Route(
            html_page("Birch Valley", links("/districts/birch/news/", "/districts/cedar/news/", "/"))
        ),
        "/districts/birch/news/": Route(html_page("Birch Valley news", "<p>Birch Valley news.</p>")),
        "/districts/cedar/news/": Route(html_page("Cedar Notch news", "<p>Another district's news.</p>")),
    }
    with SiteServer(routes) as site:
        registry = write_registry(
            folder / "registry.csv",
            [
                {
                    "nces_id": NCES_ID,
                    "name": "Birch Valley School District",
                    "state": "NH",
                    "website": f"{site.host}/districts/birch/district.aspx",
                }
            ],
        )
        result = run_crawl(folder / "signals.db", f"registry={registry}")
        yield {"result": result, "site": site, "database": folder / "signals.db"}


def test_shared_host_home_requested_as_written(shared_host):
    paths = shared_host["site"].requested_paths()
    assert "/districts/birch/district.aspx" in paths, shared_host["result"].log[-3000:]


def test_shared_host_home_stored(shared_host):
    url = f"{shared_host['site'].base_url}/districts/birch/district.aspx"
    rows = query(shared_host["database"], "SELECT status FROM pages WHERE url = ?", url)
    assert rows == [{"status": 200}], shared_host["result"].log[-3000:]


def test_shared_host_own_folder_crawled(shared_host):
    assert "/districts/birch/news/" in shared_host["site"].requested_paths()


def test_shared_host_other_district_not_requested(shared_host):
    paths = shared_host["site"].requested_paths()
    assert "/districts/cedar/news/" not in paths, paths


def test_shared_host_root_not_requested(shared_host):
    paths = shared_host["site"].requested_paths()
    assert "/" not in paths, paths


# Per-district page limit. Counted: every request for a page of the site,
# the home page included. Not counted: robots.txt and sitemap.xml, which
# the crawl fetches for its own use.


@pytest.fixture(scope="module")
def page_limited(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-limit")
    pages = [f"/stories/{number}" for number in range(1, 31)]
    routes = {"/": Route(html_page("Welcome", links(*pages)))}
    for path in pages:
        routes[path] = Route(html_page(f"Story {path}", links(*pages)))
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site, settings={"DISTRICT_MAX_PAGES": "5"})
        yield {"result": result, "site": site}


def test_page_limit_caps_requests(page_limited):
    pages = page_requests(page_limited["site"].requested_paths())
    assert len(pages) <= 5, pages


def test_page_limit_follows_links(page_limited):
    pages = page_requests(page_limited["site"].requested_paths())
    assert any(path.startswith("/stories/") for path in pages), pages


# Query-string variants of one path: DISTRICT_MAX_QUERY_VARIANTS at most.


@pytest.fixture(scope="module")
def query_variants(tmp_path_factory):
    folder = tmp_path_factory.mktemp("query-variants")
    searches = [f"/search?q={number}" for number in range(1, 51)]
    routes = {
        "/": Route(html_page("Welcome", links(*searches))),
        "/search": Route(html_page("Search results", "<p>No results.</p>")),
    }
    with SiteServer(routes) as site:
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site}


def test_query_variants_capped(query_variants):
    searches = [path for path in query_variants["site"].requested_paths() if path.startswith("/search")]
    assert len(searches) <= MAX_QUERY_VARIANTS, searches


def test_query_variants_some_fetched(query_variants):
    searches = [path for path in query_variants["site"].requested_paths() if path.startswith("/search")]
    assert searches, query_variants["result"].log[-3000:]


# Media files, linked from a page and listed in the sitemap.

MEDIA_PATHS = [
    "/photos/graduation.jpg",
    "/photos/TEAM.JPG",
    "/photos/banner.jpg?w=1200",
    "/video/tour.mp4",
    "/forms/handbook.docx",
]


@pytest.fixture(scope="module")
def media_links(tmp_path_factory):
    folder = tmp_path_factory.mktemp("media")
    with SiteServer() as site:
        sitemap_entries = "".join(f"<url><loc>{site.base_url}{path}</loc></url>" for path in MEDIA_PATHS)
        site.routes.update(
            {
                "/": Route(html_page("Welcome", links(*MEDIA_PATHS, "/about"))),
                "/about": Route(html_page("About", "<p>Birch Valley serves 900 students.</p>")),
                "/sitemap.xml": Route(
                    f'<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap_entries}</urlset>',
                    content_type="application/xml",
                ),
            }
        )
        for path in MEDIA_PATHS:
            site.routes[path.split("?")[0]] = Route(b"\x00" * 64, content_type="application/octet-stream")
        result = crawl_one_site(folder, site)
        yield {"result": result, "site": site}


@pytest.mark.parametrize("media_path", MEDIA_PATHS)
def test_media_never_requested(media_links, media_path):
    paths = media_links["site"].requested_paths()
    assert media_path.split("?")[0] not in {path.split("?")[0] for path in paths}, paths


def test_media_site_crawled(media_links):
    assert "/about" in media_links["site"].requested_paths(), media_links["result"].log[-3000:]


# Spider arguments that pick districts out of a registry of two.


@pytest.fixture
def two_districts(tmp_path):
    with SiteServer() as first, SiteServer() as second:
        for site, name in ((first, "Birch Valley"), (second, "Cedar Notch")):
            site.routes["/"] = Route(html_page(f"Welcome to {name}", links("/about")))
            site.routes["/about"] = Route(html_page("About", f"<p>{name} School District.</p>"))
        registry = write_registry(
            tmp_path / "registry.csv",
            [
                {"nces_id": NCES_ID, "name": "Birch Valley School District", "state": "NH", "website": first.host},
                {"nces_id": OTHER_NCES_ID, "name": "Cedar Notch School District", "state": "VT", "website": second.host},
            ],
        )
        yield {"registry": registry, "database": tmp_path / "signals.db", "first": first, "second": second}


def test_nces_id_argument_picks_one(two_districts):
    result = run_crawl(two_districts["database"], f"registry={two_districts['registry']}", f"nces_id={NCES_ID}")
    assert result.returncode == 0, result.log[-3000:]
    assert "/" in two_districts["first"].requested_paths(), result.log[-3000:]
    assert two_districts["second"].requested_paths() == []


def test_state_argument_picks_one(two_districts):
    result = run_crawl(two_districts["database"], f"registry={two_districts['registry']}", "state=VT")
    assert result.returncode == 0, result.log[-3000:]
    assert two_districts["first"].requested_paths() == []
    assert "/" in two_districts["second"].requested_paths(), result.log[-3000:]


def test_limit_argument_picks_one(two_districts):
    result = run_crawl(two_districts["database"], f"registry={two_districts['registry']}", "limit=1")
    assert result.returncode == 0, result.log[-3000:]
    reached = [site for site in ("first", "second") if two_districts[site].requested_paths()]
    assert len(reached) == 1, result.log[-3000:]


# Bad arguments stop the crawl before any request. The database already
# contains the site's district, so a crawl that started anyway would reach it.

BAD_ARGUMENTS = {
    "state=XX": "invalid -a state='XX'",
    "limit=0": "invalid -a limit='0'",
    "nces_id=12": "invalid -a nces_id='12'",
    "registry=missing.csv": "registry file not found: missing.csv",
}


@pytest.fixture(scope="module")
def bad_argument_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-arguments")
    database = folder / "signals.db"
    with SiteServer({"/": Route(html_page("Welcome", "<p>Hello.</p>"))}) as site:
        db = storage.open_database(database)
        try:
            storage.upsert_districts(
                db, [{"nces_id": NCES_ID, "name": "Birch Valley School District", "state": "NH", "website": site.host}]
            )
        finally:
            db.close()
        runs = {argument: run_crawl(database, argument) for argument in BAD_ARGUMENTS}
        yield {"runs": runs, "requests": site.requested_paths()}


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_exit_status_2(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert result.returncode == 2, result.log[-3000:]


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_message_on_stderr(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert BAD_ARGUMENTS[argument] in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_no_traceback(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert "Traceback" not in result.log, result.log[-3000:]


def test_bad_arguments_send_no_request(bad_argument_runs):
    assert bad_argument_runs["requests"] == []


# An empty database and no registry: nothing to crawl.


@pytest.fixture(scope="module")
def empty_registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("empty-registry")
    return run_crawl(folder / "signals.db")


def test_empty_registry_exit_status_1(empty_registry):
    assert empty_registry.returncode == 1, empty_registry.log[-3000:]


def test_empty_registry_says_how_to_import(empty_registry):
    assert "`k12signals districts import`" in empty_registry.log, empty_registry.log[-3000:]


def district_row(site: SiteServer) -> dict[str, str]:
    return {"nces_id": NCES_ID, "name": "Birch Valley School District", "state": "NH", "website": site.host}


def crawl_delay_site(robots: str) -> dict[str, Route]:
    links = "".join(f'<p><a href="/news/story-{number}">Story {number}</a></p>' for number in range(3))
    routes = {
        "/": Route(html_page("Home", links)),
        "/robots.txt": Route(robots, content_type="text/plain"),
    }
    for number in range(3):
        routes[f"/news/story-{number}"] = Route(html_page(f"Story {number}", "<p>District news.</p>"))
    return routes


def gaps_between_requests(site: SiteServer) -> list[float]:
    """Seconds between consecutive requests after robots.txt, which is fetched before any rule applies."""
    times = [when for path, when in site.request_times if path != "/robots.txt"]
    return [later - earlier for earlier, later in zip(times, times[1:])]


def test_crawl_delay_spaces_requests(tmp_path):
    with SiteServer(crawl_delay_site("User-agent: *\nCrawl-delay: 1.5\nAllow: /\n")) as site:
        registry = write_registry(tmp_path / "registry.csv", [district_row(site)])
        result = run_crawl(tmp_path / "signals.db", f"registry={registry}")
        gaps = gaps_between_requests(site)

    assert result.returncode == 0
    assert len(gaps) >= 4
    assert min(gaps) >= 1.4
    assert "asks for 1.5 s between requests; obeying it" in result.log


def test_crawl_delay_capped_by_setting(tmp_path):
    with SiteServer(crawl_delay_site("User-agent: *\nCrawl-delay: 600\n")) as site:
        registry = write_registry(tmp_path / "registry.csv", [district_row(site)])
        result = run_crawl(tmp_path / "signals.db", f"registry={registry}", settings={"ROBOTSTXT_MAX_CRAWL_DELAY": "0.8"})
        gaps = gaps_between_requests(site)

    assert result.returncode == 0
    assert min(gaps) >= 0.7
    assert max(gaps) < 5
    assert "asks for 600 s between requests; waiting 0.8 s (ROBOTSTXT_MAX_CRAWL_DELAY)" in result.log
