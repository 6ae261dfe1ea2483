"""Refuse requests to addresses that a public web crawl has no business reaching.

A district site, or a redirect it sends, could point the crawler at the
machine it runs on or at the user's own network (loopback, private ranges,
link-local cloud metadata addresses). `NetworkGuardMiddleware` resolves every
request's host before anything else handles the request and refuses
addresses that are not globally routable, unless the `CRAWL_ALLOW_NETWORKS`
setting lists their network (for tests on 127.0.0.1, or an intranet).

The check uses Scrapy's caching resolver, which the download then reuses, so
the address that was checked is the one that is connected to.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

from crawlers.items import request_owner

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_allowed_networks(value: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    """Parse a comma-separated list (or a list) of networks in CIDR form.

    Raises ValueError naming the entry that is not a network.
    """
    if value is None:
        return ()
    entries = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(
                f"invalid network {entry!r} in CRAWL_ALLOW_NETWORKS; expected CIDR form such as 127.0.0.1/32"
            ) from error
    return tuple(networks)


def is_address_allowed(address: str | IPAddress, allowed_networks: Iterable[IPNetwork] = ()) -> bool:
    """Return whether a crawl may connect to `address`: a global unicast address, or one in `allowed_networks`."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == network.version and ip in network for network in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class NetworkGuardMiddleware:
    """Downloader middleware that refuses other schemes and non-public addresses."""

    def __init__(self, crawler, allowed_networks: tuple[IPNetwork, ...]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.allowed_networks = allowed_networks

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRAWL_NETWORK_GUARD", True):
            raise NotConfigured("CRAWL_NETWORK_GUARD is off")
        # A bad value raises ValueError and stops the crawl: the guard is never
        # switched off by a typo.
        allowed = parse_allowed_networks(crawler.settings.get("CRAWL_ALLOW_NETWORKS"))
        if allowed:
            logger.info("Crawl may reach these non-public networks: %s", ", ".join(map(str, allowed)))
        return cls(crawler, allowed)

    async def process_request(self, request, spider=None):
        parts = urlsplit(request.url)
        if parts.scheme not in ALLOWED_SCHEMES:
            self._refuse(request, "scheme", f"scheme {parts.scheme!r} is not http or https")

        host = parts.hostname or ""
        address = ip_literal(host)
        if address is None:
            address = await self._resolve(host)
            if address is None:
                # Resolution failed; the download fails the same way and is logged there.
                return None
        if not is_address_allowed(address, self.allowed_networks):
            self._refuse(
                request,
                "address",
                f"{host} is at non-public address {address}; add its network to CRAWL_ALLOW_NETWORKS to allow it",
            )
        return None

    async def _resolve(self, host: str) -> IPAddress | None:
        from twisted.internet import reactor

        try:
            resolved = await maybe_deferred_to_future(reactor.resolve(host))
        except DNSLookupError:
            return None
        return ip_literal(resolved)

    def _refuse(self, request, kind: str, reason: str):
        self.stats.inc_value(f"k12signals/blocked/{kind}")
        logger.warning(
            "%s: refused %s: %s", request_owner(request.meta), request.url, reason
        )
        raise IgnoreRequest(f"refused: {reason}")
