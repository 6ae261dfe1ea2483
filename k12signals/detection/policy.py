"""`state_policy` signals: a state's own CBE policy on a state agency page."""

from __future__ import annotations

import re

from k12signals.detection.context import STATE_NAMES, PageContext
from k12signals.detection.quotes import quote_for

# Labels that name CBE themselves; others (a waiver, planning grants) need a CBE
# phrase in the same paragraph.
_CBE_LABEL = re.compile(r"competency|mastery|proficiency|learning continuum", re.IGNORECASE)


def detect_policy(context: PageContext, page_has_cbe: bool) -> list[dict]:
    if context.source_type != "state_policy" or not context.state or not page_has_cbe:
        return []
    cbe_paragraphs = {sentence.paragraph for sentence in context.sentences
                      if context.hits_in(sentence.start, sentence.end, "cbe")}
    for sentence in context.sentences:
        passage = context.sentence_text(sentence)
        if context.hits_in(sentence.start, sentence.end, "policy_lookalike"):
            continue
        if context.mentions_foreign(passage):
            continue
        for hit in context.hits_in(sentence.start, sentence.end, "policy"):
            if not _CBE_LABEL.search(hit.value) and sentence.paragraph not in cbe_paragraphs:
                continue
            signal = {
                "kind": "state_policy",
                "label": hit.value,
                "state": context.state if context.state in STATE_NAMES else None,
                "quote": quote_for(context, sentence, hit.start, hit.end),
            }
            page = context.page_of(hit.start)
            if page:
                signal["page"] = page
            return [signal]
    return []
