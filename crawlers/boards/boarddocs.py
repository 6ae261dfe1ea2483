"""BoardDocs (go.boarddocs.com/{state}/{slug}/Board.nsf/Public).

Steps:

1. `xml`: GET `Board.nsf/XML-ActiveMeetings`, the meeting history with agenda
   item names in one response. Its XML is often not well formed (a missing
   `<category>` start tag in archive meetings), so each `<meeting>` element
   is parsed on its own with lxml's recover mode, and the meetings that
   still cannot be read are counted and logged.
2. When that response is missing or not XML, `public` reads the committee id
   from the `Board.nsf/Public` page and `list` POSTs it to
   `BD-GetMeetingsList?open`, which returns the meetings as JSON with a
   `numberdate` (YYYYMMDD) each.
3. For each meeting on or after `spider.since`: `agenda` GETs
   `PRINT-AgendaDetailed?open&id={meeting}&current_committee_id={committee}`
   and follows the files attached to its items (`files/.../$file/...`),
   and `minutes` POSTs the meeting id to `BD-GetMinutes?open&id={meeting}`.
   The meeting id in the query gives each document its own stored URL.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode, urljoin

from lxml import etree
from parsel import Selector

from crawlers.boards import register
from crawlers.boards.common import LayoutDrift, first_time, in_window, ok_item, require, run_step

logger = logging.getLogger(__name__)

# The first path segment is a state code ("oh") or a state association's account ("vsba", "mabe").
PORTAL_PATH = re.compile(r"^(?P<base>https?://[^/]+/[A-Za-z0-9]+/[^/?#]+/Board\.nsf)(?:[/?#]|$)", re.IGNORECASE)
MEETING_ELEMENT = re.compile(rb"<meeting\b.*?(?:</meeting>|(?=<meeting\b)|\Z)", re.DOTALL)
ATTACHMENT_LINK = re.compile(r"/files/[^?#]*\$file/|\.pdf(?:$|\?)", re.IGNORECASE)
# A BD-GetMinutes response with less text than this contains no minutes,
# because the portal returns an empty shell for meetings without minutes.
MIN_MINUTES_TEXT = 40

XHR_HEADERS = {"X-Requested-With": "XMLHttpRequest"}
FORM_HEADERS = {**XHR_HEADERS, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def board_base(url: str) -> str | None:
    """Return the `.../{state}/{slug}/Board.nsf` prefix of a BoardDocs URL, or None."""
    match = PORTAL_PATH.match(url)
    return match.group("base") if match else None


class BoardDocsAdapter:
    platform = "boarddocs"

    def detect(self, url: str) -> str | None:
        base = board_base(url)
        return f"{base}/Public" if base else None

    def start(self, spider, district_id, portal_url):
        base = board_base(portal_url)
        if base is None:
            logger.error("District %s: invalid BoardDocs portal URL %s; expected a /{state}/{slug}/Board.nsf path", district_id, portal_url)
            return
        yield self.request(spider, district_id, portal_url, f"{base}/XML-ActiveMeetings", "xml", meta={"handle_httpstatus_list": [404]})

    def parse(self, spider, response):
        steps = {
            "xml": self.parse_xml,
            "public": self.parse_public,
            "list": self.parse_list,
            "agenda": self.parse_agenda,
            "minutes": self.parse_minutes,
            "file": self.parse_file,
        }
        return run_step(spider, response, steps[response.meta["board_step"]])

    def request(self, spider, district_id, portal_url, url, step, meta=None, **arguments):
        return spider.board_request(
            url, district_id, platform=self.platform, step=step, portal_url=portal_url, meta=meta, **arguments
        )

    # Meeting lists.
    def parse_xml(self, spider, response):
        body = response.body
        if response.status == 404 or b"<meetings" not in body[:4096]:
            logger.info(
                "District %s: %s has no XML meeting list (HTTP %d); reading the JSON list",
                response.meta["district_id"], response.url, response.status,
            )
            yield self.request(
                spider, response.meta["district_id"], response.meta["portal_url"],
                f"{board_base(response.url)}/Public", "public",
            )
            return

        listed = parse_active_meetings(body)
        stats = spider.crawler.stats
        if listed.repaired:
            stats.inc_value("k12signals/boards/boarddocs_xml_repaired", listed.repaired)
        if listed.dropped:
            stats.inc_value("k12signals/boards/boarddocs_xml_dropped", listed.dropped)
        if listed.repaired or listed.dropped:
            logger.warning(
                "District %s: %s is not well formed: %d meetings read after repair, %d of %d dropped",
                response.meta["district_id"], response.url, listed.repaired, listed.dropped,
                len(listed.meetings) + listed.dropped,
            )
        if listed.dropped and not listed.meetings:
            raise LayoutDrift(f"none of the {listed.dropped} <meeting> elements has an id and a start date")
        yield from self.read_meetings(spider, response, listed.meetings)

    def parse_public(self, spider, response):
        selector = Selector(text=response.text)
        committee = (
            selector.css('select[name="committeeid"] option::attr(value)').get()
            or selector.css(".committee-item::attr(data-id)").get()
            or _search(r"defaultCommitteeId\s*=\s*[\"']([A-Z0-9]+)", response.text)
        )
        require(committee, "committee id (select[name=committeeid] option) on the Public page")
        base = board_base(response.url)
        yield self.request(
            spider, response.meta["district_id"], response.meta["portal_url"],
            f"{base}/BD-GetMeetingsList?open", "list",
            meta={"committee_id": committee},
            method="POST", body=urlencode({"current_committee_id": committee}), headers=FORM_HEADERS,
        )

    def parse_list(self, spider, response):
        try:
            rows = json.loads(response.text)
        except ValueError as error:
            raise LayoutDrift(f"BD-GetMeetingsList response is not JSON: {error}") from None
        if not isinstance(rows, list):
            raise LayoutDrift(f"BD-GetMeetingsList response is a {type(rows).__name__}, expected a list")
        committee = response.meta.get("committee_id")
        meetings = []
        for row in rows:
            if not row:
                # The list ends with an empty object.
                continue
            meeting_id = require(row.get("unique"), "'unique' (meeting id) in a BD-GetMeetingsList row")
            meetings.append((meeting_id, parse_numberdate(row.get("numberdate")), committee))
        yield from self.read_meetings(spider, response, meetings)

    def read_meetings(self, spider, response, meetings):
        """Requests for the agenda and minutes of each meeting in the window, then the portal's status."""
        base = board_base(response.url)
        district_id = response.meta["district_id"]
        portal_url = response.meta["portal_url"]
        count = 0
        for meeting_id, meeting_date, committee in meetings:
            if not in_window(spider, meeting_date):
                continue
            count += 1
            if not first_time(spider, self.platform, base, meeting_id):
                continue
            meta = {"meeting_date": meeting_date.isoformat(), "meeting_id": meeting_id}
            query = {"id": meeting_id, **({"current_committee_id": committee} if committee else {})}
            yield self.request(
                spider, district_id, portal_url,
                f"{base}/PRINT-AgendaDetailed?open&{urlencode(query)}", "agenda", meta=meta,
            )
            yield self.request(
                spider, district_id, portal_url,
                f"{base}/BD-GetMinutes?open&{urlencode({'id': meeting_id})}", "minutes", meta=meta,
                method="POST", body=urlencode(query), headers=FORM_HEADERS,
            )
        yield ok_item(spider, response, count)

    # Documents.
    def parse_agenda(self, spider, response):
        meeting_date = response.meta["meeting_date"]
        yield spider.board_document(response, response.meta["district_id"], meeting_date=meeting_date)
        if not hasattr(response, "text"):
            return
        selector = Selector(text=response.text)
        for href in selector.css("a::attr(href)").getall():
            url = urljoin(response.url, href)
            if not ATTACHMENT_LINK.search(url) or not first_time(spider, self.platform, "file", url):
                continue
            yield self.request(
                spider, response.meta["district_id"], response.meta["portal_url"], url, "file",
                meta={"meeting_date": meeting_date},
            )

    def parse_minutes(self, spider, response):
        if not hasattr(response, "text"):
            yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])
            return
        text = " ".join(Selector(text=response.text or "<html></html>").xpath("//body//text()").getall())
        if len(" ".join(text.split())) < MIN_MINUTES_TEXT:
            return
        yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])

    def parse_file(self, spider, response):
        yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])


@dataclass
class ActiveMeetings:
    """Meetings read from XML-ActiveMeetings, with the counts of elements repaired and dropped."""

    meetings: list[tuple[str, date, str | None]] = field(default_factory=list)
    repaired: int = 0
    dropped: int = 0


def parse_active_meetings(body: bytes) -> ActiveMeetings:
    """Read each <meeting> element on its own, so that one malformed meeting costs only itself."""
    result = ActiveMeetings()
    for chunk in MEETING_ELEMENT.findall(body):
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        element = etree.fromstring(chunk, parser)
        text = element.findtext("start/date") if element is not None else None
        meeting_id = element.get("id") if element is not None else None
        try:
            meeting_date = date.fromisoformat((text or "").strip())
        except ValueError:
            meeting_date = None
        if not meeting_id or meeting_date is None:
            result.dropped += 1
            continue
        if len(parser.error_log):
            result.repaired += 1
        result.meetings.append((meeting_id, meeting_date, element.get("bodyid")))
    return result


def parse_numberdate(value) -> date:
    text = str(value or "")
    if not re.fullmatch(r"\d{8}", text):
        raise LayoutDrift(f"invalid 'numberdate' {value!r} in a BD-GetMeetingsList row; expected YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as error:
        raise LayoutDrift(f"invalid 'numberdate' {value!r}: {error}") from None


def _search(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


register(BoardDocsAdapter())
