"""The Scrapy project: settings, spiders, middlewares and items."""

import os

# Scrapy's cookie middleware asks tldextract whether a cookie's domain is a
# public suffix. tldextract then downloads the public suffix list unless its
# source list is empty, in which case it uses the snapshot bundled with the
# package. The crawl must not reach any host but the districts' own, so this
# runs before Scrapy imports the cookie middleware. A user who wants the live
# list can set the variable to its address.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
