"""Fuzz extraction and detection with random and mutated HTML, PDF bytes and text.

`extract` must never raise (a bad body sets `error`), `detect` must never
raise, and every quote of every signal must be a substring of the text that
was passed to `detect`. Each property runs a bounded number of examples so
that this file stays well under a minute.
"""

from __future__ import annotations

import functools

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k12signals.detection import detect
from k12signals.extraction import extract

FUZZ_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SOURCE_TYPES = ["district_site", "board_minutes", "job_posting"]

# Phrases that the detectors look for, so that random text reaches their code paths.
SIGNAL_PHRASES = [
    "competency-based education",
    "mastery-based learning",
    "proficiency-based diploma",
    "Director of Personalized Learning",
    "Coordinator of Competency-Based Learning",
    "appointed Dana Whitfield as principal of Cedar Ridge Elementary School",
    "effective July 1, 2026",
    "The Board approved the appointment of",
    "Assistant Principal",
    "graduation competencies",
    "Posted March 10, 2026",
    "Principal:",
    "\n",
    "  ",
    ".",
    ",",
    "\u2019",
    "\u00a0",
]

HTML_FRAGMENTS = [
    "<html>",
    "</html>",
    "<head><meta charset=\"windows-1252\"></head>",
    "<meta charset='utf-16'>",
    "<body>",
    "<article>",
    "</article>",
    "<main>",
    "<nav><a href='/x'>x</a></nav>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<p>",
    "</p>",
    "<br>",
    "<script>var x = '<p>';</script>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<?xml version='1.0' encoding='latin-1'?>",
    "<time datetime='2026-02-30'>",
    "<meta property='article:published_time' content='9999-99-99'>",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "\x00",
    "<",
    ">",
]


def page_text() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(SIGNAL_PHRASES), st.text(max_size=40)), max_size=30).map("".join)


def html_document() -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(HTML_FRAGMENTS), st.sampled_from(SIGNAL_PHRASES), st.text(max_size=30)), max_size=40).map(
        "".join
    )


@functools.lru_cache(maxsize=1)
def sample_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 7, "Riverbend Board of Education. Minutes of March 9, 2026.", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0, 7, "The Board approved the appointment of Carmen Alvarez as Principal of Maple Street Elementary School, effective July 1, 2026."
    )
    pdf.add_page()
    pdf.multi_cell(0, 7, "Our district moves to competency-based education, with a Director of Personalized Learning.")
    return bytes(pdf.output())


@st.composite
def mutated_pdf(draw) -> bytes:
    """A real PDF, truncated, with bytes flipped, or with a slice removed or repeated."""
    data = bytearray(sample_pdf())
    mutation = draw(st.sampled_from(["truncate", "flip", "delete", "repeat", "none"]))
    if mutation == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == "flip":
        for _ in range(draw(st.integers(1, 20))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
    elif mutation in ("delete", "repeat"):
        start = draw(st.integers(0, len(data) - 1))
        end = draw(st.integers(start, min(len(data), start + 400)))
        piece = data[start:end]
        data[start:end] = piece * 2 if mutation == "repeat" else b""
    return bytes(data)


def check_extract_then_detect(body: bytes, content_type: str | None, url: str, source_type: str) -> None:
    page = extract(body, url=url, content_type=content_type, source_type=source_type)
    assert isinstance(page.text, str)
    if page.error:
        assert page.text == ""
    check_detect(page.text, url=url, source_type=source_type, published_at=page.published_at, page_starts=page.page_starts)


def check_detect(text: str, **context) -> None:
    result = detect(text, **context)
    for signal in result.signals:
        assert signal.get("quote"), signal
        assert signal["quote"] in text, signal


@FUZZ_SETTINGS
@given(
    markup=html_document(),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1"]),
    content_type=st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=x-klingon", "application/pdf"]),
    source_type=st.sampled_from(SOURCE_TYPES),
)
def test_random_html_never_raises(markup, encoding, content_type, source_type):
    body = markup.encode(encoding, errors="replace")
    check_extract_then_detect(body, content_type, "https://www.example-sd.org/news/item", source_type)


@FUZZ_SETTINGS
@given(body=mutated_pdf(), content_type=st.sampled_from([None, "application/pdf", "text/html"]), source_type=st.sampled_from(SOURCE_TYPES))
def test_mutated_pdf_never_raises(body, content_type, source_type):
    check_extract_then_detect(body, content_type, "https://www.example-sd.org/board/minutes.pdf", source_type)


@FUZZ_SETTINGS
@given(body=st.binary(max_size=2000), content_type=st.sampled_from([None, "text/plain", "text/html", "application/octet-stream"]))
def test_random_bytes_never_raise(body, content_type):
    check_extract_then_detect(body, content_type, "https://www.example-sd.org/file", "district_site")


@FUZZ_SETTINGS
@given(
    text=page_text(),
    source_type=st.sampled_from(SOURCE_TYPES),
    state=st.sampled_from([None, "NH", "VT", "XX"]),
    published_at=st.sampled_from([None, "2026-03-10", "1900-01-01", "9999-12-31"]),
)
def test_detect_quotes_are_substrings(text, source_type, state, published_at):
    check_detect(text, url="https://www.example-sd.org/news/item", source_type=source_type, state=state, published_at=published_at)


def test_detect_published_at_not_a_date():
    text = "Our schools use competency-based education district-wide since 2021."
    check_detect(text, url="https://www.example-sd.org/news/item", published_at="not a date")


@FUZZ_SETTINGS
@given(text=page_text(), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=5))
def test_detect_with_page_starts(text, cuts):
    page_starts = sorted({0, *[cut % (len(text) + 1) for cut in cuts]})
    check_detect(text, url="https://www.example-sd.org/board/minutes.pdf", source_type="board_minutes", page_starts=page_starts)


@pytest.mark.parametrize("published_at", ["2026-13-45", "2026", "05/01/2026", ""])
def test_detect_invalid_published_at_ignored(published_at):
    text = "The Board appointed Dana Whitfield as principal of Cedar Ridge Elementary School, effective July 1."
    check_detect(text, url="https://www.example-sd.org/news/item", published_at=published_at)
