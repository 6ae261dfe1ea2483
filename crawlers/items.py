"""Items the crawl produces: a fetched page, and the signals stored from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    """One fetched document of a district or a state agency, on its way through the pipelines.

    `district_id` is None on a state agency's page. The spider fills the fetch
    fields; the extraction pipeline replaces `body` with `text`, and the
    detection pipeline adds `signals` and `cbe_stage`.
    """

    url: str
    district_id: str | None
    state: str | None
    source_type: str
    status: int
    content_type: str | None
    body: bytes | None
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    meeting_date: str | None = None
    """For a board portal's meeting document, the meeting date the portal gives ("YYYY-MM-DD")."""
    links: list[list[str]] = field(default_factory=list)
    """Links found on the page as [url, link text], stored so that a re-crawl can follow them after a 304."""
    text: str | None = None
    title: str | None = None
    published_at: str | None = None
    page_starts: list[int] | None = None
    error: str | None = None
    markup_errors: int = 0
    """Markup errors that the HTML parser repaired during extraction."""
    first_markup_error: str | None = None
    cbe_stage: str | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)
    detector_version: str | None = None

    @property
    def owner(self) -> str:
        """The page's district or state, for log lines."""
        return f"District {self.district_id}" if self.district_id else f"State {self.state}"


@dataclass
class SignalItem:
    """A stored signal, as feed exports write it (`scrapy crawl districts -O signals.jsonl`)."""

    id: str
    district_id: str | None
    kind: str
    label: str | None
    stage: str | None
    title: str | None
    person: str | None
    school: str | None
    position: str | None
    effective_date: str | None
    state: str | None
    quote: str | None
    page: int | None
    url: str
    source_type: str | None
    published_at: str | None
    first_seen_at: str
    last_seen_at: str
    is_new: bool


@dataclass
class PageGoneItem:
    """A page that was stored before and now returns 404 or 410."""

    url: str
    district_id: str | None
    status: int


@dataclass
class PageUnchangedItem:
    """A stored page that a re-crawl found unchanged: a 304 response, or the same body again.

    `redetect` is set when the detectors changed since the page was stored,
    so its signals are detected again from the stored text.
    """

    url: str
    district_id: str | None
    status: int | None
    """Status of the response that showed the page unchanged, or None when no request was sent (the sitemap did)."""
    redetect: bool = False


@dataclass
class PortalStatusItem:
    """How reading one district's board portal went in this crawl.

    `status` is "ok", "blocked" (403, 429 or a bot challenge) or "drift" (the
    portal's answer no longer has the expected shape); `meetings` is how many
    meetings it listed within the date window.
    """

    district_id: str
    platform: str
    portal_url: str
    status: str
    meetings: int = 0
    detail: str | None = None


def request_owner(meta: Mapping[str, Any]) -> str:
    """Name the district or state that a request's meta belongs to, for log lines."""
    if meta.get("district_id") or meta.get("robots_for"):
        return f"District {meta.get('district_id') or meta.get('robots_for')}"
    if meta.get("policy_state"):
        return f"State {meta['policy_state']}"
    return "No district"
