"""Page context shared by the detectors: text, sentences, phrase hits and the owning district."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
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
    text: str
    url: str | None
    source_type: str
    state: str | None
    published_at: str | None
    page_starts: list[int] | None
    sentences: list[Sentence] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    own_names: set[str] = field(default_factory=set)
    foreign_names: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, text: str, *, url: str | None, source_type: str, state: str | None,
              published_at: str | None, page_starts: list[int] | None) -> PageContext:
        context = cls(text, url, source_type or "district_site",
                      (state or "").upper() or None, published_at, page_starts)
        context.sentences, context.paragraphs = sentences(text)
        context.hits = phrase_matcher().find(NormalizedText(text))
        context._hit_starts = [hit.start for hit in context.hits]
        context._find_names()
        return context

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

    def _find_names(self) -> None:
        """Sort district names on the page into the page's own and other districts.

        The own district is the one whose name, without spaces, appears in the
        URL's host name; any other district named on the page is foreign.
        """
        host = urlsplit(self.url or "").hostname or ""
        host_key = re.sub(r"[^a-z0-9]", "", host.lower())
        names = set()
        for match in _DISTRICT_SUFFIX.finditer(self.text):
            words = match.group(1).split()
            while len(words) > 1 and words[-1] in _QUALIFIERS:
                words.pop()
            names.add(" ".join(words))
        if host_key:
            for match in _CAPITALIZED.finditer(self.text):
                words = match.group(0).split()
                for size in range(len(words), 0, -1):
                    for first in range(0, len(words) - size + 1):
                        name = " ".join(words[first:first + size])
                        key = re.sub(r"[^a-z0-9]", "", name.lower())
                        if len(key) >= 6 and key in host_key and name.lower() not in _GENERIC:
                            self.own_names.add(name)
        for name in names:
            key = re.sub(r"[^a-z0-9]", "", name.lower())
            if len(key) >= 4 and key in host_key:
                self.own_names.add(name)
        if not self.own_names and names:
            # Without a match in the host name, the district named most often is the page's own.
            counts = {name: self.text.count(name) for name in names
                      if not set(name.split()) & _NOT_DISTRICT_NAME}
            if counts:
                top = max(counts, key=counts.get)
                top_key = re.sub(r"[^a-z0-9]", "", top.lower())
                # Hosts often shorten the name ("Pemi Notch" at pemigewasset-coop), so
                # only the first letters must match. A host that shares none belongs
                # to another district writing about this one.
                if (not host_key or top_key[:4] in host_key) and \
                        list(counts.values()).count(counts[top]) == 1:
                    self.own_names.add(top)
        for name in names - self.own_names:
            if any(name in own or own in name for own in self.own_names):
                continue
            if set(name.split()) & _NOT_DISTRICT_NAME:
                continue
            self.foreign_names.add(name)

    def mentions_own(self, passage: str) -> bool:
        """Tell whether a passage is about the page's own district (or state, on a state page).

        "Our" and "the district" count only where no other district is named,
        since "our neighbors in X School District" is about X.
        """
        if any(name in passage for name in self.own_names):
            return True
        if any(re.search(r"\b" + re.escape(name) + r"\b", passage) for name in self.foreign_names):
            return False
        if self.source_type == "state_policy" and self.state:
            name = STATE_NAMES.get(self.state, "")
            if (name and name in passage) or re.search(r"\b(?:state|statewide)\b", passage, re.I):
                return True
        return bool(_OWN_WORDS.search(passage))

    def mentions_foreign(self, passage: str) -> bool:
        if any(re.search(r"\b" + re.escape(name) + r"\b", passage) for name in self.foreign_names):
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
