"""Quotes: exact passages of the page's text that show a signal."""

from __future__ import annotations

from k12signals.detection.context import PageContext
from k12signals.detection.segments import Sentence

MAX_QUOTE = 400
# A quote of two whole sentences, where the second carries evidence that the
# first lacks, may run to this many characters before it is cut.
MAX_PAIR_QUOTE = 600


def quote_span(text: str, start: int, end: int, focus_start: int, focus_end: int,
               limit: int = MAX_QUOTE) -> str:
    """Text of [start, end) stripped of white space at its ends, cut to about
    `limit` characters around [focus_start, focus_end) at word boundaries."""
    if end - start > limit:
        middle = (focus_start + focus_end) // 2
        new_start = max(start, middle - limit // 2)
        new_end = min(end, new_start + limit)
        if new_start > start:
            space = text.find(" ", new_start, focus_start)
            new_start = space + 1 if space != -1 else new_start
        if new_end < end:
            space = text.rfind(" ", focus_end, new_end)
            new_end = space if space != -1 else new_end
        start, end = new_start, new_end
    return text[start:end].strip()


def quote_for(context: PageContext, sentence: Sentence, focus_start: int, focus_end: int) -> str:
    return quote_span(context.text, sentence.start, sentence.end, focus_start, focus_end)
