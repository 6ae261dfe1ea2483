"""`cbe_language` signals and the page's CBE stage."""

from __future__ import annotations

import re
from collections import Counter

from k12signals.detection.context import PageContext
from k12signals.detection.quotes import MAX_PAIR_QUOTE, quote_span
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
_RETREAT_REACH = 40
# "Since September", "since late August": a start within this school year.
_RECENT_START = re.compile(
    r"\bsince (?:late |early |mid-?)?(?:january|february|august|september|october|november"
    r"|december|the fall|this fall|the start of (?:the|this) (?:school )?year)\b(?!,? \d{4})",
    re.IGNORECASE)
# Scope over every unit: "every Ohio district", "students in all grades".
_UNIVERSAL = re.compile(
    r"\b(?:every|all)\s+(?:[A-Za-z]+\s+){0,2}?(?:districts?|schools?|students?|grades|graduates?"
    r"|courses)\b", re.IGNORECASE)
# Duration: "for more than ten years", "for seven years".
_YEARS_RUNNING = re.compile(
    r"\bfor\s+(?:more\s+than\s+|over\s+|nearly\s+|almost\s+|the\s+(?:past|last)\s+)?"
    r"(\w+)\s+(?:school\s+)?years\b", re.IGNORECASE)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                 "twenty": 20, "several": 3, "many": 5}
_FIRST_READING = re.compile(r"\bfirst reading\b", re.IGNORECASE)
_SECOND_READING = re.compile(r"\b(?:second reading|adopted|voted to adopt|approved the)\b", re.I)
_YEARS_SINCE = re.compile(
    r"\bsince (?:the (?:fall|spring) of |the class of |fall |the |)((?:19|20)\d\d)(?:-\d\d)?\b",
    re.IGNORECASE)
# A policy just adopted is the early stage.
_ADOPTION = re.compile(
    r"\b(?:adopted|approved|voted to adopt)\b[^.]{0,60}\bpolic(?:y|ies)\b"
    r"|\bpolic(?:y|ies)\b[^.]{0,40}\b(?:adopted|approved)\b", re.IGNORECASE)
# Scope still to come: "will reach all four grades by 2029-30".
_FUTURE = re.compile(r"\b(?:will|starting with|beginning with)\b", re.IGNORECASE)
# A count of classes already graduated: "will be the seventh graduating class".
# A future verb next to it is about the next graduation, not the program's reach.
_ONGOING = re.compile(
    r"\b(?:third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:rd|th))\s+"
    r"(?:graduating\s+)?class\b|\bin a row\b|\byears running\b", re.IGNORECASE)
# A policy's title after its code: "Policy IKF-CB, Competency-Based Graduation
# Requirements". The title names the policy's subject but does not show how far
# the policy reaches, so stage cues inside it do not count.
_TITLE_WORD = r"(?:[A-Z][\w'\u2019-]*|of|and|for|the|in|on|to|with)"
_POLICY_TITLE = re.compile(
    r"\bPolicy\s+(?=[A-Z]*\d|[A-Z]{2})[A-Z0-9][\w.-]*\s*(?:[,:\u2013\u2014-]\s*|\(\s*)"
    rf"(?P<title>[A-Z][\w'\u2019-]*(?:[ \t]+{_TITLE_WORD})*)")


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
    if any(hit.category == "cbe_vendor" for hit in context.hits):
        return [], None
    masked = _masks(context)
    if not _strong_hits(context, 0, len(context.text), masked):
        return [], None
    candidates: list[tuple[Sentence, bool]] = []
    foreign_paragraphs: set[int] = set()
    page_has_foreign = False
    for sentence in context.sentences:
        passage = context.sentence_text(sentence)
        own = context.mentions_own(passage)
        foreign = context.mentions_foreign(passage)
        page_has_foreign = page_has_foreign or foreign
        if foreign and not own:
            foreign_paragraphs.add(sentence.paragraph)
            continue
        if sentence.paragraph in foreign_paragraphs and not own:
            continue
        if _is_label(passage):
            # A menu item, heading or table header names a topic; it says
            # nothing of what the district does, so it is no evidence alone.
            continue
        if _strong_hits(context, sentence.start, sentence.end, masked) and not _about_staff(
                context, sentence):
            candidates.append((sentence, own))

    if not candidates:
        return [], None
    if not any(own for _, own in candidates) and page_has_foreign:
        return [], None

    stage = _page_stage(context, [sentence for sentence, _ in candidates])
    best, quote_start, quote_end = _evidence(context, candidates, stage)
    hit = _strong_hits(context, best.start, best.end, masked)[0]
    signal = {
        "kind": "cbe_language",
        "label": _label(hit.phrase),
        "stage": stage,
        "quote": quote_span(context.text, quote_start, quote_end, hit.start, hit.end,
                            limit=MAX_PAIR_QUOTE),
    }
    page = context.page_of(best.start)
    if page:
        signal["page"] = page
    return [signal], stage


# Tense markers for choosing a quote: a sentence about what the district does
# now is better evidence than one about what it did once.
_PRESENT = re.compile(
    r"\b(?:is|are|has|now|currently|today|this (?:school )?year)\b"
    r"|(?<!\bmust )(?<!\bwill )(?<!\bwould )(?<!\bcould )(?<!\bshould )(?<!\bmay )\bhave\b",
    re.IGNORECASE)
_PAST = re.compile(r"\b(?:was|were|had|did)\b|\bin (?:19|20)\d\d\b(?!-)", re.IGNORECASE)


def _evidence(context: PageContext, candidates: list[tuple[Sentence, bool]], stage: str
              ) -> tuple[Sentence, int, int]:
    """Choose the CBE sentence that best shows the page's stage, and the span to quote.

    A sentence scores for the stage cues it carries, for naming the page's own
    district, for the present tense, and loses for being a heading. When a
    neighbouring sentence of the same paragraph carries the stage cues that the
    CBE sentence lacks, the quote spans both. Returns the CBE sentence and the
    [start, end) span of the quote; ties go to the earlier sentence.
    """
    sentences = context.sentences
    index_of = {sentence.start: index for index, sentence in enumerate(sentences)}
    best: tuple[int, Sentence, int, int] | None = None
    for sentence, own in candidates:
        support = _stage_support(context, sentence, stage, has_cbe=True)
        base = 2 * own + _tense(context.sentence_text(sentence))
        if context.paragraphs[sentence.paragraph].is_heading:
            base -= 4
        options = [(base + 3 * min(support, 3), sentence.start, sentence.end)]
        index = index_of[sentence.start]
        for neighbour in sentences[max(0, index - 1):index] + sentences[index + 1:index + 2]:
            start, end = min(sentence.start, neighbour.start), max(sentence.end, neighbour.end)
            if neighbour.paragraph != sentence.paragraph or end - start > MAX_PAIR_QUOTE:
                continue
            neighbour_support = _stage_support(context, neighbour, stage, has_cbe=False)
            if neighbour_support > support:
                # A pair is longer to read than one sentence, so it costs a point.
                options.append((base + 3 * min(neighbour_support, 3) - 1, start, end))
        for score, start, end in options:
            if best is None or score > best[0]:
                best = (score, sentence, start, end)
    _, sentence, start, end = best
    return sentence, start, end


def _stage_support(context: PageContext, sentence: Sentence, stage: str, *, has_cbe: bool) -> int:
    """Count the cues in a sentence for one stage.

    A retreat cue counts next to a CBE phrase in a CBE sentence, and anywhere
    in a neighbouring sentence, which goes on about the same program.
    """
    if stage != "retreat":
        return _sentence_scores(context, sentence)[stage]
    if has_cbe:
        return _retreat_next_to_cbe(context, sentence)
    return sum(1 for hit in context.hits_in(sentence.start, sentence.end, "stage")
               if hit.value == "retreat")


def _tense(passage: str) -> int:
    """Return 1 for a sentence in the present tense only, -1 for the past only, else 0."""
    present = bool(_PRESENT.search(passage))
    past = bool(_PAST.search(passage))
    return int(present) - int(past)


# A label: at most this many words and no sentence punctuation.
_LABEL_MAX_WORDS = 8
_SENTENCE_PUNCTUATION = re.compile(r"[.!?;:]")


def _is_label(passage: str) -> bool:
    words = passage.split()
    return len(words) <= _LABEL_MAX_WORDS and not _SENTENCE_PUNCTUATION.search(passage)


def _about_staff(context: PageContext, sentence: Sentence) -> bool:
    """Tell whether a CBE phrase is about staff hiring, training or a college degree, not students."""
    return bool(context.hits_in(sentence.start, sentence.end, "cbe_staff")) and not \
        context.hits_in(sentence.start, sentence.end, "cbe_student")


def _label(phrase: str) -> str:
    for word in ("competency", "mastery", "proficiency", "standards"):
        if word in phrase:
            return f"{word}-based education" if word != "standards" else "standards-based grading"
    if "pcbl" in phrase:
        return "personalized, competency-based learning"
    return "competency-based education"


def _page_stage(context: PageContext, candidates: list[Sentence]) -> str:
    """Weigh the stage cues in the paragraphs that carry CBE sentences.

    A paragraph that follows a CBE paragraph without a CBE phrase of its own
    usually goes on about the same program, so it counts too. Retreat wins
    when a retreat verb is next to a CBE phrase; otherwise the best-scoring
    stage wins, and with no cue at all a page describing CBE in use is "early".
    """
    # NOTE: this is a weighted vote over cue phrases. A page whose new policy will
    # later reach "every grade", or whose mature program is described in the future
    # tense, can still get the wrong stage.
    scores: Counter[str] = Counter()
    cbe_paragraphs = {sentence.paragraph for sentence in candidates}
    scope = set(cbe_paragraphs)
    for index in cbe_paragraphs:
        following = index + 1
        if following < len(context.paragraphs) and following not in cbe_paragraphs \
                and not context.paragraphs[following].is_heading:
            scope.add(following)
    candidate_starts = {sentence.start for sentence in candidates}
    for sentence in context.sentences:
        if sentence.paragraph in scope:
            # A heading or title names a topic in few words, so it weighs no more
            # than a body sentence without a CBE phrase.
            is_heading = context.paragraphs[sentence.paragraph].is_heading
            weight = 2 if sentence.start in candidate_starts and not is_heading else 1
            for stage, score in _sentence_scores(context, sentence).items():
                scores[stage] += weight * score
    for sentence in candidates:
        scores["retreat"] += 2 * _retreat_next_to_cbe(context, sentence)

    if scores["retreat"] >= 2:
        return "retreat"
    ranked = ["mature", "early", "exploring"]
    best = max(ranked, key=lambda stage: (scores[stage], -ranked.index(stage)))
    return best if scores[best] > 0 else "early"


def _retreat_next_to_cbe(context: PageContext, sentence: Sentence) -> int:
    """Retreat verbs within a few words of a CBE phrase: "voted to end proficiency-based grading"."""
    strong = context.hits_in(sentence.start, sentence.end, "cbe")
    count = 0
    for hit in context.hits_in(sentence.start, sentence.end, "stage"):
        if hit.value != "retreat":
            continue
        if any(-_RETREAT_REACH <= cbe.start - hit.end <= _RETREAT_REACH
               or -_RETREAT_REACH <= hit.start - cbe.end <= _RETREAT_REACH for cbe in strong):
            count += 1
    return count


def _sentence_scores(context: PageContext, sentence: Sentence) -> Counter[str]:
    """Count the stage cues of one sentence, each piece of evidence once."""
    scores: Counter[str] = Counter()
    passage = context.sentence_text(sentence)
    hypothetical = bool(_HYPOTHETICAL.search(passage))
    future = bool(_FUTURE.search(passage)) and not _ONGOING.search(passage)
    titles = [(sentence.start + match.start("title"), sentence.start + match.end("title"))
              for match in _POLICY_TITLE.finditer(passage)]
    counted: set[tuple[str, str]] = set()
    cue_spans: list[tuple[int, int]] = []
    for hit in context.hits_in(sentence.start, sentence.end, "stage"):
        stage = hit.value
        if (stage, hit.phrase) in counted:
            continue  # a phrase repeated in one sentence is one piece of evidence
        if any(start <= hit.start and hit.end <= end for start, end in titles):
            continue
        counted.add((stage, hit.phrase))
        if stage == "retreat":
            continue  # counted only next to a CBE phrase
        # A cue that contains its own negation ("not yet included") is not cancelled by it.
        if hypothetical and stage in {"mature", "early"} and not _HYPOTHETICAL.search(hit.phrase):
            continue
        if stage == "mature" and future:
            stage = "early"
        scores[stage] += 1
        cue_spans.append((hit.start, hit.end))
    if _ADOPTION.search(passage):
        scores["early"] += 2
    if _FIRST_READING.search(passage) and not _SECOND_READING.search(passage):
        scores["exploring"] += 1
    if _RECENT_START.search(passage):
        scores["early"] += 1
    # A scope phrase that is also a cue ("every student") was counted above.
    scope = [match for match in _UNIVERSAL.finditer(passage)
             if not any(start < sentence.start + match.end() and sentence.start + match.start() < end
                        for start, end in cue_spans)]
    if scope and not hypothetical:
        scores["early" if future else "mature"] += 1
    for match in _YEARS_RUNNING.finditer(passage):
        count = _NUMBER_WORDS.get(match.group(1).lower())
        if count is None and match.group(1).isdigit():
            count = int(match.group(1))
        if count is not None:
            scores["mature" if count >= 3 else "early"] += 1
    published = re.match(r"(\d{4})-\d\d-\d\d", context.published_at or "")
    year = int(published.group(1)) if published else None
    for match in _YEARS_SINCE.finditer(passage):
        started = int(match.group(1))
        if year is None or year - started >= 3:
            scores["mature"] += 1
        else:
            scores["early"] += 1
    return scores
