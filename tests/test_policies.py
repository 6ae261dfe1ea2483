"""`scrapy crawl policies` against state agency sites served on 127.0.0.1, and the `states` summary.

The main crawl serves six agency sites, one server each. Three carry CBE
policy: New Hampshire (competency-based credit and extended learning
opportunities), Utah (personalized, competency-based learning grants) and
Idaho (the mastery education network, two links below the home page). Three
are look-alikes that are not CBE policy: a Michigan seat-time waiver for
online learning, a Texas District of Innovation page and a Georgia strategic
waivers page. The page texts are invented in the
style of agency pages. One crawl runs per module; each test checks one part
of what it fetched or stored.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from crawlers.spiders.policies import read_seeds
from k12signals import storage
from k12signals.errors import InputError
from k12signals.registry import STATE_CODES
from k12signals.states import rate_friendliness, update_states
from tests.sitekit import Route, SiteServer, run_crawl


def agency_page(agency: str, title: str, article: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {agency}</title></head>
<body>
<header><nav>
  <a href="/">Home</a> <a href="/about/">About the Department</a>
  <a href="/about/budget">Budget and Finance</a> <a href="/contact">Contact Us</a>
</nav></header>
<main><article><h1>{title}</h1>
{article}
</article></main>
<footer><p>{agency}. Copyright 2024. All rights reserved.</p></footer>
</body></html>"""


def home_page(agency: str, links: str) -> str:
    return agency_page(
        agency,
        "Welcome",
        f"""<p>The department supports public schools, educators and families across the state.</p>
<ul>
<li><a href="/educators/licensure">Educator Licensure</a></li>
<li><a href="/data/report-cards">School Report Cards</a></li>
{links}
</ul>""",
    )


NH_AGENCY = "New Hampshire Department of Education"
NH_ELO = agency_page(
    NH_AGENCY,
    "Extended Learning Opportunities and Competency-Based Credit",
    """<p class="updated">Last updated: January 14, 2026</p>
<p>New Hampshire high schools award credit for demonstrated mastery of course competencies rather than for time spent in a seat. Under the state's minimum standards for public high schools, every local school board adopts a policy that lets students earn competency-based credit in every course.</p>
<p>Extended learning opportunities (ELOs) let a student earn that credit outside the classroom through an internship, independent study, community service or a performing group. A certified teacher approves each ELO and assesses the student's work against the course competencies before credit is granted.</p>
<h2>Contacts</h2>
<p>Questions about ELOs and competency-based credit go to the Bureau of Instructional Support.</p>""",
)

UT_AGENCY = "Utah State Board of Education"
UT_GRANTS = agency_page(
    UT_AGENCY,
    "Personalized, Competency-Based Learning Grant Programs",
    """<p class="updated">Updated October 2, 2025</p>
<p>The Utah State Board of Education awards personalized, competency-based learning grants to school districts and charter schools that move students forward when they demonstrate mastery of the content. The grants are set in Utah Code 53F-5-501 through 53F-5-507.</p>
<p>A local education agency may apply for a planning grant to design its competency-based model, and then for an implementation grant of up to three years. Grantees report each year on student progress toward competencies.</p>
<p>Applications for the 2026-27 cycle open in February.</p>""",
)

ID_AGENCY = "Idaho State Department of Education"
ID_OVERVIEW = agency_page(
    ID_AGENCY,
    "Content and Curriculum",
    """<p>Resources for schools and families.</p>
<ul>
<li><a href="/content/imen">Idaho Mastery Education Network</a></li>
<li><a href="/content/assessment">State Assessments</a></li>
</ul>""",
)
ID_NETWORK = agency_page(
    ID_AGENCY,
    "Idaho Mastery Education Network",
    """<p class="updated">Last updated: August 20, 2025</p>
<p>Idaho Code 33-1632 directs the State Department of Education to support mastery-based education in Idaho schools. Through the Idaho Mastery Education Network (IMEN), schools across the state move students ahead when they demonstrate mastery of standards rather than after a set number of hours.</p>
<p>Network schools receive coaching, share assessment tools and meet twice a year. Districts that want to join the mastery education network submit a letter of intent to the department each spring.</p>""",
)

MI_AGENCY = "Michigan Department of Education"
MI_WAIVER = agency_page(
    MI_AGENCY,
    "Seat Time Waivers",
    """<p>A district may ask the Michigan Department of Education for a seat time waiver so that students can take online courses without being in the school building for the required hours.</p>
<p>Pupils enrolled under a seat time waiver for online learning are counted in membership when they are engaged in their virtual courses each week. Districts must submit the waiver application by the count day deadline.</p>""",
)

TX_AGENCY = "Texas Education Agency"
TX_INNOVATION = agency_page(
    TX_AGENCY,
    "Districts of Innovation",
    """<p>A Texas school district may be designated a District of Innovation under Texas Education Code Chapter 12A and claim exemptions from some state requirements in its local innovation plan.</p>
<p>Common exemptions in district innovation plans include the school start date, teacher certification, class size ratios and the minimum minutes of instruction. The board adopts the innovation plan after a public hearing and a vote of the district-level committee.</p>""",
)

GA_AGENCY = "Georgia Department of Education"
GA_WAIVERS = agency_page(
    GA_AGENCY,
    "Strategic Waivers School Systems",
    """<p>Under a strategic waivers contract, a Georgia school system receives flexibility from certain state rules, such as class size, expenditure controls, certification and seat time, in exchange for meeting performance goals.</p>
<p>Strategic waivers school systems and charter systems sign a five-year contract with the State Board of Education. A system that misses its goals may lose its flexibility.</p>""",
)

BUDGET = "<html><body><main><h1>Budget and Finance</h1><p>The department's budget.</p></main></body></html>"


def agency_routes(agency: str, links: str, pages: dict[str, str]) -> dict[str, Route]:
    routes = {
        "/": Route(home_page(agency, links)),
        "/about/": Route(agency_page(agency, "About the Department", "<p>Our mission and leadership.</p>")),
        "/about/budget": Route(BUDGET),
        "/contact": Route(agency_page(agency, "Contact Us", "<p>Call the main office.</p>")),
    }
    routes.update({path: Route(body) for path, body in pages.items()})
    return routes


SITES = {
    "NH": agency_routes(
        NH_AGENCY,
        '<li><a href="/innovations/elo/">Extended Learning Opportunities and Competency-Based Credit</a></li>',
        {"/innovations/elo/": NH_ELO},
    ),
    "UT": agency_routes(
        UT_AGENCY,
        '<li><a href="/curr/pcbl/grantprograms">Personalized, Competency-Based Learning Grants</a></li>',
        {"/curr/pcbl/grantprograms": UT_GRANTS},
    ),
    # The network page is two links below the home page, and neither link's
    # address names mastery: the crawl reaches it through the link texts.
    "ID": agency_routes(
        ID_AGENCY,
        '<li><a href="/content/">Mastery-Based Education</a></li>',
        {"/content/": ID_OVERVIEW, "/content/imen": ID_NETWORK},
    ),
    "MI": agency_routes(
        MI_AGENCY,
        '<li><a href="/mde/waivers">Seat Time Waivers</a></li>',
        {"/mde/waivers": MI_WAIVER},
    ),
    "TX": agency_routes(TX_AGENCY, "", {"/districts-of-innovation": TX_INNOVATION}),
    "GA": agency_routes(GA_AGENCY, "", {"/waivers/strategic-waivers": GA_WAIVERS}),
}

# Pages named in the seed list besides each home page, as a seed list names
# an agency's known policy page.
EXTRA_SEEDS = {"TX": ["/districts-of-innovation"], "GA": ["/waivers/strategic-waivers"]}

POSITIVE_PAGES = {"NH": "/innovations/elo/", "UT": "/curr/pcbl/grantprograms", "ID": "/content/imen"}
LOOKALIKE_PAGES = {"MI": "/mde/waivers", "TX": "/districts-of-innovation", "GA": "/waivers/strategic-waivers"}
EXPECTED_FRIENDLINESS = {"NH": "strong", "UT": "some", "ID": "some", "MI": "none", "TX": "none", "GA": "none"}


def write_seeds(path: Path, rows: list[tuple[str, str]], header: str = "state,url,note") -> Path:
    lines = [header] + [f"{state},{url},test site" for state, url in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def query(database: Path, sql: str, *params) -> list[dict]:
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies")
    servers = {state: SiteServer(routes) for state, routes in SITES.items()}
    for server in servers.values():
        server.__enter__()
    try:
        rows = []
        for state, server in servers.items():
            rows.append((state, f"{server.base_url}/"))
            rows += [(state, f"{server.base_url}{path}") for path in EXTRA_SEEDS.get(state, [])]
        seeds = write_seeds(folder / "seeds.csv", rows)
        database = folder / "signals.db"
        result = run_crawl(database, f"seeds={seeds}", spider="policies")
        yield {
            "result": result,
            "database": database,
            "servers": servers,
            "requests": {state: server.requested_paths() for state, server in servers.items()},
        }
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


def policy_signals(crawl, state: str) -> list[dict]:
    return query(crawl["database"], "SELECT * FROM signals WHERE kind = 'state_policy' AND state = ?", state)


def test_crawl_exits_cleanly(crawl):
    assert crawl["result"].returncode == 0, crawl["result"].log[-3000:]


@pytest.mark.parametrize("state", list(POSITIVE_PAGES))
def test_policy_signal_stored(crawl, state):
    found = policy_signals(crawl, state)
    assert found, crawl["result"].log[-3000:]
    assert all(signal["state"] == state for signal in found)


@pytest.mark.parametrize("state", list(POSITIVE_PAGES))
def test_policy_signal_on_policy_page(crawl, state):
    url = crawl["servers"][state].base_url + POSITIVE_PAGES[state]
    assert url in {signal["url"] for signal in policy_signals(crawl, state)}


@pytest.mark.parametrize("state", list(POSITIVE_PAGES))
def test_policy_quote_in_page_text(crawl, state):
    db = storage.open_database(crawl["database"])
    try:
        for signal in policy_signals(crawl, state):
            assert signal["quote"], signal
            assert signal["quote"] in storage.read_page_text(db, signal["url"]), signal
    finally:
        db.close()


def test_policy_signals_have_no_district(crawl):
    rows = query(crawl["database"], "SELECT district_id FROM signals WHERE kind = 'state_policy'")
    assert rows
    assert {row["district_id"] for row in rows} == {None}


@pytest.mark.parametrize("state", list(LOOKALIKE_PAGES))
def test_lookalike_page_fetched(crawl, state):
    assert LOOKALIKE_PAGES[state] in crawl["requests"][state]


@pytest.mark.parametrize("state", list(LOOKALIKE_PAGES))
def test_lookalike_no_policy_signal(crawl, state):
    assert policy_signals(crawl, state) == []


def test_pages_stored_as_state_policy(crawl):
    rows = query(crawl["database"], "SELECT DISTINCT source_type, district_id FROM pages")
    assert rows == [{"source_type": "state_policy", "district_id": None}]


def test_idaho_network_two_links_deep(crawl):
    requested = crawl["requests"]["ID"]
    assert "/content/" in requested
    assert "/content/imen" in requested


@pytest.mark.parametrize("state", list(SITES))
def test_budget_link_never_requested(crawl, state):
    requested = crawl["requests"][state]
    assert "/" in requested
    assert "/about/budget" not in requested
    assert "/contact" not in requested


def test_states_table_row_per_seed_state(crawl):
    rows = query(crawl["database"], "SELECT code FROM states ORDER BY code")
    assert [row["code"] for row in rows] == sorted(SITES)


@pytest.mark.parametrize("state", list(EXPECTED_FRIENDLINESS))
def test_states_friendliness(crawl, state):
    row = query(crawl["database"], "SELECT * FROM states WHERE code = ?", state)[0]
    assert row["cbe_friendliness"] == EXPECTED_FRIENDLINESS[state], row


@pytest.mark.parametrize("state", list(EXPECTED_FRIENDLINESS))
def test_states_policy_count_and_labels(crawl, state):
    row = query(crawl["database"], "SELECT * FROM states WHERE code = ?", state)[0]
    signals = policy_signals(crawl, state)
    assert row["policy_count"] == len(signals)
    assert json.loads(row["policies"]) == sorted({signal["label"] for signal in signals})
    assert row["updated_at"].endswith("Z")


def test_states_names(crawl):
    rows = query(crawl["database"], "SELECT code, name FROM states WHERE code IN ('NH', 'ID')")
    assert {row["code"]: row["name"] for row in rows} == {"ID": "Idaho", "NH": "New Hampshire"}


def test_crawls_table_records_policies(crawl):
    rows = query(crawl["database"], "SELECT spider, finish_reason FROM crawls")
    assert rows == [{"spider": "policies", "finish_reason": "finished"}]


# -a state=ID with a depth limit of one link: only Idaho's server gets
# requests, and the network page two links down is not requested.


@pytest.fixture(scope="module")
def idaho_shallow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies-idaho")
    with SiteServer(SITES["ID"]) as idaho, SiteServer(SITES["NH"]) as new_hampshire:
        seeds = write_seeds(folder / "seeds.csv", [("NH", f"{new_hampshire.base_url}/"), ("ID", f"{idaho.base_url}/")])
        database = folder / "signals.db"
        result = run_crawl(database, f"seeds={seeds}", "state=id", spider="policies", settings={"POLICY_MAX_DEPTH": "1"})
        yield {
            "result": result,
            "database": database,
            "idaho": idaho.requested_paths(),
            "new_hampshire": new_hampshire.requested_paths(),
        }


def test_state_argument_exits_cleanly(idaho_shallow):
    assert idaho_shallow["result"].returncode == 0, idaho_shallow["result"].log[-3000:]


def test_state_argument_skips_other_states(idaho_shallow):
    assert idaho_shallow["new_hampshire"] == []


def test_state_argument_writes_one_states_row(idaho_shallow):
    rows = query(idaho_shallow["database"], "SELECT code FROM states")
    assert rows == [{"code": "ID"}]


def test_max_depth_setting_stops_following(idaho_shallow):
    assert "/content/" in idaho_shallow["idaho"]
    assert "/content/imen" not in idaho_shallow["idaho"]


def test_max_pages_setting_caps_state(tmp_path):
    with SiteServer(SITES["ID"]) as idaho:
        seeds = write_seeds(tmp_path / "seeds.csv", [("ID", f"{idaho.base_url}/")])
        result = run_crawl(tmp_path / "signals.db", f"seeds={seeds}", spider="policies", settings={"POLICY_MAX_PAGES": "2"})
        requested = idaho.requested_paths()
    assert result.returncode == 0, result.log[-3000:]
    assert "/content/" in requested
    assert "/content/imen" not in requested


# Hosts. A seed that redirects to a new host takes that host into its state's
# crawl. A link to another host is not followed, and a page on another host
# that a followed link redirects to is not stored.


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies-hosts")
    with SiteServer() as other, SiteServer() as moved, SiteServer() as old, SiteServer() as home:
        other.routes.update(
            {
                "/competency-based-education": Route(NH_ELO),
                "/proficiency": Route(
                    agency_page("Other Agency", "Proficiency", '<p><a href="/mastery-next">Mastery</a></p>')
                ),
                "/mastery-next": Route(NH_ELO),
            }
        )
        moved.routes.update(SITES["ID"])
        old.routes["/"] = Route(b"", status=301, headers={"Location": f"{moved.base_url}/"})
        home.routes.update(
            agency_routes(
                NH_AGENCY,
                f"""<li><a href="{other.base_url}/competency-based-education">Competency-Based Education elsewhere</a></li>
<li><a href="/go/proficiency">Proficiency-Based Learning</a></li>
<li><a href="/innovations/elo/">Competency-Based Credit</a></li>""",
                {"/innovations/elo/": NH_ELO},
            )
        )
        home.routes["/go/proficiency"] = Route(b"", status=302, headers={"Location": f"{other.base_url}/proficiency"})
        seeds = write_seeds(folder / "seeds.csv", [("NH", f"{home.base_url}/"), ("ID", f"{old.base_url}/")])
        database = folder / "signals.db"
        result = run_crawl(database, f"seeds={seeds}", spider="policies")
        yield {
            "result": result,
            "database": database,
            "other": other,
            "moved": moved,
            "home": home,
            "other_requests": other.requested_paths(),
            "moved_requests": moved.requested_paths(),
        }


def test_hosts_crawl_exits_cleanly(hosts):
    assert hosts["result"].returncode == 0, hosts["result"].log[-3000:]


def test_moved_seed_host_crawled(hosts):
    assert "/content/imen" in hosts["moved_requests"]
    url = hosts["moved"].base_url + "/content/imen"
    assert query(hosts["database"], "SELECT state FROM signals WHERE kind = 'state_policy' AND url = ?", url) == [
        {"state": "ID"}
    ]


def test_link_to_other_host_not_requested(hosts):
    assert "/competency-based-education" not in hosts["other_requests"]


def test_redirect_to_other_host_not_stored(hosts):
    urls = {row["url"] for row in query(hosts["database"], "SELECT url FROM pages")}
    assert hosts["other"].base_url + "/proficiency" not in urls
    assert hosts["home"].base_url + "/innovations/elo/" in urls


def test_redirect_to_other_host_links_not_followed(hosts):
    assert "/mastery-next" not in hosts["other_requests"]


# Bad -a values stop the crawl before it starts.

BAD_ARGUMENTS = {
    "state=XX": "invalid -a state='XX'",
    "seeds=missing.csv": "seeds file not found: missing.csv",
    "seeds={folder}/no-url.csv": "missing column 'url'",
    "seeds={folder}/bad-state.csv": "invalid state 'ZZ'",
    "seeds={folder}/bad-url.csv": "invalid url 'www.example.org/'",
    "seeds={folder}/empty.csv": "no seed rows",
    "seeds={folder}/nh-only.csv,state=VT": "no seeds for VT",
}


@pytest.fixture(scope="module")
def bad_argument_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies-bad-arguments")
    with SiteServer({"/": Route("<html><body><p>Welcome.</p></body></html>")}) as site:
        (folder / "no-url.csv").write_text(f"state,address\nNH,{site.base_url}/\n", encoding="utf-8")
        (folder / "bad-state.csv").write_text(f"state,url\nZZ,{site.base_url}/\n", encoding="utf-8")
        (folder / "bad-url.csv").write_text("state,url\nNH,www.example.org/\n", encoding="utf-8")
        (folder / "empty.csv").write_text("state,url\n", encoding="utf-8")
        (folder / "nh-only.csv").write_text(f"state,url\nNH,{site.base_url}/\n", encoding="utf-8")
        runs = {}
        for argument in BAD_ARGUMENTS:
            arguments = argument.format(folder=folder).split(",")
            runs[argument] = run_crawl(folder / "signals.db", *arguments, spider="policies")
        yield {"runs": runs, "requests": site.requested_paths()}


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_exit_status_2(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert result.returncode == 2, result.log[-3000:]


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_message_on_stderr(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert BAD_ARGUMENTS[argument] in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("argument", list(BAD_ARGUMENTS))
def test_bad_argument_no_traceback(bad_argument_runs, argument):
    result = bad_argument_runs["runs"][argument]
    assert "Traceback" not in result.log, result.log[-3000:]


def test_bad_arguments_send_no_request(bad_argument_runs):
    assert bad_argument_runs["requests"] == []


# The shipped seed list.


def test_shipped_seeds_cover_states_and_dc():
    states = {seed.state for seed in read_seeds()}
    territories_and_agencies = {"AS", "GU", "MP", "PR", "VI", "BI", "DD"}
    assert states == set(STATE_CODES.values()) - territories_and_agencies
    assert len(states) == 51


def test_shipped_seeds_are_https():
    for seed in read_seeds():
        assert seed.url.startswith("https://"), seed


def test_seeds_file_not_found(tmp_path):
    with pytest.raises(InputError, match="seeds file not found"):
        read_seeds(tmp_path / "missing.csv")


def test_seeds_repeated_rows_read_once(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.csv", [("nh", "https://www.example.org/"), ("NH", "https://www.example.org/")])
    assert [(seed.state, seed.url) for seed in read_seeds(seeds)] == [("NH", "https://www.example.org/")]


# The states summary, on a database written directly.


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], "none"),
        (["competency-based credit"], "strong"),
        (["competency-based diploma", "seat-time waiver"], "strong"),
        (["proficiency-based graduation requirements"], "strong"),
        (["personalized, competency-based learning grants"], "some"),
        (["seat-time waiver"], "some"),
        (["mastery education network", "competency-based planning grants"], "some"),
    ],
)
def test_rate_friendliness(labels, expected):
    assert rate_friendliness(labels) == expected


def store_policy_page(db, url: str, state: str, label: str) -> None:
    page = {"url": url, "district_id": None, "source_type": "state_policy", "fetched_at": storage.utc_now(), "text": label}
    signal = {"kind": "state_policy", "label": label, "state": state, "quote": label}
    storage.store_page(db, page, [signal])


def test_update_states_skips_gone_signals(tmp_path):
    db = storage.open_database(tmp_path / "signals.db")
    try:
        store_policy_page(db, "https://www.example.org/credit", "NH", "competency-based credit")
        store_policy_page(db, "https://www.example.org/grants", "NH", "competency-based planning grants")
        storage.mark_page_gone(db, "https://www.example.org/credit", 404)
        row = update_states(db, ["NH"])[0]
    finally:
        db.close()
    assert row["policy_count"] == 1
    assert json.loads(row["policies"]) == ["competency-based planning grants"]
    assert row["cbe_friendliness"] == "some"


def test_update_states_without_codes(tmp_path):
    db = storage.open_database(tmp_path / "signals.db")
    try:
        update_states(db, ["VT"])
        store_policy_page(db, "https://www.example.org/grants", "UT", "competency-based planning grants")
        rows = update_states(db)
        stored = {row["code"]: row["cbe_friendliness"] for row in db["states"].rows}
    finally:
        db.close()
    assert [row["code"] for row in rows] == ["UT", "VT"]
    assert stored == {"UT": "some", "VT": "none"}


def test_second_policy_crawl_is_conditional(tmp_path):
    routes = agency_routes(ID_AGENCY, '<li><a href="/content/">Mastery-Based Education</a></li>',
                           {"/content/": ID_OVERVIEW, "/content/imen": ID_NETWORK})
    for path, route in routes.items():
        route.headers["ETag"] = f'"{path}-v1"'
    database = tmp_path / "signals.db"
    with SiteServer(routes) as site:
        seeds = write_seeds(tmp_path / "seeds.csv", [("ID", f"{site.base_url}/")])
        run_crawl(database, f"seeds={seeds}", spider="policies")
        signals_before = query(database, "SELECT id, last_seen_at FROM signals WHERE kind = 'state_policy'")
        time.sleep(1.1)
        second = run_crawl(database, f"seeds={seeds}", spider="policies")
        conditional = site.headers_of("/content/imen")

    assert second.returncode == 0
    assert "'k12signals/incremental/unchanged_304': 3" in second.log
    assert len(conditional) == 2
    assert conditional[1].get("If-None-Match") == '"/content/imen-v1"'
    signals_after = query(database, "SELECT id, last_seen_at FROM signals WHERE kind = 'state_policy'")
    assert [row["id"] for row in signals_after] == [row["id"] for row in signals_before]
    assert signals_after[0]["last_seen_at"] > signals_before[0]["last_seen_at"]
