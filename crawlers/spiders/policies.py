"""The `policies` spider: crawl state education agency and legislature pages on CBE policy.

    scrapy crawl policies                        # every state in the shipped seed list
    scrapy crawl policies -a state=NH
    scrapy crawl policies -a seeds=my-seeds.csv  # columns state, url

Each state starts from its seed URLs (`crawlers/data/state_policy_seeds.csv`
unless `-a seeds` names another file) and follows only links whose text or
address names competency, mastery, proficiency, seat time or personalized
learning, up to POLICY_MAX_DEPTH links deep and POLICY_MAX_PAGES pages per
state. It stays on the hosts of the state's seeds and their www or non-www
twins. Every page becomes a `PageItem` with source type `state_policy`, no
district and the seed's state, and goes through the same pipelines as the
district crawl. When the crawl closes, the `states` table gets one row per
state in the seed list (see `k12signals.states`).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response

from crawlers.documents import page_item, read_fetched_page
from crawlers.items import PageGoneItem
from crawlers.scope import DistrictScope, clean_url, host_twins
from crawlers.spiders.districts import parse_state
from k12signals import storage
from k12signals.errors import InputError
from k12signals.registry import VALID_STATE_CODES
from k12signals.states import update_states

logger = logging.getLogger(__name__)

SEEDS_PACKAGE = "crawlers"
SEEDS_RESOURCE = "data/state_policy_seeds.csv"
SEED_COLUMNS = ("state", "url")

SOURCE_TYPE = "state_policy"

# Links that the crawl follows: their text or address names one of these.
POLICY_LINK = re.compile(r"competenc|mastery|proficien|seat[-_ ]?time|personali[sz]ed[-_ ]?learning", re.IGNORECASE)

# Defaults of the POLICY_MAX_PAGES and POLICY_MAX_DEPTH settings.
DEFAULT_MAX_PAGES = 60
DEFAULT_MAX_DEPTH = 3

# URLs per path that differ only in their query string.
MAX_QUERY_VARIANTS = 5


@dataclass(frozen=True)
class Seed:
    state: str
    url: str


def read_seeds(path: str | Path | None = None) -> list[Seed]:
    """Read a seeds CSV with the columns `state` and `url`, ignoring any other column.

    Without `path`, read the seed list shipped with the package. Raises
    InputError naming the file and row when the file is missing, lacks a
    column, has an invalid state code or URL, or has no rows. Repeated rows
    are read once.
    """
    if path is None:
        text = resources.files(SEEDS_PACKAGE).joinpath(SEEDS_RESOURCE).read_text(encoding="utf-8")
        name = SEEDS_RESOURCE
    else:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(f"seeds file not found: {name}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read seeds file {name}: {error}") from error

    reader = csv.DictReader(io.StringIO(text))
    columns = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in SEED_COLUMNS if column not in columns]
    if missing:
        raise InputError(
            f"{name}: missing column {', '.join(repr(column) for column in missing)}; "
            f"expected a header row with the columns state, url"
        )
    reader.fieldnames = columns

    seeds: list[Seed] = []
    for line_number, row in enumerate(reader, start=2):
        state = (row.get("state") or "").strip().upper()
        url = (row.get("url") or "").strip()
        if not state and not url:
            continue
        where = f"{name}, line {line_number}"
        if state not in VALID_STATE_CODES:
            raise InputError(f"{where}: invalid state {state!r}; expected a two-letter USPS code such as NH")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"{where}: invalid url {url!r}; expected an http:// or https:// address")
        seed = Seed(state, url)
        if seed not in seeds:
            seeds.append(seed)
    if not seeds:
        raise InputError(f"{name}: no seed rows; expected rows of state, url")
    return seeds


def select_seeds(seeds_path: str | None, state: str | None) -> list[Seed]:
    """Read the seeds and keep those of `state`, raising UsageError on a bad value."""
    try:
        seeds = read_seeds(seeds_path)
    except InputError as error:
        raise UsageError(f"-a seeds={seeds_path}: {error}", print_help=False) from error
    if state is None:
        return seeds
    selected = [seed for seed in seeds if seed.state == state]
    if not selected:
        source = seeds_path or "the shipped seed list"
        raise UsageError(f"invalid -a state={state!r}: no seeds for {state} in {source}", print_help=False)
    return selected


class PoliciesSpider(scrapy.Spider):
    name = "policies"
    ARGUMENTS = ("seeds", "state")

    def __init__(self, seeds=None, state=None, **kwargs):
        super().__init__(**kwargs)
        # As given on the command line, for the crawls table.
        self.crawl_arguments = {name: value for name, value in dict(seeds=seeds, state=state).items() if value is not None}
        self.seeds_path = seeds
        self.state_filter = parse_state(state)
        self.seeds = select_seeds(seeds, self.state_filter)
        self.crawl_states = sorted({seed.state for seed in self.seeds})
        self.states_reached: set[str] = set()
        # Scrapy's OffsiteMiddleware reads this list and drops requests and
        # redirects to hosts that no seed names, subdomains of seed hosts excepted.
        self.allowed_domains = sorted({name for seed in self.seeds for name in host_names(urlsplit(seed.url).netloc)})
        # Named state_scopes, not scopes, because the district middleware and the
        # storage pipeline treat the keys of a spider's `scopes` as district ids.
        self.state_scopes: dict[str, DistrictScope] = {}

    @classmethod
    def check_arguments(cls, arguments: dict) -> None:
        """Raise UsageError for a bad -a value; the project's crawl command calls this first."""
        state = parse_state(arguments.get("state"))
        select_seeds(arguments.get("seeds"), state)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_pages = settings.getint("POLICY_MAX_PAGES", DEFAULT_MAX_PAGES)
        spider.max_depth = settings.getint("POLICY_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        spider.database_path = settings.get("SIGNALS_DB")
        crawler.signals.connect(spider.on_spider_closed, signal=signals.spider_closed)
        return spider

    # Start.
    async def start(self):
        if not self.settings.get("CRAWL_CONTACT"):
            logger.warning(
                "No contact address in the User-Agent; set K12SIGNALS_CONTACT=you@example.org "
                "or -s CRAWL_CONTACT=... so that site owners can reach you"
            )
        logger.info("Crawling %d seed pages of %d states", len(self.seeds), len(self.crawl_states))
        self.crawler.stats.set_value("k12signals/states_total", len(self.crawl_states))
        for seed in self.seeds:
            scope = self.scope_for(seed)
            url = clean_url(seed.url)
            reason = scope.skip_reason(url, depth=0)
            if reason == "duplicate":
                continue
            if reason is not None:
                logger.warning("State %s: seed %s skipped: %s", seed.state, seed.url, reason)
                continue
            yield self.page_request(url, seed.state, depth=0, seed=True)

    def scope_for(self, seed: Seed) -> DistrictScope:
        """Return the state's scope, creating it or adding the seed's host to it.

        A DistrictScope keyed by the state code does the bookkeeping: hosts,
        page and depth limits, duplicates, media and calendar links. It is
        built on the host alone, so a seed deep in a site does not confine the
        crawl to that folder.
        """
        # NOTE: on a shared state portal (www.maine.gov, www.nd.gov) this scope is
        # the whole portal, so policy-named links into other agencies' folders are followed too.
        host = urlsplit(seed.url).netloc.lower()
        scope = self.state_scopes.get(seed.state)
        if scope is None:
            scope = DistrictScope(
                district_id=seed.state,
                website=host,
                max_pages=self.max_pages,
                max_depth=self.max_depth,
                max_query_variants=MAX_QUERY_VARIANTS,
            )
            self.state_scopes[seed.state] = scope
        else:
            scope.add_host(host)
        return scope

    # Requests.
    def page_request(self, url: str, state: str, *, depth: int, link_text: str = "", seed: bool = False):
        # "page" makes IncrementalCrawlMiddleware send the stored validators of a page crawled before.
        meta = {"page": True, "policy_state": state, "depth": depth, "link_text": link_text, "policy_seed": seed}
        if seed:
            # A seed may redirect to another host when an agency moved. The
            # redirect is allowed through, and parse_page adds the new host.
            meta["allow_offsite"] = True
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=10 if seed else -depth,
            meta=meta,
        )

    def follow_link(self, url: str, text: str, state: str, depth: int):
        """Build a request for a link that names a CBE policy and is in the state's scope, or return None."""
        url = clean_url(url)
        parts = urlsplit(url)
        if not POLICY_LINK.search(f"{parts.path} {parts.query} {text}"):
            self.crawler.stats.inc_value("k12signals/skipped/link_rule")
            return None
        scope = self.state_scopes[state]
        reason = scope.skip_reason(url, depth)
        if reason is not None:
            scope.count_skip(reason)
            if reason != "duplicate":
                self.crawler.stats.inc_value(f"k12signals/skipped/{reason}")
            return None
        return self.page_request(url, state, depth=depth, link_text=text)

    # Callbacks.
    def parse_page(self, response: Response):
        state = response.meta["policy_state"]
        depth = response.meta["depth"]
        scope = self.state_scopes[state]
        if not scope.owns(response.url):
            if response.meta.get("policy_seed"):
                host = urlsplit(response.url).netloc.lower()
                seed_url = (response.meta.get("redirect_urls") or [response.url])[0]
                logger.info("State %s: seed %s moved to %s; adding it to the crawl", state, seed_url, host)
                scope.add_host(host)
                self.allowed_domains = sorted(set(self.allowed_domains) | host_names(host))
            else:
                self.crawler.stats.inc_value("k12signals/skipped/offsite_redirect")
                logger.debug("State %s: %s redirected off the state's sites; skipped", state, response.url)
                return

        item, links = read_fetched_page(
            response,
            None,
            self.crawler.stats,
            lambda kind, fingerprint, links: page_item(
                response, district_id=None, state=state, source_type=SOURCE_TYPE, kind=kind,
                fingerprint=fingerprint, links=links,
            ),
        )
        if item is None:
            return
        self.states_reached.add(state)
        yield item
        yield from self.follow_links(links, state, depth + 1)

    def follow_links(self, links, state: str, depth: int):
        for url, text in links:
            request = self.follow_link(url, text, state, depth)
            if request is not None:
                yield request

    def on_error(self, failure):
        request = failure.request
        state = request.meta.get("policy_state")
        response = getattr(failure.value, "response", None)
        if failure.check(IgnoreRequest) and response is None:
            # Robots.txt rules or the offsite filter dropped the request, and their middlewares count it.
            logger.debug("State %s: %s skipped: %s", state, request.url, failure.value)
            return
        if response is not None:
            self.crawler.stats.inc_value(f"k12signals/errors/http_{response.status}")
            logger.info("State %s: %s returned HTTP %d", state, request.url, response.status)
            if response.status in (404, 410):
                # The storage pipeline marks the page gone if it was stored before.
                yield PageGoneItem(url=request.url, district_id=None, status=response.status)
        else:
            name = type(failure.value).__name__
            self.crawler.stats.inc_value(f"k12signals/errors/{name}")
            logger.warning("State %s: %s failed: %s", state, request.url, failure.value)

    # Close.
    def on_spider_closed(self, spider, reason):
        """Write the `states` row of every state in the seed list."""
        unreached = [code for code in self.crawl_states if code not in self.states_reached]
        if unreached:
            logger.warning(
                "No page fetched for %s; their states rows reflect only signals stored earlier",
                ", ".join(unreached),
            )
        db = storage.open_database(self.database_path)
        try:
            rows = update_states(db, self.crawl_states)
        finally:
            db.close()
        for row in rows:
            logger.info(
                "State %s: %d policy signal(s), cbe_friendliness %s",
                row["code"],
                row["policy_count"],
                row["cbe_friendliness"],
            )


def host_names(netloc: str) -> set[str]:
    """Return the host name of `netloc` and of its www twin, without the port, as allowed_domains lists them."""
    return {urlsplit(f"//{twin}").hostname for twin in host_twins(netloc)}
