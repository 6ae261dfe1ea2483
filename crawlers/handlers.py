"""Scrapy's HTTP/1.1 download handler, with idle connections dropped sooner.

Twisted's connection pool (Twisted 26.10) keeps each idle connection for 240
seconds, and it keeps one that the server has closed until those seconds run
out as well, because a quiescent connection that is lost only changes state.
A crawl of thousands of district sites moves on from each site within
minutes, so those connections, a few per site, pile up in memory.
"""

from __future__ import annotations

import logging

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

logger = logging.getLogger(__name__)


class HTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, dropping connections idle for HTTP_IDLE_CONNECTION_TIMEOUT seconds."""

    def __init__(self, crawler):
        super().__init__(crawler)
        timeout = crawler.settings.getfloat("HTTP_IDLE_CONNECTION_TIMEOUT", 15.0)
        # NOTE: `_pool` is a private attribute of Scrapy's handler (Scrapy 2.19);
        # without it the pool keeps Twisted's 240 seconds.
        pool = getattr(self, "_pool", None)
        if pool is None:
            logger.warning("Scrapy's HTTP handler has no connection pool to configure; idle connections stay 240 s")
            return
        pool.cachedConnectionTimeout = timeout
