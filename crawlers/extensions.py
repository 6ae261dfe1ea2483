"""Scrapy extension that logs the crawl's progress by district."""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class DistrictProgress:
    """Log, every PROGRESS_INTERVAL seconds, districts done of total, pages, signals and rate.

    Scrapy's own LogStats counts pages and items; this line adds the figure
    that matters on a crawl of thousands of districts: how many are done.
    """

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0")
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log_progress)
        self.loop.start(self.interval, now=False)

    def log_progress(self):
        total = self.stats.get_value("k12signals/districts_total", 0)
        if not total:
            return
        done = self.stats.get_value("k12signals/districts_done", 0)
        pages = self.stats.get_value("k12signals/pages_stored", 0) + self.stats.get_value(
            "k12signals/incremental/unchanged_200", 0
        ) + self.stats.get_value("k12signals/incremental/unchanged_304", 0)
        new_signals = self.stats.get_value("k12signals/signals_new", 0)
        minutes = max((time.monotonic() - self.started) / 60, 1e-9)
        logger.info(
            "Progress: %d of %d districts done, %d pages, %d new signals, %.0f pages/min",
            done,
            total,
            pages,
            new_signals,
            pages / minutes,
        )

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
