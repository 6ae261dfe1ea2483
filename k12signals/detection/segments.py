"""Split a page's text into paragraphs and sentences, keeping offsets into the text.

HTML text has one paragraph a line. PDF and plain-text minutes wrap lines at a
fixed width, so a line that reaches that width and does not end a sentence is
joined to the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "st", "no", "jr", "sr", "vs", "inc", "co", "dept", "gov", "prof",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mt", "ft", "ave", "rd", "a.m", "p.m", "u.s", "e.g", "i.e", "etc", "approx", "est",
}
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_CLAUSE_END = re.compile(r";\s+")
_LAST_WORD = re.compile(r"([\w.]+)\.?[\"'\u201d\u2019)\]]*$")
_LINE_END_PUNCTUATION = re.compile(r"[.!?:;\"'\u201d)]\s*$")


@dataclass
class Sentence:
    start: int
    end: int
    paragraph: int
    heading: str | None
    """The closest heading line above, such as "PERSONNEL" or "New Hires"."""


@dataclass
class Paragraph:
    start: int
    end: int
    is_heading: bool


def is_heading_line(line: str) -> bool:
    """Tell whether a line is a title: short, without closing punctuation, capitalized."""
    stripped = line.strip()
    if not stripped or len(stripped) > 90 or "\t" in stripped:
        return False
    if _LINE_END_PUNCTUATION.search(stripped) and not stripped.endswith(":"):
        return False
    words = re.findall(r"[A-Za-z][\w'&-]*", stripped)
    if not words or len(words) > 12:
        return False
    capitalized = sum(1 for word in words if word[0].isupper() or word.lower() in
                      {"of", "and", "the", "for", "a", "an", "in", "on", "to", "at", "with"})
    return capitalized == len(words) or stripped.upper() == stripped


def paragraphs(text: str) -> list[Paragraph]:
    """Paragraph spans of a text, joining hard-wrapped lines of PDFs and plain text."""
    lines: list[tuple[int, int]] = []
    position = 0
    for raw in text.split("\n"):
        end = position + len(raw)
        if raw.strip():
            lines.append((position, end))
        position = end + 1
    if not lines:
        return []

    lengths = sorted(end - start for start, end in lines)
    width = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 8 else 10**6
    wrapped = width >= 50 and sum(1 for n in lengths if n >= 0.85 * width) >= len(lengths) * 0.1

    result: list[Paragraph] = []
    current_start, current_end = lines[0]
    for (start, end), (next_start, next_end) in zip(lines, lines[1:] + [(None, None)]):
        line = text[start:end]
        # A line ending in a comma continues, whatever its length.
        continues = next_start is not None and bool(re.search(r",\s*$", line)) and "\t" not in line
        joins = continues or (
            wrapped
            and next_start is not None
            and end - start >= 0.75 * width
            and not _LINE_END_PUNCTUATION.search(line)
            and (not re.search(r"\d\s*$", line) or text[next_start:next_start + 1].islower())
        )
        if joins:
            current_end = next_end
            continue
        paragraph_text = text[current_start:end]
        result.append(Paragraph(current_start, end, is_heading_line(paragraph_text)))
        if next_start is not None:
            current_start, current_end = next_start, next_end
    return result


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    chunk = text[start:end]
    for match in _SENTENCE_END.finditer(chunk):
        stop = start + match.end()
        # Only the last word matters; searching a bounded tail keeps long
        # paragraphs linear. The window is far longer than any abbreviation.
        word = _LAST_WORD.search(text[max(cursor, stop - 64):stop])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if word and re.fullmatch(r"[A-Z]", word.group(1).rstrip(".")):
            continue  # an initial, as in "Jordan T. Ellery"
        spans.append((cursor, stop))
        cursor = stop
        while cursor < end and text[cursor].isspace():
            cursor += 1
    if cursor < end:
        spans.append((cursor, end))
    return spans


def sentences(text: str) -> tuple[list[Sentence], list[Paragraph]]:
    """Sentences of a text with their paragraph index and the heading they sit under."""
    result: list[Sentence] = []
    heading: str | None = None
    blocks = paragraphs(text)
    for index, block in enumerate(blocks):
        if block.is_heading:
            heading = text[block.start:block.end].strip()
            result.append(Sentence(block.start, block.end, index, heading))
            continue
        for start, end in _split_sentences(text, block.start, block.end):
            result.append(Sentence(start, end, index, heading))
    return result, blocks


def clauses(text: str, sentence: Sentence) -> list[tuple[int, int]]:
    """Split a sentence at semicolons, as in a personnel list of several actions."""
    spans = []
    cursor = sentence.start
    for match in _CLAUSE_END.finditer(text, sentence.start, sentence.end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, sentence.end))
    return [(start, end) for start, end in spans if text[start:end].strip()]
