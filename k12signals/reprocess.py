"""Detect signals again from stored page text, without fetching anything.

A crawl does this for an unchanged page whose signals came from older
detectors; `k12signals reprocess` does it on demand for every such page.
"""

from __future__ import annotations

import json
import logging

import sqlite_utils

from k12signals import storage
from k12signals.detection import detect
from k12signals.detector_version import detector_version

logger = logging.getLogger(__name__)


def reprocess_page(db: sqlite_utils.Database, url: str) -> storage.StoredPage:
    """Run the current detectors on a stored page's text and store the result."""
    rows = list(db.query("SELECT * FROM pages WHERE url = ?", [url]))
    if not rows:
        raise KeyError(f"page not stored: {url}")
    page = rows[0]
    text = storage.read_page_text(db, url) or ""
    page_starts = json.loads(page["page_starts"]) if page.get("page_starts") else None
    result = detect(
        text,
        url=url,
        source_type=page["source_type"] or "district_site",
        state=page.get("state"),
        published_at=page.get("published_at"),
        page_starts=page_starts,
    )
    record = {
        **page,
        "text": text,
        "links": json.loads(page["links"]) if page.get("links") else [],
        "page_starts": page_starts,
        "detector_version": detector_version(),
    }
    return storage.store_page(db, record, result.signals)


def pages_to_reprocess(
    db: sqlite_utils.Database, district_id: str | None = None, everything: bool = False
) -> list[str]:
    """URLs of stored pages whose signals came from other detectors (or all, with `everything`)."""
    where = ["gone_at IS NULL", "text_zlib IS NOT NULL"]
    params: list = []
    if not everything:
        where.append("(detector_version IS NULL OR detector_version != ?)")
        params.append(detector_version())
    if district_id is not None:
        where.append("district_id = ?")
        params.append(district_id)
    sql = f"SELECT url FROM pages WHERE {' AND '.join(where)} ORDER BY url"
    return [row["url"] for row in db.query(sql, params)]
