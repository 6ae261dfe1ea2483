"""Generated school district web sites, served on 127.0.0.1 for crawl benchmarks.

`build_sites` makes N sites of about `pages_per_site` documents each: a home
page, news with a principal appointment, a page on competency-based learning,
a staff directory that lists a Director of Personalized Learning, school
pages, and board minutes as PDFs. Some districts carry each signal and the
rest carry plain text in the same places, so that every site costs the
crawler the same work.

`SiteFarm` serves each site on its own port of 127.0.0.1, because the crawler
keeps a district on its host and port. One thread accepts connections on all
ports and hands each one to a worker thread. Every document has an ETag and a
Last-Modified date, and a conditional request that matches gets 304. Each
site publishes /sitemap.xml with a `lastmod` for every document, unless
`build_sites` is told not to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import selectors
import threading
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fpdf import FPDF

HTML_TYPE = "text/html; charset=utf-8"
PDF_TYPE = "application/pdf"

# All documents claim the same modification time, so that Last-Modified and
# If-Modified-Since have a fixed value to compare.
LAST_MODIFIED_EPOCH = 1767225600  # 2026-01-01T00:00:00Z
LAST_MODIFIED = formatdate(LAST_MODIFIED_EPOCH, usegmt=True)

ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
NOT_FOUND = b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>"

# Inline CSS and script per HTML page, in KB. District CMS pages commonly
# carry tens of KB of theme code around a short article.
THEME_KILOBYTES = 30

# Distinct PDFs generated per run; districts share them under their own URLs,
# because fpdf2 needs tens of milliseconds per file.
PDF_VARIANTS = 8

FIRST_NAMES = ["Dana", "Morgan", "Priya", "Luis", "Hannah", "Marcus", "Elena", "Owen", "Grace", "Tobias",
               "Renee", "Julian", "Carmen", "Wesley", "Naomi", "Felix", "Ingrid", "Andre", "Leah", "Victor"]
LAST_NAMES = ["Whitfield", "Ellison", "Natarajan", "Ortega", "Lindqvist", "Brooks", "Castellano", "Pruitt",
              "Okafor", "Havel", "Delgado", "Sorensen", "Fairbanks", "Mbeki", "Yoshida", "Garrity"]
PLACE_NAMES = ["Lakeview", "Cedar Ridge", "Harbor View", "Pine Hollow", "Maple Grove", "Stony Brook",
               "Riverbend", "Granite Falls", "Oak Meadow", "Birch Hill", "Fox Run", "Willow Creek"]

# Ordinary district prose, for page bodies that carry no signal.
FILLER_SENTENCES = [
    "The district serves families across {town} and the surrounding townships.",
    "Families can register for the fall term at the central office or online.",
    "The transportation office publishes bus routes two weeks before school starts.",
    "Breakfast and lunch are served in every school cafeteria each school day.",
    "The board of education meets on the second Monday of each month in the library.",
    "Our teachers take part in professional learning days throughout the year.",
    "Parents are welcome to volunteer in classrooms after a background check.",
    "The athletics program offers soccer, basketball, track and cross country.",
    "Report cards are sent home at the end of each marking period.",
    "The music department presents a winter concert and a spring musical.",
    "Snow days are announced by phone, text message and on the district home page.",
    "The district budget is presented at a public hearing before the annual vote.",
    "Students in grade five visit the middle school each spring to meet their teachers.",
    "The library media center lends laptops to students who need one at home.",
    "Summer reading lists for every grade are posted in June.",
    "Health office staff keep immunization records and manage medication at school.",
    "The facilities team completed roof repairs at two schools over the summer.",
    "Kindergarten screening appointments open in March for children turning five.",
]

CBE_PARAGRAPHS = [
    "Since 2021, all of our schools have used competency-based education district-wide. Students advance "
    "when they demonstrate mastery of each course competency rather than after a fixed number of hours in a seat.",
    "Every diploma is awarded on demonstrated proficiency in the graduation competencies, and report cards "
    "show each competency a student has mastered.",
    "Teachers use common rubrics to assess each competency, and students who have not yet reached proficiency "
    "get more time and another opportunity to show what they know.",
]
CURRICULUM_PARAGRAPHS = [
    "The curriculum office reviews each subject area on a seven-year cycle with teachers and families.",
    "Course guides for the middle and high schools list prerequisites, credits and summer work.",
    "Our schools follow the state standards in English language arts, mathematics, science and social studies.",
]


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    etag: str


@dataclass
class DistrictSite:
    nces_id: str
    name: str
    state: str
    documents: dict[str, Document]
    has_sitemap: bool = True
    port: int = 0

    @property
    def website(self) -> str:
        return f"127.0.0.1:{self.port}"

    def sitemap(self) -> bytes:
        """Build a sitemap of every document, each with the `lastmod` of LAST_MODIFIED, as district CMSs publish."""
        lastmod = dt.datetime.fromtimestamp(LAST_MODIFIED_EPOCH, dt.timezone.utc).date().isoformat()
        entries = "".join(
            f"<url><loc>http://{self.website}{path}</loc><lastmod>{lastmod}</lastmod></url>" for path in self.documents
        )
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>').encode("utf-8")


def make_document(body: bytes | str, content_type: str = HTML_TYPE) -> Document:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Document(data, content_type, '"' + hashlib.sha1(data).hexdigest()[:20] + '"')


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def filler(rng: random.Random, town: str, sentences: int) -> str:
    chosen = [rng.choice(FILLER_SENTENCES).format(town=town) for _ in range(sentences)]
    paragraphs = [" ".join(chosen[start:start + 4]) for start in range(0, len(chosen), 4)]
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def theme_assets(rng: random.Random, kilobytes: int) -> str:
    """Inline CSS and a JSON configuration script of about `kilobytes` KB, the weight a CMS theme adds to every page."""
    rules = []
    while sum(map(len, rules)) < kilobytes * 512:
        selector = f".block-{rng.randrange(10**6):06d} .item-{rng.randrange(100)}"
        rules.append(f"{selector}{{margin:{rng.randrange(40)}px;color:#{rng.randrange(16**6):06x};"
                     f"font-size:{rng.randrange(10, 30)}px}}\n")
    settings = {f"widget_{number}": {"id": rng.randrange(10**9), "theme": f"#{rng.randrange(16**6):06x}",
                                     "enabled": rng.random() < 0.5} for number in range(kilobytes * 6)}
    return f"<style>{''.join(rules)}</style>\n<script>window.siteSettings = {json.dumps(settings)};</script>"


def html_page(district: str, title: str, article: str, nav: list[tuple[str, str]], assets: str,
              published: str | None = None) -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    links = "\n".join(f'<li><a href="{href}">{label}</a></li>' for href, label in nav)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {district}</title>{meta}
<meta name="viewport" content="width=device-width, initial-scale=1">
{assets}</head>
<body>
<header><div class="brand">{district}</div><nav><ul>
{links}
</ul></nav></header>
<main><article><h1>{title}</h1>
{article}
</article></main>
<footer><p>{district}, 100 School Street. Main office open 7:30 a.m. to 4:00 p.m. on school days.</p>
<p>The district does not discriminate on the basis of race, color, national origin, sex, disability or age
in its programs and activities.</p></footer>
</body></html>"""


def minutes_pdf(variant: int) -> bytes:
    """Board minutes of two pages; even variants appoint a principal in the personnel section."""
    rng = random.Random(variant)
    town = rng.choice(PLACE_NAMES)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    month = 1 + variant % 12
    lines = [
        f"{town} School District Board of Education",
        f"Regular Meeting Minutes, 2026-{month:02d}-09",
        "1. Call to order at 6:30 p.m. by the board chair. All members present.",
        "2. Approval of the agenda. Motion carried 5-0.",
        "3. Business report. The business administrator presented the draft budget for next year.",
        "4. Facilities. The board accepted the bid for the high school parking lot repairs.",
        "5. Curriculum. The assistant superintendent reported on the new mathematics materials.",
    ]
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    personnel = ["6. Personnel", "On the recommendation of the superintendent, the board approved the following actions:"]
    if variant % 2 == 0:
        personnel.append(
            f"a. The appointment of {person(rng)} as Principal of {town} Middle School, effective July 1, 2026."
        )
    personnel += [
        f"b. The resignation of {person(rng)}, grade 4 teacher, effective June 30, 2026.",
        "Motion carried 5-0.",
        "7. Adjournment at 8:05 p.m.",
    ]
    for line in personnel:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def page_plan(pages_per_site: int) -> tuple[int, int, int]:
    """Numbers of news stories, school pages and PDFs for a site of about `pages_per_site` documents.

    Six documents are fixed: home, news index, competency page, staff
    directory, board page and schools index. At least one story and one PDF
    are always added, so a site has at least eight documents.
    """
    rest = max(2, pages_per_site - 6)
    pdfs = max(1, rest // 6)
    stories = max(1, (rest - pdfs) // 2)
    schools = rest - pdfs - stories
    return stories, schools, pdfs


def build_site(index: int, pages_per_site: int, pdfs: list[bytes]) -> DistrictSite:
    rng = random.Random(index)
    town = PLACE_NAMES[index % len(PLACE_NAMES)]
    district = f"{town} School District {index}"
    stories, schools, pdf_count = page_plan(pages_per_site)
    has_principal_news = index % 2 == 0
    has_cbe = index % 3 == 0
    has_director = index % 4 == 0

    nav = [("/", "Home"), ("/news/", "District News"), ("/academics/competency-based-learning", "Learning"),
           ("/staff/directory", "Staff Directory"), ("/board/", "Board of Education"), ("/schools/", "Our Schools")]
    documents: dict[str, Document] = {}
    assets = theme_assets(rng, THEME_KILOBYTES)

    def add(path: str, title: str, article: str, published: str | None = None) -> None:
        documents[path] = make_document(html_page(district, title, article, nav, assets, published))

    add("/", f"Welcome to {district}", f"<p>{district} serves about {1000 + index % 9000} students.</p>"
        + filler(rng, town, 12))

    story_links = []
    for number in range(stories):
        path = f"/news/story-{number}"
        day = 1 + number % 28
        if number == 0 and has_principal_news:
            name = person(rng)
            school = f"{rng.choice(PLACE_NAMES)} Elementary School"
            title = f"New principal named for {school}"
            article = (
                f'<p class="byline">Posted March {day}, 2026</p>'
                f"<p>The {town} Board of Education appointed {name} as principal of {school} at its meeting "
                f"on March {day}. {name.split()[-1]} will begin on July 1, 2026.</p>"
                f"<p>{name.split()[-1]} has served as assistant principal at {rng.choice(PLACE_NAMES)} Middle "
                "School for six years.</p>" + filler(rng, town, 8)
            )
        else:
            title = f"District news, March {day}"
            article = f'<p class="byline">Posted March {day}, 2026</p>' + filler(rng, town, 16)
        add(path, title, article, published=f"2026-03-{day:02d}")
        story_links.append(f'<li><a href="{path}">{title}</a></li>')
    add("/news/", "District News", "<ul>" + "".join(story_links) + "</ul>" + filler(rng, town, 4))

    if has_cbe:
        learning = "".join(f"<p>{paragraph}</p>" for paragraph in CBE_PARAGRAPHS)
        add("/academics/competency-based-learning", "Competency-Based Learning", learning + filler(rng, town, 6),
            published="2025-09-02")
    else:
        learning = "".join(f"<p>{paragraph}</p>" for paragraph in CURRICULUM_PARAGRAPHS)
        add("/academics/competency-based-learning", "Curriculum and Instruction", learning + filler(rng, town, 6))

    rows = [("Superintendent", person(rng)), ("Director of Finance", person(rng)),
            ("Director of Transportation", person(rng))]
    if has_director:
        rows.insert(1, ("Director of Personalized Learning", person(rng)))
    table = "".join(f"<tr><td>{name}</td><td>{title}</td></tr>" for title, name in rows)
    add("/staff/directory", "Staff Directory", f"<table><tr><th>Name</th><th>Title</th></tr>{table}</table>")

    pdf_links = []
    for number in range(pdf_count):
        path = f"/board/minutes-{number + 1}.pdf"
        documents[path] = make_document(pdfs[(index + number) % len(pdfs)], PDF_TYPE)
        pdf_links.append(f'<li><a href="{path}">Regular Meeting Minutes {number + 1}</a></li>')
    add("/board/", "Board of Education", "<ul>" + "".join(pdf_links) + "</ul>" + filler(rng, town, 4))

    school_links = []
    for number in range(schools):
        path = f"/schools/school-{number}"
        name = f"{PLACE_NAMES[(index + number) % len(PLACE_NAMES)]} School {number}"
        add(path, name, f"<p>{name} serves grades K to 5.</p>" + filler(rng, town, 12))
        school_links.append(f'<li><a href="{path}">{name}</a></li>')
    add("/schools/", "Our Schools", "<ul>" + "".join(school_links) + "</ul>")

    return DistrictSite(nces_id=f"{9900000 + index:07d}", name=district, state="NH", documents=documents)


def build_sites(count: int, pages_per_site: int, sitemaps: bool = True) -> list[DistrictSite]:
    pdfs = [minutes_pdf(variant) for variant in range(PDF_VARIANTS)]
    sites = [build_site(index, pages_per_site, pdfs) for index in range(count)]
    for site in sites:
        site.has_sitemap = sitemaps
    return sites


class SiteRequestHandler(BaseHTTPRequestHandler):
    """Serve one district's documents, robots.txt, and 304 to a matching conditional request."""

    server_version = "DistrictSiteFarm/1"
    # Persistent connections, as real web servers keep them; a connection idle
    # for `timeout` seconds is closed, so that idle ones do not pile up.
    protocol_version = "HTTP/1.1"
    timeout = 5

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.farm.count_request()
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            self.send_document(200, ROBOTS_TXT, "text/plain", {})
            return
        if path == "/sitemap.xml" and self.server.site.has_sitemap:
            self.send_document(200, self.server.site.sitemap(), "application/xml", {})
            return
        document = self.server.site.documents.get(path)
        if document is None:
            self.send_document(404, NOT_FOUND, HTML_TYPE, {})
            return
        validators = {"ETag": document.etag, "Last-Modified": LAST_MODIFIED}
        if self.not_modified(document):
            self.server.farm.count_not_modified()
            self.send_document(304, b"", document.content_type, validators)
            return
        self.send_document(200, document.body, document.content_type, validators)

    def not_modified(self, document: Document) -> bool:
        # If-None-Match takes precedence over If-Modified-Since when a request has both, as HTTP requires.
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return document.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                return parsedate_to_datetime(if_modified_since).timestamp() >= LAST_MODIFIED_EPOCH
            except (TypeError, ValueError):
                return False
        return False

    def send_document(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    # Scrapy may open dozens of connections to one port at once.
    request_queue_size = 128

    def __init__(self, site: DistrictSite, farm: "SiteFarm"):
        super().__init__(("127.0.0.1", 0), SiteRequestHandler)
        self.site = site
        self.farm = farm
        site.port = self.server_address[1]


class SiteFarm:
    """Serve each site on its own port of 127.0.0.1 until `close` (or the end of a `with` block)."""

    def __init__(self, sites: list[DistrictSite]):
        self.sites = sites
        self.servers = [SiteServer(site, self) for site in sites]
        self.selector = selectors.DefaultSelector()
        for server in self.servers:
            self.selector.register(server, selectors.EVENT_READ)
        self.running = True
        self.lock = threading.Lock()
        self.requests = 0
        self.not_modified = 0
        self.thread = threading.Thread(target=self.accept_loop, name="site-farm", daemon=True)

    def count_request(self) -> None:
        with self.lock:
            self.requests += 1

    def count_not_modified(self) -> None:
        with self.lock:
            self.not_modified += 1

    def accept_loop(self) -> None:
        while self.running:
            for key, _events in self.selector.select(timeout=0.2):
                key.fileobj.handle_request()

    def __enter__(self) -> "SiteFarm":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.selector.close()
        for server in self.servers:
            server.server_close()
