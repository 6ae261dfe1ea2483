"""DNS resolvers for test crawls, so that no test asks a real DNS server.

Set with `-s TWISTED_DNS_RESOLVER=tests.resolvers.FixedHostsResolver` and
`-s TEST_HOSTS=name=address,name2=address2`. Names not listed answer
"not found", like a name that does not exist.
"""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError


class FixedHostsResolver(CachingThreadedResolver):
    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        entries = crawler.settings.get("TEST_HOSTS", "")
        resolver.hosts = dict(entry.split("=", 1) for entry in entries.split(",") if "=" in entry)
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 - Twisted's interface
        if name in self.hosts:
            return defer.succeed(self.hosts[name])
        if name.replace(".", "").isdigit():
            return defer.succeed(name)
        return defer.fail(DNSLookupError(f"test resolver: {name} not found"))
