"""Publication dates written in a page's text: bylines, posting labels and meeting headings.

A date counts only with its year written out, because a page that shows none
must get None rather than a guessed year. US order (month before day) is
assumed for numeric dates such as 3/9/2026 and 12/03/25.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import dateparser

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
         r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"

# One alternation for the written forms; the named groups tell which one matched.
DATE_PATTERN = re.compile(
    rf"(?:\b(?:{WEEKDAY}),?\s+)?"
    rf"(?:(?P<m1>{MONTH})\s+(?P<d1>\d{{1,2}}){_ORDINAL},?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m2>{MONTH}),?\s+(?P<y2>\d{{4}})"
    rf"|(?P<n_m>\d{{1,2}})[/.-](?P<n_d>\d{{1,2}})[/.-](?P<n_y>\d{{4}}|\d{{2}})(?![\d/])"
    rf"|(?P<i_y>\d{{4}})-(?P<i_m>\d{{2}})-(?P<i_d>\d{{2}}))",
    re.IGNORECASE,
)

_WORD_NUMBERS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
# "the ninth day of June, two thousand twenty-six", the form of formal minutes.
SPELLED_DATE = re.compile(
    rf"\b(?:the\s+)?(?P<day>(?:twenty|thirty)?[\s-]*(?:first|second|third|fourth|fifth|sixth"
    rf"|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth"
    rf"|seventeenth|eighteenth|nineteenth|twentieth|thirtieth))\s+day\s+of\s+(?P<month>{MONTH}),?"
    rf"\s+(?:in\s+the\s+year\s+)?two\s+thousand(?:\s+and)?[\s-]+(?P<rest>[a-z]+(?:[\s-]+[a-z]+)?)",
    re.IGNORECASE,
)

POSTED_LABEL = re.compile(
    r"(?:\bdate\s+posted|\bposted\s+date|\bposted(?:\s+on)?|\bpublished(?:\s+on)?"
    r"|\bfor\s+immediate\s+release|\brelease\s+date|\bdate\s+issued|\bissued(?:\s+on)?|^\s*date)"
    r"\s*:?\s*$",
    re.IGNORECASE,
)
UPDATED_LABEL = re.compile(
    r"(?:last\s+modified|last\s+updated|page\s+last\s+updated|updated|modified|last\s+reviewed)"
    r"(?:\s+on)?\s*:?\s*$",
    re.IGNORECASE,
)
# Every alternative of each label contains one of these words; a line without
# any of them is skipped before the slower date search.
_LABEL_WORDS = {
    POSTED_LABEL: re.compile(r"posted|published|release|issued|date", re.IGNORECASE),
    UPDATED_LABEL: re.compile(r"modified|updated|reviewed", re.IGNORECASE),
}
# A line with one of these words never gives the page's own date.
_EXCLUDED_LINE = re.compile(
    r"©|\bcopyright\b|\bapproved\b|\bminutes\s+of\s+the\b|\bsubject\s+to\s+approval\b"
    r"|\bdeadline\b|\bclosing\s+date\b|\bdate\s+available\b|\bstart\s+date\b|\bdue\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b", re.IGNORECASE)
# Words just before a date that make it some other event's date.
_EXCLUDED_PREFIX = re.compile(
    r"(?:\bapproved\b|\bapproval\b|\bmeeting\s+of|\bminutes\s+of|\bsession\s+of|\bdeadline"
    r"|\bdue\b|\bavailable|\bstart\s+date|\bclosing|\bthrough|\buntil|\bby)[^.;\n]{0,25}\Z",
    re.IGNORECASE,
)
_MEETING_WORDS = re.compile(r"\b(?:meeting|session|minutes|agenda|hearing)\b", re.IGNORECASE)
# Text allowed after the date on a date-only line: a time or a meeting name.
_DATE_LINE_TAIL = re.compile(
    r"^[\s,.\-\u2013\u2014|@]*(?:at\s+)?(?:\d{1,2}(?::\d\d)?\s*(?:a\.?m\.?|p\.?m\.?)?)?"
    r"[\s,.\-\u2013\u2014|]*(?:[\w\s'-]*\b(?:meeting|session|minutes|agenda)\b[\w\s'-]*)?\s*$",
    re.IGNORECASE,
)


# Text allowed before the date on such a line: a meeting label or a byline ("By Office", "Office ·").
_DATE_LINE_HEAD = re.compile(
    r"[\s\w]*\bmeeting\b\s*:?\s*|by\s+[\w\s.,'&-]{1,70}?\s*[,\u00b7|\u2022]?\s*"
    r"|[\w\s.'&-]{1,40}?\s*[\u00b7|\u2022]\s*",
    re.IGNORECASE,
)


def to_iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _plausible(iso: str | None) -> str | None:
    if iso and "1990-01-01" <= iso <= "2100-12-31":
        return iso
    return None


def match_to_iso(match: re.Match) -> str | None:
    """Convert a DATE_PATTERN match to "YYYY-MM-DD"; None for an impossible date."""
    groups = match.groupdict()
    if groups["m1"]:
        month, day, year = _MONTHS[groups["m1"][:3].lower()], int(groups["d1"]), int(groups["y1"])
    elif groups["m2"]:
        month, day, year = _MONTHS[groups["m2"][:3].lower()], int(groups["d2"]), int(groups["y2"])
    elif groups["n_m"]:
        month, day, year = int(groups["n_m"]), int(groups["n_d"]), int(groups["n_y"])
        if year < 100:
            year += 2000
    else:
        year, month, day = int(groups["i_y"]), int(groups["i_m"]), int(groups["i_d"])
    return _plausible(to_iso(year, month, day))


def _spelled_number(words: str) -> int | None:
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if not word or word == "and":
            continue
        if word in _UNITS:
            total += _UNITS[word]
        elif word in _TEENS:
            total += _TEENS[word]
        elif word in _TENS:
            total += _TENS[word]
        else:
            return None
    return total or None


def spelled_match_to_iso(match: re.Match) -> str | None:
    day_words = match.group("day").lower().replace("-", " ").split()
    day = 0
    for word in day_words:
        if word in _TENS:
            day += _TENS[word]
        elif word in _WORD_NUMBERS:
            day += _WORD_NUMBERS[word]
    rest = _spelled_number(match.group("rest"))
    if not day or rest is None or rest >= 100:
        return None
    return _plausible(to_iso(2000 + rest, _MONTHS[match.group("month")[:3].lower()], day))


@lru_cache(maxsize=512)
def parse_date_string(value: str) -> str | None:
    """Parse a date from a metadata value (ISO or written); None without a full date."""
    value = value.strip()
    if not value:
        return None
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if iso:
        return _plausible(to_iso(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))))
    match = DATE_PATTERN.search(value)
    if match:
        return match_to_iso(match)
    parsed = dateparser.parse(
        value,
        languages=["en"],
        settings={"STRICT_PARSING": True, "DATE_ORDER": "MDY",
                  "REQUIRE_PARTS": ["day", "month", "year"]},
    )
    return _plausible(parsed.date().isoformat()) if parsed else None


def dates_in_line(line: str) -> list[tuple[str, int, int]]:
    """Return all full dates on a line as (iso, start, end)."""
    found = []
    for match in DATE_PATTERN.finditer(line):
        iso = match_to_iso(match)
        if iso:
            found.append((iso, match.start(), match.end()))
    for match in SPELLED_DATE.finditer(line):
        iso = spelled_match_to_iso(match)
        if iso:
            found.append((iso, match.start(), match.end()))
    found.sort(key=lambda item: item[1])
    return found


def labelled_date(lines: list[str], label: re.Pattern) -> str | None:
    """Return the first date directly after a label such as "Posted:" or "Last Modified on"."""
    label_words = _LABEL_WORDS.get(label)
    for line in lines:
        if label_words is not None and not label_words.search(line):
            continue  # no word of the label on the line, so no date on it can follow the label
        for iso, start, _end in dates_in_line(line):
            prefix = line[max(0, start - 40):start]
            if re.search(r"\b(?:was|were|been|is|be)\s+\w+\s*:?\s*$", prefix, re.IGNORECASE):
                continue  # prose, as in "Notice of this meeting was published November 6"
            if label.search(prefix) or label.search(re.sub(r"^.*?\b(?=\w+\s*:?\s*$)", "", prefix)):
                return iso
    return None


def date_only_line(lines: list[str], limit: int = 40) -> str | None:
    """Return the date of the first line, among the first `limit`, that shows only a date.

    A time, a meeting name or a byline may stand beside the date.
    """
    for line in lines[:limit]:
        stripped = line.strip()
        if not stripped or len(stripped) > 120 or _EXCLUDED_LINE.search(stripped):
            continue
        found = dates_in_line(stripped)
        if not found:
            continue
        iso, start, end = found[0]
        head = stripped[:start]
        if head.strip(" ,.:-\u2013|") and not _DATE_LINE_HEAD.fullmatch(head):
            continue
        if _DATE_LINE_TAIL.match(stripped[end:]):
            return iso
    return None


def _excluded_prefix(prefix: str) -> bool:
    return bool(_EXCLUDED_PREFIX.search(prefix))


def meeting_heading_date(lines: list[str], limit: int = 25) -> str | None:
    """Return the meeting date of minutes or an agenda: the first date in the heading lines.

    Dates of other meetings' minutes, approvals, deadlines and copyright lines are skipped.
    """
    block = "\n".join(line for line in lines[:limit] if not _COPYRIGHT.search(line))
    for iso, start, _end in dates_in_line(block):
        if not _excluded_prefix(block[max(0, start - 45):start]):
            return iso
    return None


def find_text_date(text: str, *, source_type: str = "district_site") -> str | None:
    """Return the publication date of a plain-text or PDF page, or None where it shows none."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = lines[:60]
    posted = labelled_date(head, POSTED_LABEL)
    if posted:
        return posted
    if source_type == "board_minutes" or any(_MEETING_WORDS.search(line) for line in head[:6]):
        heading = meeting_heading_date(head)
        if heading:
            return heading
    only = date_only_line(head)
    if only:
        return only
    return labelled_date(head, UPDATED_LABEL)
