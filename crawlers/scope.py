"""District crawl scope: the URLs that belong to a district's crawl, and the order to fetch them.

A district's crawl stays on its own site: the registry's host, its www or
non-www twin, and the host that the home page redirects to (a district that
moved to a new domain). Within the site it skips media files, calendar pages
that link on forever, and query-string variants past a small number per path,
and it stops at a page and a depth limit. Links that most likely carry
signals (news, board minutes and agendas, staff directories, careers, and any
link that names competency, mastery, proficiency or personalized learning)
get a higher score, which the spider turns into a request priority.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# File types that never carry text worth reading. PDF is not here: minutes,
# agendas and job postings are often PDFs.
SKIPPED_EXTENSIONS = frozenset(
    """
    jpg jpeg png gif bmp tif tiff svg webp ico heic psd ai eps
    mp3 mp4 m4a m4v wav wma wmv avi mov mpg mpeg mkv webm flv ogg ogv
    zip gz tgz rar 7z dmg exe msi iso bin apk
    css js json xml rss atom ics vcf
    doc docx xls xlsx ppt pptx odt ods odp rtf
    woff woff2 ttf otf eot
    """.split()
)

# Query parameters that only identify a session or a campaign; they are
# dropped so that the same page is fetched once.
VOLATILE_PARAMETERS = re.compile(
    r"^(utm_.*|fbclid|gclid|sid|sessionid|session_id|phpsessid|jsessionid|aspsessionid.*|cfid|cftoken|_ga|ref|nocache|timestamp|ts|_)$",
    re.IGNORECASE,
)

# Calendar views page by month, week or day without end.
CALENDAR_PATH = re.compile(r"calendar|/events?(/|$)|/cal(/|$)", re.IGNORECASE)
DATE_IN_URL = re.compile(
    r"(\b|_)(19|20)\d\d[-/_]?(0?[1-9]|1[0-2])([-/_]?\d\d)?(\b|_)|[?&](month|year|day|date|week|view|cal_?date|start|end)=",
    re.IGNORECASE,
)

# Words in a link's address or text that point at pages likely to carry
# signals, with the score each adds. The highest matching score counts.
LINK_SCORES = [
    (re.compile(r"competenc|mastery|proficiency|personali[sz]ed.?learning|portrait.of.a.graduate|graduation.requirement", re.I), 5),
    (re.compile(r"minutes|agenda|board.?(meeting|of.?education|of.?trustees|docs)|boarddocs|school.?board|\bboard\b", re.I), 4),
    (re.compile(r"news|press|announcement|blog|stories|superintendent", re.I), 3),
    (re.compile(r"staff|directory|administration|leadership|departments?|personnel|principal", re.I), 3),
    (re.compile(r"careers?|jobs?|employment|vacanc|openings|postings?|human.?resources", re.I), 3),
    (re.compile(r"curriculum|instruction|teaching.and.learning|academics|innovation|strategic.plan", re.I), 2),
]

BOARD_DOCUMENT = re.compile(r"minutes|agenda|board.?meeting|boarddocs|board.?packet", re.I)
JOB_POSTING = re.compile(r"job|career|employment|vacanc|posting|opening", re.I)


def url_extension(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def clean_url(url: str) -> str:
    """Drop the fragment and session or tracking parameters from a URL."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not VOLATILE_PARAMETERS.match(key)]
    path = re.sub(r";jsessionid=[^/?]*", "", parts.path, flags=re.IGNORECASE)
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def host_twins(host: str) -> set[str]:
    """The host and its www/non-www twin, both lower case."""
    host = host.lower()
    if host.startswith("www."):
        return {host, host[4:]}
    return {host, f"www.{host}"}


def link_score(url: str, text: str = "") -> int:
    haystack = f"{urlsplit(url).path} {urlsplit(url).query} {text}"
    return max((score for pattern, score in LINK_SCORES if pattern.search(haystack)), default=0)


def guess_source_type(url: str, text: str = "") -> str:
    """Source type of a page from its address and the text of the link that led to it."""
    haystack = f"{urlsplit(url).path} {text}"
    if BOARD_DOCUMENT.search(haystack):
        return "board_minutes"
    if JOB_POSTING.search(haystack):
        return "job_posting"
    return "district_site"


@dataclass
class DistrictScope:
    """The crawl state of one district: its hosts, and what it has scheduled."""

    district_id: str
    website: str
    max_pages: int
    max_depth: int
    max_query_variants: int
    hosts: set[str] = field(default_factory=set)
    path_prefix: str = "/"
    scheduled: set[str] = field(default_factory=set)
    query_variants: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    """Failed requests of this crawl by kind: errors, blocked, robots_disallowed."""
    sitemap_lastmods: dict[str, str] = field(default_factory=dict)
    """`lastmod` of the URLs in the district's sitemaps, for skipping unchanged pages on a re-crawl."""
    sitemaps_pending: int = 0
    """Sitemap requests of this district that have no response or failure yet."""
    held_requests: list = field(default_factory=list)
    """Requests that wait until the district's sitemaps are read (the home page of a re-crawl)."""
    portals_started: set[str] = field(default_factory=set)
    portal_hosts: set[str] = field(default_factory=set)
    """Hosts of the district's board portals; the portal adapters decide what to fetch there."""
    pending: int = 0
    """Requests of this district scheduled and not yet finished."""
    done: bool = False

    def __post_init__(self) -> None:
        host, _, path = self.website.partition("/")
        self.hosts = host_twins(host)
        # A district hosted under a path of a shared host (a county office or
        # a charter network) stays under that path, so that pages of other
        # districts on the same host are not credited to it.
        if path:
            folder = path if url_extension(path) == "" else path.rsplit("/", 1)[0]
            self.path_prefix = "/" + folder.strip("/") + "/" if folder.strip("/") else "/"

    @property
    def home_url(self) -> str:
        # NCES lists most sites with http://; a site that moved to https
        # redirects there, and the redirect stays on the same host. A web site
        # that names a page (".../district.aspx") is requested as written,
        # because a slash after a file name makes another URL.
        _, _, path = self.website.partition("/")
        if url_extension(path):
            return f"http://{self.website}"
        return f"http://{self.website}/"

    def add_host(self, host: str) -> None:
        """Accept a new host, such as the domain the home page redirected to."""
        self.hosts |= host_twins(host)

    def add_portal(self, url: str) -> None:
        """Accept the host of the district's board meeting portal (a hosted service)."""
        self.portal_hosts.add(urlsplit(url).netloc.lower())

    def owns(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if parts.netloc.lower() in self.portal_hosts:
            return True
        if parts.netloc.lower() not in self.hosts:
            return False
        return (parts.path or "/").startswith(self.path_prefix) or self.path_prefix == "/"

    def skip_reason(self, url: str, depth: int) -> str | None:
        """Why `url` should not be fetched for this district, or None to fetch it.

        Admitting a URL counts it against the page limit, so call this once
        per URL that will be requested.
        """
        if not self.owns(url):
            return "offsite"
        parts = urlsplit(url)
        if url_extension(parts.path) in SKIPPED_EXTENSIONS:
            return "media"
        if CALENDAR_PATH.search(parts.path) and DATE_IN_URL.search(f"{parts.path}?{parts.query}"):
            return "calendar"
        if depth > self.max_depth:
            return "depth"
        if url in self.scheduled:
            return "duplicate"
        if len(self.scheduled) >= self.max_pages:
            return "page_limit"
        if parts.query:
            key = parts.netloc + parts.path
            if self.query_variants.get(key, 0) >= self.max_query_variants:
                return "query_variants"
            self.query_variants[key] = self.query_variants.get(key, 0) + 1
        self.scheduled.add(url)
        return None

    def count_skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def count_outcome(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def request_started(self) -> None:
        self.pending += 1

    def request_finished(self) -> bool:
        """Count one finished request; return True when it was the district's last."""
        self.pending -= 1
        if self.pending > 0 or self.done:
            return False
        # Nothing is left to fetch, so the sets that only served to admit new
        # URLs can go: a crawl of thousands of districts keeps flat memory.
        self.done = True
        self.scheduled = set()
        self.query_variants = {}
        self.sitemap_lastmods = {}
        return True


def unchanged_since_fetch(lastmod: str | None, fetched_at: str | None) -> bool:
    """Tell whether a sitemap `lastmod` is older than the time the page was fetched.

    A date without a time counts only when it is a day before the fetch,
    because the page may have changed later that day. An unreadable value
    counts as a change.
    """
    if not lastmod or not fetched_at:
        return False
    try:
        fetched = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
        if len(lastmod) == 10:
            return datetime.fromisoformat(lastmod).date() < fetched.date()
        modified = datetime.fromisoformat(lastmod.replace("Z", "+00:00"))
    except ValueError:
        return False
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=timezone.utc)
    return modified < fetched
