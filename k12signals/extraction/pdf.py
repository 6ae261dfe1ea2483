"""Text of a PDF, page by page, with pypdfium2."""

from __future__ import annotations

import re
import statistics

import pypdfium2

# A line shorter than this share of the page's usual line length ends where
# the writer ended it (a heading, the last line of a paragraph), not where
# the page was full.
WRAPPED_LINE_SHARE = 0.6
SENTENCE_END = re.compile(r"[.!?:;]['\")\]]*\s*$")
# A line that starts a list item or a numbered section starts a new paragraph.
LIST_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)]|[a-zA-Z][.)]|[ivxIVX]{1,4}[.)]|[-*\u2022\u25cf])\s")
# Table cells end in dates, amounts and counts; a line ending in a digit is a row.
ENDS_IN_NUMBER = re.compile(r"\d\W*$")
# Words after which a sentence cannot stop: the line must go on.
OPEN_ENDING = re.compile(
    r"(?:[,\-]|\b(?:of|the|a|an|and|or|to|for|as|at|by|in|on|with|from|that|which|who|whom|whose"
    r"|is|are|was|were|be|been|has|have|had|including|than|per|into|under|over|between|named"
    r"|appointed|approved|appoint|approve|hire|hired))\s*$",
    re.IGNORECASE,
)
ENDS_IN_CAPITALIZED_WORD = re.compile(r"\b[A-Z][a-z'\-]+\s*$")
# "Okafor as Principal": a name that ends and a sentence that goes on.
NAME_THEN_SENTENCE = re.compile(r"^\s*[A-Z][a-z'\-]+,?\s+[a-z]")


def extract_pdf(body: bytes) -> tuple[str, list[int], str | None]:
    """Return (text, page_starts, error) for a PDF body.

    Each page's text ends with "\\n", and page_starts[i] is the offset in the
    text where page i + 1 starts. A PDF that pdfium cannot open gives an error
    and empty text.
    """
    try:
        document = pypdfium2.PdfDocument(body)
    except pypdfium2.PdfiumError as error:
        return "", [], f"PDF could not be opened: {error}"
    parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                page_text = textpage.get_text_range()
            finally:
                textpage.close()
                page.close()
            page_text = page_text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
            page_text = join_wrapped_lines(page_text)
            if page_text and not page_text.endswith("\n"):
                page_text += "\n"
            page_starts.append(offset)
            parts.append(page_text)
            offset += len(page_text)
    except pypdfium2.PdfiumError as error:
        return "", [], f"PDF page could not be read: {error}"
    finally:
        document.close()
    return "".join(parts), page_starts, None


def join_wrapped_lines(page_text: str) -> str:
    """Join the lines of a paragraph that the PDF's layout wrapped.

    PDF text breaks a line wherever the page was full, often inside a
    sentence ("approved the appointment of" / "Renata Okafor as Principal").
    A line joins the next when four things hold. It is near the page's usual
    line length. It ends neither a sentence nor a table cell (a number). The
    next line does not start a list item. And the text plainly goes on: the
    next line starts in lower case, the line ends with a comma or a word such
    as "of", or a name continues into a sentence. Table rows, which end in
    dates or amounts or are followed by another name, stay on their own lines.
    """
    lines = page_text.split("\n")
    lengths = [len(line.strip()) for line in lines if line.strip()]
    if len(lengths) < 3:
        return page_text
    usual = statistics.quantiles(lengths, n=4)[2] if len(lengths) >= 4 else max(lengths)
    joined: list[str] = []
    for line in lines:
        previous = joined[-1].rstrip() if joined else ""
        if (
            previous
            and line.strip()
            and len(previous) >= WRAPPED_LINE_SHARE * usual
            and not SENTENCE_END.search(previous)
            and not ENDS_IN_NUMBER.search(previous)
            and not LIST_ITEM.match(line)
            and _goes_on(previous, line)
        ):
            joined[-1] = f"{previous} {line.strip()}"
        else:
            joined.append(line)
    return "\n".join(joined)


def _goes_on(line: str, next_line: str) -> bool:
    next_line = next_line.strip()
    if next_line[:1].islower():
        return True
    if OPEN_ENDING.search(line):
        return True
    return bool(ENDS_IN_CAPITALIZED_WORD.search(line) and NAME_THEN_SENTENCE.match(next_line))
