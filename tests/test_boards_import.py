"""`k12signals boards import`: BoardDocs and Simbli mapping files into districts' board portals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.sitekit import REPO_ROOT, SHARED

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")

# Districts that both mapping files name, plus one that neither does.
REGISTRY = """nces_id,name,state,website
2632850,St. Joseph Public Schools,MI,www.sjschools.org
3904430,Maple Heights City,OH,www.mapleheightsschools.com
2916740,Kirksville R-III,MO,www.kirksville.k12.mo.us
3300001,Nowhere Regional,NH,www.nowhere-sd.org
"""


def k12signals(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "k12signals.cli", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database(tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    path = tmp_path / "signals.db"
    result = k12signals("districts", "import", str(registry), "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


def portals(path) -> dict[str, tuple[str, str]]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT nces_id, board_platform, board_url FROM districts WHERE board_url IS NOT NULL")
        return {row[0]: (row[1], row[2]) for row in rows}
    finally:
        connection.close()


@needs_data
def test_boarddocs_file_imported(database):
    result = k12signals("boards", "import", str(DATA / "boarddocs-sites.csv"), "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert "Read 3782 rows" in result.stdout
    assert "Stored 2 portals, skipped 3780." in result.stdout
    assert "district not in the database" in result.stdout
    assert "no LEAID" in result.stdout
    stored = portals(database)
    assert stored["2632850"] == ("boarddocs", "https://go.boarddocs.com/mi/sjs/Board.nsf/Public")
    assert stored["3904430"] == ("boarddocs", "https://go.boarddocs.com/oh/mapleheights/Board.nsf/Public")
    assert "3300001" not in stored


@needs_data
def test_simbli_file_imported(database):
    result = k12signals("boards", "import", str(DATA / "simbli-sites.csv"), "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert "Read 2016 rows" in result.stdout
    assert "Stored 1 portals" in result.stdout
    assert portals(database)["2916740"] == (
        "simbli",
        "https://simbli.eboardsolutions.com/SB_Meetings/SB_MeetingListing.aspx?S=2",
    )


def test_bad_rows_skipped_with_reasons(database, tmp_path):
    mapping = tmp_path / "boarddocs.csv"
    mapping.write_text(
        "LEAID,LEA_NAME,boarddocs_url\n"
        "2632850,St. Joseph,https://go.boarddocs.com/mi/sjs/Board.nsf/Public\n"
        "9999999,Unknown,https://go.boarddocs.com/mi/zzz/Board.nsf/Public\n"
        "26328,Too short,https://go.boarddocs.com/mi/abc/Board.nsf/Public\n"
        "3904430,Maple Heights,https://www.mapleheightsschools.com/board\n"
        ",No district,https://go.boarddocs.com/mi/none/Board.nsf/Public\n",
        encoding="utf-8",
    )
    result = k12signals("boards", "import", str(mapping), "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert "Read 5 rows" in result.stdout
    assert "Stored 1 portals, skipped 4." in result.stdout
    assert "skipped 1: district not in the database" in result.stdout
    assert "skipped 1: invalid LEAID" in result.stdout
    assert "skipped 1: invalid boarddocs_url" in result.stdout
    assert "skipped 1: no LEAID" in result.stdout
    assert set(portals(database)) == {"2632850"}


def test_unknown_columns_exit_2(database, tmp_path):
    mapping = tmp_path / "portals.csv"
    mapping.write_text("district,url\n2632850,https://go.boarddocs.com/mi/sjs/Board.nsf/Public\n", encoding="utf-8")
    result = k12signals("boards", "import", str(mapping), "--db", str(database))
    assert result.returncode == 2
    assert "LEAID, boarddocs_url" in result.stderr
    assert "simbli_id, LEAID" in result.stderr
    assert portals(database) == {}


def test_missing_database_exit_2(tmp_path):
    mapping = tmp_path / "simbli.csv"
    mapping.write_text("simbli_id,LEAID\n2,2916740\n", encoding="utf-8")
    result = k12signals("boards", "import", str(mapping), "--db", str(tmp_path / "absent.db"))
    assert result.returncode == 2
    assert "not found" in result.stderr


def test_missing_file_exit_2(database, tmp_path):
    result = k12signals("boards", "import", str(tmp_path / "absent.csv"), "--db", str(database))
    assert result.returncode == 2
    assert "absent.csv" in result.stderr
