"""A Scrapy spider that fetches what the districts crawl fetches and does nothing with it.

It is the baseline of benchmarks/crawl_benchmark.py: for each district in a
registry CSV it requests robots.txt (through ROBOTSTXT_OBEY), /sitemap.xml
and the home page, then follows every link that stays on the district's host
and port, to the same depth and page limits as the districts spider. It has
no item pipelines and stores nothing.

    scrapy runspider benchmarks/bare_spider.py -a registry=districts.csv -s ROBOTSTXT_OBEY=True
"""

from __future__ import annotations

import csv
from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor

# Scrapy's default list skips PDFs, but the districts spider fetches them.
DENIED_EXTENSIONS = sorted(set(IGNORED_EXTENSIONS) - {"pdf"})


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, registry: str, max_depth: str = "3", max_pages: str = "150", **kwargs):
        super().__init__(**kwargs)
        self.registry = registry
        self.max_depth = int(max_depth)
        self.max_pages = int(max_pages)
        self.pages_per_host: dict[str, int] = {}
        self.link_extractor = LinkExtractor(deny_extensions=DENIED_EXTENSIONS, unique=True)

    async def start(self):
        with open(self.registry, newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                home = f"http://{row['website']}/"
                yield scrapy.Request(f"{home}sitemap.xml", callback=self.ignore,
                                     meta={"handle_httpstatus_list": [404]})
                yield scrapy.Request(home, callback=self.parse, meta={"depth_from_home": 0})

    def ignore(self, response):
        return None

    def parse(self, response):
        depth = response.meta["depth_from_home"]
        if depth >= self.max_depth or not hasattr(response, "text"):
            return
        host = urlsplit(response.url).netloc
        for link in self.link_extractor.extract_links(response):
            if urlsplit(link.url).netloc != host:
                continue
            if self.pages_per_host.get(host, 0) >= self.max_pages:
                return
            self.pages_per_host[host] = self.pages_per_host.get(host, 0) + 1
            yield scrapy.Request(link.url, callback=self.parse, meta={"depth_from_home": depth + 1})
