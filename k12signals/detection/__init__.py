"""Detectors that turn a page's main text into signals. No Scrapy import here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from k12signals.detection.cbe import detect_cbe
from k12signals.detection.context import PageContext
from k12signals.detection.policy import detect_policy
from k12signals.detection.principals import detect_principals
from k12signals.detection.roles import detect_roles


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
    """Find CBE language, CBE roles, principal appointments and state policy in a page's text.

    `published_at` resolves start dates written without a year, and
    `page_starts` (from a PDF) adds a 1-based `page` to each signal. A
    `published_at` that is not a valid ISO date counts as missing.
    """
    if not text or not text.strip():
        return Detection()
    published_at = _valid_iso_date(published_at)
    context = PageContext.build(text, url=url, source_type=source_type, state=state,
                                published_at=published_at, page_starts=page_starts)
    cbe_signals, stage = detect_cbe(context)
    signals = list(cbe_signals)
    signals += detect_roles(context, page_has_cbe=bool(cbe_signals))
    signals += detect_principals(context)
    signals += detect_policy(context, cbe_signals)
    return Detection(cbe_stage=stage, signals=signals)


def _valid_iso_date(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except (TypeError, ValueError):
        return None
