"""Store pages and signals in SQLite, and send each stored signal on as a SignalItem."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import DropItem

from crawlers.items import PageGoneItem, PageItem, PageUnchangedItem, PortalStatusItem, SignalItem
from k12signals import segments, storage
from k12signals.reprocess import reprocess_page

logger = logging.getLogger(__name__)


class StoragePipeline:
    """Write each page and its signals to the database in one transaction.

    Every stored signal then goes through the item pipelines again as a
    `SignalItem`, so that feed exports (`-O signals.jsonl`) write signals.
    The page item itself ends here: it is stored, and dropped at DEBUG level
    so that feeds do not repeat page texts.
    """

    def __init__(self, crawler, database_path: str):
        self.crawler = crawler
        self.database_path = database_path
        self.db = None
        self.crawl_id = None
        self.district_counts: dict[str, dict[str, int]] = {}
        crawler.signals.connect(self.on_spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("SIGNALS_DB"))

    def open_spider(self, spider=None):
        self.db = storage.open_database(self.database_path)
        spider = self.crawler.spider
        self.crawl_id = storage.start_crawl(self.db, spider.name, getattr(spider, "crawl_arguments", {}))
        logger.info("Crawl %d started; storing in %s", self.crawl_id, self.database_path)

    async def process_item(self, item, spider=None):
        if isinstance(item, PageGoneItem):
            gone = storage.mark_page_gone(self.db, item.url, item.status)
            if gone:
                self.crawler.stats.inc_value("k12signals/signals_gone", gone)
                logger.info("District %s: %s returned HTTP %d; %d signal(s) gone", item.district_id, item.url, item.status, gone)
            raise DropItem(f"page {item.url} gone", log_level="DEBUG")

        if isinstance(item, PortalStatusItem):
            row = storage.record_portal_status(
                self.db, item.district_id, item.platform, item.portal_url, item.status, item.meetings, item.detail
            )
            self.crawler.stats.inc_value(f"k12signals/boards/status/{item.status}")
            if item.status == "ok" and item.meetings == 0 and (row["previous_meetings"] or 0) > 0:
                self.crawler.stats.inc_value("k12signals/boards/meetings_vanished")
                logger.error(
                    "District %s: %s portal %s lists no meetings, %d at the last read; check for layout drift",
                    item.district_id, item.platform, item.portal_url, row["previous_meetings"],
                )
            raise DropItem(f"portal {item.portal_url} status stored", log_level="DEBUG")

        if isinstance(item, PageUnchangedItem):
            self.count(item.district_id, "unchanged")
            if item.redetect:
                # The detectors changed since this page was stored: detect again from its text.
                stored = reprocess_page(self.db, item.url)
                self.crawler.stats.inc_value("k12signals/incremental/redetected")
                self.count_gone(stored.signals_gone)
                await self.send_signals(item.district_id, stored.signals)
            else:
                refreshed = storage.refresh_unchanged_page(self.db, item.url, item.status)
                self.crawler.stats.inc_value("k12signals/signals_seen_again", refreshed)
            raise DropItem(f"page {item.url} unchanged", log_level="DEBUG")

        if not isinstance(item, PageItem):
            return item

        # A shallow view of the fields: asdict would deep-copy the links and signals first.
        stored = storage.store_page(self.db, vars(item), item.signals)
        self.crawler.stats.inc_value("k12signals/pages_stored")
        self.count(item.district_id, "pages")
        self.count_gone(stored.signals_gone)
        await self.send_signals(item.district_id, stored.signals)
        raise DropItem(f"page {item.url} stored", log_level="DEBUG")

    async def send_signals(self, district_id, stored: list[storage.StoredSignal]) -> None:
        """Send stored signals through the pipelines as SignalItems, for feed exports."""
        for signal in stored:
            self.count(district_id, "signals")
            self.crawler.stats.inc_value("k12signals/signals_new" if signal.is_new else "k12signals/signals_seen_again")
            if signal.changes:
                self.crawler.stats.inc_value("k12signals/signals_updated")
            signal_item = SignalItem(
                **{key: signal.record.get(key) for key in SignalItem.__dataclass_fields__ if key != "is_new"},
                is_new=signal.is_new,
            )
            await self.crawler.engine.scraper.start_itemproc_async(signal_item, response=None)

    def count_gone(self, signals_gone: int) -> None:
        if signals_gone:
            self.crawler.stats.inc_value("k12signals/signals_gone", signals_gone)

    def count(self, district_id: str | None, key: str) -> None:
        if district_id is not None:
            counts = self.district_counts.setdefault(district_id, {})
            counts[key] = counts.get(key, 0) + 1

    def on_spider_closed(self, spider, reason):
        if self.db is None:
            return
        stats = self.crawler.stats.get_stats()
        if self.crawl_id is not None:
            storage.finish_crawl(self.db, self.crawl_id, reason, stats)
        for district_id, scope in getattr(spider, "scopes", {}).items():
            counts = {**scope.outcomes, **self.district_counts.get(district_id, {})}
            storage.record_district_crawl(self.db, self.crawl_id, district_id, counts, district_outcome(counts))
        logger.info(
            "Crawl %s finished (%s): %s pages stored, %s unchanged, %s new signals, %s updated, %s gone, %s seen again",
            self.crawl_id,
            reason,
            stats.get("k12signals/pages_stored", 0),
            stats.get("k12signals/incremental/unchanged_200", 0)
            + stats.get("k12signals/incremental/unchanged_304", 0)
            + stats.get("k12signals/incremental/skipped_by_sitemap", 0),
            stats.get("k12signals/signals_new", 0),
            stats.get("k12signals/signals_updated", 0),
            stats.get("k12signals/signals_gone", 0),
            stats.get("k12signals/signals_seen_again", 0),
        )
        counts = segments.update_segments(self.db)
        logger.info(
            "Segments of %d districts updated (%d changed stage): %s",
            counts.total,
            counts.changed,
            ", ".join(f"{stage} {number}" for stage, number in counts.by_stage.items()),
        )
        self.db.close()
        self.db = None


def district_outcome(counts: dict[str, int]) -> str:
    """Summarize a district's crawl in one word, for `k12signals status`."""
    if counts.get("pages", 0) or counts.get("unchanged", 0):
        return "ok"
    if counts.get("blocked", 0):
        return "blocked"
    if counts.get("robots_disallowed", 0):
        return "robots_disallowed"
    if counts.get("errors", 0):
        return "unreachable"
    return "no_pages"
