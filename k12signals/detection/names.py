"""People's names and school names in a passage, found from capitalization."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A run of capitalized words, initials and honorifics, possibly across a line break.
_CAPITALIZED_RUN = re.compile(
    r"(?:(?:Dr|Mr|Mrs|Ms|Miss)\.?\s+)?"
    r"(?:[A-Z][a-z]*\.\s+)?"
    r"(?:(?:Mc|Mac|O'|O\u2019|D')?[A-Z][a-z\u00e0-\u00ff'\u2019]+(?:-[A-Z][a-z\u00e0-\u00ff'\u2019]+)?"
    r"(?:\s+[A-Z]\.)?(?:[ \t]*\n?[ \t]*|(?=[,;:.)'\u2019\s]|$)))+"
)
# Words that open a run without being part of a name: titles and sentence openers.
_LEADING = {
    "assistant", "principal", "interim", "acting", "co", "superintendent", "director",
    "coordinator", "dr", "mr", "mrs", "ms", "miss", "board", "member", "president", "trustee",
    "trustees", "teacher", "coach", "dean", "chief", "officer", "executive", "deputy", "vice",
    "associate", "new", "former", "longtime", "retiring", "welcome", "congratulations", "meet",
    "principals", "motion", "moved", "the", "on", "after", "since", "in", "at", "for", "and",
    "of", "to", "a", "an", "high", "school", "elementary", "middle", "senior", "junior",
    "approve", "approved", "employ", "appoint", "hire", "resolved", "that", "with", "by",
    "this", "these", "our", "both", "when", "while", "as", "mathematics", "english", "science",
    "grade", "learning", "specialist", "supervisor", "manager", "secretary", "clerk", "nurse",
    "counselor", "custodian", "paraprofessional", "bus", "driver", "instructional", "regular",
    "special", "education", "business", "finance", "human", "resources", "technology",
    "curriculum", "food", "service", "services", "athletic", "activities", "dean", "registrar",
    "if", "but", "he", "she", "they", "we", "it", "his", "her", "their", "its", "recommended",
    "students", "families", "parents", "staff", "questions", "first", "last", "next", "each",
    "every", "all", "no", "yes", "mayor", "senator", "representative", "commissioner",
    "personnel", "report", "name", "position", "location", "building", "title", "phone",
    "email", "effective", "date", "leave", "leaves", "resignation", "retirement", "transfer",
    "appointment", "appointments", "recommendation",
}
# Words that make a run an organization, school, place or title rather than a person.
_NOT_PERSON = {
    "school", "schools", "elementary", "middle", "high", "academy", "district", "board",
    "education", "county", "city", "public", "center", "centre", "office", "department",
    "university", "college", "association", "council", "committee", "team", "program",
    "intermediate", "primary", "campus", "road", "street", "avenue", "drive", "lane",
    "learning", "coordinator", "director", "principal", "coach", "teacher", "studio",
    "studios", "valley", "creek", "river", "lake", "lakes", "ridge", "mountain", "hills",
    "prairie", "state", "states", "unit", "union", "services", "network", "institute",
    "plan", "policy", "grant", "act", "code", "rule", "library", "hall", "room", "auditorium",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "year", "class", "grades", "graduate", "instructional",
    "analytics", "framework", "progression", "mastery", "competency", "proficiency",
    "personalized", "blended", "assessment", "curriculum", "instruction", "regular", "meeting",
    "minutes", "session", "agenda", "report", "budget", "bond", "bonds", "pathways",
    "commons", "chromebook", "google", "microsoft", "staar", "map", "online", "virtual",
    "superintendent", "assistant", "interim", "acting", "specialist", "supervisor",
    "administrator", "administration", "contract", "step", "salary", "schedule", "fte",
    "resignation", "retirement", "leave", "position", "assignment", "effective", "degree",
}
SCHOOL_WORDS = r"(?:School|Elementary|Middle|High|Academy|Intermediate|Primary|Junior\s+High|Center|K-8|Campus)"
SCHOOL_NAME = re.compile(
    r"\b((?:[A-Z][\w.'\u2019-]*|K-\d+|of|the|and|&)(?:[ \t]+(?:[A-Z][\w.'\u2019-]*|K-\d+|of|the|and|&)){0,6}?"
    r"[ \t\n]+" + SCHOOL_WORDS + r"(?:[ \t]+(?:School|Academy))?)\b"
)
_SCHOOL_TAIL = re.compile(SCHOOL_WORDS + r"$")


@dataclass
class Name:
    value: str
    start: int
    end: int


def people(text: str, start: int = 0, end: int | None = None) -> list[Name]:
    """Names of people in text[start:end], with titles and sentence openers removed."""
    end = len(text) if end is None else end
    found = []
    for match in _CAPITALIZED_RUN.finditer(text, start, end):
        tokens = list(re.finditer(r"[A-Za-z\u00e0-\u00ff][\w'\u2019.-]*", match.group(0)))
        while tokens and tokens[0].group(0).rstrip(".").lower() in _LEADING:
            tokens.pop(0)
        words = [token.group(0).rstrip(".") for token in tokens]
        if not words:
            continue
        if any(word.lower() in _NOT_PERSON for word in words):
            continue
        full_words = [word for word in words if len(word) > 1]
        if len(full_words) < 2 or len(words) > 4:
            continue
        name_start = match.start() + tokens[0].start()
        name_end = match.start() + tokens[-1].end()
        value = re.sub(r"\s+", " ", text[name_start:name_end]).rstrip(".,;:'\u2019")
        if value.endswith("'s"):
            value = value[:-2]
        found.append(Name(value, name_start, name_end))
    return found


def is_bare_name(line: str) -> bool:
    """Tell whether a line is only a person's name, as in a staff card."""
    stripped = re.sub(r"^(?:Dr|Mr|Mrs|Ms|Miss)\.?\s+", "", line.strip())
    names = people(stripped)
    return len(names) == 1 and names[0].value == stripped.rstrip(".,")


def schools(text: str, start: int = 0, end: int | None = None) -> list[Name]:
    end = len(text) if end is None else end
    found = []
    for match in SCHOOL_NAME.finditer(text, start, end):
        value = re.sub(r"\s+", " ", match.group(1)).strip()
        # Drop lower-case words and titles that the pattern took in at the front.
        words = value.split(" ")
        while words and (words[0] in {"of", "the", "and", "&"} or words[0].lower() in
                         {"principal", "assistant", "interim", "acting", "new", "at", "to"}):
            words.pop(0)
        value = " ".join(words)
        if not _SCHOOL_TAIL.search(value) or len(words) < 2:
            continue
        offset = match.group(1).find(words[0]) if words else 0
        found.append(Name(value, match.start(1) + max(offset, 0), match.end(1)))
    return found
