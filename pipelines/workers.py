"""Run extraction and detection in worker processes, off the crawl's reactor thread.

Scrapy downloads, schedules and stores on one thread. Extraction and
detection are pure CPU work, and while they run on that thread no download
moves, so the crawl's rate is bound by page analysis. With
ANALYSIS_WORKERS > 0 the pipelines send that work to a process pool (a
thread pool would not help, because of the GIL). With 0 it runs inline,
which is also the fallback when no asyncio event loop is running.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

from scrapy import signals

logger = logging.getLogger(__name__)


def default_workers() -> int:
    """Return 1 (a worker beside the reactor thread) on a machine with two or more cores, else 0."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


class AnalysisPool:
    """One process pool per crawl, shared by the pipelines that need it."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None

    @classmethod
    def for_crawler(cls, crawler) -> "AnalysisPool":
        pool = getattr(crawler, "_k12signals_analysis_pool", None)
        if pool is None:
            setting = crawler.settings.get("ANALYSIS_WORKERS")
            workers = default_workers() if setting in (None, "") else crawler.settings.getint("ANALYSIS_WORKERS")
            pool = cls(max(0, workers))
            crawler._k12signals_analysis_pool = pool
            crawler.signals.connect(pool.close, signal=signals.spider_closed)
        return pool

    def start(self) -> None:
        if self.workers and self.executor is None:
            # forkserver: the workers start from a clean process, not a fork of
            # the reactor's threads.
            context = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            logger.info("Page analysis runs in %d worker process(es)", self.workers)

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.start()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self.executor is None or loop is None:
            return function(*args, **kwargs)
        future = self.executor.submit(function, *args, **kwargs)
        return await asyncio.wrap_future(future, loop=loop)

    def close(self, spider=None) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
