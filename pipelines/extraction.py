"""Turn each fetched page's body into main text and a publication date."""

from __future__ import annotations

import logging

from crawlers.items import PageItem
from k12signals.extraction import extract
from pipelines.workers import AnalysisPool

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(self, stats, pool: AnalysisPool):
        self.stats = stats
        self.pool = pool

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, AnalysisPool.for_crawler(crawler))

    async def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item

        page = await self.pool.run(
            extract, item.body or b"", url=item.url, content_type=item.content_type, source_type=item.source_type
        )
        # The body is not needed past this point; dropping it keeps memory flat.
        item.body = None
        item.text = page.text
        item.title = page.title
        # A board portal gives each document's meeting date; it outranks a
        # date read from the document's text.
        item.published_at = item.meeting_date or page.published_at
        item.page_starts = page.page_starts
        item.error = page.error
        item.markup_errors = page.markup_errors
        item.first_markup_error = page.first_markup_error

        if page.error:
            self.stats.inc_value("k12signals/extraction/errors")
            logger.warning("%s: could not read %s: %s", item.owner, item.url, page.error)
        elif not page.text.strip():
            self.stats.inc_value("k12signals/extraction/empty")
            logger.info("%s: no main text in %s", item.owner, item.url)
        else:
            self.stats.inc_value("k12signals/extraction/pages")
        return item
