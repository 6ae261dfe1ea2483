"""Board portal adapters: detection, meeting lists, documents, blocks and layout drift.

The unit tests call each adapter's `parse` with saved answers of real
portals from `../shared/corpus/` (skipped when that folder is absent) and
with pages written here for what those lack: minutes, block pages and
answers whose layout changed. The crawl tests run `scrapy crawl districts`
against portals served on 127.0.0.1 at the paths the real ones use.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest
from fpdf import FPDF
from scrapy.http import HtmlResponse, Request, TextResponse

from crawlers import boards
from crawlers.boards.common import challenge_marker
from crawlers.items import PageItem, PortalStatusItem
from crawlers.scope import DistrictScope
from crawlers.spiders.districts import DistrictsSpider
from tests.sitekit import SHARED, Route, SiteServer, run_crawl

CORPUS = SHARED / "corpus"
DISTRICT = "3999901"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


# A spider with one district, outside a running crawl.
class Stats:
    def __init__(self):
        self.values: Counter = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count

    def get_value(self, key, default=None):
        return self.values.get(key, default)


class StubCrawler:
    def __init__(self):
        self.stats = Stats()


def make_spider(since: str) -> DistrictsSpider:
    spider = DistrictsSpider(since=since)
    spider.crawler = StubCrawler()
    spider.scopes[DISTRICT] = DistrictScope(DISTRICT, "www.example-sd.org", 150, 3, 5)
    spider.district_states[DISTRICT] = "OH"
    return spider


def answer(spider, platform, step, url, body, *, portal_url, meta=None, status=200, text=True, headers=None):
    """Run the adapter of `platform` on `body`, as the answer to its own request for `url` at `step`."""
    request = spider.board_request(url, DISTRICT, platform=platform, step=step, portal_url=portal_url, meta=meta)
    response_class = HtmlResponse if text else TextResponse
    response = response_class(url=url, body=body, status=status, request=request, encoding="utf-8", headers=headers)
    return list(boards.adapter_for(platform).parse(spider, response))


def corpus(path: str) -> bytes:
    return (CORPUS / path).read_bytes()


def statuses(items) -> list[PortalStatusItem]:
    return [item for item in items if isinstance(item, PortalStatusItem)]


def requests_of(items) -> list[Request]:
    return [item for item in items if isinstance(item, Request)]


def pages(items) -> list[PageItem]:
    return [item for item in items if isinstance(item, PageItem)]


# Detection.
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://go.boarddocs.com/oh/cmsd/Board.nsf/goto?open&id=AHJRW76D1F43",
            ("boarddocs", "https://go.boarddocs.com/oh/cmsd/Board.nsf/Public"),
        ),
        (
            "https://go.boarddocs.com/vsba/bland/Board.nsf/Public",
            ("boarddocs", "https://go.boarddocs.com/vsba/bland/Board.nsf/Public"),
        ),
        (
            "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=36031014",
            ("simbli", "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=36031014"),
        ),
        (
            "https://simbli.eboardsolutions.com/Index.aspx?S=4054",
            ("simbli", "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=4054"),
        ),
        ("https://tulsaschools.diligent.community/Portal/MeetingSchedule.aspx", ("diligent", "https://tulsaschools.diligent.community/")),
        ("https://sarpy.civicweb.net/Portal/", ("diligent", "https://sarpy.civicweb.net/")),
        ("https://kckps.community.highbond.com/Portal/", ("diligent", "https://kckps.community.highbond.com/")),
        (
            "https://www.example-sd.org/AgendaCenter/ViewFile/Minutes/_01142026-812",
            ("civicplus", "https://www.example-sd.org/AgendaCenter"),
        ),
        (
            "https://meetings.boardbook.org/Public/Organization/1810",
            ("boardbook", "https://meetings.boardbook.org/Public/Organization/1810"),
        ),
        (
            "https://meeting.sparqdata.com/Public/Organization/120",
            ("boardbook", "https://meeting.sparqdata.com/Public/Organization/120"),
        ),
        ("https://www.example-sd.org/board/minutes", None),
        ("https://www.example-sd.org/Public/Organization/12", None),
    ],
)
def test_detect_portal(url, expected):
    assert boards.detect_portal(url) == expected


@needs_corpus
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("city-scrapers-atl/tests/files/atl_boe.html", ("simbli", "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=36031014")),
        ("city-scrapers-atl/tests/files/atl_dekalb_county_boe.html", ("simbli", "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=4054")),
        ("city-scrapers-omaha/tests/files/oma_public_schools_boe_upcoming_meetings.html", ("boardbook", "https://meeting.sparqdata.com/Public/Organization/120")),
    ],
)
def test_detect_portal_from_district_page_links(path, expected):
    response = HtmlResponse(url="https://www.example-sd.org/board/", body=corpus(path), encoding="utf-8")
    found = {boards.detect_portal(url) for url in response.css("a::attr(href)").getall()} - {None}
    assert expected in found


# BoardDocs.
BOARDDOCS_PORTAL = "http://portal.test/oh/cmsd/Board.nsf/Public"


@needs_corpus
def test_boarddocs_cleveland_xml_meetings_in_window():
    spider = make_spider("2019-01-01")
    items = answer(
        spider, "boarddocs", "xml", "http://portal.test/oh/cmsd/Board.nsf/XML-ActiveMeetings",
        corpus("city-scrapers-cle/tests/files/cle_metro_school_district.xml"), portal_url=BOARDDOCS_PORTAL, text=False,
    )
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", 14)]
    urls = [request.url for request in requests_of(items)]
    assert len(urls) == 28
    agenda = "http://portal.test/oh/cmsd/Board.nsf/PRINT-AgendaDetailed?open&id=B7CTBM75A046&current_committee_id=A9HCRJ3251CA"
    assert agenda in urls
    minutes = [request for request in requests_of(items) if "BD-GetMinutes" in request.url][0]
    assert minutes.method == "POST"
    assert minutes.url == "http://portal.test/oh/cmsd/Board.nsf/BD-GetMinutes?open&id=B7CTBM75A046"
    assert minutes.body == b"id=B7CTBM75A046&current_committee_id=A9HCRJ3251CA"
    assert all(request.meta["meeting_date"] >= "2019-01-01" for request in requests_of(items))


@needs_corpus
def test_boarddocs_akron_malformed_xml_repaired():
    # Akron's export lacks <category> start tags in its archive meetings; read
    # as one document in recover mode, only 3 of its 21 meetings survive.
    spider = make_spider("2000-01-01")
    items = answer(
        spider, "boarddocs", "xml", "http://portal.test/oh/akron/Board.nsf/XML-ActiveMeetings",
        corpus("city-scrapers-akr/tests/files/akr_public_schools.xml"), portal_url=BOARDDOCS_PORTAL, text=False,
    )
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", 21)]
    assert spider.crawler.stats.values["k12signals/boards/boarddocs_xml_repaired"] == 15
    dates = sorted(request.meta["meeting_date"] for request in requests_of(items))
    assert dates[0] == "2005-12-31"
    assert dates[-1] == "2019-09-23"


def test_boarddocs_dropped_meetings_counted():
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<meetings>
<meeting bodyid="C1" id="M1"><name>Regular Meeting</name><start><date format="yyyy-mm-dd">2026-02-09</date></start></meeting>
<meeting bodyid="C1" id="M2"><name>Special Meeting & Hearing</name><start><date>not a date</date></start></meeting>
<meeting bodyid="C1"><name>Work Session</name><start><date format="yyyy-mm-dd">2026-03-02</date></start>
</meetings>"""
    spider = make_spider("2025-01-01")
    items = answer(spider, "boarddocs", "xml", "http://portal.test/oh/cmsd/Board.nsf/XML-ActiveMeetings", xml, portal_url=BOARDDOCS_PORTAL, text=False)
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", 1)]
    assert spider.crawler.stats.values["k12signals/boards/boarddocs_xml_dropped"] == 2


def test_boarddocs_xml_with_no_readable_meeting_is_drift():
    xml = b"<meetings><meeting><name>Regular</name></meeting></meetings>"
    spider = make_spider("2025-01-01")
    items = answer(spider, "boarddocs", "xml", "http://portal.test/oh/cmsd/Board.nsf/XML-ActiveMeetings", xml, portal_url=BOARDDOCS_PORTAL, text=False)
    assert [item.status for item in statuses(items)] == ["drift"]
    assert spider.crawler.stats.values["k12signals/boards/drift/boarddocs"] == 1


def test_boarddocs_missing_xml_falls_back_to_public_page():
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "xml", "http://portal.test/oh/cmsd/Board.nsf/XML-ActiveMeetings",
        b"<html><body>Not found</body></html>", portal_url=BOARDDOCS_PORTAL, status=404,
    )
    assert [request.url for request in requests_of(items)] == ["http://portal.test/oh/cmsd/Board.nsf/Public"]
    assert statuses(items) == []


@needs_corpus
def test_boarddocs_committee_id_posted():
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "public", "http://portal.test/pa/phos/Board.nsf/Public",
        corpus("civic-scraper/tests/fixtures/boarddocs_committee.html"), portal_url=BOARDDOCS_PORTAL,
    )
    [request] = requests_of(items)
    assert request.url == "http://portal.test/pa/phos/Board.nsf/BD-GetMeetingsList?open"
    assert request.method == "POST"
    assert request.body == b"current_committee_id=BD9UX3743939"


@needs_corpus
def test_boarddocs_public_page_without_committee_is_drift():
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "public", "http://portal.test/pa/phos/Board.nsf/Public",
        corpus("civic-scraper/tests/fixtures/boarddocs_meetings.html"), portal_url=BOARDDOCS_PORTAL,
    )
    [status] = statuses(items)
    assert status.status == "drift"
    assert "committee id" in status.detail
    assert requests_of(items) == []


@needs_corpus
@pytest.mark.parametrize(
    ("path", "since", "meetings", "newest"),
    [
        ("city-scrapers-wichita/tests/files/wicks_goddard_boe.json", "2023-01-01", 27, "2024-02-19"),
        ("city-scrapers-coloh/tests/files/colum_boe_meetings.json", "2025-01-01", 60, "2026-02-17"),
    ],
)
def test_boarddocs_json_meeting_list(path, since, meetings, newest):
    spider = make_spider(since)
    items = answer(
        spider, "boarddocs", "list", "http://portal.test/ks/usd265/Board.nsf/BD-GetMeetingsList?open",
        corpus(path), portal_url=BOARDDOCS_PORTAL, meta={"committee_id": "A4EP6J588C05"}, text=False,
    )
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", meetings)]
    agendas = [request for request in requests_of(items) if "PRINT-AgendaDetailed" in request.url]
    assert len(agendas) == meetings
    assert max(request.meta["meeting_date"] for request in agendas) == newest
    assert min(request.meta["meeting_date"] for request in agendas) >= since


def test_boarddocs_json_row_without_date_is_drift():
    body = json.dumps([{"unique": "CT23380490B4", "name": "Regular Meeting", "date": "2024-02-19"}]).encode()
    spider = make_spider("2023-01-01")
    items = answer(spider, "boarddocs", "list", "http://portal.test/ks/usd265/Board.nsf/BD-GetMeetingsList?open", body, portal_url=BOARDDOCS_PORTAL, text=False)
    [status] = statuses(items)
    assert status.status == "drift"
    assert "numberdate" in status.detail
    assert requests_of(items) == []


@needs_corpus
def test_boarddocs_agenda_page_dated_by_meeting():
    spider = make_spider("2025-01-01")
    url = "http://portal.test/oh/columbus/Board.nsf/PRINT-AgendaDetailed?open&id=DQ3VPX80F260"
    items = answer(
        spider, "boarddocs", "agenda", url, corpus("city-scrapers-coloh/tests/files/colum_boe_agenda.html"),
        portal_url=BOARDDOCS_PORTAL, meta={"meeting_date": "2026-02-17"},
    )
    [page] = pages(items)
    assert page.url == url
    assert page.source_type == "board_minutes"
    assert page.meeting_date == "2026-02-17"


def test_boarddocs_agenda_follows_attached_files():
    html = b"""<html><body><div class="print-meeting-name">Regular Meeting</div>
<div class="public-file"><a href="/oh/cmsd/Board.nsf/files/D2K4PA5C1B2E/$file/Minutes%20January%2012.pdf">Minutes</a></div>
<div class="public-file"><a href="/oh/cmsd/Board.nsf/files/D2K4PA5C1B2E/$file/Minutes%20January%2012.pdf">Minutes (again)</a></div>
<a href="/oh/cmsd/Board.nsf/Public">Home</a></body></html>"""
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "agenda", "http://portal.test/oh/cmsd/Board.nsf/PRINT-AgendaDetailed?open&id=M1",
        html, portal_url=BOARDDOCS_PORTAL, meta={"meeting_date": "2026-02-09"},
    )
    assert [request.url for request in requests_of(items)] == [
        "http://portal.test/oh/cmsd/Board.nsf/files/D2K4PA5C1B2E/$file/Minutes%20January%2012.pdf"
    ]
    assert requests_of(items)[0].meta["meeting_date"] == "2026-02-09"


def test_boarddocs_empty_minutes_skipped():
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "minutes", "http://portal.test/oh/cmsd/Board.nsf/BD-GetMinutes?open&id=M1",
        b"<div class='minutes'></div>", portal_url=BOARDDOCS_PORTAL, meta={"meeting_date": "2026-02-09"},
    )
    assert items == []


# Blocks.
CLOUDFLARE_PAGE = b"""<!DOCTYPE html><html><head><title>Just a moment...</title></head>
<body><div id="cf-chl-widget"></div><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>"""
CLOUDFLARE_BLOCK = b"<html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>"
INCAPSULA_PAGE = b"""<html><head><META NAME="robots" CONTENT="noindex,nofollow"></head>
<body><iframe src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=1-2-3"></iframe></body></html>"""
AKAMAI_PAGE = b"""<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>
You don't have permission to access "http&#58;&#47;&#47;go&#46;boarddocs&#46;com&#47;" on this server.<P>
Reference&#32;&#35;18&#46;7a3b1002&#46;1700000000&#46;1a2b3c4d</BODY></HTML>"""


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (CLOUDFLARE_PAGE, "Cloudflare challenge"),
        (CLOUDFLARE_BLOCK, "Cloudflare block page"),
        (INCAPSULA_PAGE, "Incapsula challenge"),
        (AKAMAI_PAGE.replace(b"&#32;&#35;", b" #"), "Akamai block page"),
        (b"<html><body><p>Access denied to the staff portal.</p></body></html>", None),
        (b"%PDF-1.7 cf-chl", None),
    ],
)
def test_challenge_marker(body, name):
    assert challenge_marker(body) == name


@pytest.mark.parametrize(
    ("platform", "step", "url", "portal_url"),
    [
        ("boarddocs", "xml", "http://portal.test/oh/cmsd/Board.nsf/XML-ActiveMeetings", BOARDDOCS_PORTAL),
        ("boardbook", "organization", "http://portal.test/Public/Organization/1810", "http://portal.test/Public/Organization/1810"),
        ("diligent", "meetings", "http://portal.test/Services/MeetingsService.svc/meetings?from=2025-01-01", "http://portal.test/"),
        ("civicplus", "search", "http://portal.test/AgendaCenter/Search/?term=", "http://portal.test/AgendaCenter"),
    ],
)
def test_challenge_page_is_blocked_not_empty(platform, step, url, portal_url):
    spider = make_spider("2025-01-01")
    items = answer(spider, platform, step, url, CLOUDFLARE_PAGE, portal_url=portal_url)
    assert [(item.status, item.meetings) for item in items] == [("blocked", 0)]
    assert "Cloudflare challenge" in items[0].detail
    assert spider.crawler.stats.values[f"k12signals/boards/blocked/{platform}"] == 1
    assert spider.scopes[DISTRICT].outcomes == {"blocked": 1}


def test_blocked_document_never_becomes_a_page():
    spider = make_spider("2025-01-01")
    items = answer(
        spider, "boarddocs", "agenda", "http://portal.test/oh/cmsd/Board.nsf/PRINT-AgendaDetailed?open&id=M1",
        INCAPSULA_PAGE, portal_url=BOARDDOCS_PORTAL, meta={"meeting_date": "2026-02-09"},
    )
    assert pages(items) == []
    assert [item.status for item in statuses(items)] == ["blocked"]


# Simbli.
SIMBLI_PORTAL = "http://portal.test/SB_Meetings/SB_MeetingListing.aspx?S=4054"


def simbli_listing_page() -> bytes:
    filler = "\n".join(f'<tr class="grid-row"><td>Row {n}</td></tr>' for n in range(400))
    return f"""<!DOCTYPE html><html><head><title>Simbli - Meeting Listing</title>
<script>var constr = "Z6PDprZMNLXHjSBXkCx3ny=="; var sToken = "ZekKE44z6voP8TArAiQr1K==";</script></head>
<body><form id="form1"><table id="grdMeetingListing">{filler}</table></form></body></html>""".encode()


def test_simbli_listing_posts_tokens():
    spider = make_spider("2024-07-01")
    items = answer(spider, "simbli", "listing", SIMBLI_PORTAL, simbli_listing_page(), portal_url=SIMBLI_PORTAL)
    [request] = requests_of(items)
    assert request.url == "http://portal.test/Services/api/GetMeetingListing"
    assert request.method == "POST"
    body = json.loads(request.body)
    assert body["ConnectionString"] == "Z6PDprZMNLXHjSBXkCx3ny=="
    assert body["SecurityToken"] == "ZekKE44z6voP8TArAiQr1K=="
    assert body["SchoolID"] == "4054"
    assert body["RecordCount"] == 50


def test_simbli_small_listing_is_blocked():
    spider = make_spider("2024-07-01")
    body = b"<html><head></head><body>Request unsuccessful.</body></html>"
    items = answer(spider, "simbli", "listing", SIMBLI_PORTAL, body, portal_url=SIMBLI_PORTAL)
    assert [(item.status, item.meetings) for item in items] == [("blocked", 0)]
    assert "bytes" in items[0].detail
    assert spider.crawler.stats.values["k12signals/boards/blocked/simbli"] == 1


def test_simbli_listing_without_tokens_is_drift():
    spider = make_spider("2024-07-01")
    body = simbli_listing_page().replace(b"constr", b"connection")
    items = answer(spider, "simbli", "listing", SIMBLI_PORTAL, body, portal_url=SIMBLI_PORTAL)
    [status] = statuses(items)
    assert status.status == "drift"
    assert "constr" in status.detail


@needs_corpus
def test_simbli_dekalb_meeting_listing():
    spider = make_spider("2024-07-01")
    meta = {"school": "4054", "tokens": ("c", "t"), "record_start": 0, "counted": 0}
    items = answer(
        spider, "simbli", "meetings", "http://portal.test/Services/api/GetMeetingListing",
        corpus("city-scrapers-atl/tests/files/atl_dekalb_county_boe.json"), portal_url=SIMBLI_PORTAL, meta=meta, text=False,
    )
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", 3)]
    urls = [request.url for request in requests_of(items)]
    assert urls[0] == "http://portal.test/SB_Meetings/ViewMeeting.aspx?S=4054&MID=118780"
    assert [request.meta["meeting_date"] for request in requests_of(items)][0] == "2024-07-11"


@needs_corpus
def test_simbli_full_page_asks_for_next():
    rows = json.loads(corpus("city-scrapers-atl/tests/files/atl_dekalb_county_boe.json"))
    full_page = json.dumps(rows + rows[-1:]).encode()
    spider = make_spider("2020-01-01")
    meta = {"school": "4054", "tokens": ("c", "t"), "record_start": 0, "counted": 0}
    items = answer(spider, "simbli", "meetings", "http://portal.test/Services/api/GetMeetingListing", full_page, portal_url=SIMBLI_PORTAL, meta=meta, text=False)
    assert statuses(items) == []
    next_page = [request for request in requests_of(items) if request.meta.get("board_step") == "meetings"]
    assert len(next_page) == 1
    assert json.loads(next_page[0].body)["RecordStart"] == 50
    assert next_page[0].meta["counted"] == 50


def test_simbli_row_without_meeting_id_is_drift():
    body = json.dumps([{"MM_DateTime": "2024-07-11T13:00:00", "MM_MeetingTitle": "Board Meeting"}]).encode()
    spider = make_spider("2024-07-01")
    meta = {"school": "4054", "tokens": ("c", "t"), "record_start": 0, "counted": 0}
    items = answer(spider, "simbli", "meetings", "http://portal.test/Services/api/GetMeetingListing", body, portal_url=SIMBLI_PORTAL, meta=meta, text=False)
    assert [item.status for item in statuses(items)] == ["drift"]
    assert spider.crawler.stats.values["k12signals/boards/drift/simbli"] == 1


# Diligent Community.
@needs_corpus
@pytest.mark.parametrize(
    ("path", "since", "meetings"),
    [
        ("city-scrapers-dallas/tests/files/daltx_school_district.json", "2026-01-01", 25),
        ("city-scrapers-tulsa/tests/files/tulok_boed.json", "2025-01-01", 48),
        ("city-scrapers-kancit/tests/files/kancit_kckpsboe.json", "2025-01-01", 9),
    ],
)
def test_diligent_meeting_list(path, since, meetings):
    spider = make_spider(since)
    items = answer(
        spider, "diligent", "meetings", "http://portal.test/Services/MeetingsService.svc/meetings?from=2025-01-01&to=2027-01-01",
        corpus(path), portal_url="http://portal.test/", text=False,
    )
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", meetings)]
    assert all(request.url.endswith("/meetingDocuments") for request in requests_of(items))


@needs_corpus
def test_diligent_meeting_ids_keyed_by_host():
    spider = make_spider("2026-01-01")
    body = corpus("city-scrapers-dallas/tests/files/daltx_school_district.json")
    first = answer(spider, "diligent", "meetings", "http://dallas.test/Services/MeetingsService.svc/meetings?from=a", body, portal_url="http://dallas.test/", text=False)
    again = answer(spider, "diligent", "meetings", "http://dallas.test/Services/MeetingsService.svc/meetings?from=a", body, portal_url="http://dallas.test/", text=False)
    other = answer(spider, "diligent", "meetings", "http://other.test/Services/MeetingsService.svc/meetings?from=a", body, portal_url="http://other.test/", text=False)
    assert len(requests_of(first)) == 25
    assert requests_of(again) == []
    assert len(requests_of(other)) == 25


@needs_corpus
def test_diligent_html_document_stored_under_meeting_page():
    spider = make_spider("2026-01-01")
    items = answer(
        spider, "diligent", "documents", "http://portal.test/Services/MeetingsService.svc/meetings/826/meetingDocuments",
        corpus("city-scrapers-dallas/tests/files/daltx_school_district_docs.json"), portal_url="http://portal.test/",
        meta={"meeting_date": "2026-05-28", "meeting_id": 826}, text=False,
    )
    [page] = pages(items)
    assert page.url == "http://portal.test/Portal/MeetingInformation.aspx?Org=Cal&Id=826&DocumentId=49668"
    assert page.meeting_date == "2026-05-28"
    assert b"Agenda content" in page.body
    # The PDF of the same agenda is not public.
    assert requests_of(items) == []


def test_diligent_documents_without_list_is_drift():
    spider = make_spider("2026-01-01")
    items = answer(
        spider, "diligent", "documents", "http://portal.test/Services/MeetingsService.svc/meetings/826/meetingDocuments",
        b'{"MeetingDateFormatted": "May 28, 2026"}', portal_url="http://portal.test/",
        meta={"meeting_date": "2026-05-28", "meeting_id": 826}, text=False,
    )
    [status] = statuses(items)
    assert status.status == "drift"
    assert "Documents" in status.detail


# CivicPlus AgendaCenter.
CIVICPLUS_SEARCH = """<!DOCTYPE html><html><head><title>Agenda Center - Example School District</title></head>
<body><form action="/AgendaCenter/Search/" method="get"></form>
<div id="cat4"><h2>Board of Education</h2>
<table><thead><tr><th>Meeting</th><th>Files</th></tr></thead><tbody>
<tr><td><h3><strong><a name="_02092026-812"></a>Feb 9, 2026</strong></h3>
<p><a href="/AgendaCenter/ViewFile/Agenda/_02092026-812">Regular Meeting</a></p></td>
<td><a href="/AgendaCenter/ViewFile/Agenda/_02092026-812?html=true" title="HTML version">HTML</a>
<a href="/AgendaCenter/ViewFile/Agenda/_02092026-812" title="Download">PDF</a>
<a href="/AgendaCenter/ViewFile/Agenda/_02092026-812?packet=true">Packet</a>
<a href="/AgendaCenter/PreviousVersions/_02092026-812">Previous Versions</a>
<a href="/AgendaCenter/ViewFile/Minutes/_02092026-812">Minutes</a></td></tr>
<tr><td><h3><strong><a name="_01122026-799"></a>Jan 12, 2026</strong></h3>
<p><a href="/AgendaCenter/ViewFile/Agenda/_01122026-799">Regular Meeting</a></p></td>
<td><a href="/AgendaCenter/ViewFile/Minutes/_01122026-799">Minutes</a></td></tr>
<tr><td><h3><strong><a name="_06102024-640"></a>Jun 10, 2024</strong></h3>
<p><a href="/AgendaCenter/ViewFile/Agenda/_06102024-640">Regular Meeting</a></p></td></tr>
</tbody></table></div></body></html>"""


def test_civicplus_search_reads_each_file_once():
    spider = make_spider("2025-01-01")
    items = answer(spider, "civicplus", "search", "http://portal.test/AgendaCenter/Search/?term=", CIVICPLUS_SEARCH.encode(), portal_url="http://portal.test/AgendaCenter")
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", 2)]
    requested = [(request.url, request.meta["meeting_date"]) for request in requests_of(items)]
    assert requested == [
        ("http://portal.test/AgendaCenter/ViewFile/Agenda/_02092026-812", "2026-02-09"),
        ("http://portal.test/AgendaCenter/ViewFile/Minutes/_02092026-812", "2026-02-09"),
        ("http://portal.test/AgendaCenter/ViewFile/Agenda/_01122026-799", "2026-01-12"),
        ("http://portal.test/AgendaCenter/ViewFile/Minutes/_01122026-799", "2026-01-12"),
    ]


def test_civicplus_row_without_file_key_is_drift():
    html = CIVICPLUS_SEARCH.replace("_01122026-799", "meeting-799")
    spider = make_spider("2025-01-01")
    items = answer(spider, "civicplus", "search", "http://portal.test/AgendaCenter/Search/?term=", html.encode(), portal_url="http://portal.test/AgendaCenter")
    assert [item.status for item in statuses(items)] == ["drift"]
    assert requests_of(items) == []
    assert spider.crawler.stats.values["k12signals/boards/drift/civicplus"] == 1


def test_civicplus_page_that_is_not_agendacenter_is_drift():
    spider = make_spider("2025-01-01")
    items = answer(spider, "civicplus", "search", "http://portal.test/AgendaCenter/Search/?term=", b"<html><body>Welcome</body></html>", portal_url="http://portal.test/AgendaCenter")
    assert [item.status for item in statuses(items)] == ["drift"]


# BoardBook / Sparq.
@needs_corpus
@pytest.mark.parametrize(
    ("path", "since", "meetings", "documents", "newest"),
    [
        ("city-scrapers-minn/tests/files/minn_st_paul_ps_boardbook.html", "2025-01-01", 45, 87, "2026-05-05"),
        ("city-scrapers-fortx_msrezaie/tests/files/fortx_Fort_Worth_Isd_Meetings.html", "2024-01-01", 20, 20, "2024-08-27"),
        ("city-scrapers-omaha/tests/files/oma_public_schools_boe_past_meetings.html", "2025-07-01", 28, 56, "2026-05-18"),
    ],
)
def test_boardbook_meeting_list(path, since, meetings, documents, newest):
    spider = make_spider(since)
    portal = "http://portal.test/Public/Organization/1810"
    items = answer(spider, "boardbook", "organization", portal, corpus(path), portal_url=portal)
    assert [(item.status, item.meetings) for item in statuses(items)] == [("ok", meetings)]
    requests = requests_of(items)
    assert len(requests) == documents
    assert all("/Public/Agenda/" in request.url or "/Public/Minutes/" in request.url for request in requests)
    assert max(request.meta["meeting_date"] for request in requests) == newest
    assert min(request.meta["meeting_date"] for request in requests) >= since


@needs_corpus
def test_boardbook_cancelled_meetings_skipped():
    spider = make_spider("2021-01-01")
    portal = "http://portal.test/Public/Organization/1810"
    items = answer(spider, "boardbook", "organization", portal, corpus("city-scrapers-minn/tests/files/minn_st_paul_ps_boardbook.html"), portal_url=portal)
    assert not any(request.url.endswith("meeting=494283") for request in requests_of(items))


@needs_corpus
def test_boardbook_without_meeting_table_is_drift():
    body = corpus("city-scrapers-minn/tests/files/minn_st_paul_ps_boardbook.html").replace(b"PublicMeetingsTable", b"MeetingsGrid")
    spider = make_spider("2025-01-01")
    portal = "http://portal.test/Public/Organization/1810"
    items = answer(spider, "boardbook", "organization", portal, body, portal_url=portal)
    assert [item.status for item in statuses(items)] == ["drift"]
    assert requests_of(items) == []
    assert spider.crawler.stats.values["k12signals/boards/drift/boardbook"] == 1


# Real crawls against portals on 127.0.0.1.
class PortalServer:
    """An HTTP server on 127.0.0.1 that answers GET and POST from routes keyed by path.

    A route is (status, content type, body) or a callable of (path with
    query, request body) that returns one. Every request is recorded as
    (method, path with query, body).
    """

    def __init__(self, routes: dict[str, tuple | Callable]):
        self.routes = routes
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                self.answer(b"")

            def do_POST(self):  # noqa: N802
                self.answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def answer(self, body: bytes):
                with server.lock:
                    server.requests.append((self.command, self.path, body))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    status, content_type, payload = 404, "text/html", b"<html><body>Not found</body></html>"
                else:
                    status, content_type, payload = route(self.path, body) if callable(route) else route
                payload = payload.encode("utf-8") if isinstance(payload, str) else payload
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "PortalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requested(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [path for verb, path, _ in self.requests if method in (None, verb)]


def minutes_pdf() -> bytes:
    # Landscape, so that the appointment sentence stays on one line: the
    # principal detector misses an appointment whose name starts a new line.
    pdf = FPDF(orientation="L")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    lines = [
        "Lakeshore Public Schools Board of Education",
        "Minutes of the Regular Meeting, February 9, 2026",
        "1. Call to order at 7:00 p.m.",
        "2. Approval of the consent agenda. Motion carried 6-0.",
        "3. Personnel. Upon the recommendation of the Superintendent:",
        "the Board approved the appointment of Renata Okafor as Principal of Birchwood Elementary School, effective July 1, 2026.",
        "4. Adjournment at 8:40 p.m.",
    ]
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


LAKESHORE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<meetings>
<meeting bodyid="C7LKSH001" bodyname="Board of Education" id="D9LK2026A1" order="1">
<name>Regular Meeting</name>
<start><date format="yyyy-mm-dd">2026-02-09</date></start>
<link>http://go.boarddocs.com/mi/lakeshore/Board.nsf/goto?open&amp;id=D9LK2026A1</link>
<category id="D9LKC1" order="1"><name>7. Personnel</name><agendaitems>
<item id="D9LKI1" order="1"><name>7.01 Personnel Recommendations & Appointments</name></item>
</agendaitems></category>
</meeting>
<meeting bodyid="C7LKSH001" bodyname="Board of Education" id="C1LK2020A1" order="2">
<name>Regular Meeting</name>
<start><date format="yyyy-mm-dd">2020-03-09</date></start>
</meeting>
</meetings>"""

LAKESHORE_AGENDA = """<html><body><div class="print-meeting-name">Regular Meeting</div>
<div class="print-meeting-date">Monday, February 9, 2026</div>
<div class="print-agenda-item">7.01 Personnel Recommendations and Appointments</div>
<div class="public-file"><a href="/mi/lakeshore/Board.nsf/files/D9LKF1/$file/Minutes%202026-02-09.pdf">Minutes 2026-02-09.pdf</a></div>
</body></html>"""

DILIGENT_DRIFTED = json.dumps([{"MeetingId": 826, "Title": "Board Meeting", "Start": "2026-01-15T18:00:00"}])


def district_home(name: str) -> str:
    return f"""<!DOCTYPE html><html><head><title>{name}</title></head>
<body><main><h1>{name}</h1><p>Welcome to {name}.</p></main></body></html>"""


def portal_routes(boardbook_page: bytes | None) -> dict:
    routes = {
        "/mi/lakeshore/Board.nsf/XML-ActiveMeetings": (200, "text/xml", LAKESHORE_XML),
        "/mi/lakeshore/Board.nsf/PRINT-AgendaDetailed": (200, "text/html; charset=utf-8", LAKESHORE_AGENDA),
        "/mi/lakeshore/Board.nsf/BD-GetMinutes": (200, "text/html", "<div></div>"),
        "/mi/lakeshore/Board.nsf/files/D9LKF1/$file/Minutes%202026-02-09.pdf": (200, "application/pdf", minutes_pdf()),
        "/oh/fenwick/Board.nsf/XML-ActiveMeetings": (403, "text/html", "<html><body>Forbidden</body></html>"),
        "/SB_Meetings/SB_MeetingListing.aspx": (200, "text/html", "<html><body>Request unsuccessful. Incapsula incident ID: 1-2</body></html>"),
        "/Services/MeetingsService.svc/meetings": (200, "application/json", DILIGENT_DRIFTED),
    }
    if boardbook_page is not None:
        routes["/Public/Organization/1810"] = (200, "text/html; charset=utf-8", boardbook_page)
        routes["/Public/Agenda/1810"] = (200, "text/html", "<html><body><h1>Agenda</h1><p>Call to order.</p></body></html>")
        routes["/Public/Minutes/1810"] = (200, "text/html", "<html><body><h1>Minutes</h1><p>Approved.</p></body></html>")
    return routes


DISTRICTS = [
    # (nces_id, name, folder, board_platform, board path)
    ("2699901", "Lakeshore Public Schools", "lakeshore", "boarddocs", "/mi/lakeshore/Board.nsf/Public"),
    ("3999902", "Fenwick City Schools", "fenwick", "boarddocs", "/oh/fenwick/Board.nsf/Public"),
    ("1399903", "Red Clay County Schools", "redclay", "simbli", "/SB_Meetings/SB_MeetingListing.aspx?S=4054"),
    ("4899904", "Cedar Bend ISD", "cedarbend", "diligent", "/"),
    ("2799905", "Saint Paul Public Schools", "stpaul", "boardbook", "/Public/Organization/1810"),
]


@pytest.fixture(scope="module")
def portal_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boards")
    boardbook_page = corpus("city-scrapers-minn/tests/files/minn_st_paul_ps_boardbook.html") if CORPUS.is_dir() else None
    districts = [row for row in DISTRICTS if boardbook_page is not None or row[3] != "boardbook"]
    with SiteServer() as site, PortalServer(portal_routes(boardbook_page)) as portal:
        for _, name, path, _, _ in districts:
            site.routes[f"/{path}/"] = Route(district_home(name))
        lines = ["nces_id,name,state,website,board_platform,board_url"]
        for nces_id, name, path, platform, board_path in districts:
            lines.append(f"{nces_id},{name},MI,{site.host}/{path},{platform},{portal.base_url}{board_path}")
        registry = folder / "registry.csv"
        registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
        database = folder / "signals.db"
        result = run_crawl(database, f"registry={registry}", "since=2025-06-01", settings={"LOG_LEVEL": "INFO"})
        yield {"result": result, "database": database, "portal": portal, "portal_url": portal.base_url, "districts": districts}


def query(crawl, sql, *params):
    connection = sqlite3.connect(crawl["database"])
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def portal_row(crawl, nces_id):
    rows = query(crawl, "SELECT * FROM board_portals WHERE district_id = ?", nces_id)
    assert len(rows) == 1, crawl["result"].log[-3000:]
    return rows[0]


def test_portal_crawl_exits_cleanly(portal_crawl):
    assert portal_crawl["result"].returncode == 0, portal_crawl["result"].log[-3000:]


def test_minutes_pdf_appointment_dated_by_meeting(portal_crawl):
    rows = query(portal_crawl, "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE '%Okafor%'")
    assert len(rows) == 1, portal_crawl["result"].log[-3000:]
    appointment = rows[0]
    assert appointment["district_id"] == "2699901"
    assert "Birchwood Elementary" in (appointment["school"] or "")
    assert appointment["effective_date"] == "2026-07-01"
    assert appointment["published_at"] == "2026-02-09"
    assert appointment["source_type"] == "board_minutes"
    assert appointment["url"] == f"{portal_crawl['portal_url']}/mi/lakeshore/Board.nsf/files/D9LKF1/$file/Minutes%202026-02-09.pdf"


def test_boarddocs_documents_stored_as_board_minutes(portal_crawl):
    rows = query(portal_crawl, "SELECT url, source_type, published_at FROM pages WHERE district_id = '2699901' AND url LIKE '%Board.nsf%' ORDER BY url")
    by_url = {row["url"].removeprefix(portal_crawl["portal_url"]): row for row in rows}
    agenda = "/mi/lakeshore/Board.nsf/PRINT-AgendaDetailed?open&id=D9LK2026A1&current_committee_id=C7LKSH001"
    assert agenda in by_url
    assert by_url[agenda]["source_type"] == "board_minutes"
    assert by_url[agenda]["published_at"] == "2026-02-09"
    # The minutes answer is an empty shell, so it is not stored.
    assert not any("BD-GetMinutes" in url for url in by_url)


def test_boarddocs_reads_only_meetings_since(portal_crawl):
    requested = portal_crawl["portal"].requested()
    assert any("id=D9LK2026A1" in path for path in requested)
    assert not any("C1LK2020A1" in path for path in requested)
    assert ("POST", "/mi/lakeshore/Board.nsf/BD-GetMinutes?open&id=D9LK2026A1") in [
        (method, path) for method, path, _ in portal_crawl["portal"].requests
    ]
    assert portal_row(portal_crawl, "2699901")["status"] == "ok"
    assert portal_row(portal_crawl, "2699901")["meetings"] == 1


def test_forbidden_portal_recorded_as_blocked(portal_crawl):
    row = portal_row(portal_crawl, "3999902")
    assert row["status"] == "blocked"
    assert "HTTP 403" in row["detail"]
    assert "'k12signals/boards/blocked/boarddocs': 1" in portal_crawl["result"].log


def test_simbli_block_page_recorded_as_blocked(portal_crawl):
    row = portal_row(portal_crawl, "1399903")
    assert row["status"] == "blocked"
    assert row["meetings"] == 0
    assert "'k12signals/boards/blocked/simbli': 1" in portal_crawl["result"].log
    assert query(portal_crawl, "SELECT url FROM pages WHERE district_id = '1399903' AND url LIKE '%SB_Meeting%'") == []


def test_diligent_drift_logged_and_recorded(portal_crawl):
    row = portal_row(portal_crawl, "4899904")
    assert row["status"] == "drift"
    assert "'Id'" in row["detail"]
    log = portal_crawl["result"].log
    assert "'k12signals/boards/drift/diligent': 1" in log
    assert "ERROR" in log and "District 4899904: diligent portal" in log


@needs_corpus
def test_boardbook_portal_read_in_crawl(portal_crawl):
    row = portal_row(portal_crawl, "2799905")
    assert row["status"] == "ok"
    assert row["meetings"] == 39
    rows = query(portal_crawl, "SELECT published_at FROM pages WHERE district_id = '2799905' AND url LIKE '%/Public/%' AND source_type = 'board_minutes'")
    assert len(rows) > 20
    assert all(row["published_at"] >= "2025-06-01" for row in rows)
