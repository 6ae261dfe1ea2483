"""End-to-end: `scrapy crawl districts` against a district site served on 127.0.0.1.

The site has news with a principal appointment, a page on the district's
competency-based diploma, a staff directory with a Director of Personalized
Learning, board minutes as a PDF, a robots.txt that disallows one folder, a
sitemap, a calendar that links on forever, a dead link and a link to another
host. One crawl runs per module (twice, to check that the second adds no
duplicates), and each test checks one part of what it stored.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from fpdf import FPDF

from tests.sitekit import Route, SiteServer, run_crawl, write_registry

NCES_ID = "3399901"


def page(title: str, article: str, published: str | None = None, extra_head: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Lakeview School District</title>{meta}{extra_head}</head>
<body>
<header><nav>
  <a href="/">Home</a> <a href="/news/">News</a> <a href="/board/">Board of Education</a>
  <a href="/staff-directory">Staff Directory</a> <a href="/calendar">Calendar</a>
  <a href="/careers">Careers</a> <a href="/academics/competency-based-learning">Competency-Based Learning</a>
</nav></header>
<main><article><h1>{title}</h1>
{article}
</article></main>
<footer><p>Lakeview School District, 100 Shore Road, Lakeview, NH. Copyright 2019 Lakeview School District.</p></footer>
</body></html>"""


def minutes_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    lines = [
        "Lakeview School District Board of Education",
        "Regular Meeting, Monday, February 9, 2026",
        "Minutes",
        "1. Call to order at 6:30 p.m. by the Board Chair.",
        "2. Approval of the agenda. Motion carried 5-0.",
        "3. Budget report. The business administrator presented the 2026-27 budget draft.",
    ]
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    personnel = [
        "7. Personnel",
        "Upon the recommendation of the Superintendent, the Board approved the following personnel actions:",
        "a. The appointment of Priya Natarajan as Principal of Lakeview Middle School, effective July 1, 2026.",
        "b. The resignation of Thomas Greer, grade 4 teacher, effective June 30, 2026.",
        "c. The hiring of Alan Brooks, science teacher, Lakeview High School.",
        "Motion carried 5-0.",
        "8. Adjournment at 8:05 p.m.",
    ]
    for line in personnel:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def district_site(other_host: str) -> dict[str, Route]:
    def calendar(path: str) -> str:
        match = re.search(r"month=(\d{4})-(\d{2})", path)
        year, month = (int(match.group(1)), int(match.group(2))) if match else (2026, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return page(
            "District Calendar",
            f'<p>No events this month.</p><a href="/calendar?month={year}-{month:02d}">Next month</a>',
        )

    home = page(
        "Welcome to Lakeview School District",
        f"""<p>Lakeview School District serves 2,400 students in five schools.</p>
<ul>
<li><a href="/news/">District News</a></li>
<li><a href="/private/draft-plan.html">Draft plan (staff only)</a></li>
<li><a href="/old-page.html">Old page</a></li>
<li><a href="http://{other_host}/partner">Our partner</a></li>
<li><a href="/board/">Board of Education</a></li>
</ul>""",
    )
    news_index = page(
        "District News",
        '<ul><li><a href="/news/2026/03/new-principal-cedar-ridge">New principal named for Cedar Ridge Elementary</a></li></ul>',
    )
    principal_news = page(
        "New principal named for Cedar Ridge Elementary",
        """<p class="byline">Posted March 10, 2026</p>
<p>The Lakeview Board of Education appointed Dana Whitfield as principal of Cedar Ridge Elementary School at its March 9 meeting. Whitfield will begin on July 1, 2026.</p>
<p>Whitfield has served as assistant principal at Harbor View Middle School in Portsmouth for six years.</p>""",
        published="2026-03-10",
    )
    cbe_page = page(
        "Our Competency-Based Diploma",
        """<p>Lakeview School District awards every diploma on demonstrated mastery. Since 2021, all Lakeview schools have used competency-based education district-wide: students advance when they show proficiency in each course competency, not after a set number of hours in a seat.</p>
<p>Graduation requirements for the class of 2027 are built on the district's graduation competencies, and transcripts report each competency.</p>""",
        published="2025-09-02",
    )
    directory = page(
        "Staff Directory",
        """<table>
<tr><th>Name</th><th>Title</th><th>Email</th></tr>
<tr><td>Morgan Ellison</td><td>Director of Personalized Learning</td><td>mellison@lakeview.example.org</td></tr>
<tr><td>Sam Ortega</td><td>Director of Finance</td><td>sortega@lakeview.example.org</td></tr>
</table>""",
    )
    board = page(
        "Board of Education",
        '<p>Minutes are posted after approval.</p><ul><li><a href="/board/minutes/2026-02-09-regular.pdf">Regular Meeting Minutes, February 9, 2026</a></li></ul>',
    )
    private = page(
        "Draft plan",
        "<p>Lakeview School District will pilot competency-based grading in two schools next year.</p>",
    )
    strategic = page(
        "Strategic Plan",
        "<p>The strategic plan sets goals for literacy, attendance and facilities.</p>",
    )
    sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://{{host}}/about/strategic-plan</loc><lastmod>2026-01-15</lastmod></url>
<url><loc>http://{{host}}/academics/competency-based-learning</loc></url>
</urlset>"""
    robots = "User-agent: *\nDisallow: /private/\nSitemap: http://{host}/sitemap.xml\n"
    return {
        "/": Route(home),
        "/news/": Route(news_index),
        "/news/2026/03/new-principal-cedar-ridge": Route(principal_news),
        "/academics/competency-based-learning": Route(cbe_page),
        "/staff-directory": Route(directory),
        "/board/": Route(board),
        "/board/minutes/2026-02-09-regular.pdf": Route(minutes_pdf(), content_type="application/pdf"),
        "/private/draft-plan.html": Route(private),
        "/about/strategic-plan": Route(strategic),
        "/calendar": Route(calendar),
        "/careers": Route(page("Careers", "<p>No openings at this time.</p>")),
        "/sitemap.xml": Route(sitemap, content_type="application/xml"),
        "/robots.txt": Route(robots, content_type="text/plain"),
    }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crawl")
    with SiteServer() as other, SiteServer() as site:
        routes = district_site(other.host)
        for path in ("/sitemap.xml", "/robots.txt"):
            routes[path].body = routes[path].body.replace("{host}", site.host)
        site.routes.update(routes)

        registry = write_registry(
            folder / "registry.csv",
            [{"nces_id": NCES_ID, "name": "Lakeview School District", "state": "NH", "website": site.host}],
        )
        database = folder / "signals.db"
        first = run_crawl(database, f"registry={registry}", feed=folder / "first.jsonl")
        first_requests = site.requested_paths()
        connection = sqlite3.connect(database)
        connection.row_factory = sqlite3.Row
        signals_after_first = [dict(row) for row in connection.execute("SELECT * FROM signals ORDER BY id")]
        connection.close()

        second = run_crawl(database, f"registry={registry}", feed=folder / "second.jsonl")
        yield {
            "first": first,
            "second": second,
            "database": database,
            "first_requests": first_requests,
            "other_requests": other.requested_paths(),
            "signals_after_first": signals_after_first,
        }


def query(crawl, sql, *params):
    connection = sqlite3.connect(crawl["database"])
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def test_crawl_exits_cleanly(crawl):
    assert crawl["first"].returncode == 0, crawl["first"].log[-3000:]
    assert crawl["second"].returncode == 0, crawl["second"].log[-3000:]


def test_news_appointment_stored(crawl):
    rows = query(crawl, "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE '%Whitfield%'")
    assert len(rows) == 1, crawl["first"].log[-3000:]
    appointment = rows[0]
    assert appointment["district_id"] == NCES_ID
    assert "Cedar Ridge Elementary" in (appointment["school"] or "")
    assert appointment["position"] == "principal"
    assert appointment["effective_date"] == "2026-07-01"
    assert appointment["published_at"] == "2026-03-10"
    assert "Dana Whitfield" in appointment["quote"]
    assert appointment["url"].endswith("/news/2026/03/new-principal-cedar-ridge")


def test_minutes_pdf_appointment_stored(crawl):
    rows = query(crawl, "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE '%Natarajan%'")
    assert len(rows) == 1, crawl["first"].log[-3000:]
    appointment = rows[0]
    assert "Lakeview Middle" in (appointment["school"] or "")
    assert appointment["effective_date"] == "2026-07-01"
    assert appointment["published_at"] == "2026-02-09"
    assert appointment["source_type"] == "board_minutes"
    assert appointment["page"] == 2


def test_minutes_pdf_page_stored(crawl):
    rows = query(crawl, "SELECT * FROM pages WHERE url LIKE '%2026-02-09-regular.pdf'")
    assert len(rows) == 1
    assert rows[0]["content_type"] == "application/pdf"
    assert rows[0]["published_at"] == "2026-02-09"


def test_cbe_language_stored_as_mature(crawl):
    rows = query(crawl, "SELECT * FROM signals WHERE kind = 'cbe_language'")
    urls = {row["url"] for row in rows}
    assert any(url.endswith("/academics/competency-based-learning") for url in urls)
    stages = {row["stage"] for row in rows if row["url"].endswith("/academics/competency-based-learning")}
    assert stages == {"mature"}


def test_menu_link_is_not_cbe_evidence(crawl):
    # Every page has "Competency-Based Learning" in its menu; only the page
    # that describes the district's program is evidence.
    rows = query(crawl, "SELECT url FROM signals WHERE kind = 'cbe_language'")
    assert [row["url"].split("/", 3)[-1] for row in rows] == ["academics/competency-based-learning"]


def test_cbe_quote_is_a_sentence(crawl):
    rows = query(crawl, "SELECT quote FROM signals WHERE kind = 'cbe_language'")
    assert rows[0]["quote"].rstrip().endswith(".")
    assert len(rows[0]["quote"].split()) > 8


def test_directory_role_stored(crawl):
    rows = query(crawl, "SELECT * FROM signals WHERE kind = 'cbe_role'")
    assert len(rows) == 1
    role = rows[0]
    assert role["label"] == "personalized_learning_director"
    assert role["title"] == "Director of Personalized Learning"
    assert role["person"] == "Morgan Ellison"


def test_no_retirement_or_resignation_as_appointment(crawl):
    rows = query(crawl, "SELECT person FROM signals WHERE kind = 'principal_appointment'")
    people = {row["person"] for row in rows}
    assert not any("Greer" in person for person in people)
    assert not any("Brooks" in person for person in people)


def test_every_quote_is_in_page_text(crawl):
    import zlib

    for signal in query(crawl, "SELECT quote, url FROM signals"):
        text = zlib.decompress(query(crawl, "SELECT text_zlib FROM pages WHERE url = ?", signal["url"])[0]["text_zlib"])
        assert signal["quote"] in text.decode("utf-8"), signal


def test_robots_disallowed_folder_not_fetched(crawl):
    assert not any(path.startswith("/private/") for path in crawl["first_requests"])
    assert query(crawl, "SELECT url FROM pages WHERE url LIKE '%/private/%'") == []


def test_sitemap_only_page_fetched(crawl):
    assert "/about/strategic-plan" in crawl["first_requests"]


def test_other_host_never_requested(crawl):
    assert crawl["other_requests"] == []


def test_calendar_capped(crawl):
    calendar = [path for path in crawl["first_requests"] if path.startswith("/calendar")]
    assert calendar == ["/calendar"]


def test_dead_link_logged(crawl):
    assert "/old-page.html" in crawl["first_requests"]
    assert "k12signals/errors/http_404" in crawl["first"].log


def test_second_crawl_adds_no_duplicates(crawl):
    after_second = query(crawl, "SELECT * FROM signals ORDER BY id")
    assert [row["id"] for row in after_second] == [row["id"] for row in crawl["signals_after_first"]]


def test_second_crawl_keeps_first_seen(crawl):
    first = {row["id"]: row for row in crawl["signals_after_first"]}
    for row in query(crawl, "SELECT * FROM signals"):
        assert row["first_seen_at"] == first[row["id"]]["first_seen_at"]
        assert row["last_seen_at"] >= first[row["id"]]["last_seen_at"]


def test_feed_export_writes_signals(crawl):
    feed = crawl["first"].feed
    kinds = {item["kind"] for item in feed}
    assert {"principal_appointment", "cbe_language", "cbe_role"} <= kinds
    assert all(item["is_new"] for item in feed)
    assert all(item["district_id"] == NCES_ID for item in feed)


def test_second_crawl_skips_unchanged_pages(crawl):
    # Every page is the same as in the first crawl, so nothing is extracted,
    # detected or exported again; the pages and signals are only refreshed.
    assert crawl["second"].feed == []
    assert "'k12signals/incremental/unchanged_200'" in crawl["second"].log
    assert "'k12signals/pages_stored'" not in crawl["second"].log


def test_district_health_recorded(crawl):
    rows = query(crawl, "SELECT * FROM district_crawls ORDER BY crawl_id")
    assert [row["outcome"] for row in rows] == ["ok", "ok"]
    assert rows[0]["pages"] >= 6
    assert rows[1]["unchanged"] >= 6
    assert rows[0]["robots_disallowed"] == 1


def test_crawls_table_records_both_runs(crawl):
    rows = query(crawl, "SELECT * FROM crawls ORDER BY id")
    assert len(rows) == 2
    assert all(row["finish_reason"] == "finished" for row in rows)
    stats = json.loads(rows[0]["stats"])
    assert stats["k12signals/pages_stored"] >= 6


def test_district_marked_crawled(crawl):
    rows = query(crawl, "SELECT last_crawled_at FROM districts WHERE nces_id = ?", NCES_ID)
    assert rows[0]["last_crawled_at"] is not None
