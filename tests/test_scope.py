"""Unit tests for the crawl's scope rules (crawlers/scope.py), the Retry-After
parser (crawlers/middlewares.py), and the offline public suffix list that
importing `crawlers` sets up for Scrapy's cookie middleware. No crawl runs here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from crawlers.middlewares import parse_retry_after
from crawlers.scope import DistrictScope, clean_url, guess_source_type, host_twins, link_score
from tests.sitekit import REPO_ROOT


def make_scope(website: str = "www.birchvalley.k12.nh.us", **limits) -> DistrictScope:
    settings = {"max_pages": 150, "max_depth": 3, "max_query_variants": 5, **limits}
    return DistrictScope(district_id="3399911", website=website, **settings)


# clean_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://a.org/news?utm_source=mail&utm_campaign=spring", "http://a.org/news"),
        ("http://a.org/news?id=5&fbclid=abc&gclid=def", "http://a.org/news?id=5"),
        ("http://a.org/page.aspx?PHPSESSID=9f&sessionid=1&sid=2&PageID=7", "http://a.org/page.aspx?PageID=7"),
        ("http://a.org/news;jsessionid=ABC123?id=5", "http://a.org/news?id=5"),
        ("http://a.org/news;JSESSIONID=ABC123", "http://a.org/news"),
        ("http://a.org/news#top", "http://a.org/news"),
        ("http://a.org/p?ASPSESSIONIDQQ=x&_ga=1.2&ref=home&b=2&a=1", "http://a.org/p?b=2&a=1"),
    ],
)
def test_clean_url_drops_volatile_parts(url, expected):
    assert clean_url(url) == expected


def test_clean_url_keeps_blank_parameter():
    assert clean_url("http://a.org/search?q=&page=2") == "http://a.org/search?q=&page=2"


def test_clean_url_keeps_parameter_order():
    assert clean_url("http://a.org/p?z=1&a=2") == "http://a.org/p?z=1&a=2"


# host_twins


def test_host_twins_adds_www():
    assert host_twins("birchvalley.org") == {"birchvalley.org", "www.birchvalley.org"}


def test_host_twins_drops_www():
    assert host_twins("www.birchvalley.org") == {"www.birchvalley.org", "birchvalley.org"}


def test_host_twins_lower_case():
    assert host_twins("WWW.BirchValley.ORG") == {"www.birchvalley.org", "birchvalley.org"}


def test_host_twins_keeps_port():
    assert host_twins("127.0.0.1:8080") == {"127.0.0.1:8080", "www.127.0.0.1:8080"}


# DistrictScope.owns


def test_owns_registry_host():
    assert make_scope().owns("http://www.birchvalley.k12.nh.us/news/")


def test_owns_www_twin_over_https():
    assert make_scope().owns("https://birchvalley.k12.nh.us/news/")


def test_owns_host_case_insensitive():
    assert make_scope().owns("http://WWW.BirchValley.K12.NH.US/news/")


def test_owns_rejects_other_host():
    assert not make_scope().owns("http://www.facebook.com/birchvalley")


def test_owns_rejects_subdomain():
    assert not make_scope().owns("http://hs.birchvalley.k12.nh.us/")


@pytest.mark.parametrize("url", ["mailto:office@birchvalley.k12.nh.us", "ftp://www.birchvalley.k12.nh.us/a", "javascript:void(0)"])
def test_owns_rejects_other_schemes(url):
    assert not make_scope().owns(url)


def test_owns_added_host():
    scope = make_scope()
    scope.add_host("BirchValleySchools.org")
    assert scope.owns("https://www.birchvalleyschools.org/about")


# A district hosted under a path of a shared host (a county office's site).


def test_path_prefix_from_folder():
    assert make_scope("www.coe.example.org/birch-valley").path_prefix == "/birch-valley/"


def test_path_prefix_from_file_path():
    assert make_scope("www.coe.example.org/districts/birch/page.aspx").path_prefix == "/districts/birch/"


def test_path_prefix_for_host_only():
    assert make_scope().path_prefix == "/"


def test_owns_page_under_path_prefix():
    assert make_scope("www.coe.example.org/birch-valley").owns("http://www.coe.example.org/birch-valley/news/")


def test_owns_rejects_sibling_district_path():
    assert not make_scope("www.coe.example.org/birch-valley").owns("http://www.coe.example.org/cedar-notch/news/")


def test_owns_rejects_path_sharing_prefix_text():
    assert not make_scope("www.coe.example.org/birch").owns("http://www.coe.example.org/birch-valley/")


def test_owns_rejects_shared_host_root():
    assert not make_scope("www.coe.example.org/birch-valley").owns("http://www.coe.example.org/")


def test_home_url_of_host():
    assert make_scope().home_url == "http://www.birchvalley.k12.nh.us/"


def test_home_url_of_folder():
    assert make_scope("www.coe.example.org/birch-valley").home_url == "http://www.coe.example.org/birch-valley/"


def test_home_url_of_file_path():
    # A registry web site that names a page (not a default document, which the
    # registry import strips) must be requested as written, without a slash after it.
    scope = make_scope("www.coe.example.org/districts/birch/page.aspx")
    assert scope.home_url == "http://www.coe.example.org/districts/birch/page.aspx"


def test_home_url_of_file_path_in_scope():
    scope = make_scope("www.coe.example.org/districts/birch/page.aspx")
    assert scope.owns(scope.home_url)


# DistrictScope.skip_reason

SITE = "http://www.birchvalley.k12.nh.us"


def test_skip_reason_admits_page():
    assert make_scope().skip_reason(f"{SITE}/news/", depth=1) is None


def test_skip_reason_offsite():
    assert make_scope().skip_reason("http://www.example.com/news/", depth=1) == "offsite"


@pytest.mark.parametrize(
    "path",
    ["/photos/team.jpg", "/photos/TEAM.JPG", "/video/tour.mp4", "/forms/handbook.docx", "/feed.xml", "/style.css", "/a.ics"],
)
def test_skip_reason_media(path):
    assert make_scope().skip_reason(f"{SITE}{path}", depth=1) == "media"


def test_skip_reason_admits_pdf():
    assert make_scope().skip_reason(f"{SITE}/board/minutes-2026-02-09.pdf", depth=1) is None


@pytest.mark.parametrize(
    "path",
    [
        "/calendar?month=2026-03",
        "/calendar/2026/03",
        "/events/2026-03-14",
        "/site/calendar?view=week&date=20260314",
        "/cal/?year=2026",
    ],
)
def test_skip_reason_calendar(path):
    assert make_scope().skip_reason(f"{SITE}{path}", depth=1) == "calendar"


def test_skip_reason_admits_calendar_root():
    assert make_scope().skip_reason(f"{SITE}/calendar", depth=1) is None


def test_skip_reason_admits_dated_news():
    assert make_scope().skip_reason(f"{SITE}/news/2026/03/new-principal", depth=1) is None


def test_skip_reason_depth():
    assert make_scope(max_depth=3).skip_reason(f"{SITE}/a/b/c/d", depth=4) == "depth"


def test_skip_reason_admits_max_depth():
    assert make_scope(max_depth=3).skip_reason(f"{SITE}/a/b/c", depth=3) is None


def test_skip_reason_duplicate():
    scope = make_scope()
    scope.skip_reason(f"{SITE}/news/", depth=1)
    assert scope.skip_reason(f"{SITE}/news/", depth=2) == "duplicate"


def test_skip_reason_page_limit():
    scope = make_scope(max_pages=3)
    admitted = [scope.skip_reason(f"{SITE}/page-{number}", depth=1) for number in range(3)]
    assert admitted == [None, None, None]
    assert scope.skip_reason(f"{SITE}/page-3", depth=1) == "page_limit"


def test_skip_reason_page_limit_counts_admitted_only():
    scope = make_scope(max_pages=2)
    scope.skip_reason(f"{SITE}/photo.jpg", depth=1)
    scope.skip_reason("http://www.example.com/", depth=1)
    assert scope.skip_reason(f"{SITE}/page-1", depth=1) is None


def test_skip_reason_query_variants():
    scope = make_scope(max_query_variants=5)
    reasons = [scope.skip_reason(f"{SITE}/search?q={number}", depth=1) for number in range(1, 8)]
    assert reasons == [None] * 5 + ["query_variants"] * 2


def test_skip_reason_query_variants_per_path():
    scope = make_scope(max_query_variants=1)
    scope.skip_reason(f"{SITE}/search?q=1", depth=1)
    assert scope.skip_reason(f"{SITE}/news?page=2", depth=1) is None


def test_skip_reason_plain_path_not_a_variant():
    scope = make_scope(max_query_variants=1)
    scope.skip_reason(f"{SITE}/search?q=1", depth=1)
    assert scope.skip_reason(f"{SITE}/search", depth=1) is None


def test_count_skip_tallies_reasons():
    scope = make_scope()
    scope.count_skip("media")
    scope.count_skip("media")
    scope.count_skip("offsite")
    assert scope.skipped == {"media": 2, "offsite": 1}


# link_score


def test_link_score_order():
    competency = link_score(f"{SITE}/academics/competency-based-learning")
    minutes = link_score(f"{SITE}/board/minutes")
    news = link_score(f"{SITE}/news/")
    curriculum = link_score(f"{SITE}/curriculum")
    about = link_score(f"{SITE}/about-us")
    assert competency > minutes > news > curriculum > about


def test_link_score_plain_page_is_zero():
    assert link_score(f"{SITE}/about-us") == 0


def test_link_score_reads_link_text():
    assert link_score(f"{SITE}/page.aspx?id=12", "Mastery-Based Learning") == 5


def test_link_score_reads_query():
    assert link_score(f"{SITE}/site/default.aspx?PageType=3&DomainID=4&ModuleInstanceID=9&view=minutes") == 4


def test_link_score_takes_highest_match():
    assert link_score(f"{SITE}/news/board-adopts-proficiency-based-diplomas") == 5


# guess_source_type


@pytest.mark.parametrize(
    "url, text, expected",
    [
        (f"{SITE}/board/minutes/2026-02-09.pdf", "", "board_minutes"),
        (f"{SITE}/files/2026-02-09.pdf", "Regular Meeting Agenda", "board_minutes"),
        (f"{SITE}/boarddocs/packet", "", "board_minutes"),
        (f"{SITE}/careers/openings", "", "job_posting"),
        (f"{SITE}/files/123.pdf", "Job posting: Elementary Principal", "job_posting"),
        (f"{SITE}/news/2026/03/new-principal", "New principal named", "district_site"),
        (f"{SITE}/", "", "district_site"),
    ],
)
def test_guess_source_type(url, text, expected):
    assert guess_source_type(url, text) == expected


def test_guess_source_type_ignores_query():
    assert guess_source_type(f"{SITE}/page.aspx?view=minutes") == "district_site"


# parse_retry_after


def test_retry_after_seconds():
    assert parse_retry_after("120") == 120.0


def test_retry_after_seconds_with_spaces():
    assert parse_retry_after(" 5 ") == 5.0


def test_retry_after_zero():
    assert parse_retry_after("0") == 0.0


def test_retry_after_future_date():
    when = datetime.now(timezone.utc) + timedelta(seconds=90)
    seconds = parse_retry_after(format_datetime(when, usegmt=True))
    assert seconds is not None
    assert 80 <= seconds <= 91


def test_retry_after_past_date_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "5 seconds", "Someday, 99 Foo 2015"])
def test_retry_after_junk_is_none(value):
    assert parse_retry_after(value) is None


@pytest.mark.parametrize("value", ["\u00b2", "\u00b9", "\u00bc"])
def test_retry_after_non_ascii_digit_is_none(value):
    # The middleware decodes the header as Latin-1, where bytes B2, B9 and BC
    # are superscript digits and a fraction that str.isdigit or float reject.
    assert parse_retry_after(value) is None


# Importing `crawlers` keeps tldextract, which Scrapy's cookie middleware
# uses, on the public suffix list bundled with it.

OFFLINE_PROBE = r"""
import json
import socket

attempts = []


def failing_connect(self, address):
    attempts.append(repr(address))
    raise OSError("network disabled by the test")


def failing_getaddrinfo(host, *args, **kwargs):
    attempts.append(repr(host))
    raise socket.gaierror("network disabled by the test")


socket.socket.connect = failing_connect
socket.getaddrinfo = failing_getaddrinfo

import crawlers
from scrapy.downloadermiddlewares.cookies import _is_public_domain

print(json.dumps({
    "crawlers_file": crawlers.__file__,
    "co.uk": _is_public_domain("co.uk"),
    "www.example.org": _is_public_domain("www.example.org"),
    "attempts": attempts,
}))
"""


@pytest.fixture(scope="module")
def offline_probe(tmp_path_factory):
    environment = {name: value for name, value in os.environ.items() if not name.startswith("TLDEXTRACT_")}
    # An empty cache folder, so that no list cached by an earlier run hides a download.
    environment["TLDEXTRACT_CACHE"] = str(tmp_path_factory.mktemp("tldextract-cache"))
    # Run from the repository root, as `scrapy crawl` runs, so that `import
    # crawlers` loads this repository's package.
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=environment
    )
    return completed


def probe_output(completed) -> dict:
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_offline_probe_imports_package(offline_probe):
    assert probe_output(offline_probe)["crawlers_file"] == str(REPO_ROOT / "crawlers" / "__init__.py")


def test_offline_public_suffix(offline_probe):
    assert probe_output(offline_probe)["co.uk"] is True


def test_offline_registrable_domain(offline_probe):
    assert probe_output(offline_probe)["www.example.org"] is False


def test_offline_no_network_attempt(offline_probe):
    assert probe_output(offline_probe)["attempts"] == []


def test_offline_no_error_logged(offline_probe):
    assert "Exception reading Public Suffix List" not in offline_probe.stderr, offline_probe.stderr[-3000:]
