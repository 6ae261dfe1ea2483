"""The detector's phrase lists, loaded once from TOML, and one-pass phrase matching.

Phrases are matched with one Aho-Corasick automaton over a normalized copy of
the text (lower case, hyphens and runs of white space as one space), and every
match is mapped back to offsets in the original text.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick

ENVIRONMENT_VARIABLE = "K12SIGNALS_VOCABULARY"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
_SEPARATOR_RUNS = re.compile(r"[\s\-\u2010-\u2015]{2,}")
_BRACES = re.compile(r"\{([^{}]*)\}")


def expand(phrase: str) -> list[str]:
    """Expand "{a|b} c" into ["a c", "b c"]; an empty alternative drops that part."""
    parts = _BRACES.split(phrase)
    # Even indexes are literal text, odd ones the alternatives of a brace group.
    choices = [[part] if index % 2 == 0 else part.split("|") for index, part in enumerate(parts)]
    return [normalize_phrase("".join(combo)) for combo in itertools.product(*choices)]


def normalize_phrase(phrase: str) -> str:
    return re.sub(r"[\s\-\u2010-\u2015]+", " ", phrase.lower().replace("\u2019", "'")).strip()


def _merge(base: dict, extra: dict) -> dict:
    """Append the lists of `extra` to those of `base`, recursing into tables."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=4)
def load_vocabulary(extra_path: str | None = None) -> dict:
    """Load the packaged vocabulary, extended by the TOML file at `extra_path` if given.

    Raises FileNotFoundError or tomllib.TOMLDecodeError for a bad extra file,
    because silently ignoring a user's vocabulary would hide the mistake.
    """
    text = resources.files("k12signals.detection").joinpath("vocabulary.toml").read_text("utf-8")
    data = tomllib.loads(text)
    if extra_path:
        with open(extra_path, "rb") as handle:
            data = _merge(data, tomllib.load(handle))
    return data


def current_vocabulary() -> dict:
    return load_vocabulary(os.environ.get(ENVIRONMENT_VARIABLE) or None)


@dataclass(frozen=True)
class Hit:
    """One phrase found in the original text: [start, end) and its category and value."""

    start: int
    end: int
    category: str
    value: str
    phrase: str


class NormalizedText:
    """A lower-cased copy of a text with hyphens and white space folded, mapped to the original.

    Folding changes lengths only where a run of two or more separators becomes
    one space, or where leading separators are dropped. The map to the original
    therefore stores one (normalized start, original start) pair per stretch
    between such runs, not one offset per character.
    """

    def __init__(self, text: str) -> None:
        lowered = text.lower()
        if len(lowered) != len(text):
            # A few characters (such as "İ") lengthen when lowered; keep those as they are.
            lowered = "".join(char.lower() if len(char.lower()) == 1 else char for char in text)
        lowered = lowered.replace("\u2018", "'").replace("\u2019", "'")
        leading = _SEPARATORS.match(lowered)
        first = leading.end() if leading else 0
        normalized_starts = [0]
        original_starts = [first]
        for run in _SEPARATOR_RUNS.finditer(lowered, first):
            # The run becomes one space at its first position; the text after it
            # starts a new stretch.
            normalized_start = run.start() - original_starts[-1] + normalized_starts[-1] + 1
            normalized_starts.append(normalized_start)
            original_starts.append(run.end())
        self.text = _SEPARATORS.sub(" ", lowered[first:])
        self._normalized_starts = normalized_starts
        self._original_starts = original_starts

    def original_offset(self, position: int) -> int:
        """Map a position of the normalized text to the original text."""
        stretch = bisect_right(self._normalized_starts, position) - 1
        return self._original_starts[stretch] + position - self._normalized_starts[stretch]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text back to the original text."""
        return self.original_offset(start), self.original_offset(end - 1) + 1


class PhraseMatcher:
    """All phrases of all categories in one automaton; matches respect word boundaries."""

    def __init__(self, entries: list[tuple[str, str, str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        table: dict[str, list[tuple[str, str]]] = {}
        for category, value, phrase in entries:
            for variant in expand(phrase):
                if variant:
                    table.setdefault(variant, []).append((category, value))
        for phrase, targets in table.items():
            self._automaton.add_word(phrase, (phrase, targets))
        self._empty = not table
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, normalized: NormalizedText) -> list[Hit]:
        if self._empty:
            return []
        text = normalized.text
        hits = []
        for end_index, (phrase, targets) in self._automaton.iter(text):
            start = end_index - len(phrase) + 1
            if start > 0 and text[start - 1].isalnum():
                continue
            if end_index + 1 < len(text) and text[end_index + 1].isalnum():
                continue
            original_start, original_end = normalized.original_span(start, end_index + 1)
            for category, value in targets:
                hits.append(Hit(original_start, original_end, category, value, phrase))
        hits.sort(key=lambda hit: (hit.start, -hit.end))
        return hits


@lru_cache(maxsize=4)
def _build_matcher(extra_path: str | None) -> PhraseMatcher:
    vocabulary = load_vocabulary(extra_path)
    entries: list[tuple[str, str, str]] = []
    cbe = vocabulary.get("cbe", {})
    entries += [("cbe", "strong", phrase) for phrase in cbe.get("strong", [])]
    entries += [("cbe_lookalike", "", phrase) for phrase in cbe.get("lookalikes", [])]
    entries += [("cbe_staff", "", phrase) for phrase in cbe.get("staff_context", [])]
    entries += [("cbe_student", "", phrase) for phrase in cbe.get("student_context", [])]
    entries += [("cbe_vendor", "", phrase) for phrase in cbe.get("vendor_cues", [])]
    for stage, table in vocabulary.get("stage", {}).items():
        entries += [("stage", stage, phrase) for phrase in table.get("cues", [])]
    for label, phrases in vocabulary.get("roles", {}).items():
        entries += [("role", label, phrase) for phrase in phrases]
    principal = vocabulary.get("principal", {})
    entries += [("principal_lookalike", "", phrase) for phrase in principal.get("lookalikes", [])]
    entries += [("appointment", "", phrase) for phrase in principal.get("appointment_cues", [])]
    entries += [("departure", "", phrase) for phrase in principal.get("departure_cues", [])]
    policy = vocabulary.get("state_policy", {})
    entries += [("policy", label, phrase) for phrase, label in policy.get("labels", {}).items()]
    entries += [("policy_lookalike", "", phrase) for phrase in policy.get("lookalikes", [])]
    return PhraseMatcher(entries)


def phrase_matcher() -> PhraseMatcher:
    return _build_matcher(os.environ.get(ENVIRONMENT_VARIABLE) or None)
