"""Fetched documents as both spiders read them: their kind, their validators, and whether they changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from scrapy.http import Response, TextResponse

from crawlers.items import PageItem, PageUnchangedItem
from crawlers.links import page_links
from k12signals import storage
from k12signals.detector_version import detector_version

HTML_TYPES = ("text/html", "application/xhtml")
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class DocumentKind:
    """Media type of a response (lower case, without parameters) and whether to read it as PDF or HTML."""

    media_type: str
    is_pdf: bool
    is_html: bool


def document_kind(response: Response) -> DocumentKind:
    """Classify a response by its bytes first, then its Content-Type: a PDF often arrives with a wrong type."""
    media_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
    is_pdf = response.body[:5] == b"%PDF-" or media_type == PDF_TYPE
    is_html = not is_pdf and (isinstance(response, TextResponse) or media_type.startswith(HTML_TYPES))
    return DocumentKind(media_type, is_pdf, is_html)


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def body_hash(response: Response) -> str:
    return hashlib.sha256(response.body).hexdigest()


def unchanged_item(url: str, district_id: str | None, status: int | None, stored: dict, stats) -> PageUnchangedItem:
    """Build the item that refreshes an unchanged stored page, and count it.

    `status` is that of the response that showed the page unchanged, or None
    when the sitemap did and no request was sent.
    """
    if status is None:
        stats.inc_value("k12signals/incremental/skipped_by_sitemap")
    else:
        stats.inc_value(f"k12signals/incremental/unchanged_{status}")
    return PageUnchangedItem(
        url=url,
        district_id=district_id,
        status=status,
        redetect=stored.get("detector_version") != detector_version(),
    )


def read_fetched_page(
    response: Response, district_id: str | None, stats, build_item: Callable[[DocumentKind, str, list], PageItem]
) -> tuple[PageItem | PageUnchangedItem | None, list]:
    """Return the item for a fetched page and the links to follow from it.

    A stored page that got a 304 response, or the same body again, gives an
    unchanged item. A new or changed page gives `build_item(kind, body hash,
    links)`. A 304 follows the links stored with the page. A response that is
    neither HTML nor PDF gives (None, []), counted as not a document.
    """
    stored = response.meta.get("stored_page")
    if response.status == 304 and stored is not None:
        return unchanged_item(response.url, district_id, response.status, stored, stats), stored.get("links") or []

    kind = document_kind(response)
    if not (kind.is_pdf or kind.is_html):
        stats.inc_value("k12signals/skipped/not_a_document")
        return None, []

    links = page_links(response) if kind.is_html and isinstance(response, TextResponse) else []
    fingerprint = body_hash(response)
    if stored is not None and stored.get("body_hash") == fingerprint:
        return unchanged_item(response.url, district_id, response.status, stored, stats), links
    return build_item(kind, fingerprint, links), links


def page_item(
    response: Response, *, district_id: str | None, state: str | None, source_type: str, kind: DocumentKind,
    fingerprint: str, links: list,
) -> PageItem:
    """Build the item of a fetched page, with its body, validators and links, for the pipelines."""
    return PageItem(
        url=response.url,
        district_id=district_id,
        state=state,
        source_type=source_type,
        status=response.status,
        content_type=PDF_TYPE if kind.is_pdf else (kind.media_type or "text/html"),
        body=response.body,
        fetched_at=storage.utc_now(),
        etag=header(response, b"ETag"),
        last_modified=header(response, b"Last-Modified"),
        body_hash=fingerprint,
        links=links,
    )
