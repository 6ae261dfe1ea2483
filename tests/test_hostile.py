"""Hostile and broken district sites: each case is logged, counted, and the crawl goes on.

One crawl runs against six districts served on 127.0.0.1, each on its own
port (so each has its own robots.txt and download slot):

- Riverbend (the main site) has normal pages with signals, and every kind of
  broken input. It serves malformed HTML, lying charsets, bodies past the
  size limit, decompression bombs, broken PDFs and wrong content types. It
  also has redirect loops, endless link spaces, 429 and 503 with
  Retry-After, and a robots.txt full of junk;
- four districts test robots.txt: missing (404), failing (503), redirected
  six times, and a host name that does not resolve;
- one serves a page that never answers and one that trickles a byte a second.

The crawl runs with DOWNLOAD_MAXSIZE=1000000 and DOWNLOAD_TIMEOUT=2, so the
large and slow cases are cheap; one more crawl runs at the default size limit
with a 50 MB page. A crawl's stats dump is read from its log.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import sqlite3
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit

import pytest
from fpdf import FPDF
from PIL import Image

from tests.sitekit import run_crawl, write_registry

MAIN_ID = "3399911"
ROBOTS_MISSING_ID = "3399912"
ROBOTS_FAILING_ID = "3399913"
ROBOTS_REDIRECTED_ID = "3399914"
UNRESOLVABLE_ID = "3399915"
SLOW_ID = "3399916"
UNRESOLVABLE_HOST = "no-such-district.example"

MAX_SIZE = 1_000_000
TIMEOUT_SECONDS = 2
# Seconds any slow handler waits at most, so that no server thread outlives the tests.
SLOW_HANDLER_LIMIT = 20

HOSTILE_CRAWL_SETTINGS = {
    "DOWNLOAD_MAXSIZE": str(MAX_SIZE),
    "DOWNLOAD_TIMEOUT": str(TIMEOUT_SECONDS),
    "RETRY_TIMES": "1",
    "RETRY_BACKOFF_MAX": "2",
    # Only the names in TEST_HOSTS resolve, and this resolver sends no DNS
    # query. The proxy is off so that host names reach the resolver.
    "TWISTED_DNS_RESOLVER": "tests.resolvers.FixedHostsResolver",
    "TEST_HOSTS": "",
    "HTTPPROXY_ENABLED": "False",
}


# A server whose handlers write raw responses.
Handler = Callable[[BaseHTTPRequestHandler], None]


class RawServer:
    """An HTTP/1.0 server on 127.0.0.1 whose routes write their own responses.

    A route key ending in "*" matches every path with that prefix. Every
    request is recorded with its arrival time (time.monotonic).
    """

    def __init__(self, routes: dict[str, Handler] | None = None):
        self.routes: dict[str, Handler] = dict(routes or {})
        self.requests: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                with server.lock:
                    server.requests.append((self.path, time.monotonic()))
                handler = server.find_route(self.path)
                try:
                    if handler is None:
                        send(self, 404, b"<html><body><h1>Not found</h1></body></html>")
                    else:
                        handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def find_route(self, path: str) -> Handler | None:
        if path in self.routes:
            return self.routes[path]
        bare = urlsplit(path).path
        if bare in self.routes:
            return self.routes[bare]
        prefixes = [key for key in self.routes if key.endswith("*") and path.startswith(key[:-1])]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def __enter__(self) -> "RawServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def requested_paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests]

    def arrival_times(self, path: str) -> list[float]:
        with self.lock:
            return [moment for requested, moment in self.requests if requested == path]


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    content_length: bool = True,
) -> None:
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    if content_length:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def serve(body: bytes | str, status: int = 200, content_type: str | None = "text/html; charset=utf-8", **headers) -> Handler:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda handler: send(handler, status, data, content_type, {k.replace("_", "-"): v for k, v in headers.items()})


def redirect(location: str, status: int = 302) -> Handler:
    return lambda handler: send(handler, status, b"", "text/html", {"Location": location})


def fails_first(first: Handler, then: Handler) -> Handler:
    """Serve `first` to the first request of a path, and `then` to every later one."""
    seen: set[str] = set()

    def handle(handler):
        if handler.path in seen:
            then(handler)
        else:
            seen.add(handler.path)
            first(handler)

    return handle


# Pages.
def page(title: str, article: str, published: str | None = None, charset_meta: str | None = "utf-8") -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    charset = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head>{charset}<title>{title} | Riverbend School District</title>{meta}</head>
<body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/staff-directory">Staff Directory</a></nav></header>
<main><article><h1>{title}</h1>
{article}
</article></main>
<footer><p>Riverbend School District, 12 Mill Road, Riverbend, NH.</p></footer>
</body></html>"""


def text_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="reader-secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 7, "Confidential personnel report of the Riverbend Board of Education.")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF whose only page is an image, as a scanner makes it: no text layer."""
    image = Image.new("L", (200, 120), color=255)
    for x in range(20, 180):
        for y in range(50, 60):
            image.putpixel((x, y), 0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    return bytes(pdf.output())


APPOINTMENT_NEWS = page(
    "Board names new principal for Maple Street Elementary",
    """<p class="byline">Posted April 14, 2026</p>
<p>The Riverbend Board of Education appointed Carmen Alvarez as principal of Maple Street Elementary School at its April 13 meeting, effective July 1, 2026.</p>
<p>Alvarez has been assistant principal at Hillside Middle School for five years.</p>""",
    published="2026-04-14",
)

STAFF_DIRECTORY = page(
    "Staff Directory",
    """<table>
<tr><th>Name</th><th>Title</th><th>Email</th></tr>
<tr><td>Jordan Pike</td><td>Director of Personalized Learning</td><td>jpike@riverbend.example.org</td></tr>
<tr><td>Lee Marsh</td><td>Director of Transportation</td><td>lmarsh@riverbend.example.org</td></tr>
</table>""",
)

LETTER_PDF_LINES = [
    "Riverbend School District",
    "Letter to families, April 20, 2026",
    "The Board of Education approved the appointment of Helen Osei as Principal of Riverbend High School, effective August 1, 2026.",
]

CP1252_ARTICLE = (
    "<p>Riverbend\u2019s schools use competency-based education district-wide: students advance when they show "
    "mastery of each competency, and the caf\u00e9 menu is posted weekly.</p>"
)

MALFORMED = (
    b"<html><body><div><p>Budget update <b>for 2026 <table><tr><td>Line items</div></span></p>"
    b"</html><html><body>\x00\x00 stray <<<>>> text </ foo =\""
)

ROBOTS_WITH_JUNK = b"""<html><head><title>Page not found</title></head>
User-agent: *
Disallow: /private/
this line is not a rule
{{ template error }}
Crawl-delay: ten
"""


def main_site(pdf_letter: bytes, minutes: bytes) -> dict[str, Handler]:
    home_links = [
        "/news/",
        "/news/2026/04/principal-named",
        "/staff-directory",
        "/academics/competency-letter",
        "/charset/bom",
        "/charset/meta-conflict",
        "/charset/undeclared",
        "/charset/unknown",
        "/malformed",
        "/big-page",
        "/big-stream",
        "/gzip-bomb",
        "/deflate-bomb",
        "/docs/truncated.pdf",
        "/docs/encrypted.pdf",
        "/docs/scanned.pdf",
        "/docs/huge.pdf",
        "/board/agenda.pdf",
        "/news/letter.html",
        "/board/minutes.pdf",
        "/loop/a",
        "/self",
        "/chain/1",
        "/calendar?month=2026-05",
        "/events/2026/05/01",
        "/list?page=1",
        "/s/1/",
        "/busy",
        "/maintenance",
        "/private/report.html",
    ]
    home = page(
        "Welcome to Riverbend School District",
        "<ul>" + "".join(f'<li><a href="{link}">{link}</a></li>' for link in home_links) + "</ul>",
    )
    list_links = "".join(f'<a href="/list?page={n}&amp;r=token{n}x{n * 7}">page {n}</a> ' for n in range(2, 12))

    def session_page(handler):
        number = int(handler.path.strip("/").split("/")[1])
        send(handler, 200, page(f"Section {number}", f'<a href="/s/{number + 1}/">next section</a>').encode())

    big = b"<html><body><p>" + b"x" * (3 * MAX_SIZE) + b"</p></body></html>"
    bomb = b"<html><body>" + b" " * (5 * MAX_SIZE) + b"</body></html>"
    truncated = text_pdf(["Riverbend Board minutes", "Item 1. Call to order."] * 20)

    routes: dict[str, Handler] = {
        "/": serve(home),
        "/news/": serve(page("News", '<a href="/news/2026/04/principal-named">New principal</a>')),
        "/news/2026/04/principal-named": serve(APPOINTMENT_NEWS),
        "/staff-directory": serve(STAFF_DIRECTORY),
        # Windows-1252 bytes under a header that says UTF-8.
        "/academics/competency-letter": serve(
            page("Competency-based learning", CP1252_ARTICLE, charset_meta=None).encode("cp1252"),
            content_type="text/html; charset=utf-8",
        ),
        "/charset/bom": serve(
            b"\xef\xbb\xbf" + page("Byte order mark", "<p>Caf\u00e9 hours change on Monday.</p>", charset_meta=None).encode(),
            content_type="text/html; charset=iso-8859-1",
        ),
        "/charset/meta-conflict": serve(
            page("Meta conflict", "<p>Na\u00efve readers disagree.</p>", charset_meta="windows-1252").encode(),
            content_type="text/html; charset=utf-8",
        ),
        "/charset/undeclared": serve(
            page("Undeclared", "<p>Se\u00f1or Ruiz joined the board.</p>", charset_meta=None).encode("cp1252"),
            content_type="text/html",
        ),
        "/charset/unknown": serve(page("Unknown charset", "<p>Plain text.</p>", charset_meta=None), content_type="text/html; charset=x-klingon"),
        "/malformed": serve(MALFORMED),
        "/big-page": serve(big),
        "/big-stream": lambda handler: send(handler, 200, big, content_length=False),
        "/gzip-bomb": serve(gzip.compress(bomb), Content_Encoding="gzip"),
        "/deflate-bomb": serve(zlib.compress(bomb), Content_Encoding="deflate"),
        "/docs/truncated.pdf": serve(truncated[: len(truncated) // 3], content_type="application/pdf"),
        "/docs/encrypted.pdf": serve(encrypted_pdf(), content_type="application/pdf"),
        "/docs/scanned.pdf": serve(scanned_pdf(), content_type="application/pdf"),
        "/docs/huge.pdf": serve(minutes + b"\n%" + b"0" * (2 * MAX_SIZE) + b"\n", content_type="application/pdf"),
        # HTML named .pdf and sent as a PDF; a PDF sent as HTML.
        "/board/agenda.pdf": serve(page("Agenda", "<p>The agenda will be posted on Friday.</p>"), content_type="application/pdf"),
        "/news/letter.html": serve(pdf_letter, content_type="text/html; charset=utf-8"),
        "/board/minutes.pdf": serve(minutes, content_type="application/pdf"),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/self": redirect("/self", status=301),
        "/chain/*": lambda handler: redirect(f"/chain/{int(handler.path.rsplit('/', 1)[1]) + 1}")(handler),
        "/calendar": serve(page("Calendar", '<a href="/calendar?month=2026-06">next</a>')),
        "/events/*": serve(page("Events", '<a href="/events/2026/05/02">next day</a>')),
        "/list": serve(page("List", list_links)),
        "/s/*": session_page,
        "/busy": fails_first(serve("Too many requests", status=429, Retry_After="1"), serve(page("Busy page", "<p>Served on the second try.</p>"))),
        "/maintenance": fails_first(
            serve("Down for maintenance", status=503, Retry_After="3600"),
            serve(page("Maintenance page", "<p>Back after maintenance.</p>")),
        ),
        "/private/report.html": serve(page("Private", "<p>Not for crawlers.</p>")),
        "/robots.txt": serve(ROBOTS_WITH_JUNK, content_type="text/plain"),
    }
    return routes


def small_site(title: str, extra_links: str = "", robots: Handler | None = None) -> dict[str, Handler]:
    routes = {"/": serve(page(title, f"<p>{title} home page.</p>{extra_links}"))}
    if robots is not None:
        routes["/robots.txt"] = robots
    return routes


def slow_routes(server: RawServer) -> dict[str, Handler]:
    def never_answers(handler):
        server.stop.wait(SLOW_HANDLER_LIMIT)

    def trickles(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(SLOW_HANDLER_LIMIT):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            if server.stop.wait(1):
                return

    return {
        "/": serve(page("Slow district", '<a href="/slow">Slow page</a> <a href="/trickle">Trickle page</a>')),
        "/slow": never_answers,
        "/trickle": trickles,
    }


def robots_redirect_routes() -> dict[str, Handler]:
    routes = {f"/robots-hop-{n}.txt": redirect(f"/robots-hop-{n + 1}.txt", status=301) for n in range(1, 6)}
    routes.update(
        {
            "/robots.txt": redirect("/robots-hop-1.txt", status=301),
            "/robots-hop-6.txt": serve(b"User-agent: *\nDisallow: /secret/\n", content_type="text/plain"),
            "/": serve(page("Redirected robots", '<a href="/secret/plan">Secret</a> <a href="/open">Open</a>')),
            "/open": serve(page("Open page", "<p>Anyone may read this.</p>")),
            "/secret/plan": serve(page("Secret", "<p>Nobody may read this.</p>")),
        }
    )
    return routes


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    minutes = text_pdf(["Riverbend Board of Education", "Minutes of March 9, 2026", "Item 4. Budget report."])
    letter = text_pdf(LETTER_PDF_LINES)
    with (
        RawServer() as main,
        RawServer() as robots_missing,
        RawServer() as robots_failing,
        RawServer() as robots_redirected,
        RawServer() as slow,
    ):
        main.routes.update(main_site(letter, minutes))
        robots_missing.routes.update(small_site("Robots missing"))
        robots_failing.routes.update(
            small_site("Robots failing", robots=serve("Service unavailable", status=503, content_type="text/plain"))
        )
        robots_redirected.routes.update(robots_redirect_routes())
        slow.routes.update(slow_routes(slow))

        # A port where nothing listens: the unresolvable name never gets that far.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        registry = write_registry(
            folder / "registry.csv",
            [
                {"nces_id": MAIN_ID, "name": "Riverbend School District", "state": "NH", "website": main.host},
                {"nces_id": ROBOTS_MISSING_ID, "name": "Robots Missing SD", "state": "NH", "website": robots_missing.host},
                {"nces_id": ROBOTS_FAILING_ID, "name": "Robots Failing SD", "state": "NH", "website": robots_failing.host},
                {"nces_id": ROBOTS_REDIRECTED_ID, "name": "Robots Redirected SD", "state": "NH", "website": robots_redirected.host},
                {"nces_id": UNRESOLVABLE_ID, "name": "Unresolvable SD", "state": "NH", "website": f"{UNRESOLVABLE_HOST}:{closed_port}"},
                {"nces_id": SLOW_ID, "name": "Slow SD", "state": "NH", "website": slow.host},
            ],
        )
        database = folder / "signals.db"
        started = time.monotonic()
        result = run_crawl(database, f"registry={registry}", settings=HOSTILE_CRAWL_SETTINGS, timeout=180)
        yield {
            "result": result,
            "log": result.log,
            "seconds": time.monotonic() - started,
            "database": database,
            "main": main,
            "robots_missing": robots_missing,
            "robots_failing": robots_failing,
            "robots_redirected": robots_redirected,
            "slow": slow,
        }


def query(database, sql, *params):
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def stat(log: str, name: str) -> int:
    """A counter from the stats dump at the end of a crawl's log; 0 when absent."""
    dump = log[log.rfind("Dumping Scrapy stats") :]
    match = re.search(rf"'{re.escape(name)}': (\d+)", dump)
    return int(match.group(1)) if match else 0


def logged(log: str, district_id: str, url_part: str, text: str) -> bool:
    """Whether one log line names the district, a URL containing `url_part`, and `text`."""
    for line in log.splitlines():
        urls = re.findall(r"https?://\S+", line)
        if f"District {district_id}:" in line and any(url_part in url for url in urls) and text in line:
            return True
    return False


def stored_text(database, url: str) -> str:
    rows = query(database, "SELECT text_zlib FROM pages WHERE url = ?", url)
    assert rows, f"page {url} not stored"
    return zlib.decompress(rows[0]["text_zlib"]).decode("utf-8")


# The crawl as a whole.
def test_crawl_exits_cleanly(hostile):
    assert hostile["result"].returncode == 0, hostile["log"][-4000:]
    rows = query(hostile["database"], "SELECT finish_reason FROM crawls")
    assert [row["finish_reason"] for row in rows] == ["finished"]


def test_crawl_stays_fast(hostile):
    assert hostile["seconds"] < 90, hostile["seconds"]


def test_no_traceback_in_log(hostile):
    assert "Traceback" not in hostile["log"], hostile["log"][-4000:]


def test_appointment_news_stored(hostile):
    rows = query(hostile["database"], "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE '%Alvarez%'")
    assert len(rows) == 1, hostile["log"][-4000:]
    assert "Maple Street Elementary" in (rows[0]["school"] or "")
    assert rows[0]["effective_date"] == "2026-07-01"
    assert rows[0]["district_id"] == MAIN_ID


def test_directory_role_stored(hostile):
    rows = query(hostile["database"], "SELECT * FROM signals WHERE kind = 'cbe_role'")
    assert [(row["title"], row["person"]) for row in rows] == [("Director of Personalized Learning", "Jordan Pike")]


def test_every_quote_in_stored_text(hostile):
    for signal in query(hostile["database"], "SELECT quote, url FROM signals"):
        assert signal["quote"] in stored_text(hostile["database"], signal["url"]), signal


# Charsets.
def test_cp1252_sent_as_utf8_logged_and_decoded(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/academics/competency-letter", "declares charset utf-8 but its bytes are not valid utf-8")
    assert stat(log, "k12signals/charset/wrong") >= 1
    text = stored_text(hostile["database"], f"{main.base_url}/academics/competency-letter")
    assert "Riverbend\u2019s schools" in text
    assert "caf\u00e9" in text


def test_bom_logged_and_decoded(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/charset/bom", "byte order mark")
    assert stat(log, "k12signals/charset/bom") == 1
    assert "Caf\u00e9 hours" in stored_text(hostile["database"], f"{main.base_url}/charset/bom")


def test_meta_charset_conflict_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/charset/meta-conflict", "in Content-Type but 'windows-1252' in <meta charset>")
    assert stat(log, "k12signals/charset/conflict") == 1
    assert "Na\u00efve readers" in stored_text(hostile["database"], f"{main.base_url}/charset/meta-conflict")


def test_undeclared_charset_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/charset/undeclared", "declares no charset")
    assert stat(log, "k12signals/charset/undeclared") >= 1
    assert "Se\u00f1or Ruiz" in stored_text(hostile["database"], f"{main.base_url}/charset/undeclared")


def test_unknown_charset_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/charset/unknown", "declares unknown charset 'x-klingon'")
    assert stat(log, "k12signals/charset/unknown") == 1


# Markup and content types.
def test_malformed_html_logged_and_stored(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/malformed", "NUL byte")
    assert logged(log, MAIN_ID, "/malformed", "markup error(s) that the parser repaired")
    assert stat(log, "k12signals/html/malformed") >= 2
    assert "Budget update" in stored_text(hostile["database"], f"{main.base_url}/malformed")


def test_normal_pages_not_flagged(hostile):
    log = hostile["log"]
    for path in ("/news/2026/04/principal-named", "/staff-directory"):
        assert not re.search(rf"District {MAIN_ID}: \S*{re.escape(path)} .*\[(html|charset)/", log), path


def test_html_sent_as_pdf_logged_and_read(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/board/agenda.pdf", "but is HTML; read by its bytes")
    assert "agenda will be posted" in stored_text(hostile["database"], f"{main.base_url}/board/agenda.pdf")


def test_pdf_sent_as_html_logged_and_read(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/news/letter.html", "is a PDF sent as text/html")
    assert stat(log, "k12signals/content_type/mismatch") == 2
    rows = query(hostile["database"], "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE '%Osei%'")
    assert len(rows) == 1, log[-4000:]
    assert rows[0]["url"].endswith("/news/letter.html")


# Sizes.
def test_page_over_max_size_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/big-page", f"larger than download max size ({MAX_SIZE})")
    assert query(hostile["database"], "SELECT url FROM pages WHERE url LIKE '%/big-page'") == []


def test_streamed_page_over_max_size_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/big-stream", "the body passed DOWNLOAD_MAXSIZE while streaming")
    assert stat(log, "k12signals/too_large/download") == 3
    assert query(hostile["database"], "SELECT url FROM pages WHERE url = ?", f"{main.base_url}/big-stream") == []


def test_huge_pdf_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/docs/huge.pdf", "larger than download max size")


@pytest.mark.parametrize("path", ["/gzip-bomb", "/deflate-bomb"])
def test_decompression_bomb_logged(hostile, path):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, path, "exceeded DOWNLOAD_MAXSIZE")
    assert stat(log, "k12signals/too_large/decompressed") == 2
    assert query(hostile["database"], "SELECT url FROM pages WHERE url = ?", f"{main.base_url}{path}") == []


# PDFs.
def test_truncated_pdf_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/docs/truncated.pdf", "could not read")
    assert stat(log, "k12signals/pdf/unreadable") == 1


def test_encrypted_pdf_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/docs/encrypted.pdf", "password")
    assert stat(log, "k12signals/pdf/encrypted") == 1


def test_scanned_pdf_logged(hostile):
    log = hostile["log"]
    assert logged(log, MAIN_ID, "/docs/scanned.pdf", "PDF without a text layer")
    assert stat(log, "k12signals/pdf/no_text") == 1


def test_good_pdf_read(hostile):
    text = stored_text(hostile["database"], f"{hostile['main'].base_url}/board/minutes.pdf")
    assert "Budget report" in text


def test_extraction_errors_counted(hostile):
    assert stat(hostile["log"], "k12signals/extraction/errors") >= 2


# Redirects.
def test_redirect_loop_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/loop/a", "redirects in a loop back to")
    assert logged(log, MAIN_ID, "/self", "redirects in a loop back to")
    assert stat(log, "k12signals/redirect/loop") == 2
    assert main.requested_paths().count("/loop/a") == 1


def test_redirect_chain_stopped(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/chain/1", "redirected more than REDIRECT_MAX_TIMES (10) times")
    assert stat(log, "k12signals/redirect/too_many") == 1
    chain = [path for path in main.requested_paths() if path.startswith("/chain/")]
    assert len(chain) == 11, chain


# Endless link spaces.
def test_calendar_skipped_and_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/calendar?month=2026-05", "a calendar page that pages on without end")
    assert stat(log, "k12signals/skipped/calendar") >= 2
    assert not any(path.startswith(("/calendar", "/events")) for path in main.requested_paths())


def test_query_variants_capped_and_logged(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/list?page=", "more than DISTRICT_MAX_QUERY_VARIANTS")
    assert stat(log, "k12signals/skipped/query_variants") >= 1
    variants = [path for path in main.requested_paths() if path.startswith("/list?")]
    assert len(variants) == 5, variants


def test_session_paths_stop_at_depth(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, "/s/4/", "deeper than DISTRICT_MAX_DEPTH")
    assert stat(log, "k12signals/skipped/depth") >= 1
    sections = [path for path in main.requested_paths() if path.startswith("/s/")]
    assert sections == ["/s/1/", "/s/2/", "/s/3/"]


# Rate limits and unavailable pages.
def test_429_waits_retry_after(hostile):
    log, main = hostile["log"], hostile["main"]
    times = main.arrival_times("/busy")
    assert len(times) == 2
    assert times[1] - times[0] >= 0.9
    assert re.search(r"Retrying \S+/busy after 429 in 1\.0 s .*Retry-After 1\) for District " + MAIN_ID, log)
    assert f"{main.base_url}/busy" in {row["url"] for row in query(hostile["database"], "SELECT url FROM pages")}


def test_503_retry_after_capped(hostile):
    log, main = hostile["log"], hostile["main"]
    times = main.arrival_times("/maintenance")
    assert len(times) == 2
    assert 1.8 <= times[1] - times[0] < 30
    assert re.search(r"Retrying \S+/maintenance after 503 in 2\.0 s .*Retry-After 3600\) for District " + MAIN_ID, log)
    assert stat(log, "k12signals/retry/retry_after") == 2


# Slow servers.
@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_slow_page_times_out(hostile, path):
    log = hostile["log"]
    assert logged(log, SLOW_ID, path, f"took longer than {TIMEOUT_SECONDS}")
    assert stat(log, "k12signals/errors/DownloadTimeoutError") == 2
    assert hostile["slow"].requested_paths().count(path) == 2


def test_slow_district_home_stored(hostile):
    rows = query(hostile["database"], "SELECT url FROM pages WHERE district_id = ?", SLOW_ID)
    assert [row["url"] for row in rows] == [f"{hostile['slow'].base_url}/"]


# robots.txt.
def test_robots_junk_lines_ignored(hostile):
    log, main = hostile["log"], hostile["main"]
    assert logged(log, MAIN_ID, main.host, "3 line(s) that are not robots.txt rules")
    assert stat(log, "k12signals/robotstxt/invalid_lines") == 3
    assert "/private/report.html" not in main.requested_paths()


def test_robots_missing_allows_all(hostile):
    log = hostile["log"]
    assert logged(log, ROBOTS_MISSING_ID, "127.0.0.1", "returned status 404; no rules, everything allowed")
    assert stat(log, "k12signals/robotstxt/missing") >= 1
    rows = query(hostile["database"], "SELECT url FROM pages WHERE district_id = ?", ROBOTS_MISSING_ID)
    assert len(rows) == 1


def test_robots_server_error_disallows_all(hostile):
    log, failing = hostile["log"], hostile["robots_failing"]
    assert logged(log, ROBOTS_FAILING_ID, failing.host, "returned status 503; treating the site as disallowed")
    assert stat(log, "k12signals/robotstxt/server_error") == 1
    assert failing.requested_paths() == ["/robots.txt", "/robots.txt"]
    rows = query(hostile["database"], "SELECT outcome FROM district_crawls WHERE district_id = ?", ROBOTS_FAILING_ID)
    assert rows == [{"outcome": "robots_disallowed"}]


def test_robots_redirects_followed(hostile):
    log, redirected = hostile["log"], hostile["robots_redirected"]
    assert logged(log, ROBOTS_REDIRECTED_ID, "/robots-hop-6.txt", "obeying that file")
    assert stat(log, "k12signals/robotstxt/redirected") == 1
    paths = redirected.requested_paths()
    assert "/robots-hop-6.txt" in paths
    assert "/open" in paths
    assert "/secret/plan" not in paths


# DNS.
def test_unresolvable_host_logged(hostile):
    log = hostile["log"]
    assert logged(log, UNRESOLVABLE_ID, UNRESOLVABLE_HOST, "could not be fetched")
    assert re.search(rf"'k12signals/errors/\w*(DNS|Resolve)\w*': \d+", log)
    rows = query(hostile["database"], "SELECT outcome FROM district_crawls WHERE district_id = ?", UNRESOLVABLE_ID)
    assert rows == [{"outcome": "unreachable"}]


def test_every_district_recorded(hostile):
    rows = query(hostile["database"], "SELECT district_id, outcome FROM district_crawls ORDER BY district_id")
    assert {row["district_id"]: row["outcome"] for row in rows} == {
        MAIN_ID: "ok",
        ROBOTS_MISSING_ID: "ok",
        ROBOTS_FAILING_ID: "robots_disallowed",
        ROBOTS_REDIRECTED_ID: "ok",
        UNRESOLVABLE_ID: "unreachable",
        SLOW_ID: "ok",
    }


# The 25 MiB default, with a 50 MB page.
def test_50_megabyte_page_dropped_at_default_limit(tmp_path):
    size = 50 * 1000 * 1000
    chunk = b"<p>" + b"y" * (1024 * 1024 - 3)

    def fifty_megabytes(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        sent = 0
        while sent < size and not server.stop.is_set():
            part = chunk[: size - sent]
            handler.wfile.write(part)
            sent += len(part)

    bomb = gzip.compress(b" " * (60 * 1000 * 1000))
    with RawServer() as server:
        server.routes.update(
            {
                "/": serve(page("Default limits", '<a href="/huge">Huge</a> <a href="/huge-gzip">Huge gzip</a> <a href="/news/2026/04/principal-named">News</a>')),
                "/huge": fifty_megabytes,
                "/huge-gzip": serve(bomb, Content_Encoding="gzip"),
                "/news/2026/04/principal-named": serve(APPOINTMENT_NEWS),
            }
        )
        registry = write_registry(
            tmp_path / "registry.csv", [{"nces_id": MAIN_ID, "name": "Riverbend School District", "state": "NH", "website": server.host}]
        )
        database = tmp_path / "signals.db"
        started = time.monotonic()
        result = run_crawl(database, f"registry={registry}", settings={"RETRY_TIMES": "0"}, timeout=120)
        seconds = time.monotonic() - started

    log = result.log
    assert result.returncode == 0, log[-4000:]
    assert seconds < 60
    assert logged(log, MAIN_ID, "/huge", f"larger than download max size ({25 * 1024 * 1024})")
    assert logged(log, MAIN_ID, "/huge-gzip", "exceeded DOWNLOAD_MAXSIZE")
    assert stat(log, "k12signals/too_large/download") == 1
    assert stat(log, "k12signals/too_large/decompressed") == 1
    rows = query(database, "SELECT person FROM signals WHERE kind = 'principal_appointment'")
    assert [row["person"] for row in rows] == ["Carmen Alvarez"]
    assert [row["finish_reason"] for row in query(database, "SELECT finish_reason FROM crawls")] == ["finished"]


# Two crawls on one database, and a reader during the crawls.
def test_two_crawls_share_database_with_reader(tmp_path):
    database = tmp_path / "signals.db"
    results: dict[str, object] = {}
    reader_errors: list[str] = []
    reads = 0
    with RawServer() as first_site, RawServer() as second_site:
        first_site.routes.update({"/": serve(page("First district", '<a href="/news/2026/04/principal-named">News</a>')), "/news/2026/04/principal-named": serve(APPOINTMENT_NEWS)})
        second_site.routes.update({"/": serve(page("Second district", '<a href="/staff-directory">Staff</a>')), "/staff-directory": serve(STAFF_DIRECTORY)})
        registries = {
            "3399921": write_registry(tmp_path / "first.csv", [{"nces_id": "3399921", "name": "First SD", "state": "NH", "website": first_site.host}]),
            "3399922": write_registry(tmp_path / "second.csv", [{"nces_id": "3399922", "name": "Second SD", "state": "NH", "website": second_site.host}]),
        }

        def crawl(district_id):
            results[district_id] = run_crawl(database, f"registry={registries[district_id]}", timeout=120)

        threads = [threading.Thread(target=crawl, args=(district_id,)) for district_id in registries]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
            if database.exists():
                try:
                    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
                    try:
                        connection.execute("SELECT count(*) FROM pages").fetchone()
                        connection.execute("SELECT count(*) FROM signals").fetchone()
                        reads += 1
                    finally:
                        connection.close()
                except sqlite3.OperationalError as error:
                    # The schema may not exist yet in the first instants.
                    if "no such table" not in str(error):
                        reader_errors.append(str(error))
            time.sleep(0.05)
        for thread in threads:
            thread.join(timeout=5)

    for district_id, result in results.items():
        assert result.returncode == 0, (district_id, result.log[-4000:])
    assert reader_errors == []
    assert reads > 0
    pages = query(database, "SELECT district_id, count(*) AS n FROM pages GROUP BY district_id ORDER BY district_id")
    assert [(row["district_id"], row["n"]) for row in pages] == [("3399921", 2), ("3399922", 2)]
    kinds = {row["kind"] for row in query(database, "SELECT kind FROM signals")}
    assert {"principal_appointment", "cbe_role"} <= kinds
    crawls = query(database, "SELECT finish_reason, stats FROM crawls")
    assert [row["finish_reason"] for row in crawls] == ["finished", "finished"]
    assert all(json.loads(row["stats"]).get("k12signals/pages_stored") == 2 for row in crawls)
    assert query(database, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


# The checks themselves, without a crawl.
@pytest.mark.parametrize(
    ("content_type", "body", "counters"),
    [
        ("text/html; charset=utf-8", "<p>caf\u00e9</p>".encode("cp1252"), ["charset/wrong"]),
        ("text/html; charset=windows-1252", "<p>caf\u00e9</p>".encode("utf-8"), ["charset/wrong"]),
        ("text/html; charset=utf-8", "<p>caf\u00e9</p>".encode("utf-8"), []),
        ("text/html", b"<p>plain ascii</p>", []),
        ("text/html", "<p>caf\u00e9</p>".encode("cp1252"), ["charset/undeclared"]),
        ("text/html; charset=utf-8", b'<meta charset="utf8"><p>same charset, other label</p>', []),
        ("text/html; charset=utf-8", b'<meta charset="shift_jis"><p>x</p>', ["charset/conflict"]),
        ("text/html; charset=bogus", b"<p>x</p>", ["charset/unknown"]),
        ("text/html; charset=iso-8859-1", b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", ["charset/bom"]),
    ],
)
def test_charset_findings(content_type, body, counters):
    from crawlers.hostile import charset_findings

    assert [finding.counter for finding in charset_findings(content_type, body)] == counters


def test_clean_page_has_no_markup_repairs():
    from k12signals.extraction import extract

    page = extract(APPOINTMENT_NEWS.encode(), url="http://127.0.0.1/news", content_type="text/html")
    assert page.markup_errors == 0


def test_mismatched_tags_are_counted_as_repairs():
    from crawlers.hostile import markup_repair_finding, nul_findings
    from k12signals.extraction import extract

    page = extract(MALFORMED, url="http://127.0.0.1/malformed", content_type="text/html")
    assert page.markup_errors > 0
    assert "markup error" in markup_repair_finding(page.markup_errors, page.first_markup_error).message
    assert "NUL" in nul_findings(MALFORMED)[0].message


@pytest.mark.parametrize(
    ("url", "media_type", "body", "mismatch"),
    [
        ("http://x.example/a.pdf", "application/pdf", b"%PDF-1.7\n", False),
        ("http://x.example/a", "application/octet-stream", b"%PDF-1.7\n", False),
        ("http://x.example/a.html", "text/html", b"%PDF-1.7\n", True),
        ("http://x.example/a.pdf", "application/pdf", b"<!DOCTYPE html><html>", True),
        ("http://x.example/a.pdf", "text/html", b"<html><body>", True),
        ("http://x.example/a", "text/html", b"<html><body>", False),
    ],
)
def test_content_type_findings(url, media_type, body, mismatch):
    from crawlers.hostile import content_type_findings

    assert bool(content_type_findings(url, media_type, body)) is mismatch


def test_robots_junk_lines_counts_only_junk():
    from crawlers.hostile import robots_junk_lines

    body = b"# comment\n\nUser-agent: *\nDisallow: /x # trailing\nSitemap: http://x/s.xml\nCrawl-delay: 5\n<html>\nnot a rule\nFoo: bar\n"
    assert robots_junk_lines(body) == 3


@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        (b"User-agent: *\nCrawl-delay: 2\n", []),
        (b"User-agent: *\nCrawl-delay: 0.5 # half a second\n", []),
        (b"User-agent: *\nCrawl-delay: ten\n", ["ten"]),
        (b"User-agent: *\ncrawl-DELAY: -5\n", ["-5"]),
        (b"User-agent: *\nCrawl-delay:\n", [""]),
    ],
)
def test_invalid_crawl_delays(body, invalid):
    from crawlers.hostile import invalid_crawl_delays

    assert invalid_crawl_delays(body) == invalid
