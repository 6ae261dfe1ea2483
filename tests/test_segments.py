"""District segments, `districts list` and `feed`.

The first part checks the segment rules on databases built with the storage
functions. The second part crawls five district sites served on 127.0.0.1
(mature, early, exploring, retreat and none) twice, and their pages change
between the crawls. It checks the stages, the evidence, the 90-day principal
window and the feed's new, updated and gone events. Page dates are relative
to today, so that the 12-month and 90-day windows hold whenever the tests run.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from k12signals import segments, storage
from tests.sitekit import REPO_ROOT, Route, SiteServer, run_crawl, write_registry

TODAY = datetime.now(timezone.utc).date()


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def spelled(day: date) -> str:
    """A date as district sites write it: "March 3, 2026"."""
    return f"{day:%B} {day.day}, {day.year}"


# Segment rules on hand-built databases.
def language(stage: str, quote: str) -> dict:
    return {"kind": "cbe_language", "label": "competency-based education", "stage": stage, "quote": quote}


ROLE = {
    "kind": "cbe_role",
    "label": "cbe_coordinator",
    "title": "Coordinator of Competency-Based Learning",
    "person": "Robin Hale",
    "quote": "Robin Hale, Coordinator of Competency-Based Learning",
}


@pytest.fixture
def db(tmp_path):
    database = storage.open_database(tmp_path / "signals.db")
    storage.upsert_districts(
        database,
        [
            {"nces_id": "3300001", "name": "Alder School District", "state": "NH", "website": "alder.example.org"},
            {"nces_id": "3300002", "name": "Birch School District", "state": "NH", "website": "birch.example.org"},
            {"nces_id": "5000003", "name": "Cedar School District", "state": "VT", "website": "cedar.example.org"},
        ],
    )
    yield database
    database.close()


def add_page(db, district_id, path, published, signals, source_type="district_site"):
    url = f"https://district-{district_id}.example.org{path}"
    page = {
        "url": url,
        "district_id": district_id,
        "source_type": source_type,
        "fetched_at": storage.utc_now(),
        "status": 200,
        "published_at": published.isoformat() if published else None,
        "text": " ".join(signal["quote"] for signal in signals),
    }
    storage.store_page(db, page, signals)
    return url


def segment_of(db, district_id):
    row = db["districts"].get(district_id)
    return row["cbe_stage"], row["cbe_score"], json.loads(row["cbe_evidence"])


def test_newer_mature_wins_over_older_early(db):
    add_page(db, "3300001", "/news/pilot", days_ago(300), [language("early", "Two schools began a pilot.")])
    add_page(db, "3300001", "/news/pilot-2", days_ago(280), [language("early", "The pilot is in its second year.")])
    add_page(db, "3300001", "/academics/cbe", days_ago(20), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/diploma", days_ago(10), [language("mature", "Every diploma is on mastery.")])
    segments.update_segments(db)
    stage, _, evidence = segment_of(db, "3300001")
    assert stage == "mature"
    assert evidence["rule"] == "signals on two or more pages"
    assert {signal["stage"] for signal in evidence["signals"]} == {"mature"}


def test_newer_early_wins_over_older_mature(db):
    add_page(db, "3300001", "/academics/cbe", days_ago(300), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/diploma", days_ago(290), [language("mature", "Every diploma is on mastery.")])
    add_page(db, "3300001", "/news/restart", days_ago(30), [language("early", "Two schools restart a pilot.")])
    add_page(db, "3300001", "/news/restart-2", days_ago(20), [language("early", "The pilot adds grade 6.")])
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "early"


def test_later_retreat_overrides_adoption(db):
    add_page(db, "3300001", "/academics/cbe", days_ago(200), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/diploma", days_ago(190), [language("mature", "Every diploma is on mastery.")])
    add_page(db, "3300001", "/news/pause", days_ago(15), [language("retreat", "The board paused CBE.")])
    segments.update_segments(db)
    stage, score, evidence = segment_of(db, "3300001")
    assert stage == "retreat"
    assert evidence["rule"] == "a retreat after adoption"
    assert evidence["signals"][0]["quote"] == "The board paused CBE."
    assert 0 < score < 1


def test_adoption_after_retreat_wins(db):
    add_page(db, "3300001", "/academics/cbe", days_ago(300), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/pause", days_ago(200), [language("retreat", "The board paused CBE.")])
    add_page(db, "3300001", "/news/back", days_ago(20), [language("early", "Two schools resume a pilot.")])
    add_page(db, "3300001", "/news/back-2", days_ago(10), [language("early", "The pilot adds a school.")])
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "early"


def test_single_weak_mention_gives_none(db):
    add_page(db, "3300001", "/about", days_ago(10), [language("exploring", "The district is exploring CBE.")])
    segments.update_segments(db)
    stage, score, evidence = segment_of(db, "3300001")
    assert stage == "none"
    assert evidence["rule"] == "one weak mention per stage is not enough"
    assert len(evidence["signals"]) == 1
    assert 0 < score <= segments.NONE_SCORE_CAP


def test_single_weak_retreat_gives_none(db):
    add_page(db, "3300001", "/news/pause", days_ago(10), [language("retreat", "The board paused CBE grading.")])
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "none"


def test_board_minutes_alone_give_stage(db):
    add_page(
        db, "3300001", "/board/minutes/2026-01", days_ago(40),
        [language("exploring", "The board formed a CBE task force.")], source_type="board_minutes",
    )
    segments.update_segments(db)
    stage, _, evidence = segment_of(db, "3300001")
    assert stage == "exploring"
    assert evidence["rule"] == "a signal on board minutes or a policy page"
    assert evidence["signals"][0]["strong_page"] is True


def test_policy_page_is_strong(db):
    add_page(db, "3300001", "/board/policies/ika", days_ago(40), [language("early", "Grading is on mastery.")])
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "early"


def test_mention_with_role_gives_stage(db):
    add_page(db, "3300001", "/news/pilot", days_ago(30), [language("early", "Two schools began a pilot.")])
    add_page(db, "3300001", "/staff-directory", None, [ROLE])
    segments.update_segments(db)
    stage, _, evidence = segment_of(db, "3300001")
    assert stage == "early"
    assert evidence["rule"] == "a signal and a CBE role"
    assert "cbe_role" in {signal["kind"] for signal in evidence["signals"]}


def test_role_alone_gives_none(db):
    add_page(db, "3300001", "/staff-directory", None, [ROLE])
    segments.update_segments(db)
    stage, _, evidence = segment_of(db, "3300001")
    assert stage == "none"
    assert evidence["rule"] == "CBE roles without CBE language"


def test_mixed_weak_stages_support_lower_stage(db):
    add_page(db, "3300001", "/news/forum", days_ago(60), [language("exploring", "A community forum on CBE.")])
    add_page(db, "3300001", "/news/pilot", days_ago(20), [language("early", "Two schools began a pilot.")])
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "exploring"


def test_evidence_older_than_year_ignored(db):
    add_page(db, "3300001", "/academics/cbe", days_ago(400), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/diploma", days_ago(380), [language("mature", "Every diploma is on mastery.")])
    segments.update_segments(db)
    stage, score, _ = segment_of(db, "3300001")
    assert stage == "none"
    assert score == 0


def test_gone_signals_ignored(db):
    url = add_page(db, "3300001", "/academics/cbe", days_ago(20), [language("mature", "All schools use CBE.")])
    add_page(db, "3300001", "/news/diploma", days_ago(10), [language("mature", "Every diploma is on mastery.")])
    storage.mark_page_gone(db, url, 404)
    segments.update_segments(db)
    assert segment_of(db, "3300001")[0] == "none"


def test_state_policy_raises_score(db):
    for district_id in ("3300001", "3300002"):
        add_page(db, district_id, "/news/pilot", days_ago(30), [language("early", "Two schools began a pilot.")])
        add_page(db, district_id, "/news/pilot-2", days_ago(20), [language("early", "The pilot adds grade 6.")])
    segments.update_segments(db)
    without_policy = segment_of(db, "3300001")[1]

    policy = {"kind": "state_policy", "label": "competency-based credit", "state": "NH",
              "quote": "Schools may award credit on demonstrated competency."}
    add_page(db, None, "/state/credit", days_ago(100), [policy], source_type="state_policy")
    segments.update_segments(db)
    stage, with_policy, evidence = segment_of(db, "3300001")
    assert stage == "early"
    assert with_policy > without_policy
    assert evidence["state_policy"] == {"code": "NH", "policies": 1, "friendliness": None, "effect": "raised"}


def test_strong_state_policy_raises_more(db):
    for district_id in ("3300001", "5000003"):
        add_page(db, district_id, "/news/pilot", days_ago(30), [language("early", "Two schools began a pilot.")])
        add_page(db, district_id, "/news/pilot-2", days_ago(20), [language("early", "The pilot adds grade 6.")])
    db["states"].insert_all([
        {"code": "NH", "name": "New Hampshire", "policy_count": 2, "cbe_friendliness": "strong"},
        {"code": "VT", "name": "Vermont", "policy_count": 1, "cbe_friendliness": "some"},
    ])
    segments.update_segments(db)
    strong = segment_of(db, "3300001")
    some = segment_of(db, "5000003")
    assert strong[0] == some[0] == "early"
    assert strong[1] > some[1]
    assert strong[2]["state_policy"]["friendliness"] == "strong"


def test_state_policy_alone_gives_none(db):
    policy = {"kind": "state_policy", "label": "competency-based credit", "state": "NH",
              "quote": "Schools may award credit on demonstrated competency."}
    add_page(db, None, "/state/credit", days_ago(100), [policy], source_type="state_policy")
    db["states"].insert({"code": "NH", "name": "New Hampshire", "policy_count": 3})
    segments.update_segments(db)
    stage, score, _ = segment_of(db, "3300001")
    assert stage == "none"
    assert score == 0


def test_state_without_policy_lowers_score(db):
    for district_id in ("3300001", "5000003"):
        add_page(db, district_id, "/news/pilot", days_ago(30), [language("early", "Two schools began a pilot.")])
        add_page(db, district_id, "/news/pilot-2", days_ago(20), [language("early", "The pilot adds grade 6.")])
    db["states"].insert({"code": "VT", "name": "Vermont", "policy_count": 0})
    segments.update_segments(db)
    unknown_state = segment_of(db, "3300001")
    listed_without_policy = segment_of(db, "5000003")
    assert listed_without_policy[0] == "early"
    assert listed_without_policy[1] < unknown_state[1]
    assert listed_without_policy[2]["state_policy"]["effect"] == "lowered"


def test_update_counts_every_district(db):
    add_page(db, "3300001", "/board/minutes/1", days_ago(40), [language("exploring", "A task force.")],
             source_type="board_minutes")
    counts = segments.update_segments(db)
    assert counts.total == 3
    assert counts.by_stage["exploring"] == 1
    assert counts.by_stage["none"] == 2
    assert counts.changed == 3
    assert segments.update_segments(db).changed == 0


# Real crawls of five district sites.
STATE = "NH"


def html_page(district: str, title: str, paragraphs: list[str], published: date | None = None) -> str:
    meta = f'<meta property="article:published_time" content="{published.isoformat()}">' if published else ""
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {district}</title>{meta}</head>
<body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/staff-directory">Staff Directory</a></nav></header>
<main><article><h1>{title}</h1>
{body}
</article></main>
<footer><p>{district}, Main Street, {STATE}.</p></footer>
</body></html>"""


def site_routes(district: str, pages: dict[str, tuple[str, list[str], date | None]]) -> dict[str, Route]:
    """Routes for a home page that links every page, and the pages themselves."""
    links = "".join(f'<li><a href="{path}">{title}</a></li>' for path, (title, _, _) in pages.items())
    routes = {"/": Route(html_page(district, f"Welcome to {district}", [f"<ul>{links}</ul>"]))}
    for path, (title, paragraphs, published) in pages.items():
        routes[path] = Route(html_page(district, title, paragraphs, published))
    return routes


def directory(rows: list[tuple[str, str]]) -> list[str]:
    cells = "".join(f"<tr><td>{name}</td><td>{title}</td></tr>" for name, title in rows)
    return [f"<table><tr><th>Name</th><th>Title</th></tr>{cells}</table>"]


def maple_pages(second_crawl: bool) -> dict:
    moreno_start = days_ago(5) if second_crawl else days_ago(10)
    staff = [("Sam Ortega", "Director of Finance")]
    if not second_crawl:
        staff.insert(0, ("Jordan Reyes", "Director of Competency-Based Learning"))
    pages = {
        "/academics/competency-based-learning": (
            "Competency-Based Learning",
            [
                "Since 2019, all Maple Valley schools have used competency-based education district-wide. "
                "Students earn credit when they demonstrate mastery of each course competency, and every "
                "diploma is awarded on the district's graduation competencies."
            ],
            days_ago(40),
        ),
        "/board/minutes/regular-meeting": (
            "Board of Education Regular Meeting Minutes",
            [
                "The Superintendent reported that all Maple Valley schools have used competency-based "
                "education district-wide for six years, and that every diploma is now awarded on "
                "demonstrated mastery of the graduation competencies."
            ],
            days_ago(60),
        ),
        "/staff-directory": ("Staff Directory", directory(staff), None),
        "/news/new-principal-birch-hill": (
            "New principal named for Birch Hill Elementary",
            [
                "The Maple Valley Board of Education appointed Alicia Moreno as principal of Birch Hill "
                f"Elementary School, effective {spelled(moreno_start)}. Moreno has taught in the district "
                "for twelve years."
            ],
            days_ago(12),
        ),
        "/news/new-principal-river-road": (
            "New principal named for River Road Middle School",
            [
                "The Maple Valley Board of Education appointed Kevin Walsh as principal of River Road "
                f"Middle School, effective {spelled(days_ago(200))}. Walsh comes to the district from Concord."
            ],
            days_ago(205),
        ),
        "/news/new-assistant-principal": (
            "New assistant principal at Maple Valley High School",
            [
                "The Maple Valley Board of Education appointed Grace Liu as assistant principal of Maple "
                f"Valley High School, effective {spelled(days_ago(20))}."
            ],
            days_ago(25),
        ),
    }
    if second_crawl:
        pages.pop("/news/new-assistant-principal")
    return pages


def maple_routes(second_crawl: bool) -> dict[str, Route]:
    routes = site_routes("Maple Valley School District", maple_pages(second_crawl))
    # The home page keeps its link to the removed page, so the second crawl
    # requests it and gets a 404.
    routes["/"] = site_routes("Maple Valley School District", maple_pages(False))["/"]
    return routes


PINE = {
    "/news/competency-based-grading-pilot": (
        "Competency-based grading pilot begins",
        [
            "This fall, three Pine Ridge elementary schools began a pilot of competency-based grading "
            "in grades 3 through 5."
        ],
        days_ago(30),
    ),
    "/academics/proficiency-based-learning": (
        "Proficiency-Based Learning",
        [
            "Pine Ridge High School is in the second year of its proficiency-based learning pilot in "
            "English and mathematics courses."
        ],
        days_ago(90),
    ),
}
CEDAR = {
    "/board/minutes/task-force": (
        "Board of Education Meeting Minutes",
        [
            "The Board approved the formation of a competency-based education task force to study "
            "mastery-based learning and report back to the board in the spring. No schools will change "
            "grading next year."
        ],
        days_ago(45),
    ),
}
HARBOR = {
    "/academics/competency-based-education": (
        "Competency-Based Education",
        ["All Harbor Town schools use competency-based education district-wide. Students move on when "
         "they demonstrate mastery."],
        days_ago(250),
    ),
    "/news/grading-change": (
        "Board votes on grading",
        ["The Harbor Town Board of Education voted to pause competency-based grading at the high school "
         "and return to traditional letter grades next fall."],
        days_ago(20),
    ),
}
ELM = {
    "/about": (
        "About Elm Grove",
        ["Elm Grove School District serves 900 students in two schools.",
         "The district is exploring competency-based learning."],
        days_ago(10),
    ),
}

DISTRICTS = {
    "3390001": "Maple Valley School District",
    "3390002": "Pine Ridge School District",
    "3390003": "Cedar Falls School District",
    "3390004": "Harbor Town School District",
    "3390005": "Elm Grove School District",
}
MAPLE, PINE_ID, CEDAR_ID, HARBOR_ID, ELM_ID = DISTRICTS


def read_rows(database, sql, *params):
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "k12signals.cli", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segments")
    database = folder / "signals.db"
    sites = [SiteServer() for _ in DISTRICTS]
    for site in sites:
        site.__enter__()
    try:
        maple, pine, cedar, harbor, elm = sites
        maple.routes.update(maple_routes(second_crawl=False))
        pine.routes.update(site_routes(DISTRICTS[PINE_ID], PINE))
        cedar.routes.update(site_routes(DISTRICTS[CEDAR_ID], CEDAR))
        harbor.routes.update(site_routes(DISTRICTS[HARBOR_ID], HARBOR))
        elm.routes.update(site_routes(DISTRICTS[ELM_ID], ELM))
        registry = write_registry(
            folder / "registry.csv",
            [
                {"nces_id": nces_id, "name": name, "state": STATE, "website": site.host}
                for (nces_id, name), site in zip(DISTRICTS.items(), sites)
            ],
        )

        first = run_crawl(database, f"registry={registry}")
        after_first = {
            row["nces_id"]: row for row in read_rows(database, "SELECT * FROM districts ORDER BY nces_id")
        }
        # Event times have one-second resolution; keep the two crawls' events apart.
        time.sleep(1.1)
        between = storage.utc_now()
        time.sleep(1.1)

        maple.routes.clear()
        maple.routes.update(maple_routes(second_crawl=True))
        second = run_crawl(database, f"registry={registry}")
        yield {
            "database": database,
            "first": first,
            "second": second,
            "after_first": after_first,
            "between": between,
            "maple_requests": maple.requested_paths(),
        }
    finally:
        for site in sites:
            site.__exit__(None, None, None)


def test_crawls_finish(crawled):
    assert crawled["first"].returncode == 0, crawled["first"].log[-3000:]
    assert crawled["second"].returncode == 0, crawled["second"].log[-3000:]
    assert "Segments of 5 districts updated" in crawled["first"].log


@pytest.mark.parametrize(
    ("nces_id", "stage"),
    [(MAPLE, "mature"), (PINE_ID, "early"), (CEDAR_ID, "exploring"), (HARBOR_ID, "retreat"), (ELM_ID, "none")],
)
def test_crawled_stage(crawled, nces_id, stage):
    district = crawled["after_first"][nces_id]
    assert district["cbe_stage"] == stage, district["cbe_evidence"]
    assert district["segment_updated_at"] is not None


def test_mature_evidence_names_pages(crawled):
    evidence = json.loads(crawled["after_first"][MAPLE]["cbe_evidence"])
    urls = {signal["url"] for signal in evidence["signals"]}
    assert any(url.endswith("/academics/competency-based-learning") for url in urls)
    assert any(url.endswith("/board/minutes/regular-meeting") for url in urls)
    quotes = " ".join(signal["quote"] for signal in evidence["signals"])
    assert "district-wide" in quotes
    dates = {signal["date"] for signal in evidence["signals"] if signal["kind"] == "cbe_language"}
    assert days_ago(40).isoformat() in dates
    assert days_ago(60).isoformat() in dates


def test_role_supports_mature_score(crawled):
    first = crawled["after_first"][MAPLE]
    evidence = json.loads(first["cbe_evidence"])
    assert any(signal["kind"] == "cbe_role" and signal["person"] == "Jordan Reyes" for signal in evidence["signals"])
    second = read_rows(crawled["database"], "SELECT cbe_score FROM districts WHERE nces_id = ?", MAPLE)[0]
    assert second["cbe_score"] < first["cbe_score"]


def test_retreat_evidence_quotes_pause(crawled):
    evidence = json.loads(crawled["after_first"][HARBOR_ID]["cbe_evidence"])
    assert evidence["rule"] == "a retreat after adoption"
    assert "voted to pause competency-based grading" in evidence["signals"][0]["quote"]
    assert evidence["signals"][0]["date"] == days_ago(20).isoformat()


def test_exploring_rests_on_minutes(crawled):
    evidence = json.loads(crawled["after_first"][CEDAR_ID]["cbe_evidence"])
    assert evidence["rule"] == "a signal on board minutes or a policy page"
    assert evidence["signals"][0]["source_type"] == "board_minutes"


def test_single_mention_district_none(crawled):
    district = crawled["after_first"][ELM_ID]
    evidence = json.loads(district["cbe_evidence"])
    assert evidence["rule"] == "one weak mention per stage is not enough"
    assert [signal["stage"] for signal in evidence["signals"]] == ["exploring"]
    assert district["cbe_score"] <= segments.NONE_SCORE_CAP


def list_rows(crawled, *arguments):
    completed = run_cli("districts", "list", "--db", str(crawled["database"]), "--format", "jsonl", *arguments)
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()]


def test_list_new_principals_window(crawled):
    maple = next(row for row in list_rows(crawled) if row["nces_id"] == MAPLE)
    people = [principal["person"] for principal in maple["new_principals"]]
    assert "Alicia Moreno" in people
    assert "Kevin Walsh" not in people
    moreno = next(principal for principal in maple["new_principals"] if principal["person"] == "Alicia Moreno")
    assert moreno["appointed_on"] == days_ago(5).isoformat()
    assert moreno["school"] == "Birch Hill Elementary School"


def test_list_drops_gone_principal_and_role(crawled):
    maple = next(row for row in list_rows(crawled) if row["nces_id"] == MAPLE)
    assert "Grace Liu" not in [principal["person"] for principal in maple["new_principals"]]
    assert maple["cbe_roles"] == []


def test_list_fields_and_order(crawled):
    rows = list_rows(crawled)
    assert list(rows[0]) == [
        "nces_id", "name", "state", "cbe_stage", "cbe_score", "cbe_roles", "new_principals", "last_signal_at",
    ]
    scores = [row["cbe_score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert {row["nces_id"] for row in rows} == set(DISTRICTS)


def test_list_filters_by_stage(crawled):
    rows = list_rows(crawled, "--stage", "retreat", "--state", "nh")
    assert [row["name"] for row in rows] == ["Harbor Town School District"]


def test_list_csv_and_table(crawled):
    csv_output = run_cli("districts", "list", "--db", str(crawled["database"]), "--format", "csv", "--stage", "mature")
    assert csv_output.returncode == 0, csv_output.stderr
    lines = csv_output.stdout.splitlines()
    assert lines[0] == "nces_id,name,state,cbe_stage,cbe_score,cbe_roles,new_principals,last_signal_at"
    assert "Alicia Moreno (principal, Birch Hill Elementary School" in lines[1]

    table = run_cli("districts", "list", "--db", str(crawled["database"]))
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == [
        "nces_id", "name", "state", "cbe_stage", "cbe_score", "cbe_roles", "new_principals", "last_signal_at",
    ]
    assert "Elm Grove School District" in table.stdout


def feed_rows(crawled, *arguments):
    completed = run_cli("feed", "--db", str(crawled["database"]), *arguments)
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()]


def test_feed_new_events_from_first_crawl(crawled):
    events = feed_rows(crawled)
    new = [event for event in events if event["event"] == "new"]
    kinds = {event["kind"] for event in new}
    assert {"cbe_language", "cbe_role", "principal_appointment"} <= kinds
    assert all(event["occurred_at"] < crawled["between"] for event in new)
    times = [(event["occurred_at"], event["event_id"]) for event in events]
    assert times == sorted(times)


def test_feed_updated_effective_date(crawled):
    events = feed_rows(crawled, "--since", crawled["between"], "--kind", "principal_appointment")
    updated = [event for event in events if event["event"] == "updated"]
    assert [event["person"] for event in updated] == ["Alicia Moreno"]
    assert updated[0]["changes"] == {
        "effective_date": {"old": days_ago(10).isoformat(), "new": days_ago(5).isoformat()}
    }
    assert updated[0]["district_name"] == "Maple Valley School District"
    assert updated[0]["district_stage"] == "mature"
    assert "Alicia Moreno" in updated[0]["quote"]
    assert updated[0]["url"].endswith("/news/new-principal-birch-hill")


def test_feed_gone_role_and_page(crawled):
    events = feed_rows(crawled, "--since", crawled["between"])
    gone = {(event["kind"], event["person"]) for event in events if event["event"] == "gone"}
    assert gone == {("cbe_role", "Jordan Reyes"), ("principal_appointment", "Grace Liu")}
    assert "/news/new-assistant-principal" in crawled["maple_requests"]
    for event in events:
        if event["event"] == "gone":
            assert event["gone_at"] is not None
            assert event["quote"]


def test_feed_only_changes_after_since(crawled):
    events = feed_rows(crawled, "--since", crawled["between"])
    assert {event["event"] for event in events} == {"updated", "gone"}


def test_feed_filters_stage_and_state(crawled):
    retreat = feed_rows(crawled, "--stage", "retreat")
    assert retreat
    assert {event["district_name"] for event in retreat} == {"Harbor Town School District"}
    assert feed_rows(crawled, "--state", "VT") == []


def test_feed_csv_header(crawled):
    completed = run_cli("feed", "--db", str(crawled["database"]), "--format", "csv", "--since", "30d")
    assert completed.returncode == 0, completed.stderr
    header = completed.stdout.splitlines()[0]
    assert header.startswith("event_id,event,occurred_at,changes,signal_id,kind,")
    assert header.endswith(",quote,url,source_type")


def test_feed_relative_since_excludes_nothing_recent(crawled):
    assert len(feed_rows(crawled, "--since", "2w")) == len(feed_rows(crawled))
    assert feed_rows(crawled, "--since", (TODAY + timedelta(days=2)).isoformat()) == []
