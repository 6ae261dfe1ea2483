"""Turn a fetched body (HTML, PDF or plain text) into main text and a publication date.

Nothing here imports Scrapy: the crawl's pipelines and `k12signals detect`
call the same `extract`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from k12signals.extraction.dates import find_text_date
from k12signals.extraction.html import extract_html
from k12signals.extraction.pdf import extract_pdf
from k12signals.extraction.sniff import decode_text, sniff_kind

logger = logging.getLogger(__name__)


@dataclass
class ExtractedPage:
    """A page's main text and what was read alongside it."""

    text: str
    """Main text without navigation, headers or footers; paragraphs end with "\\n"."""
    title: str | None = None
    published_at: str | None = None
    """Publication or meeting date as "YYYY-MM-DD", or None when the page shows none."""
    page_starts: list[int] | None = None
    """For a PDF, the offset in `text` where each page starts (index 0 is page 1)."""
    error: str | None = None
    """Reason the body could not be read; `text` is then empty."""
    kind: str = "html"
    """Format the body was read as: "html", "pdf" or "text"."""
    markup_errors: int = 0
    """For HTML, the markup errors (mismatched or stray tags) that the parser repaired."""
    first_markup_error: str | None = None


def extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    source_type: str = "district_site",
) -> ExtractedPage:
    """Extract main text and publication date from a body.

    Bad input never raises: an unreadable body, or a parser failure, returns a
    page with `error` set and empty text.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        return ExtractedPage(text="", error=f"body is {type(body).__name__}, expected bytes")
    body = bytes(body)
    if not body.strip():
        return ExtractedPage(text="", error="empty body")

    kind = sniff_kind(body, url=url, content_type=content_type)
    try:
        if kind == "pdf":
            return _extract_pdf(body, source_type)
        if kind == "html":
            return _extract_html(body, url, content_type, source_type)
        return _extract_plain(body, content_type, source_type)
    except Exception as error:  # noqa: BLE001 - a parser bug on one page must not stop a crawl
        logger.warning("extraction failed for %s: %r", url, error)
        return ExtractedPage(text="", error=f"{kind} extraction failed: {error!r}", kind=kind)


def _extract_pdf(body: bytes, source_type: str) -> ExtractedPage:
    text, page_starts, error = extract_pdf(body)
    if error:
        return ExtractedPage(text="", error=error, kind="pdf")
    return ExtractedPage(
        text=text,
        title=_first_line(text),
        published_at=find_text_date(text, source_type=source_type),
        page_starts=page_starts,
        kind="pdf",
    )


def _extract_html(body: bytes, url: str, content_type: str | None,
                  source_type: str) -> ExtractedPage:
    result = extract_html(body, url=url, content_type=content_type, source_type=source_type)
    if result.error:
        return ExtractedPage(text="", error=result.error, kind="html")
    return ExtractedPage(
        text=result.text,
        title=result.title,
        published_at=result.published_at,
        kind="html",
        markup_errors=result.markup_errors,
        first_markup_error=result.first_markup_error,
    )


def _extract_plain(body: bytes, content_type: str | None, source_type: str) -> ExtractedPage:
    text, error = decode_text(body, content_type)
    if error:
        return ExtractedPage(text="", error=error, kind="text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return ExtractedPage(
        text=text,
        title=_first_line(text),
        published_at=find_text_date(text, source_type=source_type),
        kind="text",
    )


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return None
