"""Score the detector on the labelled pages in tests/cases, and check the labels' shape.

The score comes from the evaluation script kept outside this repository, at
../shared/eval/score.py. It runs `k12signals detect` once over every case and
prints a summary line:

    score: macro_f1=... cbe_f1=... role_f1=... principal_f1=... policy_f1=...
           stage_acc=... date_acc=... quotes=... cases=N

Each figure is checked against its floor below. The shape checks need nothing
outside this repository.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = REPO_ROOT / "tests" / "cases"
SCORER = REPO_ROOT.parent / "shared" / "eval" / "score.py"

MACRO_F1_FLOOR = 0.85
KIND_F1_FLOOR = 0.80
STAGE_ACC_FLOOR = 0.75
DATE_ACC_FLOOR = 0.85
QUOTES_FLOOR = 1.0

FLOORS = {
    "macro_f1": MACRO_F1_FLOOR,
    "cbe_f1": KIND_F1_FLOOR,
    "role_f1": KIND_F1_FLOOR,
    "principal_f1": KIND_F1_FLOOR,
    "policy_f1": KIND_F1_FLOOR,
    "stage_acc": STAGE_ACC_FLOOR,
    "date_acc": DATE_ACC_FLOOR,
    "quotes": QUOTES_FLOOR,
}

# Allowed values of the labelled fields, as fixed by the detector's output contract.
SOURCE_TYPES = {"district_site", "board_minutes", "job_posting", "state_policy"}
STAGES = {"exploring", "early", "mature", "retreat"}
ROLE_LABELS = {"personalized_learning_director", "cbe_coordinator", "mastery_data_lead",
               "competency_framework_lead", "learning_coach"}
POSITIONS = {"principal", "assistant_principal", "interim_principal"}
PAGE_SUFFIXES = {".html", ".pdf", ".txt"}
MAX_PDF_BYTES = 50_000

CASE_DIRS = sorted(path.parent for path in CASES_DIR.glob("*/case.json"))


@pytest.fixture(scope="module")
def score_run() -> tuple[dict[str, float], str]:
    """Run the shared scorer once over tests/cases; return the summary figures and full output."""
    if not SCORER.is_file():
        pytest.skip(f"shared scorer not found at {SCORER}; it lives outside this repository")

    detect = f"{sys.executable} -m k12signals.cli detect --manifest {{manifest}}"
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(CASES_DIR), "--cmd", detect],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 2, f"the scorer could not run the detector:\n{output[-4000:]}"

    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("score:"), f"no 'score:' summary line in:\n{output[-4000:]}"
    figures = {key: float(value) for key, value in re.findall(r"(\w+)=([0-9.]+)", lines[-1])}
    return figures, proc.stdout


@pytest.mark.parametrize("figure", list(FLOORS))
def test_score_meets_floor(score_run: tuple[dict[str, float], str], figure: str) -> None:
    figures, output = score_run
    assert figure in figures, f"{figure} missing from the summary line; output:\n{output[-2000:]}"
    misses = "\n".join(line for line in output.splitlines() if line.startswith("  "))
    assert figures[figure] >= FLOORS[figure], (
        f"{figure}={figures[figure]:.3f} is below the floor {FLOORS[figure]}; misses:\n{misses}")


def test_cases_folder_has_cases() -> None:
    assert len(CASE_DIRS) >= 45, f"expected at least 45 cases under {CASES_DIR}, found {len(CASE_DIRS)}"


def is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[path.name for path in CASE_DIRS])
def test_case_json_well_formed(case_dir: Path) -> None:
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))

    missing = {"file", "url", "source_type", "state", "expect", "notes"} - case.keys()
    assert not missing, f"case.json lacks keys {sorted(missing)}"
    page = case_dir / case["file"]
    assert page.is_file(), f"page file {case['file']} not found"
    assert page.suffix in PAGE_SUFFIXES, f"page {case['file']} is not .html, .pdf or .txt"
    if page.suffix == ".pdf":
        assert page.stat().st_size < MAX_PDF_BYTES, f"{case['file']} is {page.stat().st_size} bytes"
    assert case["url"].startswith("https://"), f"url {case['url']!r} is not an https address"
    assert case["source_type"] in SOURCE_TYPES, f"source_type {case['source_type']!r} is not allowed"
    assert case["state"] is None or re.fullmatch(r"[A-Z]{2}", case["state"]), (
        f"state {case['state']!r} is not a two-letter code or null")
    assert case["notes"].strip(), "notes are empty; say why the labels are what they are"

    expect = case["expect"]
    missing = {"published_at", "cbe", "roles", "principal_appointments", "state_policy"} - expect.keys()
    assert not missing, f"expect lacks keys {sorted(missing)}"
    assert expect["published_at"] is None or is_iso_date(expect["published_at"]), (
        f"published_at {expect['published_at']!r} is not an ISO date or null")

    cbe = expect["cbe"]
    assert isinstance(cbe.get("adoption"), bool), f"cbe.adoption {cbe.get('adoption')!r} is not a boolean"
    if cbe["adoption"]:
        assert cbe.get("stage") in STAGES, f"cbe.stage {cbe.get('stage')!r} is not one of {sorted(STAGES)}"
    else:
        assert cbe.get("stage") is None, f"cbe.stage is {cbe.get('stage')!r} on a page without CBE"

    for role in expect["roles"]:
        assert role.get("label") in ROLE_LABELS, f"role label {role.get('label')!r} is not allowed"
        assert role.get("person") is None or isinstance(role["person"], str), (
            f"role person {role.get('person')!r} is not a name or null")
    labels = [role["label"] for role in expect["roles"]]
    assert len(labels) == len(set(labels)), f"role labels repeat: {labels}; roles are scored as a set"

    for appointment in expect["principal_appointments"]:
        assert isinstance(appointment.get("person"), str) and appointment["person"], (
            f"appointment without a person: {appointment}")
        assert "school" in appointment, f"appointment lacks the school key: {appointment}"
        assert appointment.get("position") in POSITIONS, (
            f"position {appointment.get('position')!r} is not one of {sorted(POSITIONS)}")
        effective = appointment.get("effective_date")
        assert effective is None or is_iso_date(effective), (
            f"effective_date {effective!r} is not an ISO date or null")

    assert isinstance(expect["state_policy"], bool), (
        f"state_policy {expect['state_policy']!r} is not a boolean")
    if expect["state_policy"]:
        assert case["source_type"] == "state_policy", "state_policy is true on a page that is not a state page"
