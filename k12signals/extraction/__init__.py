"""Turn a fetched body (HTML, PDF or plain text) into main text and a publication date.

Nothing here imports Scrapy: the crawl's pipelines and `k12signals detect`
call the same `extract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """Why the body could not be read; `text` is then empty."""
    links: list[str] = field(default_factory=list)


def extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    source_type: str = "district_site",
) -> ExtractedPage:
    """Extract main text and publication date from a body; never raises on bad input."""
    raise NotImplementedError
