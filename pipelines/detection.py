"""Run the detectors on each page's main text."""

from __future__ import annotations

import logging

from crawlers.items import PageItem
from k12signals.detection import detect
from k12signals.detector_version import detector_version
from pipelines.workers import AnalysisPool

logger = logging.getLogger(__name__)


class DetectionPipeline:
    def __init__(self, stats, pool: AnalysisPool):
        self.stats = stats
        self.pool = pool

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, AnalysisPool.for_crawler(crawler))

    async def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item
        item.detector_version = detector_version()
        if not item.text:
            return item

        result = await self.pool.run(
            detect,
            item.text,
            url=item.url,
            source_type=item.source_type,
            state=item.state,
            published_at=item.published_at,
            page_starts=item.page_starts,
        )
        item.cbe_stage = result.cbe_stage
        item.signals = result.signals
        for signal in result.signals:
            self.stats.inc_value(f"k12signals/signals/{signal['kind']}")
        if result.signals:
            logger.info(
                "%s: %d signal(s) on %s", item.owner, len(result.signals), item.url
            )
        return item
