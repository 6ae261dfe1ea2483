"""Helpers that every portal adapter uses: block pages, layout drift, the date window and status items.

An adapter's `parse` goes through `run_step`, which turns a bot challenge
into a "blocked" status and a `LayoutDrift` raised by a selector into a
"drift" status, so that neither becomes an empty meeting list or a page of
text.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from crawlers.items import PortalStatusItem

logger = logging.getLogger(__name__)

# Markers of the bot challenges and block pages of the CDNs in front of the
# portals. Akamai's "Access Denied" page counts only with its "Reference #".
CHALLENGE_MARKERS = (
    ("cf-chl", "Cloudflare challenge"),
    ("attention required! | cloudflare", "Cloudflare block page"),
    ("_incapsula_resource", "Incapsula challenge"),
    ("incapsula incident id", "Incapsula block page"),
)
AKAMAI_MARKERS = ("access denied", "reference #")
# Challenge pages are small, and a long agenda may quote a marker, so only
# the start of a body is searched.
CHALLENGE_SCAN_BYTES = 64 * 1024


class LayoutDrift(Exception):
    """A portal response no longer has the shape the adapter reads."""


class PortalBlocked(Exception):
    """A portal returned a block page instead of its content."""


def require(value: Any, what: str) -> Any:
    """Return `value`, or raise LayoutDrift naming `what` when it is None or empty."""
    if value is None or (hasattr(value, "__len__") and len(value) == 0):
        raise LayoutDrift(f"missing {what}")
    return value


def challenge_marker(body: bytes) -> str | None:
    """Name of the bot challenge or block page in `body`, or None."""
    if body[:5] == b"%PDF-":
        return None
    head = body[:CHALLENGE_SCAN_BYTES].decode("latin-1").lower()
    for marker, name in CHALLENGE_MARKERS:
        if marker in head:
            return name
    if all(marker in head for marker in AKAMAI_MARKERS):
        return "Akamai block page"
    return None


def parse_iso_date(value: Any, what: str) -> date:
    """Parse the date at the start of `value` ("2026-02-09", "2026-02-09T18:00:00", "2026-02-09 18:00")."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if match is None:
        raise LayoutDrift(f"invalid {what} {value!r}; expected a date such as 2026-02-09")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise LayoutDrift(f"invalid {what} {value!r}: {error}") from None


def in_window(spider: Any, meeting_date: date) -> bool:
    """True when the meeting is on or after the spider's `since` date."""
    since = getattr(spider, "since", None)
    return since is None or meeting_date >= since


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def first_time(spider: Any, *key: Any) -> bool:
    """Return True the first time this crawl meets `key` (a meeting or a document), False after.

    Keys include the portal host, because meeting ids repeat across tenants
    of the same platform.
    """
    seen = getattr(spider, "board_keys_seen", None)
    if seen is None:
        seen = set()
        spider.board_keys_seen = seen
    if key in seen:
        return False
    seen.add(key)
    return True


def status_item(response: Any, status: str, meetings: int = 0, detail: str | None = None) -> PortalStatusItem:
    meta = response.meta
    return PortalStatusItem(
        district_id=meta["district_id"],
        platform=meta["board_platform"],
        portal_url=meta["portal_url"],
        status=status,
        meetings=meetings,
        detail=detail,
    )


def blocked_item(spider: Any, response: Any, detail: str) -> PortalStatusItem | None:
    """Count and log a block; the status item comes once per district and portal in a crawl."""
    meta = response.meta
    platform = meta["board_platform"]
    spider.crawler.stats.inc_value(f"k12signals/boards/blocked/{platform}")
    scope = getattr(spider, "scopes", {}).get(meta["district_id"])
    if scope is not None:
        scope.count_outcome("blocked")
    logger.warning(
        "District %s: %s portal %s blocked the crawl: %s at %s",
        meta["district_id"], platform, meta["portal_url"], detail, response.url,
    )
    if not first_time(spider, "blocked", meta["district_id"], meta["portal_url"]):
        return None
    return status_item(response, "blocked", detail=f"{detail} at {response.url}")


def drift_item(spider: Any, response: Any, error: LayoutDrift) -> PortalStatusItem:
    meta = response.meta
    platform = meta["board_platform"]
    spider.crawler.stats.inc_value(f"k12signals/boards/drift/{platform}")
    logger.error(
        "District %s: %s portal %s changed its layout at step %s (%s): %s; the adapter needs an update",
        meta["district_id"], platform, meta["portal_url"], meta.get("board_step"), response.url, error,
    )
    return status_item(response, "drift", detail=f"{meta.get('board_step')}: {error}")


def ok_item(spider: Any, response: Any, meetings: int) -> PortalStatusItem:
    meta = response.meta
    logger.info(
        "District %s: %s portal %s lists %d meetings since %s",
        meta["district_id"], meta["board_platform"], meta["portal_url"], meetings, getattr(spider, "since", None),
    )
    return status_item(response, "ok", meetings=meetings)


def run_step(spider: Any, response: Any, step: Callable[[Any, Any], Iterable[Any]]) -> list[Any]:
    """Run one adapter step on `response`, with blocks and layout drift turned into status items.

    The step's output is collected first, so a step that raises yields
    nothing but its status item.
    """
    marker = challenge_marker(response.body)
    if marker is not None:
        item = blocked_item(spider, response, marker)
        return [item] if item is not None else []
    try:
        return list(step(spider, response))
    except PortalBlocked as error:
        item = blocked_item(spider, response, str(error))
        return [item] if item is not None else []
    except LayoutDrift as error:
        return [drift_item(spider, response, error)]


def parse_us_date(text: str, what: str) -> date:
    """The first "May 5, 2026" style date in `text`."""
    match = re.search(r"([A-Z][a-z]+)\.? (\d{1,2}), (\d{4})", text or "")
    if match is None:
        raise LayoutDrift(f"no date in {what} {text.strip()[:80]!r}")
    month = match.group(1)
    for pattern in ("%B %d %Y", "%b %d %Y"):
        try:
            return datetime.strptime(f"{month} {match.group(2)} {match.group(3)}", pattern).date()
        except ValueError:
            continue
    raise LayoutDrift(f"invalid date in {what} {match.group(0)!r}")
