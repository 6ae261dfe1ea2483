"""Tests for k12signals.extraction: HTML, PDF and plain-text bodies built in the test."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import pytest
from fpdf import FPDF

from k12signals.extraction import extract
from k12signals.extraction.dates import find_text_date, parse_date_string
from k12signals.extraction.html import extract_html

SHARED_CASES = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "cases"

ARTICLE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Board names principal | Example SD</title>
{meta}</head>
<body>
<header><nav><ul><li><a href="/about">About</a></li><li><a href="/news">Menu News Link</a></li></ul></nav></header>
<main><article>
<h1>Board names new principal for Maple Street</h1>
{byline}
<p>The Example School Board voted on Monday to name Jordan Ellery principal of Maple Street Elementary School, effective July 1, 2026. Ellery has taught in the district for twelve years.</p>
<p>Students at Maple Street will meet their new principal at a spring open house, and families can send questions to the district office.</p>
<p>The board also heard a report on the transportation contract and approved the purchase of two buses.</p>
</article></main>
<aside class="sidebar"><h2>Upcoming events</h2><ul><li><time datetime="2026-05-20">May 20, 2026</time> Board meeting</li></ul></aside>
<footer><p>Copyright 2026 Example School District</p></footer>
</body></html>
"""


def html_page(meta: str = "", byline: str = "") -> bytes:
    return ARTICLE.format(meta=meta, byline=byline).encode("utf-8")


def make_pdf(pages: list[list[str]]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_html_main_text_excludes_navigation():
    page = extract(html_page(), url="https://www.example-sd.org/news/1")
    assert page.error is None
    assert "Jordan Ellery principal of Maple Street" in page.text
    assert "Menu News Link" not in page.text
    assert "Copyright 2026" not in page.text


def test_html_paragraphs_end_with_newline():
    page = extract(html_page(), url="https://www.example-sd.org/news/1")
    assert page.text.endswith("\n")
    assert "twelve years.\n" in page.text


def test_html_title():
    page = extract(html_page(), url="https://www.example-sd.org/news/1")
    assert page.title == "Board names new principal for Maple Street"


def test_html_posted_byline_date():
    byline = '<p class="byline">Posted on March 3, 2026 · Updated March 9, 2026</p>'
    page = extract(html_page(byline=byline), url="https://www.example-sd.org/news/1")
    assert page.published_at == "2026-03-03"


def test_html_meta_published_time():
    meta = ('<meta property="article:published_time" content="2026-04-21T09:00:00-05:00">'
            '<meta property="article:modified_time" content="2026-04-25T09:00:00-05:00">')
    page = extract(html_page(meta=meta), url="https://www.example-sd.org/news/1")
    assert page.published_at == "2026-04-21"


def test_html_sidebar_event_and_copyright_give_no_date():
    page = extract(html_page(), url="https://www.example-sd.org/news/1")
    assert page.published_at is None


def test_html_time_element_in_article():
    byline = '<div class="entry-meta"><time class="entry-date" datetime="2026-01-27">Jan 27</time></div>'
    page = extract(html_page(byline=byline), url="https://www.example-sd.org/news/1")
    assert page.published_at == "2026-01-27"


def test_html_meeting_heading_date_for_minutes():
    body = ("<html><body><main><h1>Regular Meeting Minutes</h1>"
            "<p>Regular Meeting, Monday, February 9, 2026, 6:00 p.m.</p>"
            "<p>Minutes approved by the Board on March 9, 2026.</p>"
            "<p>The meeting was called to order by the chair, who welcomed the public and "
            "introduced the new student representative to the board.</p></main></body></html>")
    page = extract(body.encode(), url="https://example.org/m", source_type="board_minutes")
    assert page.published_at == "2026-02-09"


def test_html_lying_charset_does_not_crash():
    body = ('<html><head><meta charset="utf-16"></head><body><p>Caf\u00e9 menu for the '
            'week, with lunch served daily in the commons.</p></body></html>').encode("utf-8")
    page = extract(body, url="https://example.org/x", content_type="text/html; charset=bogus-9")
    assert page.error is None
    assert "Caf\u00e9" in page.text


def test_html_bom_decides_encoding():
    body = b"\xef\xbb\xbf<html><body><p>Se\xc3\xb1ora Ruiz teaches Spanish at the high school and coaches debate.</p></body></html>"
    page = extract(body, url="https://example.org/x", content_type="text/html; charset=iso-8859-1")
    assert "Se\u00f1ora" in page.text


def test_pdf_pages_and_offsets():
    body = make_pdf([["Regular Meeting Minutes", "January 12, 2026", "Call to order."],
                     ["Personnel", "The board approved the hires."]])
    page = extract(body, url="https://example.org/minutes.html", content_type="text/html",
                   source_type="board_minutes")
    assert page.error is None
    assert page.page_starts is not None
    assert len(page.page_starts) == 2
    assert page.text[page.page_starts[1]:].lstrip().startswith("Personnel")
    assert page.published_at == "2026-01-12"


def test_broken_pdf_sets_error():
    page = extract(b"%PDF-1.7\nnot really a pdf", url="https://example.org/a.pdf")
    assert page.error is not None
    assert page.text == ""


def test_empty_body_sets_error():
    page = extract(b"", url="https://example.org/")
    assert page.error is not None


def test_binary_body_sets_error():
    page = extract(b"\x00\x01\x02\x03" * 200, url="https://example.org/file.bin")
    assert page.error is not None
    assert page.text == ""


def test_plain_text_kept_as_is():
    body = b"BOARD OF EDUCATION\nMINUTES OF THE REGULAR MEETING\nMarch 10th, 2026 - 5:30 p.m.\n"
    page = extract(body, url="https://example.org/m.txt", content_type="text/plain",
                   source_type="board_minutes")
    assert page.text.startswith("BOARD OF EDUCATION\n")
    assert page.published_at == "2026-03-10"


def test_spelled_out_meeting_date():
    text = ("MINUTES OF THE REGULAR MEETING\nMinutes of the regular meeting held on Tuesday, "
            "the ninth day of June, two thousand\ntwenty-six, in the library.\n")
    assert find_text_date(text, source_type="board_minutes") == "2026-06-09"


def test_two_digit_year_us_order():
    assert parse_date_string("12/03/25") == "2025-12-03"


def test_no_year_gives_no_date():
    text = "News\nTuesday, October 14, 6:00 p.m. community forum in the gym\n"
    assert find_text_date(text) is None


@pytest.mark.skipif(not SHARED_CASES.is_dir(), reason="shared evaluation cases not present")
def test_shared_cases_extract_without_error():
    for page_file in sorted(SHARED_CASES.glob("*/page.*")):
        page = extract(page_file.read_bytes(), url="https://example.org/" + page_file.name)
        assert page.error is None, page_file


def html_body(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>Page</title></head><body>{body}</body></html>".encode()


LONG_PARAGRAPH = ("<p>The district will move to competency-based grading in all middle schools "
                  "next fall, after two years of pilots in grades six through eight.</p>")


def test_main_text_drops_menu_classes():
    body = ('<div id="AppliTrackPostingsNav"><ul><li><a href="/a">Menu Item One</a></li></ul></div>'
            '<div class="content-wrap">' + LONG_PARAGRAPH + '</div>'
            '<div class="main-menu"><a href="/b">Menu Item Two</a></div>')
    page = extract(html_body(body), url="https://example.org/p")
    assert "competency-based grading" in page.text
    assert "Menu Item One" not in page.text
    assert "Menu Item Two" not in page.text


def test_main_text_drops_footer_by_id():
    body = (LONG_PARAGRAPH + '<div id="AppliTrackFooter">Powered by Example Vendor</div>'
            '<div class="site-info">Copyright 2026 Example District</div>')
    page = extract(html_body(body), url="https://example.org/p")
    assert "competency-based grading" in page.text
    assert "Powered by Example Vendor" not in page.text


def test_main_text_drops_site_header_outside_container():
    body = ('<div id="sw-header"><div class="district-name">Example Schools</div></div>'
            + LONG_PARAGRAPH)
    page = extract(html_body(body), url="https://example.org/p")
    assert "Example Schools" not in page.text


def test_sidebar_event_dates_left_out():
    body = ('<div class="ui-widget app upcomingevents"><p>May 20, 2026 Board Meeting</p></div>'
            '<div class="widget-area"><p>June 2, 2026 Graduation</p></div>' + LONG_PARAGRAPH)
    page = extract(html_body(body), url="https://example.org/p")
    assert "May 20, 2026" not in page.text
    assert "June 2, 2026" not in page.text
    assert page.published_at is None


def test_cms_container_preferred():
    body = ('<div class="promo"><p>Donate to the education foundation today and help us.</p></div>'
            '<div class="entry-content">' + LONG_PARAGRAPH * 3 + '</div>')
    page = extract(html_body(body), url="https://example.org/p")
    assert "competency-based grading" in page.text
    assert "education foundation" not in page.text


def test_entry_header_kept_inside_container():
    body = ('<main><article><header class="entry-header"><h2>Grading Update</h2></header>'
            + LONG_PARAGRAPH * 2 + '</article></main>')
    page = extract(html_body(body), url="https://example.org/p")
    assert "Grading Update\n" in page.text


def test_schoolwires_flexpage_widget_kept():
    body = '<div class="ui-widget app flexpage"><div class="ui-widget-detail">' + LONG_PARAGRAPH + '</div></div>'
    page = extract(html_body(body), url="https://example.org/p")
    assert "competency-based grading" in page.text


def test_table_rows_become_tab_lines():
    body = ("<main>" + LONG_PARAGRAPH + "<table><tr><th>Name</th><th>Position</th></tr>"
            "<tr><td><div>Jordan Ellery</div></td><td>Principal,\n Maple Street</td></tr></table></main>")
    page = extract(html_body(body), url="https://example.org/p")
    assert "Name\tPosition\n" in page.text
    assert "Jordan Ellery\tPrincipal, Maple Street\n" in page.text


def test_link_list_without_class_dropped():
    links = "".join(f'<li><a href="/q{i}">Quick Link {i}</a></li>' for i in range(6))
    body = "<main>" + LONG_PARAGRAPH + "<ul>" + links + "</ul></main>"
    page = extract(html_body(body), url="https://example.org/p")
    assert "competency-based grading" in page.text
    assert "Quick Link" not in page.text


def test_page_without_main_element():
    body = ('<div class="top-bar"><a href="/">Home</a></div><div class="wrapper"><h1>Board News</h1>'
            + LONG_PARAGRAPH + '</div><div class="footer-legal">Privacy Policy</div>')
    page = extract(html_body(body), url="https://example.org/p")
    assert page.text.startswith("Board News\n")
    assert "competency-based grading" in page.text
    assert "Privacy Policy" not in page.text


def test_markup_line_breaks_are_spaces():
    body = "<main><p>The board\n named a new\n principal for the fall term at its regular meeting.</p>" + LONG_PARAGRAPH + "</main>"
    page = extract(html_body(body), url="https://example.org/p")
    assert "The board named a new principal" in page.text


def test_trafilatura_fallback_when_extractor_finds_nothing():
    # All text sits in an alert box, which the own rules drop as furniture.
    body = '<div class="alert">' + LONG_PARAGRAPH * 3 + "</div>"
    result = extract_html(html_body(body), url="https://example.org/p")
    assert result.used_fallback
    assert "competency-based grading" in result.text


def test_unclosed_nav_wrapping_page_is_walked():
    # Broken markup: an unclosed <nav> wraps the whole page, menu and content.
    body = ('<nav class="navbar"><ul><li><a href="/a">About</a></li><li><a href="/b">Board</a></li>'
            '</ul><div class="container">' + LONG_PARAGRAPH * 4 + "</div>")
    result = extract_html(html_body(body), url="https://example.org/p")
    assert not result.used_fallback
    assert "competency-based grading" in result.text


def test_mega_menu_nav_is_still_dropped():
    links = "".join(f'<li><a href="/p{index}">Menu entry number {index}</a></li>'
                    for index in range(40))
    body = f'<nav><ul>{links}</ul></nav><div class="wrapper">' + LONG_PARAGRAPH * 2 + "</div>"
    result = extract_html(html_body(body), url="https://example.org/p")
    assert "Menu entry" not in result.text
    assert "competency-based grading" in result.text


def test_aspnet_form_wrapping_page_is_walked():
    body = ('<form id="aspnetForm" method="post"><input type="hidden" name="__VIEWSTATE">'
            '<div class="wrapper">' + LONG_PARAGRAPH * 4 + "</div></form>")
    result = extract_html(html_body(body), url="https://example.org/p")
    assert not result.used_fallback
    assert "competency-based grading" in result.text


MEETING_ROWS = "".join(
    f'<div class="fsCalendarEvent"><p>May {day}, 2026</p><p>Regular Board Meeting, 6:00 PM,'
    f' District Service Center, 100 Main Street</p></div>' for day in (5, 12, 19, 26))


def test_calendar_kept_when_it_is_the_content():
    body = f'<main><h1>Board Meetings</h1><div class="fsCalendar fsList">{MEETING_ROWS}</div></main>'
    page = extract(html_body(body), url="https://example.org/board/meetings")
    assert "Regular Board Meeting" in page.text
    assert "May 26, 2026" in page.text


def test_calendar_beside_content_is_dropped():
    body = (f'<main><h1>Board News</h1>{LONG_PARAGRAPH * 4}'
            f'<div class="upcoming-events">{MEETING_ROWS}</div></main>')
    page = extract(html_body(body), url="https://example.org/news")
    assert "competency-based grading" in page.text
    assert "Regular Board Meeting" not in page.text


SHARED_CORPUS = SHARED_CASES.parent.parent / "corpus"
TEST_CASES = Path(__file__).resolve().parent / "cases"


def _both_renderings(markup: bytes):
    """Return the texts from the XSLT transforms and from the Python walk of one page."""
    from k12signals.extraction import maintext
    from k12signals.extraction.html import parse_html

    tree = parse_html(markup)
    body = tree.find("body")
    if body is None:
        body = tree
    body_length = maintext._visible_length(body)
    scan = maintext._scan(body)
    container, path = maintext.find_container(body, body_length, tiers=scan.tiers)
    wrappers = maintext._page_wrappers(body, body_length) if body_length else set()
    scope_length = maintext._visible_length(container) if container is not None else body_length
    calendars = maintext._content_calendars(scan.calendars, container, scope_length) \
        if scope_length and scan.calendars else set()
    serialized = lxml.etree.tostring(tree)
    transformed = maintext._transform_texts(body, container, path, wrappers, calendars,
                                            scan.furniture)
    assert lxml.etree.tostring(tree) == serialized, "the transform left marks in the tree"
    walked = maintext._walk_texts(body, container, path, wrappers, calendars)
    return transformed, walked


def _real_pages() -> list[Path]:
    pages = []
    for folder in (SHARED_CASES, TEST_CASES):
        if folder.is_dir():
            pages += sorted(folder.glob("*/*.htm*"))
    if SHARED_CORPUS.is_dir():
        pages += sorted(SHARED_CORPUS.rglob("*.htm*"))
    return pages


@pytest.mark.skipif(not _real_pages(), reason="no real pages present")
def test_transform_matches_walk_on_real_pages():
    pages = _real_pages()
    for path in pages:
        transformed, walked = _both_renderings(path.read_bytes())
        assert transformed == walked, path


def test_transform_matches_walk_on_link_lists():
    body = ('<main><h1>Title</h1><p>Intro line\nwith a break.</p>'
            '<table><tr><td><p>Cell one</p><div>part</div></td><th>Cell two</th></tr></table>'
            '<div class="list"><a href="/1">one</a> <a href="/2">two</a><ul>'
            + "".join(f'<li><a href="/{i}">link number {i}</a></li>' for i in range(5))
            + '</ul><a href="/3">three</a><a href="/4">four</a></div>'
            '<section><p>Kept section text that is long enough to stay.</p>'
            '<a href="/5">a single link</a></section><menu><li>menu item</li></menu></main>')
    transformed, walked = _both_renderings(html_body(body))
    assert transformed == walked
    assert "link number" not in transformed[0]


def test_marker_character_page_is_walked():
    body = "<main><h1>Title</h1><p>Text with \ufdd0 in it, which the transform uses.</p></main>"
    page = extract(html_body(body), url="https://example.org/odd")
    assert "Text with \ufdd0 in it" in page.text
