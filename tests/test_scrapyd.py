"""Scheduling: deploy the project to a real Scrapyd on 127.0.0.1 and run `districts` through its HTTP API.

The test starts `scrapyd` on a free port, with its eggs, logs and databases
in a temporary folder. It deploys a copy of the project with `scrapyd-deploy`
(scrapyd-client) and schedules the districts spider with `schedule.json`
against a site served on 127.0.0.1. Then it waits until `listjobs.json` lists
the job as finished, and reads the signals from the database the job wrote.
Scrapyd and every process it started are stopped at the end, whatever the
outcome.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.sitekit import FAST_CRAWL_SETTINGS, OFFSITE_GUARD_ENVIRONMENT, REPO_ROOT, Route, SiteServer, write_registry

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scrapyd") is None or importlib.util.find_spec("scrapyd_client") is None,
    reason="scrapyd and scrapyd-client are not installed; install the project with '.[test]'",
)

PROJECT = "k12signals"
NCES_ID = "3399950"
# What `scrapyd-deploy` needs to build the project's egg.
PROJECT_FILES = ["crawlers", "pipelines", "k12signals", "pyproject.toml", "setup.py", "README.md"]
STARTUP_TIMEOUT_SECONDS = 30
JOB_TIMEOUT_SECONDS = 180

# urllib reads http_proxy from the environment, but the test talks to Scrapyd directly.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def page(title: str, article: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Birch Hill School District</title></head>
<body><header><nav><a href="/">Home</a> <a href="/news/">News</a>
<a href="/academics/competency-based-learning">Competency-Based Learning</a></nav></header>
<main><article><h1>{title}</h1>
{article}
</article></main>
<footer><p>Birch Hill School District, 12 Mill Road, Birch Hill, NH.</p></footer>
</body></html>"""


def district_site() -> dict[str, Route]:
    return {
        "/": Route(page("Welcome to Birch Hill School District",
                        '<p>Read the <a href="/news/">district news</a>.</p>')),
        "/news/": Route(page("District News",
                             '<ul><li><a href="/news/new-principal">New principal for Fox Run Elementary</a></li></ul>')),
        "/news/new-principal": Route(page(
            "New principal for Fox Run Elementary",
            """<p>Posted April 2, 2026</p>
<p>The Birch Hill Board of Education appointed Renee Sorensen as principal of Fox Run Elementary School at its
April 1 meeting. Sorensen will begin on July 1, 2026.</p>""",
        )),
        "/academics/competency-based-learning": Route(page(
            "Competency-Based Learning",
            """<p>Since 2021, all of our schools have used competency-based education district-wide. Students
advance when they demonstrate mastery of each course competency.</p>""",
        )),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_get(base_url: str, endpoint: str, **query: str) -> dict:
    url = f"{base_url}/{endpoint}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with DIRECT.open(url, timeout=10) as response:
        return json.load(response)


def api_post(base_url: str, endpoint: str, fields: list[tuple[str, str]]) -> dict:
    data = urllib.parse.urlencode(fields).encode("ascii")
    with DIRECT.open(f"{base_url}/{endpoint}", data=data, timeout=10) as response:
        return json.load(response)


def child_environment(home: Path) -> dict[str, str]:
    """Environment of scrapyd, scrapyd-deploy and, through Scrapyd, the crawl.

    HOME points into the temporary folder so that a ~/.scrapyd.conf on the
    machine cannot change the port or folders. The proxy variables keep the
    crawl on 127.0.0.1.
    """
    environment = {key: value for key, value in os.environ.items() if key != "SCRAPY_SETTINGS_MODULE"}
    environment.update(OFFSITE_GUARD_ENVIRONMENT)
    environment["HOME"] = str(home)
    environment["K12SIGNALS_CONTACT"] = "tests@example.org"
    return environment


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop scrapyd and the crawls it launched, which share the session that the test started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    else:
        # scrapyd exited on its own, so end any crawl it left running.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def scrapyd_url(tmp_path):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home / "eggs"}
logs_dir = {home / "logs"}
dbs_dir = {home / "dbs"}
items_dir =
max_proc = 1
poll_interval = 0.5
""",
        encoding="utf-8",
    )
    log = (home / "scrapyd.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd", "--pidfile", str(home / "twistd.pid")],
        cwd=home,
        env=child_environment(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                if api_get(base_url, "daemonstatus.json").get("status") == "ok":
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scrapyd did not start on port {port}:\n{(home / 'scrapyd.log').read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        stop_process_group(process)
        log.close()


def copy_project(tmp_path: Path) -> Path:
    """Copy what an egg build needs, so that the build writes nothing into the repository."""
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    return project


def deploy_copy_of_project(tmp_path: Path, base_url: str) -> subprocess.CompletedProcess:
    """Run scrapyd-deploy on a copy of the project, with a target at `base_url`."""
    project = copy_project(tmp_path)
    (project / "scrapy.cfg").write_text(
        f"""[settings]
default = crawlers.settings

[deploy:test]
url = {base_url}/
project = {PROJECT}
""",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", "test"],
        cwd=project,
        env=child_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )


def wait_for_job(base_url: str, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        jobs = api_get(base_url, "listjobs.json", project=PROJECT)
        for job in jobs.get("finished", []):
            if job["id"] == job_id:
                return job
        time.sleep(1)
    pytest.fail(f"job {job_id} did not finish within {JOB_TIMEOUT_SECONDS} s: {jobs}")


def test_scrapyd_runs_districts_crawl(tmp_path, scrapyd_url):
    deployed = deploy_copy_of_project(tmp_path, scrapyd_url)
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)["status"] == "ok", deployed.stdout

    spiders = api_get(scrapyd_url, "listspiders.json", project=PROJECT)
    assert "districts" in spiders["spiders"], spiders

    database = tmp_path / "signals.db"
    with SiteServer(district_site()) as site:
        registry = write_registry(tmp_path / "registry.csv", [
            {"nces_id": NCES_ID, "name": "Birch Hill School District", "state": "NH", "website": site.host},
        ])
        settings = {**FAST_CRAWL_SETTINGS, "SIGNALS_DB": str(database)}
        # Fields other than Scrapyd's own are spider arguments; on a new database every district is stale.
        fields = [("project", PROJECT), ("spider", "districts"), ("registry", str(registry)), ("stale_after", "7d")]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        scheduled = api_post(scrapyd_url, "schedule.json", fields)
        assert scheduled["status"] == "ok", scheduled

        job = wait_for_job(scrapyd_url, scheduled["jobid"])
        requested = site.requested_paths()

    log_file = tmp_path / "scrapyd" / "logs" / PROJECT / "districts" / f"{scheduled['jobid']}.log"
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else f"(no log at {log_file})"
    assert "/news/new-principal" in requested, log
    assert "Traceback" not in log, log
    assert "publicsuffix.org" not in log, log

    with sqlite3.connect(database) as connection:
        reasons = [row[0] for row in connection.execute("SELECT finish_reason FROM crawls")]
        kinds = {row[0] for row in connection.execute("SELECT kind FROM signals WHERE district_id = ?", [NCES_ID])}
        people = {row[0] for row in connection.execute("SELECT person FROM signals WHERE kind = 'principal_appointment'")}
    assert reasons == ["finished"], (job, log)
    assert "principal_appointment" in kinds, log
    assert "cbe_language" in kinds, log
    assert "Renee Sorensen" in people, log


def test_egg_detector_version_matches_source(tmp_path):
    from k12signals.detector_version import detector_version

    project = copy_project(tmp_path)
    subprocess.run(
        [sys.executable, "setup.py", "bdist_egg", "-d", str(tmp_path / "dist")],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=120,
    )
    egg = next((tmp_path / "dist").glob("*.egg"))
    # Scrapyd's runner activates the egg, whose modules then shadow the installed project, as they do here.
    code = "import sys; sys.path.insert(0, sys.argv[1]); from k12signals.detector_version import detector_version; print(detector_version())"
    from_egg = subprocess.run(
        [sys.executable, "-c", code, str(egg)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )

    assert from_egg.stdout.strip() == detector_version()
