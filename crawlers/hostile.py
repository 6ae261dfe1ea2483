"""Recognise broken or hostile input during a crawl, and log and count each case.

District sites send malformed HTML, charsets that disagree with the bytes,
PDFs served as HTML and the reverse, redirect loops, and bodies past the size
limit. None of these stops a crawl: each case gets one log line with the
district id and the URL, and a `k12signals/...` counter in the crawl stats.

- `BrokenInputMiddleware` (spider middleware) inspects every fetched page
  before the spider reads it: charset, markup, content type.
- `RedirectGuardMiddleware` (downloader middleware) stops redirect loops,
  which Scrapy's duplicate filter would otherwise drop without a trace, and
  redirect chains past REDIRECT_MAX_TIMES.
- `DocumentProblemPipeline` counts PDFs that are encrypted, unreadable or
  have no text layer (scanned), after extraction.
- `ignored_request_reason` and `report_*` serve the spider's errback and
  scope checks.

Repeated log lines of one kind for one district are rate-limited: the first
`LOG_REPEATS` go out at INFO or WARNING, the rest at DEBUG. The counters
always count every case.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.encoding import read_bom, resolve_encoding
from w3lib.url import safe_url_string

from crawlers.items import PageItem

logger = logging.getLogger(__name__)

# Log lines of one kind per district that are logged at their full level;
# later ones go to DEBUG.
LOG_REPEATS = 3

PDF_MAGIC = b"%PDF-"
PDF_TYPE = "application/pdf"
# Content types under which a server may send a PDF without misstating it.
NEUTRAL_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/download", "application/force-download")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([^\s;\"'/>]+)", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL)

# Fields of robots.txt that RFC 9309 defines or that crawlers commonly read.
ROBOTS_FIELDS = frozenset(
    {"user-agent", "allow", "disallow", "sitemap", "crawl-delay", "request-rate", "visit-time", "host", "clean-param", "noindex"}
)


class RepeatLimiter:
    """Decide the log level of a repeated message: full level for the first few per key, DEBUG after."""

    def __init__(self, limit: int = LOG_REPEATS):
        self.limit = limit
        self.counts: dict[tuple, int] = {}

    def level(self, key: tuple, level: int) -> int:
        seen = self.counts.get(key, 0)
        self.counts[key] = seen + 1
        return level if seen < self.limit else logging.DEBUG


_limiter = RepeatLimiter()


def report(stats, district_id, url: str, counter: str, message: str, level: int = logging.WARNING) -> None:
    """Count `k12signals/<counter>` and log `message` for a district's URL, rate-limited per district and counter."""
    stats.inc_value(f"k12signals/{counter}")
    logger.log(_limiter.level((district_id, counter), level), "District %s: %s %s [%s]", district_id, url, message, counter)


# Findings on a fetched page.
@dataclass
class Finding:
    """One problem with a fetched body: a counter name under `k12signals/` and a message."""

    counter: str
    message: str
    level: int = logging.WARNING


def _codec_name(name: str | None) -> str | None:
    """Python's codec name for a charset label (WHATWG aliases resolved), or None if unknown."""
    if not name:
        return None
    resolved = resolve_encoding(name)
    if resolved is None:
        try:
            resolved = codecs.lookup(name).name
        except LookupError:
            return None
    return codecs.lookup(resolved).name


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def charset_findings(content_type: str, body: bytes) -> list[Finding]:
    """Check the charset that a page declares against its bytes.

    Browsers take the byte order mark first, then the Content-Type charset,
    then `<meta charset>` (WHATWG encoding sniffing); so does this check.
    """
    header_match = _HEADER_CHARSET.search(content_type)
    meta_match = _META_CHARSET.search(body[:4096])
    header_label = header_match.group(1) if header_match else None
    meta_label = meta_match.group(1).decode("ascii", "replace") if meta_match else None
    header_codec = _codec_name(header_label)
    meta_codec = _codec_name(meta_label)
    findings = []

    bom_encoding, _ = read_bom(body)
    if bom_encoding:
        findings.append(
            Finding("charset/bom", f"starts with a {bom_encoding} byte order mark, which wins over any declared charset", logging.INFO)
        )
        return findings

    for where, label, codec in (("Content-Type", header_label, header_codec), ("<meta charset>", meta_label, meta_codec)):
        if label and codec is None:
            findings.append(Finding("charset/unknown", f"declares unknown charset {label!r} in {where}"))
    if header_codec and meta_codec and header_codec != meta_codec:
        findings.append(
            Finding("charset/conflict", f"declares charset {header_label!r} in Content-Type but {meta_label!r} in <meta charset>")
        )

    declared = header_codec or meta_codec
    if declared is None:
        if not body.isascii():
            findings.append(Finding("charset/undeclared", "declares no charset and is not plain ASCII", logging.INFO))
        return findings
    if not _decodes(body, declared):
        findings.append(Finding("charset/wrong", f"declares charset {declared} but its bytes are not valid {declared}"))
    elif declared != "utf-8" and not body.isascii() and _decodes(body, "utf-8") and declared in ("cp1252", "iso8859-1", "ascii"):
        findings.append(Finding("charset/wrong", f"declares charset {declared} but its bytes are UTF-8"))
    return findings


def nul_findings(body: bytes) -> list[Finding]:
    """Report NUL bytes in an HTML body; extraction drops them."""
    nul_count = body.count(b"\x00")
    return [Finding("html/malformed", f"contains {nul_count} NUL byte(s)")] if nul_count else []


def markup_repair_finding(markup_errors: int, first_error: str | None) -> Finding | None:
    """Report markup that the HTML parser had to repair (mismatched or stray tags) during extraction."""
    if not markup_errors:
        return None
    return Finding(
        "html/malformed",
        f"has {markup_errors} markup error(s) that the parser repaired, first: {first_error}",
        logging.INFO,
    )


def content_type_findings(url: str, media_type: str, body: bytes) -> list[Finding]:
    """Report a PDF sent under another content type, and a non-PDF sent as or named .pdf."""
    is_pdf_bytes = body[:5] == PDF_MAGIC
    named_pdf = urlsplit(url).path.lower().endswith(".pdf")
    if is_pdf_bytes and media_type not in (PDF_TYPE, *NEUTRAL_TYPES):
        return [Finding("content_type/mismatch", f"is a PDF sent as {media_type}; read as a PDF")]
    if not is_pdf_bytes and (media_type == PDF_TYPE or named_pdf):
        kind = "HTML" if _HTML_START.match(body[:1024]) else "not a PDF"
        return [Finding("content_type/mismatch", f"is sent as {media_type or 'no content type'} or named .pdf but is {kind}; read by its bytes")]
    return []


def page_findings(url: str, content_type: str, body: bytes) -> list[Finding]:
    """Collect every problem with a fetched page's body."""
    media_type = content_type.split(";")[0].strip().lower()
    findings = content_type_findings(url, media_type, body)
    if body[:5] == PDF_MAGIC:
        return findings
    if media_type.startswith(("text/html", "application/xhtml")) or _HTML_START.match(body[:1024]):
        findings += charset_findings(content_type, body)
        findings += nul_findings(body)
    return findings


class BrokenInputMiddleware:
    """Spider middleware: log and count problems with each fetched page; the page is still read."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_spider_input(self, response: Response, spider=None) -> None:
        if not response.meta.get("page") or not response.body or not (200 <= response.status < 300):
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        district_id = response.meta.get("district_id")
        for finding in page_findings(response.url, content_type, response.body):
            report(self.stats, district_id, response.url, finding.counter, finding.message, finding.level)


class RedirectGuardMiddleware:
    """Downloader middleware placed before RedirectMiddleware: stop redirect loops and over-long chains.

    Scrapy's RedirectMiddleware schedules each redirect as a new request, so a
    loop back to a URL already fetched is dropped by the duplicate filter
    without reaching the errback. This middleware raises IgnoreRequest for it,
    and for a chain longer than REDIRECT_MAX_TIMES, so that the spider's
    errback receives both.
    """

    def __init__(self, stats, max_redirects: int):
        self.stats = stats
        self.max_redirects = max_redirects

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getint("REDIRECT_MAX_TIMES"))

    def process_response(self, request, response, spider=None):
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or response.status in request.meta.get("handle_httpstatus_list", ()):
            return response
        location = response.headers[b"Location"].decode("latin-1")
        target = safe_url_string(urljoin(request.url, location))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        district_id = request.meta.get("district_id") or request.meta.get("robots_for")
        if target in chain:
            message = f"redirects in a loop back to {target} after {len(chain)} hop(s); skipped"
            report(self.stats, district_id, chain[0], "redirect/loop", message)
            raise IgnoreRequest(f"redirect loop: {chain[0]} returns to {target}")
        if len(chain) > self.max_redirects:
            message = f"redirected more than REDIRECT_MAX_TIMES ({self.max_redirects}) times, last to {target}; skipped"
            report(self.stats, district_id, chain[0], "redirect/too_many", message)
            raise IgnoreRequest(f"too many redirects: {chain[0]}")
        return response


# Errback support.
def ignored_request_reason(message: str) -> str | None:
    """Counter name for an IgnoreRequest that a Scrapy middleware raised without logging the district, or None."""
    if "larger than DOWNLOAD_MAXSIZE" in message or "during decompression" in message:
        return "too_large/decompressed"
    if message.startswith("max redirections reached"):
        return "redirect/too_many"
    return None


def failure_counter(error: BaseException) -> str | None:
    """Extra counter name for a download failure that the exception type alone does not tell, or None."""
    if "larger than download max size" in str(error):
        return "too_large/download"
    if type(error).__name__ == "DownloadCancelledError":
        # NOTE: Scrapy 2.19 cancels a streamed body (no Content-Length) that
        # passes DOWNLOAD_MAXSIZE with an empty message. No other cancellation
        # reached the errback in this project's test crawls.
        return "too_large/download"
    return None


def failure_message(error: BaseException) -> str:
    """Return the error's message, or explain an empty DownloadCancelledError."""
    message = str(error)
    if not message and type(error).__name__ == "DownloadCancelledError":
        return "download cancelled: the body passed DOWNLOAD_MAXSIZE while streaming"
    return message


def report_skip(stats, district_id, url: str, reason: str) -> None:
    """Log a URL that the district's scope skipped; the caller counts it under k12signals/skipped/."""
    logger.log(
        _limiter.level((district_id, f"skipped/{reason}"), logging.INFO),
        "District %s: %s skipped: %s [skipped/%s]",
        district_id,
        url,
        SKIP_REASONS.get(reason, reason),
        reason,
    )


SKIP_REASONS = {
    "offsite": "not on the district's site",
    "media": "a media or binary file",
    "calendar": "a calendar page that pages on without end",
    "depth": "deeper than DISTRICT_MAX_DEPTH links from the home page",
    "page_limit": "DISTRICT_MAX_PAGES reached",
    "query_variants": "more than DISTRICT_MAX_QUERY_VARIANTS query strings on this path",
}


# Documents after extraction.
class DocumentProblemPipeline:
    """Report what extraction found wrong with a document.

    The extraction pipeline already logs and counts each extraction error and
    empty page. This pipeline adds markup that the HTML parser repaired, the
    reason a PDF could not be read, and a log line for a PDF without text,
    because such a PDF needs OCR, which the crawl does not run.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        if not isinstance(item, PageItem):
            return item
        repair = markup_repair_finding(item.markup_errors, item.first_markup_error)
        if repair is not None:
            report(self.stats, item.district_id, item.url, repair.counter, repair.message, repair.level)
        if item.content_type != PDF_TYPE:
            return item
        if item.error:
            lowered = item.error.lower()
            counter = "pdf/encrypted" if "password" in lowered or "security" in lowered else "pdf/unreadable"
            self.stats.inc_value(f"k12signals/{counter}")
        elif item.text is not None and not item.text.strip():
            report(self.stats, item.district_id, item.url, "pdf/no_text", "is a PDF without a text layer (scanned?); no OCR is run", logging.INFO)
        return item


def robots_lines(body: bytes) -> Iterator[tuple[str, bool, str]]:
    """Yield each robots.txt line that is not blank or a comment as (field name in lower case, has a colon, value)."""
    for line in body.decode("utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        field, colon, value = line.partition(":")
        yield field.strip().lower(), bool(colon), value.strip()


def robots_junk_lines(body: bytes) -> int:
    """Number of lines in a robots.txt body that are neither blank, comments, nor `field: value` of a known field."""
    return sum(1 for field, has_colon, _value in robots_lines(body) if not has_colon or field not in ROBOTS_FIELDS)


def invalid_crawl_delays(body: bytes) -> list[str]:
    """Return the Crawl-delay values in a robots.txt body that are not a number of seconds of 0 or more."""
    invalid = []
    for field, has_colon, value in robots_lines(body):
        if not has_colon or field != "crawl-delay":
            continue
        try:
            seconds = float(value)
        except ValueError:
            invalid.append(value)
            continue
        # seconds != seconds is true only for NaN.
        if seconds < 0 or seconds != seconds:
            invalid.append(value)
    return invalid
