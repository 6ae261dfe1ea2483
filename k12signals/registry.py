"""Read district registries: the NCES exports and the project's own CSV.

Three formats are recognised by their header row:

- the NCES ELSI table export: preamble lines before the header, footnotes
  after the rows, `="0100005"` quoting of ids, "–" (missing) and "†" (not
  applicable) for empty values, columns such as
  `Agency ID - NCES Assigned [District] Latest available year`;
- the CCD directory flat file (`ccd_lea_029_*`): `LEAID`, `LEA_NAME`, `ST`,
  `WEBSITE`, as CSV or inside a zip;
- the project's registry CSV: `nces_id`, `name`, `state`, `website`, and
  optionally `board_platform`, `board_url`; extra columns are ignored.

The NCES files are read leniently: a row that is not a usable district is
skipped and counted with its reason. The project's CSV is a user's own input,
so it is read strictly: the first bad row raises `InputError` naming the row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from k12signals.errors import InputError

STATE_CODES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    # Territories and federal agencies that the CCD directory also lists.
    "american samoa": "AS", "guam": "GU", "northern mariana islands": "MP",
    "puerto rico": "PR", "virgin islands": "VI", "u.s. virgin islands": "VI",
    "bureau of indian education": "BI", "department of defense education activity": "DD",
}
VALID_STATE_CODES = frozenset(STATE_CODES.values())

# Values that NCES and spreadsheets use for "no value".
MISSING_VALUES = {"", "–", "-", "—", "†", "‡", "na", "n/a", "none", "null", "m", "n"}

BOARD_PLATFORMS = ("boarddocs", "simbli", "diligent", "civicplus", "boardbook", "other")

NCES_ID_PATTERN = re.compile(r"^\d{7}$")
DEFAULT_DOCUMENT = re.compile(r"/(index|default|home)\.(html?|aspx?|php|shtml?|jsp)$", re.IGNORECASE)


@dataclass
class District:
    nces_id: str
    name: str
    state: str
    website: str | None
    board_platform: str | None = None
    board_url: str | None = None

    def as_row(self, with_board: bool) -> dict:
        row = {"nces_id": self.nces_id, "name": self.name, "state": self.state, "website": self.website}
        if with_board:
            row.update(board_platform=self.board_platform, board_url=self.board_url)
        return row


@dataclass
class Registry:
    """Districts read from one file, with the rows skipped and why."""

    format: str
    districts: list[District] = field(default_factory=list)
    read: int = 0
    skipped: Counter = field(default_factory=Counter)
    has_board_columns: bool = False


def is_missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in MISSING_VALUES


def clean_cell(value: str | None) -> str:
    """Strip spreadsheet quoting such as ="0100005" and surrounding space."""
    value = (value or "").strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.strip()


def normalize_nces_id(value: str | None) -> str | None:
    """Return the 7-digit NCES LEA id, restoring one leading zero that a spreadsheet dropped."""
    value = clean_cell(value)
    if re.fullmatch(r"\d{6}", value):
        value = "0" + value
    return value if NCES_ID_PATTERN.match(value) else None


def normalize_state(value: str | None) -> str | None:
    value = clean_cell(value)
    if value.upper() in VALID_STATE_CODES:
        return value.upper()
    return STATE_CODES.get(value.lower())


def normalize_website(value: str | None) -> str | None:
    """Reduce a web site value to host[:port][/path] with no scheme.

    Handles the forms seen in NCES data: upper-case hosts, repeated or broken
    or misspelled schemes ("http:///www.x.org", "htpp://x.org", "http://#www.x.org#"), a default document at
    the end ("/index.html"), trailing slashes, and placeholders such as "NA".
    Returns None when nothing like a host name remains.
    """
    value = clean_cell(value)
    if is_missing(value):
        return None
    value = re.split(r"[\s,;]+", value)[0]
    # Schemes, repeated or misspelled ("htpp://", "ttp://", "http/").
    value = re.sub(r"^(?:h?t{1,2}p{1,2}s?[:/]+)+", "", value, flags=re.IGNORECASE)
    value = value.strip("#/ .")
    value = re.sub(r"\.{2,}", ".", value)
    value = re.sub(r"[#?].*$", "", value)
    value = DEFAULT_DOCUMENT.sub("", value).rstrip("/")
    host, _, path = value.partition("/")
    host = host.lower().rstrip(".")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?", host):
        return None
    return f"{host}/{path}" if path else host


# Reading files.
def read_registry_file(path: str | Path) -> Registry:
    """Read a registry file in any of the three formats, plain CSV or zipped."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"registry file not found: {path}")
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        data = _csv_from_zip(data, path)
    return read_registry_text(_decode(data), source=str(path))


def _csv_from_zip(data: bytes, path: Path) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [name for name in archive.namelist() if name.lower().endswith((".csv", ".txt"))]
        if not names:
            raise InputError(f"{path}: the zip file contains no .csv or .txt file")
        largest = max(names, key=lambda name: archive.getinfo(name).file_size)
        return archive.read(largest)


def _decode(data: bytes) -> str:
    # The CCD flat files are Windows-1252; ELSI exports and our CSV are UTF-8.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_registry_text(text: str, source: str = "<registry>") -> Registry:
    lines = text.splitlines()
    for number, line in enumerate(lines[:50]):
        header = line.lower()
        if "agency id - nces assigned" in header:
            return _read_elsi(lines[number:])
        if "leaid" in header and "lea_name" in header:
            return _read_ccd(lines[number:])
        if "nces_id" in header:
            return _read_project_csv(lines[number:], source, first_line=number + 1)
    raise InputError(
        f"{source}: no registry header found; expected the NCES ELSI export, the CCD "
        f"directory file (LEAID, LEA_NAME, ST, WEBSITE) or a CSV with the columns "
        f"nces_id, name, state, website"
    )


def _find_column(header: list[str], *prefixes: str) -> int | None:
    for prefix in prefixes:
        for index, name in enumerate(header):
            if name.strip().lower().startswith(prefix.lower()):
                return index
    return None


def _read_elsi(lines: list[str]) -> Registry:
    rows = csv.reader(lines)
    header = next(rows)
    columns = {
        "nces_id": _find_column(header, "Agency ID - NCES Assigned"),
        "name": _find_column(header, "Agency Name [District]", "Agency Name"),
        "state": _find_column(header, "State Abbr", "State Name [District]", "State Name"),
        "website": _find_column(header, "Web Site URL"),
    }
    missing = [key for key, index in columns.items() if index is None and key != "website"]
    if missing:
        raise InputError(f"ELSI export lacks the columns for {', '.join(missing)}")
    registry = Registry(format="NCES ELSI export")
    for row in rows:
        # Footnotes follow the data rows after a blank line.
        if not row or not any(cell.strip() for cell in row):
            break
        _add_lenient(registry, row, columns)
    return registry


def _read_ccd(lines: list[str]) -> Registry:
    rows = csv.reader(lines)
    header = [name.strip().upper() for name in next(rows)]
    columns = {
        "nces_id": _find_column(header, "LEAID"),
        "name": _find_column(header, "LEA_NAME"),
        "state": _find_column(header, "ST"),
        "website": _find_column(header, "WEBSITE"),
    }
    # "ST" also prefixes other columns (STATENAME, ST_LEAID); take the exact one.
    columns["state"] = header.index("ST") if "ST" in header else columns["state"]
    missing = [key for key, index in columns.items() if index is None]
    if missing:
        raise InputError(f"CCD directory file lacks the columns for {', '.join(missing)}")
    registry = Registry(format="NCES CCD directory")
    for row in rows:
        if row and any(cell.strip() for cell in row):
            _add_lenient(registry, row, columns)
    return registry


def _add_lenient(registry: Registry, row: list[str], columns: dict[str, int | None]) -> None:
    def cell(key: str) -> str | None:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    registry.read += 1
    nces_id = normalize_nces_id(cell("nces_id"))
    if nces_id is None:
        registry.skipped["no valid 7-digit NCES id"] += 1
        return
    name = clean_cell(cell("name"))
    if is_missing(name):
        registry.skipped["no district name"] += 1
        return
    state = normalize_state(cell("state"))
    if state is None:
        registry.skipped["unknown state"] += 1
        return
    registry.districts.append(District(nces_id, name, state, normalize_website(cell("website"))))


def _read_project_csv(lines: list[str], source: str, first_line: int) -> Registry:
    reader = csv.DictReader(lines)
    fields = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = fields
    required = ["nces_id", "name", "state", "website"]
    absent = [name for name in required if name not in fields]
    if absent:
        raise InputError(
            f"{source}: missing column(s) {', '.join(absent)}; a registry CSV needs the "
            f"columns {', '.join(required)}"
        )
    registry = Registry(format="registry CSV", has_board_columns="board_url" in fields)
    seen: dict[str, int] = {}
    for offset, row in enumerate(reader, start=1):
        line = first_line + offset
        registry.read += 1
        district = _parse_project_row(row, source, line)
        if district.nces_id in seen:
            raise InputError(
                f"{source}, line {line}: duplicate nces_id {district.nces_id} "
                f"(first on line {seen[district.nces_id]}); each district needs one row"
            )
        seen[district.nces_id] = line
        registry.districts.append(district)
    return registry


def _parse_project_row(row: dict, source: str, line: int) -> District:
    where = f"{source}, line {line}"
    raw_id = normalize_nces_id(row.get("nces_id")) or clean_cell(row.get("nces_id"))
    if not NCES_ID_PATTERN.match(raw_id):
        raise InputError(f"{where}: invalid nces_id {raw_id!r}; expected 7 digits such as 0100005")
    name = clean_cell(row.get("name"))
    if not name:
        raise InputError(f"{where}: missing name for nces_id {raw_id}")
    state = normalize_state(row.get("state"))
    if state is None:
        raise InputError(
            f"{where}: unknown state {clean_cell(row.get('state'))!r}; expected a two-letter "
            f"USPS code such as NH"
        )
    website = normalize_website(row.get("website"))
    if website is None and not is_missing(row.get("website")):
        raise InputError(
            f"{where}: invalid website {clean_cell(row.get('website'))!r}; expected a host "
            f"name such as www.example-sd.org"
        )
    platform = clean_cell(row.get("board_platform")).lower() or None
    if platform is not None and platform not in BOARD_PLATFORMS:
        raise InputError(
            f"{where}: unknown board_platform {platform!r}; expected one of {', '.join(BOARD_PLATFORMS)}"
        )
    board_url = clean_cell(row.get("board_url")) or None
    if board_url is not None and not re.match(r"^https?://", board_url):
        raise InputError(f"{where}: invalid board_url {board_url!r}; expected an http(s) URL")
    return District(raw_id, name, state, website, platform, board_url)
