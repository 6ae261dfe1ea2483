"""PDF text whose lines wrap inside a sentence, as board minutes do."""

from __future__ import annotations

from fpdf import FPDF

from k12signals.detection import detect
from k12signals.extraction import extract
from k12signals.extraction.pdf import join_wrapped_lines

MINUTES = [
    "Birch Hill School District Board of Education",
    "Regular Meeting, Monday, March 9, 2026",
    "7. Personnel",
    "Upon the recommendation of the Superintendent, the Board of Education approved the appointment "
    "of Renata Okafor as Principal of Harbor Elementary School, effective July 1, 2026. The Board also "
    "accepted the resignation of Thomas Greer, grade 4 teacher, effective June 30, 2026.",
    "8. Adjournment",
]


def wrapped_minutes_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in MINUTES:
        # multi_cell wraps the paragraph at the page width, as a word processor does.
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_wrapped_sentence_joined():
    page = extract(wrapped_minutes_pdf(), url="https://www.birch.example.org/minutes.pdf")
    assert "approved the appointment of Renata Okafor as Principal" in page.text


def test_headings_stay_on_own_lines():
    page = extract(wrapped_minutes_pdf(), url="https://www.birch.example.org/minutes.pdf")
    lines = page.text.splitlines()
    assert "7. Personnel" in lines
    assert "8. Adjournment" in lines
    assert "Regular Meeting, Monday, March 9, 2026" in lines


def test_wrapped_appointment_detected():
    page = extract(wrapped_minutes_pdf(), url="https://www.birch.example.org/minutes.pdf", source_type="board_minutes")
    result = detect(page.text, source_type="board_minutes", published_at=page.published_at, page_starts=page.page_starts)
    appointments = [signal for signal in result.signals if signal["kind"] == "principal_appointment"]
    assert [signal["person"] for signal in appointments] == ["Renata Okafor"]
    assert appointments[0]["school"] == "Harbor Elementary School"
    assert appointments[0]["effective_date"] == "2026-07-01"


def test_list_items_not_joined():
    text = (
        "The Board approved the following personnel actions for the coming school year, as listed\n"
        "a. Hiring of Alan Brooks, science teacher, Lakeview High School, for the coming year and\n"
        "b. Hiring of Mia Chen, art teacher, Lakeview Middle School, for the coming school year.\n"
    )
    assert join_wrapped_lines(text).splitlines()[1].startswith("a. Hiring")
    assert join_wrapped_lines(text).splitlines()[2].startswith("b. Hiring")


def test_short_page_unchanged():
    assert join_wrapped_lines("Agenda\nCall to order\n") == "Agenda\nCall to order\n"
