"""A crawl of two district sites built on 127.0.0.1 from real published pages.

- Troy School District (Michigan): three Board of Education packets, read from
  the corpus as text and served as PDFs built at test time, linked from a
  "Board minutes" page. They hold these administrative appointments:
  pk_020: Timothy Fulcher, Principal, Smith Middle School, effective July 1,
  2011 (meeting of 2011-05-17), and Stephanie Acord, Principal, Morse
  Elementary School, effective July 1, 2011 (meeting of 2011-06-14).
  pk_022 (meeting of 2011-07-12): David Pass and Matt Jansen, Elementary
  Principal (no school named), effective July 13, 2011, and Anthony Morse,
  Assistant Principal, Boulan Park Middle School.
  pk_061 (meeting of 2014-07-08): Remo Roncone, Principal, Troy High School,
  effective July 9, 2014. The same packet extends the contracts of the
  district's current principals, Fulcher, Jansen and Pass among them, which is
  a list of principals and not an appointment.
- Cullman City Schools (Alabama): the home page as saved on 2020-03-27, an
  HTML file, served as is. Its news names Jake Johnson the new principal of
  Cullman Middle School, with no date.

The tests read the files from the shared corpus next to this repository and
never copy them into it. The module is skipped when that folder is absent.
"""

from __future__ import annotations

import sqlite3

import pytest
from fpdf import FPDF

from tests.sitekit import SHARED, Route, SiteServer, run_crawl, write_registry

CORPUS = SHARED / "corpus"
PACKETS = CORPUS / "tsd-boarddocs" / "resummarize" / "packets"
CULLMAN_HOME = CORPUS / "scraping-districts-covid" / "xml-data" / "Alabama-CULLMAN_CITY-0100990-2020-03-27.xml"
PACKET_NAMES = ("pk_020", "pk_022", "pk_061")

if not all((PACKETS / f"{name}.txt").is_file() for name in PACKET_NAMES) or not CULLMAN_HOME.is_file():
    pytest.skip(f"the shared corpus is not at {CORPUS}", allow_module_level=True)

# NCES district ids (LEAID) of the two districts.
TROY_ID = "2634260"
CULLMAN_ID = "0100990"

# Characters in the packet text that the PDF core fonts (Latin-1) lack, with
# the nearest Latin-1 text.
LATIN1_SUBSTITUTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2022": "*",
    "\u2026": "...",
    "\u00a0": " ",
    "\uf0b7": "*",
}


def latin1_text(line: str) -> str:
    for character, substitute in LATIN1_SUBSTITUTES.items():
        line = line.replace(character, substitute)
    return line.encode("latin-1", errors="replace").decode("latin-1")


def packet_pdf(name: str) -> bytes:
    """Build a PDF with one text line per line of the packet text file."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for line in (PACKETS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        text = latin1_text(line.rstrip())
        if text.strip():
            pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(4.5)
    return bytes(pdf.output())


def troy_site() -> dict[str, Route]:
    home = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Troy School District</title></head>
<body><nav><a href="/">Home</a> <a href="/board/minutes/">Board minutes</a></nav>
<main><h1>Troy School District</h1><p>Troy School District, Troy, Michigan.</p></main></body></html>"""
    minutes = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Board minutes | Troy School District</title></head>
<body><nav><a href="/">Home</a> <a href="/board/minutes/">Board minutes</a></nav>
<main><h1>Board minutes</h1>
<p>Agenda packets of the Board of Education, as posted before each meeting.</p>
<ul>
<li><a href="/board/packets/2011-05-17-special-meeting.pdf">Board packet, Special Meeting, May 17, 2011</a></li>
<li><a href="/board/packets/2011-07-12-regular-meeting.pdf">Board packet, Regular Meeting, July 12, 2011</a></li>
<li><a href="/board/packets/2014-07-08-regular-meeting.pdf">Board packet, Regular Meeting, July 8, 2014</a></li>
</ul></main></body></html>"""
    return {
        "/": Route(home),
        "/board/minutes/": Route(minutes),
        "/board/packets/2011-05-17-special-meeting.pdf": Route(packet_pdf("pk_020"), content_type="application/pdf"),
        "/board/packets/2011-07-12-regular-meeting.pdf": Route(packet_pdf("pk_022"), content_type="application/pdf"),
        "/board/packets/2014-07-08-regular-meeting.pdf": Route(packet_pdf("pk_061"), content_type="application/pdf"),
    }


PK_020_URL = "/board/packets/2011-05-17-special-meeting.pdf"
PK_022_URL = "/board/packets/2011-07-12-regular-meeting.pdf"
PK_061_URL = "/board/packets/2014-07-08-regular-meeting.pdf"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus-crawl")
    # The Cullman file is the saved HTML page itself, not an XML wrapper.
    cullman_home = CULLMAN_HOME.read_bytes()
    assert cullman_home.lstrip()[:30].upper().startswith(b"<!DOCTYPE HTML")

    with SiteServer(troy_site()) as troy, SiteServer({"/": Route(cullman_home)}) as cullman:
        registry = write_registry(
            folder / "registry.csv",
            [
                {"nces_id": TROY_ID, "name": "Troy School District", "state": "MI", "website": troy.host},
                {"nces_id": CULLMAN_ID, "name": "Cullman City", "state": "AL", "website": cullman.host},
            ],
        )
        database = folder / "signals.db"
        result = run_crawl(database, f"registry={registry}")
        yield {
            "result": result,
            "database": database,
            "troy": troy.base_url,
            "cullman": cullman.base_url,
            "troy_requests": troy.requested_paths(),
        }


def query(crawl, sql: str, *params) -> list[dict]:
    connection = sqlite3.connect(crawl["database"])
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def appointments_of(crawl, surname: str) -> list[dict]:
    return query(
        crawl,
        "SELECT * FROM signals WHERE kind = 'principal_appointment' AND person LIKE ?",
        f"%{surname}%",
    )


def appointment_of(crawl, surname: str, url_path: str) -> dict:
    """The one appointment of `surname` found on the page at `url_path`."""
    url = f"{crawl['troy']}{url_path}"
    rows = [row for row in appointments_of(crawl, surname) if row["url"] == url]
    found = [(row["person"], row["school"], row["position"], row["url"]) for row in query(crawl, "SELECT * FROM signals")]
    assert len(rows) == 1, f"{surname} on {url_path}: signals found: {found}"
    return rows[0]


# The crawl itself.


def test_corpus_crawl_exits_cleanly(crawl):
    assert crawl["result"].returncode == 0, crawl["result"].log[-3000:]


@pytest.mark.parametrize("path", [PK_020_URL, PK_022_URL, PK_061_URL])
def test_packet_pdf_stored(crawl, path):
    rows = query(crawl, "SELECT content_type, source_type, district_id FROM pages WHERE url = ?", f"{crawl['troy']}{path}")
    assert rows == [{"content_type": "application/pdf", "source_type": "board_minutes", "district_id": TROY_ID}], crawl[
        "result"
    ].log[-3000:]


@pytest.mark.parametrize("path", [PK_020_URL, PK_022_URL, PK_061_URL])
def test_packet_pdf_text_extracted(crawl, path):
    rows = query(crawl, "SELECT length(text_zlib) AS size FROM pages WHERE url = ?", f"{crawl['troy']}{path}")
    assert rows and rows[0]["size"] > 1000, rows


def test_cullman_home_stored(crawl):
    rows = query(crawl, "SELECT district_id FROM pages WHERE url = ?", f"{crawl['cullman']}/")
    assert rows == [{"district_id": CULLMAN_ID}], crawl["result"].log[-3000:]


# pk_020: Timothy Fulcher, Principal, Smith Middle School, effective July 1, 2011.


def test_fulcher_appointment_found(crawl):
    appointment_of(crawl, "Fulcher", PK_020_URL)


def test_fulcher_person(crawl):
    assert appointment_of(crawl, "Fulcher", PK_020_URL)["person"] == "Timothy Fulcher"


def test_fulcher_school(crawl):
    assert "Smith Middle" in (appointment_of(crawl, "Fulcher", PK_020_URL)["school"] or "")


def test_fulcher_position(crawl):
    assert appointment_of(crawl, "Fulcher", PK_020_URL)["position"] == "principal"


def test_fulcher_effective_date(crawl):
    assert appointment_of(crawl, "Fulcher", PK_020_URL)["effective_date"] == "2011-07-01"


def test_fulcher_district(crawl):
    assert appointment_of(crawl, "Fulcher", PK_020_URL)["district_id"] == TROY_ID


# pk_020: Stephanie Acord, Principal, Morse Elementary School, effective July 1, 2011.


def test_acord_appointment_found(crawl):
    appointment_of(crawl, "Acord", PK_020_URL)


def test_acord_person(crawl):
    assert appointment_of(crawl, "Acord", PK_020_URL)["person"] == "Stephanie Acord"


def test_acord_school(crawl):
    assert "Morse Elementary" in (appointment_of(crawl, "Acord", PK_020_URL)["school"] or "")


def test_acord_position(crawl):
    assert appointment_of(crawl, "Acord", PK_020_URL)["position"] == "principal"


def test_acord_effective_date(crawl):
    assert appointment_of(crawl, "Acord", PK_020_URL)["effective_date"] == "2011-07-01"


# pk_022: David Pass and Matt Jansen, Elementary Principal, effective July 13, 2011.


def test_pass_appointment_found(crawl):
    appointment_of(crawl, "Pass", PK_022_URL)


def test_pass_person(crawl):
    assert appointment_of(crawl, "Pass", PK_022_URL)["person"] == "David Pass"


def test_pass_position(crawl):
    assert appointment_of(crawl, "Pass", PK_022_URL)["position"] == "principal"


def test_pass_effective_date(crawl):
    assert appointment_of(crawl, "Pass", PK_022_URL)["effective_date"] == "2011-07-13"


def test_pass_no_school(crawl):
    assert appointment_of(crawl, "Pass", PK_022_URL)["school"] is None


def test_jansen_appointment_found(crawl):
    appointment_of(crawl, "Jansen", PK_022_URL)


def test_jansen_person(crawl):
    assert appointment_of(crawl, "Jansen", PK_022_URL)["person"] == "Matt Jansen"


def test_jansen_position(crawl):
    assert appointment_of(crawl, "Jansen", PK_022_URL)["position"] == "principal"


def test_jansen_effective_date(crawl):
    assert appointment_of(crawl, "Jansen", PK_022_URL)["effective_date"] == "2011-07-13"


def test_jansen_no_school(crawl):
    assert appointment_of(crawl, "Jansen", PK_022_URL)["school"] is None


# pk_022: Anthony Morse, Assistant Principal, Boulan Park Middle School.


def test_morse_never_stored_as_principal(crawl):
    positions = {row["position"] for row in appointments_of(crawl, "Anthony Morse")}
    assert "principal" not in positions, positions


def test_morse_assistant_principal(crawl):
    assert appointment_of(crawl, "Morse", PK_022_URL)["position"] == "assistant_principal"


def test_morse_school(crawl):
    assert "Boulan Park" in (appointment_of(crawl, "Morse", PK_022_URL)["school"] or "")


# pk_061: Remo Roncone, Principal, Troy High School, effective July 9, 2014.


def test_roncone_appointment_found(crawl):
    appointment_of(crawl, "Roncone", PK_061_URL)


def test_roncone_person(crawl):
    assert appointment_of(crawl, "Roncone", PK_061_URL)["person"] == "Remo Roncone"


def test_roncone_school(crawl):
    assert "Troy High" in (appointment_of(crawl, "Roncone", PK_061_URL)["school"] or "")


def test_roncone_position(crawl):
    assert appointment_of(crawl, "Roncone", PK_061_URL)["position"] == "principal"


def test_roncone_effective_date(crawl):
    assert appointment_of(crawl, "Roncone", PK_061_URL)["effective_date"] == "2014-07-09"


# pk_061 also lists the current principals whose contracts it extends.


@pytest.mark.parametrize("surname", ["Fulcher", "Jansen", "Pass", "Dixon", "Whan", "Melton"])
def test_contract_extension_not_appointment(crawl, surname):
    urls = {row["url"] for row in appointments_of(crawl, surname)}
    assert f"{crawl['troy']}{PK_061_URL}" not in urls


# pk_020: a Director of Technology, not a principal.


def test_director_not_principal_appointment(crawl):
    assert appointments_of(crawl, "Colligan") == []


# Cullman City home page: Jake Johnson, new principal of Cullman Middle School.


def cullman_appointment(crawl) -> dict:
    rows = [row for row in appointments_of(crawl, "Johnson") if row["district_id"] == CULLMAN_ID]
    found = [(row["person"], row["school"], row["position"], row["url"]) for row in query(crawl, "SELECT * FROM signals")]
    assert len(rows) == 1, f"signals found: {found}"
    return rows[0]


def test_johnson_appointment_found(crawl):
    cullman_appointment(crawl)


def test_johnson_person(crawl):
    assert cullman_appointment(crawl)["person"] == "Jake Johnson"


def test_johnson_school(crawl):
    assert "Cullman Middle" in (cullman_appointment(crawl)["school"] or "")


def test_johnson_position(crawl):
    assert cullman_appointment(crawl)["position"] == "principal"


def test_johnson_no_effective_date(crawl):
    assert cullman_appointment(crawl)["effective_date"] is None


def test_predecessor_not_appointed(crawl):
    assert appointments_of(crawl, "Lane Hill") == []
