"""`scrapy crawl`, with spider arguments checked before the crawl starts.

Scrapy's own command creates the spider inside the running reactor, so a bad
`-a` value ends in a traceback. This one calls the spider's
`check_arguments` first, so that a bad value prints one line and exits with
status 2; and it exits with status 1 when the spider closed because it had
nothing to crawl.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawlers.netguard import parse_allowed_networks

# Close reasons that mean the crawl could not do its job.
FAILED_CLOSE_REASONS = {"registry_empty"}


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        try:
            parse_allowed_networks(self.settings.get("CRAWL_ALLOW_NETWORKS"))
        except ValueError as error:
            raise UsageError(str(error), print_help=False) from error
        check_settings(self.settings)
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
            check_known_arguments(spider_class, opts.spargs)
            check_arguments = getattr(spider_class, "check_arguments", None)
            if check_arguments is not None:
                check_arguments(opts.spargs)
        super().run(args, opts)
        if self._crawler is not None and self._crawler.stats.get_value("finish_reason") in FAILED_CLOSE_REASONS:
            self.exitcode = 1

    def _create_crawler(self, name):
        self._crawler = super()._create_crawler(name)
        return self._crawler

    _crawler = None


def check_known_arguments(spider_class, arguments: dict) -> None:
    """Raise UsageError for a -a name the spider does not take, such as a typo of `state`.

    Names that start with "_" pass: Scrapyd adds `_job` to every crawl it runs.
    """
    known = getattr(spider_class, "ARGUMENTS", None)
    if known is None:
        return
    unknown = sorted(name for name in arguments if name not in known and not name.startswith("_"))
    if unknown:
        raise UsageError(
            f"unknown spider argument(s) {', '.join(f'-a {name}=' for name in unknown)}; "
            f"the {spider_class.name} spider takes {', '.join(known)}",
            print_help=False,
        )


# The project's numeric settings, and whether each takes a fraction.
NUMBER_SETTINGS = {
    "DISTRICT_MAX_PAGES": int,
    "DISTRICT_MAX_DEPTH": int,
    "DISTRICT_MAX_QUERY_VARIANTS": int,
    "DISTRICT_MAX_SITEMAP_URLS": int,
    "DISTRICT_BATCH_SIZE": int,
    "POLICY_MAX_PAGES": int,
    "POLICY_MAX_DEPTH": int,
    "RETRY_TIMES": int,
    "RETRY_BACKOFF_BASE": float,
    "RETRY_BACKOFF_MAX": float,
    "PROGRESS_INTERVAL": float,
    "DOWNLOAD_DELAY": float,
    "DOWNLOAD_TIMEOUT": float,
    "ROBOTSTXT_MAX_CRAWL_DELAY": float,
    "HTTP_IDLE_CONNECTION_TIMEOUT": float,
}

# Numeric settings where 0 would mean nothing useful; each has its own switch to turn its feature off.
POSITIVE_SETTINGS = {"ROBOTSTXT_MAX_CRAWL_DELAY": "set ROBOTSTXT_OBEY_CRAWL_DELAY=False to ignore Crawl-delay"}

# The project's on/off settings. Scrapy reads 1/0, true/false and True/False.
BOOLEAN_SETTINGS = ("INCREMENTAL_CRAWL", "ROBOTSTXT_OBEY", "ROBOTSTXT_OBEY_CRAWL_DELAY")


def check_settings(settings) -> None:
    """Raise UsageError naming a numeric or on/off setting whose value is invalid."""
    for name, kind in NUMBER_SETTINGS.items():
        value = settings.get(name)
        try:
            number = kind(value)
        except (TypeError, ValueError):
            expected = "a whole number" if kind is int else "a number"
            raise UsageError(f"invalid -s {name}={value!r}; expected {expected}", print_help=False) from None
        if number < 0:
            raise UsageError(f"invalid -s {name}={value!r}; expected a value of 0 or more", print_help=False)
        if number == 0 and name in POSITIVE_SETTINGS:
            raise UsageError(
                f"invalid -s {name}={value!r}; expected a value above 0 ({POSITIVE_SETTINGS[name]})", print_help=False
            )
    for name in BOOLEAN_SETTINGS:
        try:
            settings.getbool(name)
        except ValueError:
            raise UsageError(
                f"invalid -s {name}={settings.get(name)!r}; expected True or False", print_help=False
            ) from None
