"""Scrapy settings for the k12-signals crawl.

The defaults aim at a polite crawl of thousands of small district sites: one
or two requests at a time per host, AutoThrottle, robots.txt obeyed, bounded
downloads, and retries that back off. Override any of them with
`-s NAME=VALUE` on the command line.
"""

import os

BOT_NAME = "k12signals"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"
COMMANDS_MODULE = "crawlers.commands"

# Identity: the add-on builds USER_AGENT from the CRAWL_CONTACT setting
# (-s CRAWL_CONTACT=you@example.org) or the K12SIGNALS_CONTACT environment
# variable, an address where site owners can reach whoever runs the crawl.
# CRAWL_CONTACT is not set here, because a project setting would outrank
# the add-on's value.
ADDONS = {"crawlers.addons.CrawlerIdentity": 0}

# Database file for districts, pages and signals.
SIGNALS_DB = os.environ.get("SIGNALS_DB", "signals.db")

# Politeness.
ROBOTSTXT_OBEY = True
# A robots.txt Crawl-delay sets the seconds between requests to its host, up
# to ROBOTSTXT_MAX_CRAWL_DELAY, so that a huge value cannot stall a district.
ROBOTSTXT_OBEY_CRAWL_DELAY = True
ROBOTSTXT_MAX_CRAWL_DELAY = 30.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Seconds an idle connection to a site is kept for reuse. Twisted's default of
# 240 keeps a few connections of every site crawled in the last four minutes.
DOWNLOAD_HANDLERS = {
    "http": "crawlers.handlers.HTTPDownloadHandler",
    "https": "crawlers.handlers.HTTPDownloadHandler",
}
HTTP_IDLE_CONNECTION_TIMEOUT = 15.0

# Bounded downloads. Board packets can be large PDFs; anything past the
# maximum is dropped by Scrapy and counted in the stats.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 25 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 10

# Retries for rate limits and server errors, waiting RETRY_BACKOFF_BASE
# seconds doubled per attempt (or the server's Retry-After), at most
# RETRY_BACKOFF_MAX seconds.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0

# Scope of each district's crawl.
DISTRICT_MAX_PAGES = 150
DISTRICT_MAX_DEPTH = 3
DISTRICT_MAX_QUERY_VARIANTS = 5
DISTRICT_MAX_SITEMAP_URLS = 300
# Districts crawled at the same time; the next starts when one finishes.
DISTRICT_BATCH_SIZE = 64

# Scope of each state's crawl in `scrapy crawl policies`.
POLICY_MAX_PAGES = 60
POLICY_MAX_DEPTH = 3

# Requests to loopback, private, link-local and other non-public addresses
# are refused, redirects included. List networks here (comma-separated CIDR,
# such as 127.0.0.1/32) to allow them for tests or an intranet.
CRAWL_ALLOW_NETWORKS = ""

# Re-crawls send the stored ETag and Last-Modified and skip extraction and
# detection of pages that did not change. False fetches and detects every page.
INCREMENTAL_CRAWL = True

DOWNLOADER_MIDDLEWARES = {
    # Scope first, so that an off-site request is dropped before any DNS lookup.
    # Then the address guard, so that nothing reaches a refused address,
    # robots.txt included.
    "crawlers.middlewares.DistrictScopeMiddleware": 30,
    "crawlers.netguard.NetworkGuardMiddleware": 40,
    "crawlers.middlewares.IncrementalCrawlMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtByOriginMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    # Above RedirectMiddleware (600), so that it handles each redirect response first.
    "crawlers.hostile.RedirectGuardMiddleware": 610,
}

SPIDER_MIDDLEWARES = {
    "crawlers.hostile.BrokenInputMiddleware": 500,
}

# Items and requests of one response handled at a time. Scrapy 2.19 starts
# that many tasks for every response, and a page yields one item and its
# links, so the default of 100 mostly costs the crawl's thread time.
CONCURRENT_ITEMS = 16

# Worker processes for extraction and detection, so that page analysis does
# not hold up downloads on Scrapy's single thread. Unset: 1 on a machine with
# two or more cores, else 0 (inline).
ANALYSIS_WORKERS = None

ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 100,
    "crawlers.hostile.DocumentProblemPipeline": 150,
    "pipelines.detection.DetectionPipeline": 200,
    "pipelines.storage.StoragePipeline": 300,
}

# Seconds between progress lines (districts done of total, pages, signals,
# rate); 0 turns them off.
PROGRESS_INTERVAL = 60
EXTENSIONS = {
    "crawlers.extensions.DistrictProgress": 500,
}

# The telnet console and the remote control server each open a port on the
# machine; the crawl needs neither.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
