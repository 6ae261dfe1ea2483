"""Page context shared by the detectors: text, sentences, phrase hits and the owning district."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from k12signals.detection.segments import Paragraph, Sentence, sentences
from k12signals.detection.vocabulary import Hit, NormalizedText, phrase_matcher

STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "DC": "District of Columbia",
}
_STATE_PATTERN = re.compile(r"\b(" + "|".join(sorted(STATE_NAMES.values(), key=len, reverse=True))
                            + r")\b")
# A district's name is the capitalized words before one of these.
_DISTRICT_SUFFIX = re.compile(
    r"\b((?:[A-Z][a-z]+\s+(?=[A-Z])){0,2}[A-Z][a-z]+)\s+(?:(?:Joint|Community|Local|Area|City|County"
    r"|Regional|Unified|Independent|Consolidated|Central|Union|Cooperative|Exempted\s+Village)\s+)*"
    r"(?:School\s+District|School\s+Corporation|Public\s+Schools|School\s+Unit|Unified"
    r"|ISD|USD|School\s+System|(?<=Area\s)Schools|(?<=City\s)Schools|(?<=County\s)Schools"
    r"|(?<=Local\s)Schools|(?<=Community\s)Schools)\b"
)
_QUALIFIERS = {"Cooperative", "Joint", "Community", "Local", "Area", "City", "County", "Regional", "Unified",
               "Independent", "Consolidated", "Central", "Union"}
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3}\b")
_GENERIC = {"school", "schools", "valley", "regional", "county", "district", "public", "community",
            "union", "central", "city", "area", "creek", "river", "lake", "mountain", "prairie",
            "ridge", "unified", "academy", "learning", "education"}
_NOT_DISTRICT_NAME = {"Elementary", "Middle", "High", "Junior", "Senior", "Charter", "Private",
                      "Public", "The", "Our", "This", "All", "Area", "Three", "Two", "Four",
                      "Several", "Other", "Neighboring", "Many", "Some", "Each", "Every"}
_OWN_WORDS = re.compile(
    r"\b(?:our|we|us|the district|district's|this district|the board|this school|our school"
    r"|district[- ]wide|superintendent)\b",
    re.IGNORECASE,
)


@dataclass
class PageContext:
    """A page's text and what the detectors read from it.

    Sentences, paragraphs and district names are computed on first use, because
    most pages have no phrase that any detector acts on and never need them.
    """

    text: str
    url: str | None
    source_type: str
    state: str | None
    published_at: str | None
    page_starts: list[int] | None
    hits: list[Hit] = field(default_factory=list)

    @classmethod
    def build(cls, text: str, *, url: str | None, source_type: str, state: str | None,
              published_at: str | None, page_starts: list[int] | None) -> PageContext:
        context = cls(text, url, source_type or "district_site",
                      (state or "").upper() or None, published_at, page_starts)
        context.hits = phrase_matcher().find(NormalizedText(text))
        context._hit_starts = [hit.start for hit in context.hits]
        return context

    @cached_property
    def _segments(self) -> tuple[list[Sentence], list[Paragraph]]:
        return sentences(self.text)

    @property
    def sentences(self) -> list[Sentence]:
        return self._segments[0]

    @property
    def paragraphs(self) -> list[Paragraph]:
        return self._segments[1]

    @cached_property
    def _names(self) -> tuple[set[str], set[str]]:
        return self._find_names()

    @property
    def own_names(self) -> set[str]:
        return self._names[0]

    @property
    def foreign_names(self) -> set[str]:
        return self._names[1]

    @cached_property
    def _foreign_pattern(self) -> re.Pattern | None:
        """One pattern that finds any foreign district name as whole words."""
        if not self.foreign_names:
            return None
        alternatives = "|".join(re.escape(name) for name in sorted(self.foreign_names))
        return re.compile(r"\b(?:" + alternatives + r")\b")

    def has_category(self, category: str) -> bool:
        return any(hit.category == category for hit in self.hits)

    def hits_in(self, start: int, end: int, category: str | None = None) -> list[Hit]:
        index = bisect_left(self._hit_starts, start)
        found = []
        while index < len(self.hits) and self.hits[index].start < end:
            hit = self.hits[index]
            if hit.end <= end and (category is None or hit.category == category):
                found.append(hit)
            index += 1
        return found

    def sentence_text(self, sentence: Sentence) -> str:
        return self.text[sentence.start:sentence.end]

    def page_of(self, offset: int) -> int | None:
        """1-based PDF page of an offset, or None when the text has no pages."""
        if not self.page_starts:
            return None
        return max(1, bisect_left(self.page_starts, offset + 1))

    def _find_names(self) -> tuple[set[str], set[str]]:
        """Sort district names on the page into the page's own and other districts.

        The own district is the one whose name, without spaces, appears in the
        URL's host name; any other district named on the page is foreign.
        Returns (own names, foreign names).
        """
        host = urlsplit(self.url or "").hostname or ""
        host_key = _key(host)
        own_names: set[str] = set()
        foreign_names: set[str] = set()
        names = set()
        for match in _DISTRICT_SUFFIX.finditer(self.text):
            words = match.group(1).split()
            while len(words) > 1 and words[-1] in _QUALIFIERS:
                words.pop()
            names.add(" ".join(words))
        if host_key:
            own_names.update(_host_names(self.text, host_key))
        for name in names:
            key = _key(name)
            if len(key) >= 4 and key in host_key:
                own_names.add(name)
        if not own_names and names:
            # Without a match in the host name, the district named most often is the page's own.
            counts = {name: self.text.count(name) for name in names
                      if not set(name.split()) & _NOT_DISTRICT_NAME}
            if counts:
                top = max(counts, key=counts.get)
                top_key = _key(top)
                # Hosts often shorten the name ("Pemi Notch" at pemigewasset-coop), so
                # only the first letters must match. A host that shares none belongs
                # to another district writing about this one.
                if (not host_key or top_key[:4] in host_key) and \
                        list(counts.values()).count(counts[top]) == 1:
                    own_names.add(top)
        for name in names - own_names:
            if any(name in own or own in name for own in own_names):
                continue
            if set(name.split()) & _NOT_DISTRICT_NAME:
                continue
            foreign_names.add(name)
        return own_names, foreign_names

    def mentions_own(self, passage: str) -> bool:
        """Tell whether a passage is about the page's own district (or state, on a state page).

        "Our" and "the district" count only where no other district is named,
        since "our neighbors in X School District" is about X.
        """
        if any(name in passage for name in self.own_names):
            return True
        if self._foreign_pattern and self._foreign_pattern.search(passage):
            return False
        if self.source_type == "state_policy" and self.state:
            name = STATE_NAMES.get(self.state, "")
            if (name and name in passage) or re.search(r"\b(?:state|statewide)\b", passage, re.I):
                return True
        return bool(_OWN_WORDS.search(passage))

    def mentions_foreign(self, passage: str) -> bool:
        if self._foreign_pattern and self._foreign_pattern.search(passage):
            return True
        own_state = STATE_NAMES.get(self.state or "", "")
        for match in _STATE_PATTERN.finditer(passage):
            if own_state and match.group(1) != own_state:
                # A state named as the place of something: "in Vermont", "Vermont's".
                before = passage[max(0, match.start() - 4):match.start()]
                after = passage[match.end():match.end() + 2]
                if before.endswith("in ") or after.startswith("'s"):
                    return True
        return False


_NOT_KEY_CHARACTER = re.compile(r"[^a-z0-9]")


def _key(name: str) -> str:
    """Lower-case letters and digits of a name, for comparison with a host name."""
    return _NOT_KEY_CHARACTER.sub("", name.lower())


def _host_names(text: str, host_key: str) -> set[str]:
    """Capitalized word sequences of the text whose letters and digits appear in the host name.

    A sequence's key is the concatenation of its words' keys, so a sequence can
    only be in the host name when each of its words is. Runs with no such word,
    nearly all of them, are skipped without trying their sub-sequences.
    """
    found: set[str] = set()
    seen_runs: set[str] = set()
    for match in _CAPITALIZED.finditer(text):
        run = match.group(0)
        if run in seen_runs:
            continue
        seen_runs.add(run)
        words = run.split()
        if not any(_key(word) in host_key for word in words):
            continue
        for size in range(len(words), 0, -1):
            for first in range(0, len(words) - size + 1):
                name = " ".join(words[first:first + size])
                key = _key(name)
                if len(key) >= 6 and key in host_key and name.lower() not in _GENERIC:
                    found.add(name)
    return found
