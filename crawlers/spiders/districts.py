"""The `districts` spider: crawl each district's web site for pages that carry signals.

    scrapy crawl districts                       # every district in signals.db with a web site
    scrapy crawl districts -a state=NH -a limit=20
    scrapy crawl districts -a nces_id=3300001,3302460
    scrapy crawl districts -a registry=districts.csv

The spider only fetches and routes: it yields one `PageItem` per HTML page or
PDF, and the item pipelines extract text, detect signals and store them.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawlers import hostile
from crawlers import boards
from crawlers.documents import DocumentKind, body_hash, document_kind, page_item, read_fetched_page, unchanged_item
from crawlers.items import PageGoneItem, PageItem, PortalStatusItem
from crawlers.scope import DistrictScope, clean_url, guess_source_type, link_score, unchanged_since_fetch
from k12signals import storage
from k12signals.errors import InputError
from k12signals.registry import NCES_ID_PATTERN, VALID_STATE_CODES, read_registry_file

logger = logging.getLogger(__name__)

# Priorities: a link's score (0 to 5) times this, less its depth, so that the
# most promising pages of every district are fetched first.
SCORE_WEIGHT = 10


def finishes_request(callback):
    """Decorate a callback or errback so that its district counts the request as finished.

    The count drops after the callback's own requests were counted, so a
    district is never finished while it still has pages to fetch.
    """

    @functools.wraps(callback)
    def wrapper(self, response_or_failure):
        meta = response_or_failure.request.meta if isinstance(response_or_failure, Failure) else response_or_failure.meta
        try:
            yield from callback(self, response_or_failure) or ()
        finally:
            self.request_finished(meta.get("district_id"))

    return wrapper


class DistrictsSpider(scrapy.Spider):
    name = "districts"
    ARGUMENTS = ("registry", "state", "nces_id", "limit", "stale_after", "since")

    def __init__(
        self, registry=None, state=None, nces_id=None, limit=None, stale_after=None, since=None, **kwargs
    ):
        super().__init__(**kwargs)
        # As given on the command line, for the crawls table.
        self.crawl_arguments = {
            name: value
            for name, value in dict(
                registry=registry, state=state, nces_id=nces_id, limit=limit, stale_after=stale_after, since=since
            ).items()
            if value is not None
        }
        self.registry_path = registry
        self.state_filter = parse_state(state)
        self.nces_ids = parse_nces_ids(nces_id)
        self.limit = parse_limit(limit)
        self.stale_after = parse_stale_after(stale_after)
        # Board portals: the oldest meeting date read.
        self.since = parse_since(since)
        self.registry_total = 0
        self.scopes: dict[str, DistrictScope] = {}
        # Districts started and not done; a counter, because start() checks it
        # for every district and every 0.2 s while a batch is full.
        self.districts_in_progress = 0
        self.district_states: dict[str, str] = {}
        # Read-only look-ups of stored pages, for skipping unchanged ones on a re-crawl.
        self.pages_db = None

    @classmethod
    def check_arguments(cls, arguments: dict) -> None:
        """Raise UsageError for a bad -a value; the project's crawl command calls this first."""
        parse_state(arguments.get("state"))
        parse_nces_ids(arguments.get("nces_id"))
        parse_limit(arguments.get("limit"))
        parse_stale_after(arguments.get("stale_after"))
        parse_since(arguments.get("since"))
        registry = arguments.get("registry")
        if registry is not None:
            try:
                read_registry_file(registry)
            except InputError as error:
                raise UsageError(f"invalid -a registry: {error}", print_help=False) from error

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_pages = settings.getint("DISTRICT_MAX_PAGES")
        spider.max_depth = settings.getint("DISTRICT_MAX_DEPTH")
        spider.max_query_variants = settings.getint("DISTRICT_MAX_QUERY_VARIANTS")
        spider.max_sitemap_urls = settings.getint("DISTRICT_MAX_SITEMAP_URLS")
        spider.database_path = settings.get("SIGNALS_DB")
        spider.batch_size = max(1, settings.getint("DISTRICT_BATCH_SIZE"))
        spider.incremental = settings.getbool("INCREMENTAL_CRAWL", True)
        crawler.signals.connect(spider.on_robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        return spider

    # Start.
    async def start(self):
        if not self.settings.get("CRAWL_CONTACT"):
            logger.warning(
                "No contact address in the User-Agent; set K12SIGNALS_CONTACT=you@example.org "
                "or -s CRAWL_CONTACT=... so that site owners can reach you"
            )
        districts = self.load_districts()
        if not districts and self.registry_total > 0:
            self.crawler.stats.set_value("k12signals/registry_empty", 1)
            logger.error(
                "No district with a web site matches %s among the %d districts in %s; check the -a "
                "arguments (with -a stale_after, every matching district was crawled recently)",
                self.crawl_arguments or "the arguments",
                self.registry_total,
                self.database_path,
            )
            raise CloseSpider("registry_empty")
        if not districts:
            self.crawler.stats.set_value("k12signals/registry_empty", 1)
            logger.error(
                "No districts with a web site to crawl in %s. Import the registry first: "
                "`k12signals districts import` (downloads the NCES directory) or "
                "`k12signals districts import FILE`, or pass -a registry=FILE.csv",
                self.database_path,
            )
            raise CloseSpider("registry_empty")

        if self.incremental:
            self.pages_db = storage.open_database(self.database_path)
        logger.info("Crawling %d district(s) from %s", len(districts), self.database_path)
        self.crawler.stats.set_value("k12signals/districts_total", len(districts))
        for district in districts:
            # Districts start in batches: the next one starts when fewer than
            # DISTRICT_BATCH_SIZE are in progress, which bounds the scheduler
            # queue and the per-district state held in memory.
            while self.districts_in_progress >= self.batch_size:
                await sleep(0.2)
            for request in self.start_district(district):
                yield request

    def start_district(self, district: dict):
        scope = DistrictScope(
            district_id=district["nces_id"],
            website=district["website"],
            max_pages=self.max_pages,
            max_depth=self.max_depth,
            max_query_variants=self.max_query_variants,
        )
        self.scopes[scope.district_id] = scope
        self.districts_in_progress += 1
        self.district_states[scope.district_id] = district["state"]
        home = scope.home_url
        scope.skip_reason(home, depth=0)
        home_request = self.page_request(home, scope.district_id, depth=0, score=5, district_home=True)
        sitemap_url = f"{urlsplit(home).scheme}://{urlsplit(home).netloc}/sitemap.xml"
        if scope.path_prefix != "/":
            yield home_request
        elif self.pages_db is not None and storage.district_has_pages(self.pages_db, scope.district_id):
            # A re-crawl reads the sitemaps before the home page, so that the
            # pages they list as unchanged since the last crawl need no request.
            scope.held_requests.append(home_request)
            yield self.sitemap_request(sitemap_url, scope.district_id)
        else:
            yield home_request
            yield self.sitemap_request(sitemap_url, scope.district_id)
        if district.get("board_url"):
            platform = district.get("board_platform")
            detected = boards.detect_portal(district["board_url"])
            if detected is not None and platform in (None, "", detected[0]):
                platform, portal_url = detected
            else:
                portal_url = district["board_url"]
            yield from self.start_board(scope.district_id, platform, portal_url)

    def load_districts(self) -> list[dict]:
        db = storage.open_database(self.database_path)
        try:
            ids = self.nces_ids
            if self.registry_path:
                try:
                    registry = read_registry_file(self.registry_path)
                except InputError as error:
                    raise UsageError(f"-a registry={self.registry_path}: {error}") from error
                rows = [d.as_row(with_board=registry.has_board_columns) for d in registry.districts]
                counts = storage.upsert_districts(db, rows)
                logger.info(
                    "Registry %s: %d districts read, %d added, %d updated",
                    self.registry_path,
                    registry.read,
                    counts.added,
                    counts.updated,
                )
                registry_ids = [d.nces_id for d in registry.districts]
                ids = [i for i in registry_ids if i in ids] if ids is not None else registry_ids
            crawled_before = None
            if self.stale_after is not None:
                crawled_before = (datetime.now(timezone.utc) - self.stale_after).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.registry_total = storage.count_districts(db)
            return storage.select_districts(
                db, state=self.state_filter, nces_ids=ids, limit=self.limit, crawled_before=crawled_before
            )
        finally:
            db.close()

    # Requests.
    def sitemap_request(self, url: str, district_id: str) -> scrapy.Request:
        scope = self.scopes[district_id]
        scope.request_started()
        scope.sitemaps_pending += 1
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_error,
            priority=4 * SCORE_WEIGHT,
            # No retries, because on a re-crawl the home page waits for the sitemaps.
            # A failed sitemap costs only conditional requests for its pages.
            meta={"district_id": district_id, "depth": 0, "sitemap": True, "dont_retry": True,
                  "handle_httpstatus_list": [404]},
        )

    def sitemap_finished(self, district_id: str | None) -> None:
        """Count one sitemap as read, failed or dropped; after the last one, send the requests held for them."""
        scope = self.scopes.get(district_id)
        if scope is None:
            return
        scope.sitemaps_pending -= 1
        if scope.sitemaps_pending <= 0 and scope.held_requests:
            requests_to_send, scope.held_requests = scope.held_requests, []
            for request in requests_to_send:
                self.crawler.engine.crawl(request)

    def page_request(self, url, district_id, *, depth, score, link_text="", district_home=False):
        self.scopes[district_id].request_started()
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=score * SCORE_WEIGHT - depth,
            meta={
                "page": True,
                "district_id": district_id,
                "depth": depth,
                "link_text": link_text,
                "district_home": district_home,
            },
        )

    # Board portals.
    def start_board(self, district_id: str, platform: str | None, portal_url: str):
        """Start reading a district's board portal once per crawl, through its platform's adapter."""
        scope = self.scopes[district_id]
        adapter = boards.adapter_for(platform)
        if adapter is None or portal_url in scope.portals_started:
            return
        scope.portals_started.add(portal_url)
        scope.add_portal(portal_url)
        self.crawler.stats.inc_value(f"k12signals/boards/portals/{adapter.platform}")
        logger.info("District %s: reading %s portal %s", district_id, adapter.platform, portal_url)
        yield from adapter.start(self, district_id, portal_url)

    def board_request(
        self, url: str, district_id: str, *, platform: str, step: str, portal_url: str, meta=None, **request_arguments
    ) -> scrapy.Request:
        """Build a request of a portal adapter; its response goes to that adapter's `parse`."""
        self.scopes[district_id].request_started()
        return scrapy.Request(
            url,
            callback=self.parse_board,
            errback=self.on_error,
            priority=4 * SCORE_WEIGHT,
            meta={
                "district_id": district_id,
                "depth": 1,
                "board_platform": platform,
                "board_step": step,
                "portal_url": portal_url,
                **(meta or {}),
            },
            **request_arguments,
        )

    @finishes_request
    def parse_board(self, response: Response):
        adapter = boards.adapter_for(response.meta["board_platform"])
        yield from adapter.parse(self, response)

    def board_document(self, response: Response, district_id: str, *, meeting_date: str | None) -> PageItem:
        """Turn a meeting document (agenda or minutes, HTML or PDF) into a page of source type board_minutes."""
        item = self.page_item(response, district_id, document_kind(response), body_hash(response), links=[])
        item.source_type = "board_minutes"
        item.meeting_date = meeting_date
        return item

    def visit(self, url, district_id, *, depth, link_text="", skipped_pages: list | None = None):
        """Yield what a link leads to, if the district's scope admits it; else count the reason.

        That is a request for the page. When the district's sitemap shows that
        the stored page has not changed since it was fetched, it is instead an
        unchanged item and the visits of the page's stored links, with no request.
        """
        scope = self.scopes[district_id]
        url = clean_url(url)
        reason = scope.skip_reason(url, depth)
        if reason is not None:
            scope.count_skip(reason)
            if reason != "duplicate":
                self.crawler.stats.inc_value(f"k12signals/skipped/{reason}")
                if url not in scope.scheduled:
                    hostile.report_skip(self.crawler.stats, district_id, url, reason)
            return

        stored = self.stored_page_unchanged_by_sitemap(scope, url)
        if stored is not None:
            yield unchanged_item(url, district_id, None, stored, self.crawler.stats)
            if skipped_pages is not None:
                # The caller follows the stored links later.
                skipped_pages.append(stored)
            else:
                yield from self.follow_links(stored["links"], district_id, depth + 1)
            return

        yield self.page_request(url, district_id, depth=depth, score=link_score(url, link_text), link_text=link_text)

    def stored_page_unchanged_by_sitemap(self, scope: DistrictScope, url: str) -> dict | None:
        """Return the stored page at `url` if the sitemap's lastmod predates its last fetch, else None."""
        lastmod = scope.sitemap_lastmods.get(url)
        if lastmod is None or self.pages_db is None:
            return None
        stored = storage.stored_page_fingerprint(self.pages_db, url)
        if stored is None or not unchanged_since_fetch(lastmod, stored.get("fetched_at")):
            return None
        return stored

    # Callbacks.
    @finishes_request
    def parse_page(self, response: Response):
        district_id = response.meta["district_id"]
        depth = response.meta["depth"]
        if response.meta.get("district_home"):
            self.crawler.stats.inc_value("k12signals/districts_reached")

        item, links = read_fetched_page(
            response,
            district_id,
            self.crawler.stats,
            lambda kind, fingerprint, links: self.page_item(response, district_id, kind, fingerprint, links),
        )
        if item is None:
            return
        yield item
        yield from self.follow_links(links, district_id, depth + 1)

    def follow_links(self, links, district_id: str, depth: int):
        """Requests for a page's links: board portals through their adapters, the rest as pages."""
        for url, text in links:
            portal = boards.detect_portal(url)
            if portal is not None:
                yield from self.start_board(district_id, *portal)
                continue
            yield from self.visit(url, district_id, depth=depth, link_text=text)

    def page_item(self, response: Response, district_id: str, kind: DocumentKind, fingerprint: str, links: list) -> PageItem:
        return page_item(
            response,
            district_id=district_id,
            state=self.district_states.get(district_id),
            source_type=guess_source_type(response.url, response.meta.get("link_text", "")),
            kind=kind,
            fingerprint=fingerprint,
            links=links,
        )

    @finishes_request
    def parse_sitemap(self, response: Response):
        try:
            yield from self.read_sitemap(response)
        finally:
            self.sitemap_finished(response.meta["district_id"])

    def read_sitemap(self, response: Response):
        district_id = response.meta["district_id"]
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            sitemap = Sitemap(body)
        except Exception as error:  # noqa: BLE001 - lxml raises several types on junk
            logger.warning(
                "Sitemap %s of district %s is not valid XML (%s: %s); its pages are found through links",
                response.url, district_id, type(error).__name__, error or "no details",
            )
            self.crawler.stats.inc_value("k12signals/sitemap/invalid")
            return
        self.crawler.stats.inc_value("k12signals/sitemap/read")

        scope = self.scopes[district_id]
        if sitemap.type == "sitemapindex":
            for entry in list(sitemap)[:20]:
                url = entry.get("loc", "")
                if scope.owns(url):
                    yield self.sitemap_request(url, district_id)
            return

        # Take the most promising pages first, newest first within a score.
        entries = [(entry.get("loc", ""), entry.get("lastmod", "")) for entry in sitemap]
        entries.sort(key=lambda pair: (link_score(pair[0]), pair[1]), reverse=True)
        entries = entries[: self.max_sitemap_urls]
        # All the dates first: a page skipped as unchanged leads to the stored
        # links of that page, which the sitemap may list further down.
        for url, lastmod in entries:
            if lastmod:
                scope.sitemap_lastmods[clean_url(url)] = lastmod.strip()
        # The stored links of pages skipped as unchanged are followed after every
        # entry, so that each entry is admitted at the sitemap's depth and not
        # found deeper, and over the depth limit, through another page's links.
        skipped_pages: list[dict] = []
        for url, _lastmod in entries:
            yield from self.visit(url, district_id, depth=1, skipped_pages=skipped_pages)
        for stored in skipped_pages:
            yield from self.follow_links(stored["links"], district_id, depth=2)

    def on_robots_parsed(self, robotparser, request):
        """Schedule the sitemaps that a district's robots.txt lists."""
        district_id = request.meta.get("district_id")
        if district_id not in self.scopes:
            return
        rules = getattr(robotparser, "rp", None)
        sitemaps = list(getattr(rules, "sitemaps", []) or [])
        scope = self.scopes[district_id]
        for url in sitemaps[:5]:
            if scope.owns(url):
                self.crawler.engine.crawl(self.sitemap_request(url, district_id))

    def on_request_dropped(self, request, spider=None):
        # The scheduler dropped a duplicate; it will get no callback.
        if request.meta.get("sitemap"):
            self.sitemap_finished(request.meta.get("district_id"))
        self.request_finished(request.meta.get("district_id"))

    def closed(self, reason):
        if self.pages_db is not None:
            self.pages_db.close()

    def request_finished(self, district_id: str | None) -> None:
        scope = self.scopes.get(district_id)
        if scope is not None and scope.request_finished():
            self.districts_in_progress -= 1
            self.crawler.stats.inc_value("k12signals/districts_done")
            logger.debug("District %s done", district_id)

    @finishes_request
    def on_error(self, failure):
        request = failure.request
        district_id = request.meta.get("district_id")
        scope = self.scopes.get(district_id)
        if request.meta.get("sitemap"):
            self.sitemap_finished(district_id)
        response = getattr(failure.value, "response", None)

        if failure.check(IgnoreRequest) and response is None:
            # The middlewares that raise these count and log them.
            message = str(failure.value)
            if request.meta.get("sitemap") and message.startswith("Forbidden by robots.txt"):
                logger.info("District %s: robots.txt disallows the sitemap %s; it is not read", district_id, request.url)
            if scope is not None and message.startswith("Forbidden by robots.txt"):
                scope.count_outcome("robots_disallowed")
            elif scope is not None and message.startswith("refused"):
                scope.count_outcome("blocked")
            elif scope is not None and message.startswith(("redirect loop", "too many redirects", "robots.txt unreachable")):
                scope.count_outcome("errors")
            reason = hostile.ignored_request_reason(message)
            if reason is not None:
                # Scrapy's middleware logged this without the district id.
                if scope is not None:
                    scope.count_outcome("errors")
                hostile.report(self.crawler.stats, district_id, request.url, reason, f"dropped: {message}")
                return
            logger.debug("District %s: %s skipped: %s", district_id, request.url, message)
            return

        if scope is not None:
            scope.count_outcome("errors")
        platform = request.meta.get("board_platform")
        if response is not None and platform and response.status in (401, 403, 429):
            self.crawler.stats.inc_value(f"k12signals/boards/blocked/{platform}")
            logger.warning(
                "District %s: %s portal %s blocked the crawl (%d at %s)",
                district_id, platform, request.meta.get("portal_url"), response.status, request.url,
            )
            yield PortalStatusItem(
                district_id=district_id,
                platform=platform,
                portal_url=request.meta.get("portal_url"),
                status="blocked",
                detail=f"HTTP {response.status} at {request.url}",
            )
            if scope is not None:
                scope.count_outcome("blocked")
            return
        if response is not None:
            self.crawler.stats.inc_value(f"k12signals/errors/http_{response.status}")
            logger.info("District %s: %s returned HTTP %d", district_id, request.url, response.status)
            if response.status in (404, 410):
                # The storage pipeline marks the page gone if it was stored before.
                yield PageGoneItem(url=request.url, district_id=district_id, status=response.status)
        else:
            name = type(failure.value).__name__
            self.crawler.stats.inc_value(f"k12signals/errors/{name}")
            counter = hostile.failure_counter(failure.value)
            if counter is not None:
                self.crawler.stats.inc_value(f"k12signals/{counter}")
            message = hostile.failure_message(failure.value)
            logger.warning("District %s: %s failed: %s: %s", district_id, request.url, name, message)

def parse_state(value):
    if value is None:
        return None
    code = value.strip().upper()
    if code not in VALID_STATE_CODES:
        raise UsageError(
            f"invalid -a state={value!r}: not a state; expected the two-letter USPS code of a state, DC or a territory, such as NH",
            print_help=False,
        )
    return code


def parse_nces_ids(value):
    if value is None:
        return None
    ids = [part.strip() for part in str(value).split(",") if part.strip()]
    bad = [part for part in ids if not NCES_ID_PATTERN.match(part)]
    if bad or not ids:
        raise UsageError(
            f"invalid -a nces_id={value!r}; expected 7-digit NCES ids separated by commas, such as 3300001",
            print_help=False,
        )
    return ids


def parse_limit(value):
    if value is None:
        return None
    if not re.fullmatch(r"\d+", str(value).strip()) or int(value) < 1:
        raise UsageError(f"invalid -a limit={value!r}; expected a positive whole number of districts", print_help=False)
    return int(value)


def parse_stale_after(value):
    """Parse `-a stale_after=7d` (also h for hours, w for weeks) into a timedelta."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", str(value))
    if not match:
        raise UsageError(
            f"invalid -a stale_after={value!r}; expected a number and a unit such as 12h, 7d or 2w",
            print_help=False,
        )
    number, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=number), "d": timedelta(days=number), "w": timedelta(weeks=number)}[unit]


# Board portals are read back this far by default: about two school years.
DEFAULT_HISTORY = timedelta(days=730)


def parse_since(value):
    """Parse `-a since=YYYY-MM-DD`; without it, about 24 months before today."""
    if value is None:
        return (datetime.now(timezone.utc) - DEFAULT_HISTORY).date()
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"invalid -a since={value!r}; expected a date such as 2025-01-31", print_help=False) from None
