"""`principal_appointment` signals: a named person newly appointed to lead a school."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from k12signals.detection.context import PageContext
from k12signals.detection.names import SCHOOL_WORDS, Name, is_bare_name, people, schools
from k12signals.detection.quotes import MAX_PAIR_QUOTE, MAX_QUOTE, quote_span
from k12signals.detection.segments import Sentence, clauses, is_heading_line
from k12signals.detection.vocabulary import ENVIRONMENT_VARIABLE, load_vocabulary
from k12signals.extraction.dates import MONTH, DATE_PATTERN, match_to_iso

_POSITION = re.compile(
    r"\b(?:(?P<kind>interim|acting|assistant|associate|vice|co|deputy)[\s-]+)?principals?\b(?!ship)",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(rf"\b(?P<month>{MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{4}})",
                        re.IGNORECASE)
_START_WORDS = re.compile(
    r"\b(?:effective|beginning|begins|begin|starting|starts|start|as of|take over|takes over"
    r"|takes? effect|on)\b", re.IGNORECASE)
_SAME_DAY = re.compile(r"\b(?:the same (?:day|date)|same effective date|also effective)\b", re.I)
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
# Row layout of a personnel table: a name directly followed by the position.
_ROW_POSITION = re.compile(
    r"^\s*(?P<name>[^\t\n]{3,60}?)(?:\t+|\s*,\s*|\s+)(?P<position>(?:(?:Interim|Acting|Assistant"
    r"|Associate|Vice|Co)[\s-]+)?Principal)\b", re.IGNORECASE)


_MAJOR_HEADING = re.compile(r"^(?:[IVX]+|[A-Z]|\d+(?:\.\d+)*)[.)]\s+\S|^[^a-z]{4,}$")
_BULLET = re.compile(r"^[\s\-\u2022*\u00b7]+")


# A clause with one of these verbs is a sentence, not a row of a personnel table.
_FINITE_VERB = re.compile(r"\b(?:will|has|have|is|was|are|were|had)\b")


def _is_row_line(passage: str) -> bool:
    row = _ROW_POSITION.match(_BULLET.sub("", passage))
    return bool(row) and is_bare_name(row.group("name")) and not _FINITE_VERB.search(passage)


def _words(phrases: list[str]) -> re.Pattern:
    body = "|".join(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in phrases)
    return re.compile(r"\b(?:" + body + r")\b", re.IGNORECASE)


def _patterns() -> dict[str, re.Pattern]:
    return _compiled_patterns(os.environ.get(ENVIRONMENT_VARIABLE) or None)


@lru_cache(maxsize=4)
def _compiled_patterns(extra_path: str | None) -> dict[str, re.Pattern]:
    settings = load_vocabulary(extra_path).get("principal", {})
    return {
        "appointment": _words(settings.get("appointment_cues", ["appointed"])),
        "departure": _words(settings.get("departure_cues", ["retire"])),
        "lookalike": _words(settings.get("lookalikes", ["principal and interest"])),
        "hire_section": _words(settings.get("hire_sections", ["new hires"])),
        "departure_section": _words(settings.get("departure_sections", ["resignations"])),
    }


def _position_label(kind: str | None) -> str:
    kind = (kind or "").lower()
    if kind in {"interim", "acting"}:
        return "interim_principal"
    if kind in {"assistant", "associate", "vice", "deputy"}:
        return "assistant_principal"
    return "principal"


def resolve_month_day(month: int, day: int, page_date: str | None) -> str | None:
    """Return the first such day on or after the page's date, or None without a page date."""
    if not page_date:
        return None
    reference = dt.date.fromisoformat(page_date)
    for year in (reference.year, reference.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= reference:
            return candidate.isoformat()
    return None


def _effective_date(passage: str, page_date: str | None, *, table_row: bool) -> str | None:
    """Find the start date in a passage: a full date, or a month and day resolved against the page date."""
    found = _find_effective_date(passage, page_date, table_row=table_row)
    return found[0] if found else None


def _find_effective_date(passage: str, page_date: str | None, *, table_row: bool
                         ) -> tuple[str | None, int] | None:
    """Return the start date of a passage and the offset where its text ends, or None.

    The date is None when a month and day have no page date to take a year from.
    """
    for match in DATE_PATTERN.finditer(passage):
        before = passage[max(0, match.start() - 40):match.start()]
        if table_row or _START_WORDS.search(before):
            iso = match_to_iso(match)
            if iso:
                return iso, match.end()
    for match in _MONTH_DAY.finditer(passage):
        before = passage[max(0, match.start() - 40):match.start()]
        if _START_WORDS.search(before):
            return resolve_month_day(_MONTHS[match.group("month")[:3].lower()],
                                     int(match.group("day")), page_date), match.end()
    return None


def _section_kind(heading: str | None, patterns: dict[str, re.Pattern]) -> str | None:
    if not heading:
        return None
    if patterns["departure_section"].search(heading):
        return "departure"
    if patterns["hire_section"].search(heading):
        return "hire"
    return None


def _surname(person: str) -> str:
    return person.split()[-1]


# A clause yields an appointment only with one of these: _POSITION needs the word
# "principal", and _LEADS_WORDS finds a post given without it.
_LEADS_WORDS = re.compile(r"\b(?:will|to)\s+(?:lead|head)\b")


def detect_principals(context: PageContext) -> list[dict]:
    text = context.text
    if "principal" not in text.lower() and not _LEADS_WORDS.search(text):
        return []
    patterns = _patterns()
    found: dict[str, dict] = {}
    last_date: str | None = None
    section: str | None = None

    by_paragraph: dict[int, list[Sentence]] = {}
    for sentence in context.sentences:
        by_paragraph.setdefault(sentence.paragraph, []).append(sentence)

    for sentence in context.sentences:
        passage = text[sentence.start:sentence.end]
        if _is_row_line(passage):
            pass
        elif is_heading_line(passage):
            kind = _section_kind(passage, patterns)
            if kind or _MAJOR_HEADING.match(passage.strip()):
                section = kind
            continue
        elif len(passage) < 120 and not passage.rstrip().endswith(".") and (
                _section_kind(passage[:30], patterns)):
            section = _section_kind(passage[:30], patterns)
            continue
        elif passage.rstrip().endswith(":") and patterns["appointment"].search(passage):
            # "The Board approved the personnel report, including the following:"
            section = "departure" if patterns["departure"].search(passage) else "hire"
        for clause_start, clause_end in clauses(text, sentence):
            for signal in _clause_appointments(context, clause_start, clause_end, sentence,
                                               patterns, section, by_paragraph):
                if signal["effective_date"] is None and _SAME_DAY.search(
                        text[clause_start:clause_end]):
                    signal["effective_date"] = last_date
                if signal["effective_date"]:
                    last_date = signal["effective_date"]
                key = signal["person"].lower()
                if key not in found:
                    found[key] = signal
                else:
                    # A headline and the story name the same appointment; keep what each adds.
                    for field in ("school", "effective_date"):
                        if found[key][field] is None and signal[field] is not None:
                            found[key][field] = signal[field]
                    found[key]["_options"] += signal["_options"]
    return [_finish(context, signal) for signal in found.values()]


def _clause_appointments(context: PageContext, start: int, end: int, sentence: Sentence,
                         patterns: dict[str, re.Pattern], section: str | None,
                         by_paragraph: dict[int, list[Sentence]]) -> list[dict]:
    text = context.text
    clause = text[start:end]
    positions = list(_POSITION.finditer(clause))
    if positions:
        masked = [(m.start(), m.end()) for m in patterns["lookalike"].finditer(clause)]
        positions = [m for m in positions if not any(a <= m.start() < b for a, b in masked)]
    if not positions and not _LEADS_WORDS.search(clause):
        return []

    bullet = _BULLET.match(clause)
    if bullet:
        start += bullet.end()
        clause = text[start:end]
    row = _ROW_POSITION.match(clause)
    if row and is_bare_name(row.group("name")) and not _FINITE_VERB.search(clause):
        if section != "hire" or patterns["departure"].search(clause):
            return []
        return _row_appointment(context, start, end, row, sentence)

    if not patterns["appointment"].search(clause):
        return []
    chosen: dict[str, tuple[int, Name, re.Match]] = {}
    for position in positions:
        found = _person_for(context, start, end, position)
        if found is None:
            continue
        person, strength = found
        key = person.value.lower()
        if key not in chosen or strength > chosen[key][0]:
            chosen[key] = (strength, person, position)
    for strength, person, position in _led_schools(context, start, end):
        key = person.value.lower()
        if key not in chosen:
            chosen[key] = (strength, person, position)

    results = []
    for strength, person, position in list(chosen.values()):
        # "appointed Janelle Voss and Marcus Tilley as co-principals": both names.
        partner = _partner_before(context, start, person)
        if partner and partner.value.lower() not in chosen and strength == 2:
            chosen[partner.value.lower()] = (strength, partner, position)
    for _strength, person, position in chosen.values():
        if _departs(clause, person.start - start, patterns["departure"]):
            continue
        school = _school_for(context, start, end, position, person)
        date = _effective_date(clause[position.start():], context.published_at, table_row=False)
        if date is None:
            date = _effective_date(clause, context.published_at, table_row=False)
        dating_sentence = None
        if date is None:
            nearby = _date_nearby(context, sentence, person.value, by_paragraph)
            if nearby:
                date, dating_sentence = nearby
        kind = position.group("kind") if "kind" in position.re.groupindex else None
        signal = _signal(context, person.value, school, _position_label(kind),
                         date, sentence, start + position.start())
        if dating_sentence is not None:
            _add_dating_options(context, signal, sentence, dating_sentence)
        results.append(signal)
    return results


# Where a clause turns to another person or event: "..., while Principal X is on leave".
_CLAUSE_TURN = re.compile(
    r"\b(?:while|who|whose|after|when|because|succeeds|succeeding|replaces|replacing|following"
    r"|since)\b|[;:]", re.IGNORECASE)


_AWARD = re.compile(r"\b(?:of\s+the\s+year|finalist|award|awarded|congratulat\w*|honored)\b",
                    re.IGNORECASE)


def _departs(clause: str, offset: int, departure: re.Pattern) -> bool:
    """Tell whether the part of the clause around a person is about a departure.

    Award words count anywhere in the clause, because an award sentence names
    the winner's post without appointing anyone to it.
    """
    if _AWARD.search(clause):
        return True
    cuts = [0] + [match.start() for match in _CLAUSE_TURN.finditer(clause)] + [len(clause)]
    for left, right in zip(cuts, cuts[1:]):
        if left <= offset < right or (offset < 0 and left == 0):
            return bool(departure.search(clause, left, right))
    return bool(departure.search(clause))


_LEADS = re.compile(r"\s+(?:will|to)\s+(?:lead|head)\s+$")


def _led_schools(context: PageContext, start: int, end: int) -> list[tuple[int, Name, re.Match]]:
    """ "NAME will lead SCHOOL": an appointment to lead a school without the word principal."""
    text = context.text
    found = []
    for school in schools(text, start, end):
        names = people(text, start, school.start)
        if names and _LEADS.fullmatch(text[names[-1].end:school.start]):
            match = re.compile(r"(?P<school>.+)", re.S).match(text, school.start, school.end)
            found.append((2, names[-1], _Shifted(match, start)))
    return found


class _Shifted:
    """A match whose offsets are relative to a clause start, like _POSITION matches."""

    def __init__(self, match: re.Match, offset: int) -> None:
        self._match = match
        self._offset = offset
        self.re = match.re

    def start(self, *group) -> int:
        return self._match.start(*group) - self._offset

    def end(self, *group) -> int:
        return self._match.end(*group) - self._offset

    def group(self, *group):
        return self._match.group(*group)


_APPOINTING_BEFORE = re.compile(
    r"\b(?:appoint|appoints|appointed|name|names|named|hire|hired|employ|employment\s+of|hire\s+of"
    r"|approved|approve|approves|welcomes|welcome|selected|select|recommend|promote|promoted)"
    r"(?:\s+(?:of|the|hire|appointment|employment))*\s*$", re.IGNORECASE)
_APPOINTING_BETWEEN = re.compile(
    r"\b(?:as|serve|become|becomes|named|appointed|recommended|selected|lead|tenure\s+area|the\s+next"
    r"|to\s+(?:a|the))\b", re.IGNORECASE)


def _person_for(context: PageContext, start: int, end: int, position: re.Match
                ) -> tuple[Name, int] | None:
    """Find the person a principal post goes to, with the strength of the link.

    Strength 2: "NAME as principal", "appoint NAME to ... Principal", "name NAME
    the next principal". Strength 1: "NAME, Principal" or "Principal NAME", which
    is often a current title.
    """
    text = context.text
    at = start + position.start()
    before = [name for name in people(text, start, at) if not _is_place(context, name.value)]
    if before:
        candidate = before[-1]
        between = text[candidate.end:at]
        words = len(between.split())
        if not re.search(r"[.;]", between) and words <= 12:
            lead_in = text[max(start, candidate.start - 30):candidate.start]
            if _APPOINTING_BETWEEN.search(between) or _APPOINTING_BEFORE.search(lead_in):
                return candidate, 2
            if words == 0 or re.fullmatch(r"\s*,\s*(?:the\s+)?", between):
                return candidate, 1
    after = [name for name in people(text, start + position.end(), end)
             if not _is_place(context, name.value)]
    if after and re.fullmatch(r"[\s,]*", text[start + position.end():after[0].start]):
        return after[0], 1
    return None


def _partner_before(context: PageContext, start: int, person: Name) -> Name | None:
    names = [name for name in people(context.text, start, person.start)]
    if names and re.fullmatch(r"\s*(?:,\s*)?and\s+", context.text[names[-1].end:person.start]):
        return names[-1]
    return None


def _is_place(context: PageContext, value: str) -> bool:
    """Tell whether a capitalized pair is also the start of a school's name on the page."""
    return bool(re.search(re.escape(value) + r"\s+" + SCHOOL_WORDS, context.text))


def _school_for(context: PageContext, start: int, end: int, position: re.Match,
                person: Name) -> str | None:
    text = context.text
    at = start + position.end()
    following = schools(text, at, min(end, at + 120))
    if following and re.fullmatch(r"[\s,]*(?:of|at|for|,|in|assigned\s+to)?[\s]*(?:the\s+)?",
                                  text[at:following[0].start], re.IGNORECASE):
        return following[0].value
    for school in schools(text, start, end):
        before = text[max(start, school.start - 12):school.start]
        if re.search(r"\b(?:lead|at|of|for)\s+(?:the\s+)?$", before, re.IGNORECASE) and \
                school.start > person.end:
            return school.value
    before_schools = [school for school in schools(text, start, start + position.start())
                      if re.fullmatch(r"[\s']*(?:s\s+)?(?:new\s+|next\s+|interim\s+|assistant\s+)?",
                                      text[school.end:start + position.start()], re.I)]
    if before_schools:
        return before_schools[-1].value
    # "Dogwood Trace Elementary School welcomes NAME as its new principal."
    subject = schools(text, start, person.start)
    if subject and re.match(r"\s*(?:welcomes|has named|named|names|announces)\b",
                            text[subject[0].end:person.start], re.IGNORECASE):
        return subject[0].value
    return None


def _date_nearby(context: PageContext, sentence: Sentence, person: str,
                 by_paragraph: dict[int, list[Sentence]]) -> tuple[str, Sentence] | None:
    """Find a start date stated in a nearby sentence about the same appointment.

    The next sentences of the paragraph may refer to the person by surname or
    pronoun; the first sentences of the next paragraph only by surname. Last, a
    sentence elsewhere that dates the page's appointments as a group ("Both
    appointments take effect July 1, 2026") applies. Returns the date and the
    sentence that states it.
    """
    surname = _surname(person)
    siblings = by_paragraph.get(sentence.paragraph, [])
    candidates = [(other, True) for other in siblings if other.start > sentence.start][:2]
    candidates += [(other, False) for other in by_paragraph.get(sentence.paragraph + 1, [])[:2]]
    for other, same_paragraph in candidates:
        passage = context.text[other.start:other.end]
        if people(passage) and surname not in passage:
            continue
        pronoun = same_paragraph and re.search(
            r"\b(?:both|each|they|she|he|her|his|their|the appointments?)\b", passage, re.I)
        if surname in passage or pronoun:
            date = _effective_date(passage, context.published_at, table_row=False)
            if date:
                return date, other
    for other in context.sentences:
        passage = context.text[other.start:other.end]
        if re.search(r"\bappointments\b", passage, re.I) and not people(passage):
            date = _effective_date(passage, context.published_at, table_row=False)
            if date:
                return date, other
    return None


def _row_appointment(context: PageContext, start: int, end: int, row: re.Match,
                     sentence: Sentence) -> list[dict]:
    text = context.text
    names = people(text, start, start + row.end("name"))
    if not names:
        return []
    person = names[-1]
    rest_start = start + row.end("position")
    # A wrapped row continues on the next short lines until the next name.
    rest_end = end
    following = text[end:end + 120]
    extra = re.match(r"(?:\n[^\n\t]{1,30}){1,3}", following)
    if extra and not people(extra.group(0)):
        rest_end = end + extra.end()
    rest = text[rest_start:rest_end]
    school_names = schools(text, rest_start, rest_end)
    school = school_names[0].value if school_names else None
    date = _effective_date(rest, context.published_at, table_row=True)
    kind = re.match(r"(\w+)[\s-]+principal", row.group("position"), re.IGNORECASE)
    position = _position_label(kind.group(1) if kind else None)
    return [_signal(context, person.value, school, position, date, sentence,
                    start + row.start("position"), quote_end=end)]


def _signal(context: PageContext, person: str, school: str | None, position: str,
            date: str | None, sentence: Sentence, focus: int, quote_end: int | None = None) -> dict:
    """Build a signal whose quote is chosen later, from its `_options`, by `_finish`."""
    return {
        "kind": "principal_appointment",
        "person": person,
        "school": school,
        "position": position,
        "effective_date": date,
        "_options": [_QuoteOption(sentence.start, quote_end or sentence.end, focus,
                                  table_row=quote_end is not None)],
    }


@dataclass
class _QuoteOption:
    """A passage that could be an appointment's quote: [start, end) around a focus offset."""

    start: int
    end: int
    focus: int
    table_row: bool = False
    limit: int = MAX_QUOTE


def _add_dating_options(context: PageContext, signal: dict, sentence: Sentence,
                        other: Sentence) -> None:
    """Offer quotes that show a start date stated apart from the appointment sentence.

    The two sentences together are offered when nothing but headings lies
    between them; the dating sentence alone when it names the person.
    """
    # NOTE: a date stated for a group of appointments further up the page
    # ("Both appointments take effect July 1") is then missing from the quote.
    start, end = min(sentence.start, other.start), max(sentence.end, other.end)
    between = [middle for middle in context.sentences if start < middle.start and middle.end < end
               and middle.start not in (sentence.start, other.start)]
    focus = signal["_options"][0].focus
    if end - start <= MAX_PAIR_QUOTE and all(
            context.paragraphs[middle.paragraph].is_heading for middle in between):
        signal["_options"].append(_QuoteOption(start, end, focus, limit=MAX_PAIR_QUOTE))
    if _surname(signal["person"]) in context.text[other.start:other.end]:
        signal["_options"].append(_QuoteOption(other.start, other.end, other.start))


def _finish(context: PageContext, signal: dict) -> dict:
    """Set the quote to the passage that shows most of the signal's fields.

    The effective date counts most, because a headline often names the person
    and school but only the story gives the date. The date counts as shown when
    the passage itself yields the same date. Ties go to the earliest option.
    """
    best: tuple[int, str, int] | None = None
    for option in signal.pop("_options"):
        quote = quote_span(context.text, option.start, option.end, option.focus,
                           _focus_end(context, option), limit=option.limit)
        score = 0 if _surname(signal["person"]) in quote else -3
        if signal["effective_date"] and _effective_date(
                quote, context.published_at, table_row=option.table_row) == signal["effective_date"]:
            score += 2
        if signal["school"] and signal["school"] in quote:
            score += 1
        if best is None or score > best[0]:
            best = (score, quote, option.focus)
    _, signal["quote"], focus = best
    page = context.page_of(focus)
    if page:
        signal["page"] = page
    return signal


def _focus_end(context: PageContext, option: _QuoteOption) -> int:
    """Return the end of the span that a long quote is cut around.

    The span runs from the post to the start date when the passage states one
    within the quote's length, so that the cut keeps both. Otherwise it covers
    the post alone.
    """
    found = _find_effective_date(context.text[option.focus:option.end], None,
                                 table_row=option.table_row)
    if found is not None and found[1] < option.limit:
        return option.focus + found[1]
    return option.focus + 9
