"""Detectors that turn a page's main text into signals. No Scrapy import here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Detection:
    """The signals found on one page and the CBE stage the page supports."""

    cbe_stage: str | None = None
    signals: list[dict] = field(default_factory=list)


def detect(
    text: str,
    *,
    url: str | None = None,
    source_type: str = "district_site",
    state: str | None = None,
    published_at: str | None = None,
    page_starts: list[int] | None = None,
) -> Detection:
    raise NotImplementedError
