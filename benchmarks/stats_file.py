"""A Scrapy extension that writes the crawl's stats to a JSON file when the spider closes.

Enable it with `-s EXTENSIONS={"stats_file.StatsFile": 0} -s STATS_FILE=stats.json`
and this folder on PYTHONPATH. Values that JSON cannot hold (start and finish
times) are written as strings.
"""

from __future__ import annotations

import json

from scrapy import signals
from scrapy.exceptions import NotConfigured


class StatsFile:
    def __init__(self, crawler, path: str):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured("STATS_FILE is not set")
        extension = cls(crawler, path)
        # By engine_stopped, CoreStats has set finish_time and elapsed_time_seconds.
        crawler.signals.connect(extension.write, signal=signals.engine_stopped)
        return extension

    def write(self):
        with open(self.path, "w", encoding="utf-8") as file:
            json.dump(self.crawler.stats.get_stats(), file, indent=1, sort_keys=True, default=str)
