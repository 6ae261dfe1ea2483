"""`k12signals districts import` and the registry readers."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from k12signals.errors import InputError
from k12signals.registry import normalize_nces_id, normalize_website, read_registry_file
from tests.sitekit import REPO_ROOT, SHARED, Route, SiteServer

ELSI_FILE = SHARED / "data" / "nces-ccd-districts-2017-18.csv"

CCD_TEXT = (
    "SCHOOL_YEAR,FIPST,STATENAME,ST,LEA_NAME,ST_LEAID,LEAID,WEBSITE,SY_STATUS_TEXT\n"
    '2024-2025,33,NEW HAMPSHIRE,NH,Lakeview School District,NH-101,3399901,http://www.lakeview.example.org/,Open\n'
    "2024-2025,33,NEW HAMPSHIRE,NH,Birch Hill School District,NH-102,3399902,NA,Open\n"
    "2024-2025,01,ALABAMA,AL,Pine County Schools,AL-003,0199903,HTTPS://PINE.EXAMPLE.ORG/index.html,Open\n"
    "2024-2025,01,ALABAMA,AL,Broken Row,AL-004,12,http://x.example.org,Open\n"
)


def run_cli(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "k12signals.cli", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def districts(database: Path) -> dict[str, dict]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return {row["nces_id"]: dict(row) for row in connection.execute("SELECT * FROM districts")}
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://www.lakeview.example.org/", "www.lakeview.example.org"),
        ("HTTPS://PINE.EXAMPLE.ORG/index.html", "pine.example.org"),
        ("http:///www.charter.example.org/schools/aspire", "www.charter.example.org/schools/aspire"),
        ("http://htpp://www.union.example.org", "www.union.example.org"),
        ("http://#www.virtual.example.org/arkansas#", "www.virtual.example.org/arkansas"),
        ("www.double..example.org", "www.double.example.org"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("NA", None),
        ("†", None),
        ("http://1441 Gull Avenue", None),
        ("admin@district.example.org", None),
    ],
)
def test_normalize_website(raw, expected):
    assert normalize_website(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0100005", "0100005"), ('="0100005"', "0100005"), ("100005", "0100005"), ("12", None), ("ABC1234", None)],
)
def test_normalize_nces_id(raw, expected):
    assert normalize_nces_id(raw) == expected


@pytest.mark.skipif(not ELSI_FILE.exists(), reason="../shared/data is not present")
def test_elsi_export_read():
    registry = read_registry_file(ELSI_FILE)
    by_id = {district.nces_id: district for district in registry.districts}
    assert registry.format == "NCES ELSI export"
    assert len(registry.districts) > 18000
    assert by_id["0100009"].state == "AL"
    assert by_id["0100009"].website == "www.aidb.org"
    assert by_id["0100183"].website is None
    assert sum(1 for district in registry.districts if district.website) > 13600


def test_ccd_file_read(tmp_path):
    path = tmp_path / "ccd_lea_029_2425.csv"
    path.write_text(CCD_TEXT, encoding="cp1252")
    registry = read_registry_file(path)
    by_id = {district.nces_id: district for district in registry.districts}
    assert registry.format == "NCES CCD directory"
    assert by_id["3399901"].website == "www.lakeview.example.org"
    assert by_id["3399902"].website is None
    assert by_id["0199903"].website == "pine.example.org"
    assert registry.skipped["no valid 7-digit NCES id"] == 1


def test_zipped_ccd_file_read(tmp_path):
    path = tmp_path / "ccd.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ccd_lea_029_2425_w_1a.csv", CCD_TEXT)
    registry = read_registry_file(path)
    assert len(registry.districts) == 3


def test_import_counts_and_reimport(tmp_path):
    source = tmp_path / "ccd.csv"
    source.write_text(CCD_TEXT, encoding="utf-8")
    database = tmp_path / "signals.db"

    first = run_cli("districts", "import", str(source), "--db", str(database))
    assert first.returncode == 0, first.stderr
    assert "Read 4 district(s)" in first.stdout
    assert "Added 3, updated 0, unchanged 0, skipped 1" in first.stdout
    assert "skipped 1: no valid 7-digit NCES id" in first.stdout

    source.write_text(CCD_TEXT.replace("www.lakeview.example.org", "lakeview.example.net"), encoding="utf-8")
    second = run_cli("districts", "import", str(source), "--db", str(database))
    assert "Added 0, updated 1, unchanged 2" in second.stdout
    rows = districts(database)
    assert len(rows) == 3
    assert rows["3399901"]["website"] == "lakeview.example.net"


def test_import_downloads_from_url(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ccd_lea_029.csv", CCD_TEXT)
    database = tmp_path / "signals.db"
    with SiteServer({"/ccd.zip": Route(buffer.getvalue(), content_type="application/zip")}) as server:
        result = run_cli("districts", "import", "--url", f"{server.base_url}/ccd.zip", "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert len(districts(database)) == 3


def test_import_download_failure_message(tmp_path):
    with SiteServer() as server:
        result = run_cli("districts", "import", "--url", f"{server.base_url}/missing.zip", "--db", str(tmp_path / "s.db"))
    assert result.returncode == 2
    assert "download of" in result.stderr
    assert "pass its path as FILE" in result.stderr


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("nces_id,name,state\n3399901,Lakeview,NH\n", "missing column(s) website"),
        ("nces_id,name,state,website\n33999,Lakeview,NH,lakeview.example.org\n", "line 2: invalid nces_id '33999'"),
        ("nces_id,name,state,website\n3399901,Lakeview,XX,lakeview.example.org\n", "line 2: unknown state 'XX'"),
        (
            "nces_id,name,state,website\n3399901,Lakeview,NH,a.example.org\n3399901,Lakeview,NH,b.example.org\n",
            "line 3: duplicate nces_id 3399901 (first on line 2)",
        ),
        ("nces_id,name,state,website\n3399901,Lakeview,NH,not a site\n", "invalid website 'not a site'"),
        ("id,title\n1,2\n", "no registry header found"),
    ],
)
def test_bad_registry_rejected_and_nothing_written(tmp_path, csv_text, message):
    source = tmp_path / "registry.csv"
    source.write_text(csv_text, encoding="utf-8")
    database = tmp_path / "signals.db"
    result = run_cli("districts", "import", str(source), "--db", str(database))
    assert result.returncode == 2
    assert message in result.stderr
    assert not database.exists() or districts(database) == {}


def test_missing_file_message(tmp_path):
    with pytest.raises(InputError, match="registry file not found"):
        read_registry_file(tmp_path / "nope.csv")
