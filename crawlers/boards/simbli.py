"""Simbli / eBoardSolutions (simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S={id}).

Steps:

1. `listing`: GET the listing page. It carries two tokens, `constr` and
   `sToken`, that the JSON listing API requires. The real page is large
   (tens of kB of script and markup); a response under about 10 kB is the
   block page that Incapsula serves in its place.
2. `meetings`: POST the tokens to `/Services/api/GetMeetingListing`, newest
   first, 50 meetings a page, and page on while the oldest meeting of a
   full page is still on or after `spider.since`.
3. `meeting`: GET `SB_Meetings/ViewMeeting.aspx?S={id}&MID={meeting}` for each
   meeting in the window, and the PDF files it links to.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from crawlers.boards import register
from crawlers.boards.common import (
    LayoutDrift,
    PortalBlocked,
    first_time,
    in_window,
    ok_item,
    origin,
    parse_iso_date,
    require,
    run_step,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# Below this size a listing page is a block page, not a listing.
MIN_LISTING_BYTES = 10_000
LISTING_PATH = "/SB_Meetings/SB_MeetingListing.aspx"


def find_token(html: str, name: str) -> str | None:
    """Value of the token `name` in the listing page: a script variable, an object key or a hidden input.

    NOTE: the forms accepted here come from descriptions of the page; no saved
    copy of a real listing page was available to check them against.
    """
    patterns = (
        rf"""\b{name}\b["']?\s*[:=]\s*["']([^"']+)["']""",
        rf"""(?:id|name)=["'](?:hdn)?{name}["'][^>]*?\bvalue=["']([^"']+)["']""",
        rf"""\bvalue=["']([^"']+)["'][^>]*?(?:id|name)=["'](?:hdn)?{name}["']""",
    )
    for pattern in patterns:
        match = re.search(pattern, html, re.IGNORECASE)
        if match:
            return match.group(1)
    return None


class SimbliAdapter:
    platform = "simbli"

    def detect(self, url: str) -> str | None:
        parts = urlsplit(url)
        school = parse_qs(parts.query).get("S") or parse_qs(parts.query).get("s")
        if not school or not school[0].isdigit():
            return None
        on_simbli_host = parts.netloc.lower().endswith("eboardsolutions.com")
        if parts.path.lower() == LISTING_PATH.lower() or on_simbli_host:
            return f"{parts.scheme}://{parts.netloc}{LISTING_PATH}?S={school[0]}"
        return None

    def start(self, spider, district_id, portal_url):
        yield spider.board_request(
            portal_url, district_id, platform=self.platform, step="listing", portal_url=portal_url
        )

    def parse(self, spider, response):
        steps = {"listing": self.parse_listing, "meetings": self.parse_meetings, "meeting": self.parse_meeting}
        return run_step(spider, response, steps[response.meta["board_step"]])

    def parse_listing(self, spider, response):
        if len(response.body) < MIN_LISTING_BYTES:
            raise PortalBlocked(f"listing page of {len(response.body)} bytes, a block page")
        html = response.text
        connection = require(find_token(html, "constr"), "token 'constr' on the listing page")
        token = require(find_token(html, "sToken"), "token 'sToken' on the listing page")
        school = require(parse_qs(urlsplit(response.url).query).get("S"), "S= (school id) in the listing URL")[0]
        yield self.listing_request(spider, response, school, connection, token, record_start=0, counted=0)

    def listing_request(self, spider, response, school, connection, token, *, record_start, counted):
        body = {
            "ListingType": "0",
            "TimeZone": "0",
            "CustomSort": 0,
            "SortColName": "DateTime",
            "IsSortDesc": True,
            "RecordStart": record_start,
            "RecordCount": PAGE_SIZE,
            "FilterExp": "",
            "IsUserLoggedIn": False,
            "SchoolID": school,
            "ConnectionString": connection,
            "SecurityToken": token,
        }
        return spider.board_request(
            f"{origin(response.url)}/Services/api/GetMeetingListing",
            response.meta["district_id"],
            platform=self.platform,
            step="meetings",
            portal_url=response.meta["portal_url"],
            meta={"school": school, "tokens": (connection, token), "record_start": record_start, "counted": counted},
            method="POST",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )

    def parse_meetings(self, spider, response):
        try:
            rows = json.loads(response.text)
        except ValueError as error:
            raise LayoutDrift(f"GetMeetingListing response is not JSON: {error}") from None
        if not isinstance(rows, list):
            raise LayoutDrift(f"GetMeetingListing response is a {type(rows).__name__}, expected a list")

        school = response.meta["school"]
        counted = response.meta["counted"]
        oldest_in_window = True
        total = None
        for row in rows:
            meeting_id = require(row.get("Master_MeetingID"), "'Master_MeetingID' in a GetMeetingListing row")
            meeting_date = parse_iso_date(row.get("MM_DateTime"), "'MM_DateTime' in a GetMeetingListing row")
            total = row.get("MeetingsCount", total)
            if not in_window(spider, meeting_date):
                oldest_in_window = False
                continue
            counted += 1
            if not first_time(spider, self.platform, origin(response.url), school, meeting_id):
                continue
            yield spider.board_request(
                f"{origin(response.url)}/SB_Meetings/ViewMeeting.aspx?S={school}&MID={meeting_id}",
                response.meta["district_id"],
                platform=self.platform,
                step="meeting",
                portal_url=response.meta["portal_url"],
                meta={"meeting_date": meeting_date.isoformat()},
            )

        next_start = response.meta["record_start"] + PAGE_SIZE
        more = len(rows) == PAGE_SIZE and oldest_in_window and (total is None or next_start < int(total))
        if more:
            connection, token = response.meta["tokens"]
            yield self.listing_request(
                spider, response, school, connection, token, record_start=next_start, counted=counted
            )
        else:
            yield ok_item(spider, response, counted)

    def parse_meeting(self, spider, response):
        meeting_date = response.meta["meeting_date"]
        yield spider.board_document(response, response.meta["district_id"], meeting_date=meeting_date)
        if not hasattr(response, "text"):
            return
        for href in Selector(text=response.text).css("a::attr(href)").getall():
            url = urljoin(response.url, href)
            if not urlsplit(url).path.lower().endswith(".pdf") or not first_time(spider, self.platform, "file", url):
                continue
            yield spider.board_request(
                url,
                response.meta["district_id"],
                platform=self.platform,
                step="meeting",
                portal_url=response.meta["portal_url"],
                meta={"meeting_date": meeting_date},
            )


register(SimbliAdapter())
