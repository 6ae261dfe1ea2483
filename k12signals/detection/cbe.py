"""`cbe_language` signals and the page's CBE stage."""

from __future__ import annotations

import re
from collections import Counter

from k12signals.detection.context import PageContext
from k12signals.detection.quotes import quote_for
from k12signals.detection.segments import Sentence
from k12signals.detection.vocabulary import Hit

STAGES = ("exploring", "early", "mature", "retreat")
# Words that make a sentence hypothetical, negated or about the future: it then
# shows what is being studied, not what students have now.
_HYPOTHETICAL = re.compile(
    r"\b(?:no|not|never|without|unchanged|would|could|might|whether|if|until|earliest|before"
    r"|proposed|propose|recommendation|consider|remain)\b|n't\b",
    re.IGNORECASE,
)
_FIRST_READING = re.compile(r"\bfirst reading\b", re.IGNORECASE)
_SECOND_READING = re.compile(r"\b(?:second reading|adopted|voted to adopt|approved the)\b", re.I)
_YEARS_SINCE = re.compile(r"\bsince (?:the (?:fall|spring) of |the class of |fall |)((?:19|20)\d\d)\b",
                          re.IGNORECASE)


def _strong_hits(context: PageContext, start: int, end: int, masked: list[tuple[int, int]]
                 ) -> list[Hit]:
    found = []
    for hit in context.hits_in(start, end, "cbe"):
        if any(mask_start <= hit.start and hit.end <= mask_end for mask_start, mask_end in masked):
            continue
        found.append(hit)
    return found


def _masks(context: PageContext) -> list[tuple[int, int]]:
    """Spans where a CBE phrase means something else: look-alikes and role titles."""
    return [(hit.start, hit.end) for hit in context.hits
            if hit.category in {"cbe_lookalike", "role"}]


def detect_cbe(context: PageContext) -> tuple[list[dict], str | None]:
    masked = _masks(context)
    candidates: list[tuple[Sentence, bool]] = []
    foreign_paragraphs: set[int] = set()
    page_has_foreign = False
    for sentence in context.sentences:
        passage = context.sentence_text(sentence)
        own = context.mentions_own(passage)
        foreign = context.mentions_foreign(passage)
        if foreign and not own:
            foreign_paragraphs.add(sentence.paragraph)
            page_has_foreign = True
            continue
        if sentence.paragraph in foreign_paragraphs and not own:
            continue
        if _strong_hits(context, sentence.start, sentence.end, masked):
            candidates.append((sentence, own))

    if not candidates:
        return [], None
    if not any(own for _, own in candidates) and (page_has_foreign or len(candidates) < 2):
        return [], None

    stage = _page_stage(context, [sentence for sentence, _ in candidates])
    best = next((sentence for sentence, own in candidates if own), candidates[0][0])
    hit = _strong_hits(context, best.start, best.end, masked)[0]
    signal = {
        "kind": "cbe_language",
        "label": _label(hit.phrase),
        "stage": stage,
        "quote": quote_for(context, best, hit.start, hit.end),
    }
    page = context.page_of(best.start)
    if page:
        signal["page"] = page
    return [signal], stage


def _label(phrase: str) -> str:
    for word in ("competency", "mastery", "proficiency", "standards"):
        if word in phrase:
            return f"{word}-based education" if word != "standards" else "standards-based grading"
    if "pcbl" in phrase:
        return "personalized, competency-based learning"
    return "competency-based education"


def _page_stage(context: PageContext, candidates: list[Sentence]) -> str:
    """Weigh the stage cues around the CBE sentences; the present state wins over history."""
    scores: Counter[str] = Counter()
    by_paragraph: dict[int, list[Sentence]] = {}
    for sentence in context.sentences:
        by_paragraph.setdefault(sentence.paragraph, []).append(sentence)

    seen: set[int] = set()
    for sentence in candidates:
        neighbours = by_paragraph[sentence.paragraph]
        index = neighbours.index(sentence)
        window = neighbours[max(0, index - 1): index + 2]
        for other in window:
            if other.start in seen:
                continue
            seen.add(other.start)
            weight = 2 if other is sentence else 1
            _score_sentence(context, other, weight, scores)

    if scores["retreat"] >= 2 and scores["retreat"] >= scores["mature"] / 2:
        return "retreat"
    ranked = [stage for stage in ("mature", "early", "exploring")]
    return max(ranked, key=lambda stage: (scores[stage], -ranked.index(stage)))


def _score_sentence(context: PageContext, sentence: Sentence, weight: int,
                    scores: Counter[str]) -> None:
    passage = context.sentence_text(sentence)
    hypothetical = bool(_HYPOTHETICAL.search(passage))
    for hit in context.hits_in(sentence.start, sentence.end, "stage"):
        stage = hit.value
        if hypothetical and stage in {"mature", "early"}:
            continue
        scores[stage] += weight
    if _FIRST_READING.search(passage) and not _SECOND_READING.search(passage):
        scores["exploring"] += weight
    year = int(context.published_at[:4]) if context.published_at else None
    for match in _YEARS_SINCE.finditer(passage):
        started = int(match.group(1))
        if year is None or year - started >= 3:
            scores["mature"] += weight
        else:
            scores["early"] += weight
