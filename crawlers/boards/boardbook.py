"""BoardBook Premier and Sparq Meetings (meetings.boardbook.org or meeting.sparqdata.com/Public/Organization/{id}).

Steps:

1. `organization`: GET `/Public/Organization/{id}`, which lists every
   meeting on one page: a row of `table#PublicMeetingsTable` per meeting,
   whose first cell starts with the date ("May 5, 2026 at 4:30 PM - ...",
   "Cancelled ..." for a cancelled one), with links to
   `/Public/Agenda/{id}?meeting={meeting}` and `/Public/Minutes/{id}?meeting={meeting}`.
2. `document`: GET each agenda and minutes page of the meetings on or after
   `spider.since` that were not cancelled.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawlers.boards import register
from crawlers.boards.common import first_time, in_window, ok_item, parse_us_date, require, run_step

logger = logging.getLogger(__name__)

HOSTS = ("boardbook.org", "sparqdata.com")
ORGANIZATION_PATH = re.compile(r"^/Public/Organization/(\d+)", re.IGNORECASE)
DOCUMENT_PATH = re.compile(r"^/Public/(Agenda|Minutes)/\d+$", re.IGNORECASE)


class BoardBookAdapter:
    platform = "boardbook"

    def detect(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = parts.netloc.lower().split(":")[0]
        match = ORGANIZATION_PATH.match(parts.path)
        if match and any(host == name or host.endswith("." + name) for name in HOSTS):
            return f"{parts.scheme}://{parts.netloc}/Public/Organization/{match.group(1)}"
        return None

    def start(self, spider, district_id, portal_url):
        yield spider.board_request(
            portal_url, district_id, platform=self.platform, step="organization", portal_url=portal_url
        )

    def parse(self, spider, response):
        steps = {"organization": self.parse_organization, "document": self.parse_document}
        return run_step(spider, response, steps[response.meta["board_step"]])

    def parse_organization(self, spider, response):
        selector = Selector(text=require(getattr(response, "text", ""), "meeting list page"))
        table = require(selector.css("table#PublicMeetingsTable"), "table#PublicMeetingsTable")
        rows = table.css("tbody tr")
        count = 0
        for row in rows:
            first_cell = " ".join(" ".join(row.css("td:first-child ::text").getall()).split())
            require(first_cell, "meeting text in the first cell of a PublicMeetingsTable row")
            meeting_date = parse_us_date(first_cell, "PublicMeetingsTable row")
            if first_cell.lower().startswith("cancel") or not in_window(spider, meeting_date):
                continue
            count += 1
            for href in row.css("a::attr(href)").getall():
                url = urljoin(response.url, href)
                parts = urlsplit(url)
                if not DOCUMENT_PATH.match(parts.path) or not first_time(spider, self.platform, parts.netloc, parts.path, parts.query):
                    continue
                yield spider.board_request(
                    url,
                    response.meta["district_id"],
                    platform=self.platform,
                    step="document",
                    portal_url=response.meta["portal_url"],
                    meta={"meeting_date": meeting_date.isoformat()},
                )
        yield ok_item(spider, response, count)

    def parse_document(self, spider, response):
        yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])


register(BoardBookAdapter())
