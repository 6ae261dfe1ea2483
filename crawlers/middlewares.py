"""Downloader middlewares: district scope, robots.txt by RFC 9309, retries with backoff."""

from __future__ import annotations

import logging
import random
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawlers.hostile import invalid_crawl_delays, robots_junk_lines
from crawlers.items import request_owner
from k12signals import storage

logger = logging.getLogger(__name__)

ALLOW_ALL = b""
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class DistrictScopeMiddleware:
    """Drop requests, redirects included, that leave their district's site.

    The district's home page may redirect to another host (a district that
    moved to a new domain); that host joins the district's scope. Any other
    redirect off the site is dropped and counted.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None):
        district_id = request.meta.get("district_id")
        scopes = getattr(self.crawler.spider, "scopes", None)
        if district_id is None or scopes is None or district_id not in scopes:
            return None
        scope = scopes[district_id]
        if scope.owns(request.url):
            return None

        is_redirect = bool(request.meta.get("redirect_urls"))
        host = urlsplit(request.url).netloc.lower()
        if is_redirect and request.meta.get("district_home") and urlsplit(request.url).scheme in ("http", "https"):
            logger.info("District %s moved to %s; adding it to the crawl", district_id, host)
            scope.add_host(host)
            self.stats.inc_value("k12signals/district_new_domain")
            return None

        reason = "offsite_redirect" if is_redirect else "offsite"
        self.stats.inc_value(f"k12signals/skipped/{reason}")
        logger.debug("Skipping %s for district %s: %s", request.url, district_id, reason)
        raise IgnoreRequest(f"{reason}: {request.url} is not on the site of district {district_id}")


class RobotsTxtByOriginMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with the rules of RFC 9309 for failures.

    Scrapy's own middleware keeps one parser per host and port, parses any
    response as robots.txt, and allows everything when the file cannot be
    fetched. This one keeps a parser per origin (scheme, host and port, as
    RFC 9309 section 2.3 scopes the file), and:

    - a 4xx answer (404 and the like) means no rules: everything is allowed;
    - a 5xx answer, after the retries, or a server that cannot be reached,
      means "unreachable": everything is disallowed for this crawl;
    - redirects are followed by the downloader (RFC 9309 asks for at least five);
    - a Crawl-delay for this crawl's User-Agent spaces the requests to that
      host by that many seconds, at most ROBOTSTXT_MAX_CRAWL_DELAY.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        self._unreachable: set[str] = set()
        self._crawl_delays: dict[str, float] = {}
        self.obey_crawl_delay = crawler.settings.getbool("ROBOTSTXT_OBEY_CRAWL_DELAY", True)
        self.max_crawl_delay = crawler.settings.getfloat("ROBOTSTXT_MAX_CRAWL_DELAY", 30.0)

    async def robot_parser(self, request: Request):
        parts = urlsplit(request.url)
        return await self._origin_parser(f"{parts.scheme}://{parts.netloc}", request)

    async def _origin_parser(self, origin: str, request: Request):
        if origin not in self._parsers:
            self._parsers[origin] = Deferred()
            robots_request = Request(
                f"{origin}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "robots_for": request.meta.get("district_id"),
                      "policy_state": request.meta.get("policy_state")},
                callback=lambda response: None,
            )
            owner = request_owner(request.meta)
            try:
                response = await self.crawler.engine.download_async(robots_request)
                if response.url != robots_request.url:
                    logger.info(
                        "%s: robots.txt of %s redirected to %s; obeying that file",
                        owner,
                        origin,
                        response.url,
                    )
                    self._stats.inc_value("k12signals/robotstxt/redirected")
                body = self._rules_for_status(response.status, response.body, origin, owner)
                await self._publish(origin, body, request)
            except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
                logger.warning(
                    "%s: robots.txt of %s could not be fetched (%s: %s); treating the site as disallowed",
                    owner,
                    origin,
                    type(error).__name__,
                    error,
                )
                self._stats.inc_value("k12signals/robotstxt/unreachable")
                self._stats.inc_value(f"k12signals/errors/{type(error).__name__}")
                self._unreachable.add(origin)
                await self._publish(origin, DISALLOW_ALL, request)
            self._stats.inc_value("robotstxt/request_count")

        parser = self._parsers[origin]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def process_request_2(self, rp, request: Request) -> None:
        parts = urlsplit(request.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._unreachable:
            # Raised with its own message so that the spider counts the
            # district as unreachable rather than as disallowed by its rules.
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"robots.txt unreachable: {origin}/robots.txt could not be fetched")
        super().process_request_2(rp, request)
        delay = self._crawl_delays.get(origin)
        if delay:
            self._apply_crawl_delay(request, delay)

    def _apply_crawl_delay(self, request: Request, delay: float) -> None:
        """Space the requests of the request's download slot by at least `delay` seconds.

        The slot keeps the delay without random variation, also when Scrapy
        drops and re-creates it, and AutoThrottle leaves such a request's slot
        delay alone, because it would lower it towards DOWNLOAD_DELAY.
        """
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        slot_settings.update(delay=max(delay, slot_settings.get("delay", 0.0)), jitter=0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0
        request.meta["autothrottle_dont_adjust_delay"] = True

    def _read_crawl_delay(self, origin: str, parser, body: bytes, owner: str) -> None:
        """Keep the origin's Crawl-delay for this crawl's User-Agent, capped at ROBOTSTXT_MAX_CRAWL_DELAY."""
        rules = getattr(parser, "rp", None)
        if not self.obey_crawl_delay or rules is None:
            return
        for value in invalid_crawl_delays(body):
            logger.warning(
                "%s: robots.txt of %s has Crawl-delay %r, which is not a number of seconds; it is ignored",
                owner, origin, value,
            )
            self._stats.inc_value("k12signals/robotstxt/invalid_crawl_delay")
        user_agent = self._robotstxt_useragent or self._default_useragent
        if isinstance(user_agent, bytes):
            user_agent = user_agent.decode("latin-1")
        delay = rules.crawl_delay(user_agent)
        if not delay or delay <= 0:
            return
        delay = float(delay)
        if delay > self.max_crawl_delay:
            logger.warning(
                "%s: robots.txt of %s asks for %g s between requests; waiting %g s "
                "(ROBOTSTXT_MAX_CRAWL_DELAY)",
                owner, origin, delay, self.max_crawl_delay,
            )
            delay = self.max_crawl_delay
        else:
            logger.info("%s: robots.txt of %s asks for %g s between requests; obeying it", owner, origin, delay)
        self._stats.inc_value("k12signals/robotstxt/crawl_delay")
        self._crawl_delays[origin] = delay

    def _rules_for_status(self, status: int, body: bytes, origin: str, owner: str = "No district") -> bytes:
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if 200 <= status < 300:
            junk = robots_junk_lines(body)
            if junk:
                logger.warning(
                    "%s: robots.txt of %s has %d line(s) that are not robots.txt rules; they are ignored",
                    owner,
                    origin,
                    junk,
                )
                self._stats.inc_value("k12signals/robotstxt/invalid_lines", junk)
            return body
        if 400 <= status < 500:
            logger.info("%s: robots.txt of %s returned status %d; no rules, everything allowed", owner, origin, status)
            self._stats.inc_value("k12signals/robotstxt/missing")
            return ALLOW_ALL
        logger.warning(
            "%s: robots.txt of %s returned status %d; treating the site as disallowed", owner, origin, status
        )
        self._stats.inc_value("k12signals/robotstxt/server_error")
        return DISALLOW_ALL

    async def _publish(self, origin: str, body: bytes, request: Request) -> None:
        parser = build_from_crawler(self._parserimpl, self.crawler, body)
        self._read_crawl_delay(origin, parser, body, request_owner(request.meta))
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        pending = self._parsers[origin]
        self._parsers[origin] = parser
        pending.callback(parser)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting before each one: `Retry-After` when the server sends it,
    else RETRY_BACKOFF_BASE seconds doubled per attempt, with jitter, capped at
    RETRY_BACKOFF_MAX.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise NotConfigured("RETRY_BACKOFF_BASE and RETRY_BACKOFF_MAX must not be negative")

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            retry_after = response.headers.get(b"Retry-After")
            delay = self.backoff_delay(request, retry_after)
            logger.info(
                "Retrying %s after %s in %.1f s (attempt %d of %d, Retry-After %s) for %s",
                request.url,
                response.status,
                delay,
                result.meta.get("retry_times", 1),
                self.max_retry_times,
                retry_after.decode("latin-1") if retry_after else "absent",
                request_owner(request.meta),
            )
            if retry_after:
                self.crawler.stats.inc_value("k12signals/retry/retry_after")
            self.crawler.stats.inc_value("k12signals/retry/backoff_seconds", int(round(delay)))
            await sleep(delay)
        return result

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            delay = self.backoff_delay(request, None)
            logger.info(
                "Retrying %s after %s in %.1f s for %s",
                request.url,
                type(exception).__name__,
                delay,
                request_owner(request.meta),
            )
            await sleep(delay)
        return result

    def backoff_delay(self, request: Request, retry_after: bytes | None) -> float:
        if retry_after:
            seconds = parse_retry_after(retry_after.decode("latin-1"))
            if seconds is not None:
                return min(seconds, self.backoff_max)
        attempt = request.meta.get("retry_times", 0)
        delay = self.backoff_base * (2**attempt)
        return min(delay * random.uniform(0.8, 1.2), self.backoff_max)


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a Retry-After value: a number of seconds or an HTTP date."""
    value = value.strip()
    # str.isdigit alone accepts characters such as "²" that float() rejects.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class IncrementalCrawlMiddleware:
    """Make re-crawls conditional: send the stored ETag and Last-Modified of each page.

    The stored page's body hash, detector version and links travel with the
    request in `meta["stored_page"]`, so that the spider can tell an
    unchanged page (a 304, or the same body again) and follow the links of a
    page it did not download again. Turn it off with INCREMENTAL_CRAWL=False.
    """

    def __init__(self, crawler, database_path: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.database_path = database_path
        self.db = storage.open_database(database_path)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("INCREMENTAL_CRAWL", True):
            raise NotConfigured("INCREMENTAL_CRAWL is off")
        middleware = cls(crawler, crawler.settings.get("SIGNALS_DB"))
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def process_request(self, request, spider=None):
        if not request.meta.get("page") or "stored_page" in request.meta:
            return None

        stored = storage.stored_page_fingerprint(self.db, request.url)
        request.meta["stored_page"] = stored
        if stored is None:
            return None
        request.meta["handle_httpstatus_list"] = sorted({*request.meta.get("handle_httpstatus_list", []), 304})
        if stored.get("etag"):
            request.headers[b"If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            request.headers[b"If-Modified-Since"] = stored["last_modified"]
        self.stats.inc_value("k12signals/incremental/conditional_requests")
        return None

    def close(self, spider=None):
        self.db.close()
