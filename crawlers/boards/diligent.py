"""Diligent Community, and the same product under its older names (iCompass, CivicWeb, HighBond).

Steps:

1. `meetings`: GET `/Services/MeetingsService.svc/meetings?from={since}&to={a year ahead}`,
   a JSON list of meetings with `Id` and `MeetingDateTime` ("2026-05-28 18:00").
2. `documents`: GET `/Services/MeetingsService.svc/meetings/{Id}/meetingDocuments`
   for each meeting, a JSON object whose `Documents` carry the agenda or
   minutes as rendered HTML (`Html`) or as a file (`Format`, e.g. "pdf").
   HTML documents are read from that response and stored under the meeting's
   public page, `Portal/MeetingInformation.aspx?Org=Cal&Id={Id}`, with the
   document id added so that each document keeps its own URL; public files
   are fetched from `/document/{document id}`.

Meeting ids are small numbers that repeat from one tenant to the next, so
meetings are keyed by host.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit

from scrapy.http import HtmlResponse

from crawlers.boards import register
from crawlers.boards.common import LayoutDrift, first_time, in_window, ok_item, origin, parse_iso_date, require, run_step

logger = logging.getLogger(__name__)

HOST_SUFFIXES = (".diligent.community", ".civicweb.net", ".community.highbond.com")
# Meetings are listed this far ahead, so that agendas posted for coming meetings are read.
LOOKAHEAD = timedelta(days=365)
MEETINGS_PATH = "/Services/MeetingsService.svc/meetings"


class DiligentAdapter:
    platform = "diligent"

    def detect(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = parts.netloc.lower().split(":")[0]
        if host.endswith(HOST_SUFFIXES) or ".icompass" in host:
            return f"{parts.scheme}://{parts.netloc}/"
        return None

    def start(self, spider, district_id, portal_url):
        since = getattr(spider, "since", None) or datetime.now(timezone.utc).date() - timedelta(days=730)
        until = datetime.now(timezone.utc).date() + LOOKAHEAD
        query = urlencode({"from": since.isoformat(), "to": until.isoformat()})
        yield spider.board_request(
            f"{origin(portal_url)}{MEETINGS_PATH}?{query}",
            district_id,
            platform=self.platform,
            step="meetings",
            portal_url=portal_url,
            headers={"Accept": "application/json"},
        )

    def parse(self, spider, response):
        steps = {"meetings": self.parse_meetings, "documents": self.parse_documents, "file": self.parse_file}
        return run_step(spider, response, steps[response.meta["board_step"]])

    def parse_meetings(self, spider, response):
        rows = load_json(response, "meetings")
        if not isinstance(rows, list):
            raise LayoutDrift(f"meetings response is a {type(rows).__name__}, expected a list")
        host = urlsplit(response.url).netloc.lower()
        count = 0
        for row in rows:
            meeting_id = require(row.get("Id"), "'Id' in a meetings row")
            meeting_date = parse_iso_date(
                row.get("MeetingDateTime") or row.get("MeetingDate"), "'MeetingDateTime' in a meetings row"
            )
            if not in_window(spider, meeting_date):
                continue
            count += 1
            if not first_time(spider, self.platform, host, meeting_id):
                continue
            yield spider.board_request(
                f"{origin(response.url)}{MEETINGS_PATH}/{meeting_id}/meetingDocuments",
                response.meta["district_id"],
                platform=self.platform,
                step="documents",
                portal_url=response.meta["portal_url"],
                meta={"meeting_date": meeting_date.isoformat(), "meeting_id": meeting_id},
                headers={"Accept": "application/json"},
            )
        yield ok_item(spider, response, count)

    def parse_documents(self, spider, response):
        data = load_json(response, "meetingDocuments")
        if not isinstance(data, dict):
            raise LayoutDrift(f"meetingDocuments response is a {type(data).__name__}, expected an object")
        documents = data.get("Documents")
        if not isinstance(documents, list):
            raise LayoutDrift("missing 'Documents' list in the meetingDocuments response")
        meeting_id = response.meta["meeting_id"]
        meeting_date = response.meta["meeting_date"]
        for document in documents:
            document_id = require(document.get("Id"), "'Id' of a document in meetingDocuments")
            if document.get("IsPublic") is False:
                continue
            if document.get("Html"):
                page_url = (
                    f"{origin(response.url)}/Portal/MeetingInformation.aspx?"
                    f"{urlencode({'Org': 'Cal', 'Id': meeting_id, 'DocumentId': document_id})}"
                )
                page = HtmlResponse(
                    url=page_url, body=document["Html"].encode("utf-8"), encoding="utf-8", request=response.request
                )
                yield spider.board_document(page, response.meta["district_id"], meeting_date=meeting_date)
            elif str(document.get("Format", "")).lower() == "pdf":
                yield spider.board_request(
                    f"{origin(response.url)}/document/{document_id}",
                    response.meta["district_id"],
                    platform=self.platform,
                    step="file",
                    portal_url=response.meta["portal_url"],
                    meta={"meeting_date": meeting_date},
                )

    def parse_file(self, spider, response):
        yield spider.board_document(response, response.meta["district_id"], meeting_date=response.meta["meeting_date"])


def load_json(response, what: str):
    try:
        return json.loads(response.text)
    except (ValueError, AttributeError) as error:
        raise LayoutDrift(f"{what} response is not JSON: {error}") from None


register(DiligentAdapter())
