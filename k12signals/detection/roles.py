"""`cbe_role` signals: CBE role titles and their holders."""

from __future__ import annotations

import re

from k12signals.detection.context import PageContext
from k12signals.detection.names import is_bare_name, people
from k12signals.detection.quotes import quote_span
from k12signals.detection.segments import Sentence
from k12signals.detection.vocabulary import Hit, current_vocabulary

# How far before or after a title the holder's name may sit in a sentence.
_NAME_BEFORE = 160
_NAME_AFTER = 40


def _sentence_at(context: PageContext, offset: int) -> Sentence | None:
    for sentence in context.sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return None


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    return text.rfind("\n", 0, start) + 1, (text.find("\n", end) + 1 or len(text) + 1) - 1


def _holder(context: PageContext, hit: Hit, sentence: Sentence) -> str | None:
    text = context.text
    line_start, line_end = _line_bounds(text, hit.start, hit.end)
    line = text[line_start:line_end]
    if "\t" in line:
        # A table row: the holder is the cell that is a name.
        for cell in line.split("\t"):
            if is_bare_name(cell):
                return cell.strip()
        return None

    before = [name for name in people(text, max(sentence.start, hit.start - _NAME_BEFORE), hit.start)
              if name.end <= hit.start]
    if before:
        return before[-1].value
    after = [name for name in people(text, hit.end, min(sentence.end, hit.end + _NAME_AFTER))]
    if after and not re.search(r"[.;]", text[hit.end:after[0].start]):
        return after[0].value

    # A staff card: the name on its own line just above a title that opens its line.
    if not text[line_start:hit.start].strip():
        previous_end = line_start - 1
        previous_start = text.rfind("\n", 0, max(previous_end, 0)) + 1
        previous = text[previous_start:previous_end]
        if previous.strip() and is_bare_name(previous):
            return previous.strip()
    return None


def _is_cbe_learning_coach(context: PageContext, hit: Hit, sentence: Sentence,
                           page_has_cbe: bool) -> bool:
    """Accept a Learning Coach or Guide only as a staff role in a CBE program."""
    settings = current_vocabulary().get("learning_coach", {})
    text = context.text
    preceding = text[max(0, hit.start - 30):hit.start].lower().split()
    if preceding and preceding[-1].strip("-,") in set(settings.get("excluded_prefixes", [])):
        return False
    if not page_has_cbe:
        return False
    passage = text[sentence.start:sentence.end].lower()
    following = [other for other in context.sentences
                 if other.paragraph == sentence.paragraph and other.start >= sentence.start][:2]
    window = " ".join(text[other.start:other.end].lower() for other in following) or passage
    if any(re.search(r"\b" + re.escape(word) + r"\b", passage)
           for word in settings.get("parent_words", [])):
        return False
    return any(re.search(r"\b" + re.escape(word), window)
               for word in settings.get("cbe_staff_words", []))


def detect_roles(context: PageContext, page_has_cbe: bool) -> list[dict]:
    signals: list[dict] = []
    best: dict[str, dict] = {}
    for hit in (hit for hit in context.hits if hit.category == "role"):
        sentence = _sentence_at(context, hit.start)
        if sentence is None:
            continue
        if hit.value == "learning_coach" and not _is_cbe_learning_coach(
                context, hit, sentence, page_has_cbe):
            continue
        person = _holder(context, hit, sentence)
        signal = {
            "kind": "cbe_role",
            "label": hit.value,
            "title": re.sub(r"\s+", " ", context.text[hit.start:hit.end]),
            "person": person,
            "quote": quote_span(context.text, sentence.start, sentence.end, hit.start, hit.end),
        }
        page = context.page_of(hit.start)
        if page:
            signal["page"] = page
        key = f"{hit.value}|{person or ''}"
        if key in best:
            continue
        if person is None and any(existing["label"] == hit.value for existing in best.values()):
            continue
        best[key] = signal
        signals.append(signal)
    # A title without a holder adds nothing once the same label has a named holder.
    named = {signal["label"] for signal in signals if signal["person"]}
    return [signal for signal in signals if signal["person"] or signal["label"] not in named]
