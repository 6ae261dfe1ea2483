"""Datasette with datasette/metadata.yml, read by Debian's headless Chromium.

The test builds a database with the storage functions, serves it with
`datasette` on a free port of 127.0.0.1, and has Chromium dump the rendered
DOM of the canned query pages. Chromium runs with a proxy on a closed
loopback port and a host resolver that maps every other host to nothing, so
it can reach only the test's Datasette.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from k12signals import segments, storage
from tests.sitekit import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
METADATA = REPO_ROOT / "datasette" / "metadata.yml"
STARTUP_SECONDS = 30

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")

TODAY = datetime.now(timezone.utc).date()


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def store(db, district_id, path, published, signals, source_type="district_site"):
    page = {
        "url": f"https://district-{district_id or 'state'}.example.org{path}",
        "district_id": district_id,
        "source_type": source_type,
        "fetched_at": storage.utc_now(),
        "status": 200,
        "published_at": published,
        "text": " ".join(signal["quote"] for signal in signals),
    }
    storage.store_page(db, page, signals)


def build_database(path: Path) -> None:
    db = storage.open_database(path)
    storage.upsert_districts(
        db,
        [
            {"nces_id": "3390001", "name": "Maple Valley School District", "state": "NH", "website": "maple.example.org"},
            {"nces_id": "3390002", "name": "Pine Ridge School District", "state": "NH", "website": "pine.example.org"},
            {"nces_id": "3390005", "name": "Elm Grove School District", "state": "NH", "website": "elm.example.org"},
        ],
    )

    mature = {"kind": "cbe_language", "label": "competency-based education", "stage": "mature"}
    early = {"kind": "cbe_language", "label": "competency-based education", "stage": "early"}
    store(db, "3390001", "/academics/cbe", days_ago(40),
          [{**mature, "quote": "All Maple Valley schools use competency-based education district-wide."}])
    store(db, "3390001", "/board/minutes/1", days_ago(60),
          [{**mature, "quote": "Every Maple Valley diploma is awarded on demonstrated mastery."}], "board_minutes")

    store(db, "3390001", "/staff-directory", None, [{
        "kind": "cbe_role", "label": "cbe_coordinator", "title": "Director of Competency-Based Learning",
        "person": "Jordan Reyes", "quote": "Jordan Reyes, Director of Competency-Based Learning",
    }])

    store(db, "3390001", "/news/new-principal", days_ago(12), [{
        "kind": "principal_appointment", "person": "Alicia Moreno", "school": "Birch Hill Elementary School",
        "position": "principal", "effective_date": days_ago(10),
        "quote": "The Board appointed Alicia Moreno as principal of Birch Hill Elementary School.",
    }])
    store(db, "3390001", "/news/old-principal", days_ago(205), [{
        "kind": "principal_appointment", "person": "Kevin Walsh", "school": "River Road Middle School",
        "position": "principal", "effective_date": days_ago(200),
        "quote": "The Board appointed Kevin Walsh as principal of River Road Middle School.",
    }])

    store(db, "3390002", "/news/pilot", days_ago(30),
          [{**early, "quote": "Three Pine Ridge schools began a pilot of competency-based grading."}])
    store(db, "3390002", "/academics/pilot", days_ago(90),
          [{**early, "quote": "Pine Ridge High School is in the second year of its proficiency-based pilot."}])

    # A new principal in a district without CBE evidence, which the canned query leaves out.
    store(db, "3390005", "/news/principal", days_ago(5), [{
        "kind": "principal_appointment", "person": "Noor Haddad", "school": "Elm Grove Elementary School",
        "position": "principal", "effective_date": days_ago(3),
        "quote": "The Board appointed Noor Haddad as principal of Elm Grove Elementary School.",
    }])

    store(db, None, "/state/credit", days_ago(100), [{
        "kind": "state_policy", "label": "competency-based credit", "state": "NH",
        "quote": "Schools may award credit on demonstrated competency.",
    }], "state_policy")
    db["states"].insert({"code": "NH", "name": "New Hampshire", "policy_count": 2, "cbe_friendliness": "strong"})

    segments.update_segments(db)
    db.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(tmp_path_factory):
    folder = tmp_path_factory.mktemp("datasette")
    database = folder / "signals.db"
    build_database(database)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(database), "--metadata", str(METADATA),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/-/versions.json", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"datasette did not start: {process.communicate()[0]}")
                time.sleep(0.2)
        yield {"base_url": base_url, "profile": folder / "chromium-profile"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def rendered_dom(datasette, path: str) -> str:
    completed = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={datasette['profile']}",
            "--dump-dom", datasette["base_url"] + path,
        ],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def table_rows(dom: str) -> list[list[str]]:
    """The cells of each body row of the page's results table, as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", dom, re.S)
    assert body, dom[-2000:]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def test_metadata_is_yaml_read_by_datasette(datasette):
    with urllib.request.urlopen(f"{datasette['base_url']}/-/metadata.json", timeout=10) as response:
        metadata = json.load(response)
    assert metadata["title"] == "k12-signals"
    assert set(metadata["databases"]["signals"]["queries"]) == {
        "cbe_districts_by_stage", "new_principals_in_cbe_districts", "new_cbe_roles_this_month",
        "state_policy_by_state",
    }


def test_districts_by_stage_page(datasette):
    dom = rendered_dom(datasette, "/signals/cbe_districts_by_stage?state=")
    assert "CBE districts by stage" in dom
    rows = table_rows(dom)
    assert [(row[0], row[2]) for row in rows] == [
        ("mature", "Maple Valley School District"),
        ("early", "Pine Ridge School District"),
    ]


def test_districts_by_stage_filters_state(datasette):
    dom = rendered_dom(datasette, "/signals/cbe_districts_by_stage?state=vt")
    assert '<p class="zero-results">0 results</p>' in dom
    assert "Maple Valley School District" not in dom


def test_new_principals_page(datasette):
    rows = table_rows(rendered_dom(datasette, "/signals/new_principals_in_cbe_districts"))
    assert [row[1] for row in rows] == ["Alicia Moreno"]
    assert rows[0][0] == days_ago(10)


def test_new_roles_page(datasette):
    rows = table_rows(rendered_dom(datasette, "/signals/new_cbe_roles_this_month"))
    assert [(row[1], row[2]) for row in rows] == [("Director of Competency-Based Learning", "Jordan Reyes")]


def test_state_policy_page(datasette):
    rows = table_rows(rendered_dom(datasette, "/signals/state_policy_by_state"))
    assert len(rows) == 1
    state, name, friendliness, policy_count, policy_signals, policies, mature, early, exploring = rows[0]
    assert (state, name, friendliness) == ("NH", "New Hampshire", "strong")
    assert (policy_count, policy_signals, policies) == ("2", "1", "competency-based credit")
    assert (mature, early, exploring) == ("1", "1", "0")


def test_quote_search(datasette):
    url = f"{datasette['base_url']}/signals/signals.json?_search=proficiency&_shape=array"
    with urllib.request.urlopen(url, timeout=10) as response:
        rows = json.load(response)
    assert [row["district_id"] for row in rows] == ["3390002"]
