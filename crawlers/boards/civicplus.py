"""CivicPlus AgendaCenter (`/AgendaCenter` on a CivicPlus site, often the district's own).

Steps:

1. `search`: GET `/AgendaCenter/Search/?term=&CIDs=all&startDate=&endDate=`
   for the date window. The response lists one block (`div#cat{n}`) per board
   and one table row per meeting, with links to
   `/AgendaCenter/ViewFile/{Agenda|Minutes}/_MMDDYYYY-{id}`. The meeting date
   is read from that `_MMDDYYYY-{id}` part. The same file is linked more than
   once (title and download menu, `?html=true` views), so links are read
   once per path, and "previous versions" pages and agenda packets are
   skipped.
2. `file`: GET each agenda and minutes file.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode, urljoin, urlsplit

from parsel import Selector

from crawlers.boards import register
from crawlers.boards.common import LayoutDrift, first_time, in_window, ok_item, origin, require, run_step

logger = logging.getLogger(__name__)

FILE_KEY = re.compile(r"_(\d{2})(\d{2})(\d{4})-(\d+)")
LOOKAHEAD = timedelta(days=365)


def meeting_key(text: str) -> tuple[date, str] | None:
    """(meeting date, meeting id) from the `_MMDDYYYY-id` part of a link or anchor name."""
    match = FILE_KEY.search(text or "")
    if match is None:
        return None
    month, day, year, meeting_id = match.groups()
    try:
        return date(int(year), int(month), int(day)), meeting_id
    except ValueError:
        raise LayoutDrift(f"invalid date in AgendaCenter file key {match.group(0)!r}") from None


class CivicPlusAdapter:
    platform = "civicplus"

    def detect(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and re.match(r"/agendacenter(/|$)", parts.path, re.IGNORECASE):
            return f"{parts.scheme}://{parts.netloc}/AgendaCenter"
        return None

    def start(self, spider, district_id, portal_url):
        since = getattr(spider, "since", None) or datetime.now(timezone.utc).date() - timedelta(days=730)
        until = datetime.now(timezone.utc).date() + LOOKAHEAD
        query = urlencode(
            {
                "term": "",
                "CIDs": "all",
                "startDate": since.strftime("%m/%d/%Y"),
                "endDate": until.strftime("%m/%d/%Y"),
                "dateRange": "",
                "dateSelector": "",
            }
        )
        yield spider.board_request(
            f"{origin(portal_url)}/AgendaCenter/Search/?{query}",
            district_id,
            platform=self.platform,
            step="search",
            portal_url=portal_url,
        )

    def parse(self, spider, response):
        steps = {"search": self.parse_search, "file": self.parse_file}
        return run_step(spider, response, steps[response.meta["board_step"]])

    def parse_search(self, spider, response):
        html = require(getattr(response, "text", ""), "search results page")
        if "agendacenter" not in html.lower():
            raise LayoutDrift("the search response is not an AgendaCenter page")
        selector = Selector(text=html)
        meetings: set[str] = set()
        read_paths: set[str] = set()
        requests = []
        for board in selector.css('div[id^="cat"]'):
            for row in board.css("tr"):
                if row.css("th") and not row.css("td"):
                    continue
                links = row.css('a[href*="/AgendaCenter/ViewFile/"]::attr(href), a[href*="/agendacenter/viewfile/"]::attr(href)').getall()
                names = row.css("a::attr(name)").getall()
                key = next(filter(None, (meeting_key(text) for text in links + names)), None)
                if key is None:
                    raise LayoutDrift(f"meeting row without a _MMDDYYYY-id file link in board block {board.attrib.get('id')}")
                meeting_date, meeting_id = key
                if not in_window(spider, meeting_date):
                    continue
                meetings.add(meeting_id)
                for href in links:
                    url = urljoin(response.url, href)
                    parts = urlsplit(url)
                    if "previousversions" in parts.path.lower() or "packet=true" in parts.query.lower():
                        continue
                    if parts.path in read_paths or not first_time(spider, self.platform, parts.netloc, parts.path):
                        continue
                    read_paths.add(parts.path)
                    file_date = (meeting_key(parts.path) or key)[0]
                    requests.append(
                        spider.board_request(
                            f"{parts.scheme}://{parts.netloc}{parts.path}",
                            response.meta["district_id"],
                            platform=self.platform,
                            step="file",
                            portal_url=response.meta["portal_url"],
                            meta={"meeting_date": file_date.isoformat()},
                        )
                    )
        yield from requests
        yield ok_item(spider, response, len(meetings))

    def parse_file(self, spider, response):
        yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])


register(CivicPlusAdapter())
