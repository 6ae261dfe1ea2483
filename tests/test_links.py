"""The spiders' link reader (crawlers/links.py), on pages built here."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawlers.links import page_links

PAGE = """<?xml version="1.0" encoding="utf-8"?>
<html><head><title>Links</title></head><body>
<nav><a href="/news/">District
   News</a> <a href="#main">Skip to content</a></nav>
<p><a href="minutes.pdf#page=2">Board   minutes</a> <a href="/news/">News again</a>
<a href="mailto:office@example.org">Email us</a> <a href="javascript:void(0)">Menu</a>
<a href="tel:5555550100">Call</a> <a href=" /staff/directory ">Staff <b>Directory</b></a> <a>No address</a></p>
<map><area href="/schools/" alt="Schools"></map>
</body></html>"""


def links_of(body: str, url: str = "http://127.0.0.1:8080/board/index.html") -> list[list[str]]:
    return page_links(HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8"))


def test_links_absolute_ordered_unique():
    assert [url for url, _text in links_of(PAGE)] == [
        "http://127.0.0.1:8080/news/",
        "http://127.0.0.1:8080/board/minutes.pdf",
        "http://127.0.0.1:8080/staff/directory",
        "http://127.0.0.1:8080/schools/",
    ]


def test_link_text_collapsed_and_nested():
    texts = dict(links_of(PAGE))
    assert texts["http://127.0.0.1:8080/news/"] == "District News"
    assert texts["http://127.0.0.1:8080/board/minutes.pdf"] == "Board minutes"
    assert texts["http://127.0.0.1:8080/staff/directory"] == "Staff Directory"


def test_base_href_wins_over_the_page_address():
    body = '<html><head><base href="http://127.0.0.1:8080/archive/"></head><body><a href="2024.html">2024</a></body></html>'
    assert links_of(body) == [["http://127.0.0.1:8080/archive/2024.html", "2024"]]


def test_nul_characters_do_not_stop_the_reader():
    assert links_of('<html><body>\x00<a href="/a">A</a></body></html>') == [["http://127.0.0.1:8080/a", "A"]]


def test_links_of_blank_page_empty():
    assert links_of("   ") == []
