"""`state_policy` signals: a state's own CBE policy on a state agency page."""

from __future__ import annotations

from k12signals.detection.context import STATE_NAMES, PageContext
from k12signals.detection.quotes import quote_for


def detect_policy(context: PageContext, cbe_signals: list[dict]) -> list[dict]:
    """Report a state policy where a state agency page uses CBE language about its own state.

    The label is the policy phrase found in the CBE sentence, else in its
    paragraph, else the CBE phrase itself. Sentences with look-alikes (online-learning waivers,
    Districts of Innovation, strategic waivers) and pages about another state
    give nothing.
    """
    if context.source_type != "state_policy" or context.state not in STATE_NAMES:
        return []
    if not cbe_signals:
        return []
    for sentence in context.sentences:
        passage = context.sentence_text(sentence)
        strong = context.hits_in(sentence.start, sentence.end, "cbe")
        if not strong or context.hits_in(sentence.start, sentence.end, "policy_lookalike"):
            continue
        if context.mentions_foreign(passage) or not context.mentions_own(passage):
            continue
        # A policy phrase in the sentence itself names the policy best; else one in its paragraph.
        paragraph = context.paragraphs[sentence.paragraph]
        labels = context.hits_in(sentence.start, sentence.end, "policy") or context.hits_in(
            paragraph.start, paragraph.end, "policy"
        )
        label = labels[0].value if labels else cbe_signals[0]["label"]
        focus = labels[0] if labels and sentence.start <= labels[0].start < sentence.end \
            else strong[0]
        signal = {
            "kind": "state_policy",
            "label": label,
            "state": context.state,
            "quote": quote_for(context, sentence, focus.start, focus.end),
        }
        page = context.page_of(focus.start)
        if page:
            signal["page"] = page
        return [signal]
    return []
