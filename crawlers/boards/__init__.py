"""Board meeting portals: find a district's portal, and read it through its own endpoints.

Each hosted platform (BoardDocs, Simbli, Diligent Community, CivicPlus
AgendaCenter, BoardBook) has an adapter module here. An adapter is an object
with:

- `platform`: its name, as in the registry's `board_platform` column;
- `detect(url) -> str | None`: the portal's base URL when `url` is a link
  into this platform, else None;
- `start(spider, district_id, portal_url) -> Iterable[Request]`: the first
  requests, made with `spider.board_request(...)`;
- `parse(spider, response) -> Iterable[Request | PageItem | PortalStatusItem]`:
  handles every answer of its own requests; `response.meta["board_step"]`
  says which request it was. Meeting documents become PageItems through
  `spider.board_document(...)`, with the meeting date.

The spider owns scheduling and scope; adapters only build requests and read
answers, so each one can be tested against saved answers served on loopback.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol


class PortalAdapter(Protocol):
    platform: str

    def detect(self, url: str) -> str | None: ...

    def start(self, spider: Any, district_id: str, portal_url: str) -> Iterable[Any]: ...

    def parse(self, spider: Any, response: Any) -> Iterable[Any]: ...


# Filled by the adapter modules below; the order is the order of detection.
ADAPTERS: dict[str, PortalAdapter] = {}


def register(adapter: PortalAdapter) -> PortalAdapter:
    ADAPTERS[adapter.platform] = adapter
    return adapter


def adapter_for(platform: str | None) -> PortalAdapter | None:
    return ADAPTERS.get(platform or "")


def detect_portal(url: str) -> tuple[str, str] | None:
    """(platform, portal URL) when `url` points into a known board portal, else None."""
    for adapter in ADAPTERS.values():
        portal = adapter.detect(url)
        if portal:
            return adapter.platform, portal
    return None


# Each adapter module registers its adapter when imported.
from crawlers.boards import boarddocs, simbli, diligent, civicplus, boardbook  # noqa: E402,F401
