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
        if len(args) == 1 and self.crawler_process is not None:
            spider_class = self.crawler_process.spider_loader.load(args[0])
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
