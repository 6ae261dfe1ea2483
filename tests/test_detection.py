"""Tests for k12signals.detection on texts written for each rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fpdf import FPDF

from k12signals.detection import detect
from k12signals.detection.principals import resolve_month_day
from k12signals.detection.vocabulary import NormalizedText, expand, load_vocabulary

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
URL = "https://www.maplebrook.k12.nh.us/news/1"


def kinds(detection, kind):
    return [signal for signal in detection.signals if signal["kind"] == kind]


def test_district_cbe_mature():
    text = ("Maplebrook School District has used competency-based grading in every school "
            "since 2014, and every graduate earns a competency-based diploma.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    assert result.cbe_stage == "mature"
    assert kinds(result, "cbe_language")[0]["quote"] in text


def test_district_cbe_exploring():
    text = ("The Maplebrook board formed a task force to study whether mastery-based learning "
            "could work in our schools. No changes are planned for next year.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    assert result.cbe_stage == "exploring"


def test_district_cbe_retreat():
    text = ("The Maplebrook board voted 5-2 to discontinue standards-based grading and return "
            "to letter grades next fall.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    assert result.cbe_stage == "retreat"


def test_percent_proficient_is_not_cbe():
    text = "In Maplebrook, 58 percent of our students scored proficient in reading this spring.\n"
    assert kinds(detect(text, url=URL), "cbe_language") == []


def test_core_competencies_job_is_not_cbe():
    text = "Core competencies for this role: communication, payroll accuracy and teamwork.\n"
    assert kinds(detect(text, url=URL, source_type="job_posting"), "cbe_language") == []


def test_other_state_school_is_not_cbe():
    text = ("Maplebrook graduate Ana Ruiz now teaches in Vermont, at a school far from home.\n"
            "Green Mountain Commons is a proficiency-based school where students earn credit by "
            "demonstrating proficiency.\n")
    result = detect(text, url=URL, state="NH")
    assert kinds(result, "cbe_language") == []


def test_role_with_holder():
    text = ("Dr. Lena Ortiz, the district's Director of Personalized Learning, presented the "
            "report.\n")
    roles = kinds(detect(text, url=URL), "cbe_role")
    assert roles[0]["label"] == "personalized_learning_director"
    assert roles[0]["person"] == "Lena Ortiz"


def test_blended_learning_director_is_not_role():
    text = "Marisol Vega, Director of Blended Learning, leads the online course program.\n"
    assert kinds(detect(text, url=URL), "cbe_role") == []


def test_parent_learning_coach_is_not_role():
    text = ("Our competency-based virtual school needs a Learning Coach for every student: a "
            "parent or guardian who supports the student at home.\n")
    assert kinds(detect(text, url=URL), "cbe_role") == []


def test_appointment_with_year_from_page_date():
    text = ("The board approved Dana Whitcomb as principal of Birch Hollow Elementary School, "
            "effective July 1.\n")
    appointments = kinds(detect(text, url=URL, published_at="2026-05-04"), "principal_appointment")
    assert len(appointments) == 1
    assert appointments[0]["person"] == "Dana Whitcomb"
    assert appointments[0]["school"] == "Birch Hollow Elementary School"
    assert appointments[0]["position"] == "principal"
    assert appointments[0]["effective_date"] == "2026-07-01"


def test_acting_principal_is_interim():
    text = ("Beginning Monday, February 2, 2026, Lena Marchetti will serve as acting principal "
            "of Wrenfield Middle School while Principal Kevin Doyle is on medical leave.\n")
    appointments = kinds(detect(text, url=URL, published_at="2026-01-27"), "principal_appointment")
    assert [a["person"] for a in appointments] == ["Lena Marchetti"]
    assert appointments[0]["position"] == "interim_principal"
    assert appointments[0]["effective_date"] == "2026-02-02"


def test_school_year_start_has_no_date():
    text = ("The board appointed Hollis Grady as interim principal of Hogback Elementary School "
            "for the 2026-27 school year.\n")
    appointments = kinds(detect(text, url=URL, published_at="2026-05-12"), "principal_appointment")
    assert appointments[0]["effective_date"] is None


def test_retirement_and_bond_are_not_appointments():
    text = ("The board accepted the retirement of Principal Roger Ames of Birch Hollow "
            "Elementary School, effective June 30, 2026.\n"
            "The board approved the payment of principal and interest on the 2019 bonds.\n")
    assert kinds(detect(text, url=URL, published_at="2026-05-12"), "principal_appointment") == []


def test_principal_of_the_year_is_not_appointment():
    text = ("The board congratulated Principal Gretchen Albrecht, who was named regional "
            "Principal of the Year.\n")
    assert kinds(detect(text, url=URL), "principal_appointment") == []


def test_personnel_table_rows_by_section():
    text = ("New Hires\n"
            "Tobias Wren\tInterim Principal\tHarbor Point Elementary\t01/05/26\n"
            "Resignations\n"
            "Janet Kowal\tPrincipal\tCedar Dunes Elementary\t06/30/26\n")
    appointments = kinds(detect(text, url=URL, source_type="board_minutes",
                                published_at="2025-12-08"), "principal_appointment")
    assert [a["person"] for a in appointments] == ["Tobias Wren"]
    assert appointments[0]["effective_date"] == "2026-01-05"


def test_state_policy_on_agency_page():
    text = ("New Hampshire requires every high school to award competency-based credit, and "
            "the state's minimum standards have required it statewide since 2008-09.\n")
    result = detect(text, url="https://www.education.nh.gov/cbe", source_type="state_policy",
                    state="NH")
    policies = kinds(result, "state_policy")
    assert policies[0]["state"] == "NH"


def test_michigan_online_seat_time_waiver_is_not_policy():
    text = ("Districts may apply for a seat time waiver to offer online courses and credit "
            "recovery to students.\n")
    result = detect(text, url="https://www.michigan.gov/mde", source_type="state_policy",
                    state="MI")
    assert kinds(result, "state_policy") == []


def test_quotes_are_exact_substrings():
    text = ("The Maplebrook board adopted a competency-based graduation policy.\n"
            "The board also approved Kendra Tolliver as principal of Juniper Hills Elementary, "
            "effective August 1, 2026.\n")
    for signal in detect(text, url=URL, published_at="2026-04-01").signals:
        assert signal["quote"] in text


def test_pdf_signals_carry_page():
    text = "Call to order.\n" + "The board adopted a mastery-based credit policy.\n"
    starts = [0, len("Call to order.\n")]
    signal = kinds(detect(text, url=URL, page_starts=starts), "cbe_language")[0]
    assert signal["page"] == 2


def test_month_day_rolls_to_next_year():
    assert resolve_month_day(1, 5, "2025-12-15") == "2026-01-05"


def test_month_day_without_page_date():
    assert resolve_month_day(7, 1, None) is None


def test_expand_braces():
    assert expand("{a|b} of {x|}y") == ["a of xy", "a of y", "b of xy", "b of y"]


def test_extra_vocabulary_extends_defaults(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[roles]\ncbe_coordinator = ["director of learner progress"]\n')
    vocabulary = load_vocabulary(str(extra))
    assert "director of learner progress" in vocabulary["roles"]["cbe_coordinator"]
    assert "mastery coordinator" in vocabulary["roles"]["cbe_coordinator"]


def test_extra_vocabulary_through_environment(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[roles]\ncbe_coordinator = ["director of learner progress"]\n')
    code = ("from k12signals.detection import detect;"
            "r = detect('Ana Ruiz, Director of Learner Progress, spoke.\\n');"
            "print([s['label'] for s in r.signals])")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"K12SIGNALS_VOCABULARY": str(extra), "PATH": ""}, check=True)
    assert "cbe_coordinator" in output.stdout


def test_no_scrapy_import():
    code = ("import sys, k12signals.extraction, k12signals.detection;"
            "print('scrapy' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "k12signals.cli", *args],
                          capture_output=True, text=True)


def test_cli_manifest_keeps_order_and_errors(tmp_path):
    good = tmp_path / "good.html"
    good.write_text("<html><body><p>The Maplebrook board adopted a competency-based "
                    "graduation policy for all students this spring.</p></body></html>")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "January 12, 2026 regular meeting minutes")
    minutes = tmp_path / "minutes.pdf"
    minutes.write_bytes(bytes(pdf.output()))
    manifest = tmp_path / "manifest.jsonl"
    rows = [{"path": str(good), "url": URL, "source_type": "district_site", "state": "NH"},
            {"path": str(tmp_path / "missing.html"), "url": URL},
            {"path": str(minutes), "url": URL, "source_type": "board_minutes"}]
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    process = _run_cli("detect", "--manifest", str(manifest))
    assert process.returncode == 0, process.stderr
    results = [json.loads(line) for line in process.stdout.splitlines()]
    assert [r["path"] for r in results] == [row["path"] for row in rows]
    assert "error" in results[1]
    assert results[0]["cbe_stage"] is not None
    assert results[2]["published_at"] == "2026-01-12"


def test_cli_invalid_state_exits_2(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("Hello\n")
    process = _run_cli("detect", str(page), "--state", "New Hampshire")
    assert process.returncode == 2
    assert "two-letter" in process.stderr


@pytest.mark.skipif(not (SHARED / "eval" / "score.py").is_file(),
                    reason="shared evaluation set not present")
def test_shared_cases_score():
    repo = Path(__file__).resolve().parents[1]
    command = f"{sys.executable} -m k12signals.cli detect --manifest {{manifest}}"
    process = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "score.py"), str(SHARED / "eval" / "cases"),
         "--cmd", command, "--quiet", "--min-f1", "0.9"],
        capture_output=True, text=True, cwd=repo)
    assert process.returncode == 0, process.stdout + process.stderr


def _offsets_by_character(text: str) -> tuple[str, list[int]]:
    """Fold separators one character at a time: the reference for NormalizedText's map."""
    separators = set(" \t\n\r\f\v-\u2010\u2011\u2012\u2013\u2014\u2015")
    characters: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text.lower()):
        if char in separators:
            if characters and characters[-1] != " ":
                characters.append(" ")
                offsets.append(index)
            continue
        characters.append(char)
        offsets.append(index)
    return "".join(characters), offsets


@pytest.mark.parametrize("text", [
    "Competency-based  learning",
    "  \n leading space and trailing space \n\n",
    "mastery -- based\t\tgrading - for all",
    "one\u2013two \u2014 three",
    "a",
    "- -",
])
def test_normalized_text_offsets(text):
    expected_text, expected_offsets = _offsets_by_character(text)
    normalized = NormalizedText(text)
    assert normalized.text == expected_text
    mapped = [normalized.original_offset(position) for position in range(len(normalized.text))]
    assert mapped == expected_offsets


def test_page_without_trigger_words():
    text = "Board Meeting\nThe board met on May 5 and approved the budget for next year.\n" * 200
    detection = detect(text, url="https://www.example-sd.org/board")
    assert detection.signals == []
    assert detection.cbe_stage is None


def test_appointment_without_word_principal():
    text = "Jordan Ellery will lead Maple Street Elementary School starting July 1, 2026.\n"
    detection = detect(text, url="https://www.example-sd.org/news", published_at="2026-03-01")
    people = [signal["person"] for signal in detection.signals
              if signal["kind"] == "principal_appointment"]
    assert people == ["Jordan Ellery"]


# Quotes: the passage a reader sees must show the stage and the reported fields.

def test_cbe_quote_shows_stage_evidence():
    text = ("Maplebrook Stories\n"
            "Families can learn more at our competency-based learning information night each fall.\n"
            "Maplebrook School District has used competency-based learning in all of its schools "
            "for the past six years.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    quote = kinds(result, "cbe_language")[0]["quote"]
    assert result.cbe_stage == "mature"
    assert "all of its schools for the past six years" in quote
    assert "information night" not in quote
    assert quote in text


def test_cbe_quote_prefers_body_to_headline():
    text = ("Three Elementary Schools in First Year of Personalized, Competency-Based Learning\n"
            "Students at Alder, Birch and Cedar elementary schools are in the first year of a "
            "competency-based learning pilot.\n")
    quote = kinds(detect(text, url=URL, published_at="2026-03-01"), "cbe_language")[0]["quote"]
    assert quote.startswith("Students at Alder")
    assert "pilot" in quote
    assert quote in text


def test_cbe_quote_adds_neighbour_with_stage_cue():
    text = ("This fall our seventh graders began receiving proficiency-based report cards. "
            "The pilot, now in its first year, covers four core subjects.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    quote = kinds(result, "cbe_language")[0]["quote"]
    assert result.cbe_stage == "early"
    assert "proficiency-based report cards" in quote
    assert "The pilot, now in its first year" in quote
    assert quote in text


def test_retreat_quote_has_retreat_verb():
    text = ("Our middle school has used standards-based grading since 2019. "
            "Parents have asked many questions about it.\n"
            "The board voted to discontinue standards-based grading at the end of this year.\n")
    result = detect(text, url=URL, published_at="2026-03-01")
    quote = kinds(result, "cbe_language")[0]["quote"]
    assert result.cbe_stage == "retreat"
    assert "discontinue" in quote


def test_policy_title_is_not_reach():
    # "Graduation Requirements" names the policy; the body says it reaches one grade.
    text = ("Action Item 4.2: Policy IKF-CB, Competency-Based Graduation Requirements\n"
            "The policy lets students at Maplebrook High School and Birch Hill High School "
            "earn credit by demonstrating competencies rather than by seat time.\n"
            "Motion to adopt Policy IKF-CB on second reading carried 5-0.\n")
    result = detect(text, url=URL, source_type="board_minutes", published_at="2026-04-13")
    assert result.cbe_stage == "early"


def test_future_graduating_class_count_is_mature():
    text = ("The Class of 2026 will be the seventh graduating class to earn diplomas under "
            "the Maplebrook district's proficiency-based graduation requirements.\n")
    result = detect(text, url=URL, published_at="2026-05-12")
    assert result.cbe_stage == "mature"


def test_appointment_quote_has_body_date_not_headline():
    text = ("Board names Dana Whitfield principal of Cedar Ridge Elementary\n"
            "March 10, 2026\n"
            "The Maplebrook board voted Monday to appoint Dana Whitfield as principal of Cedar "
            "Ridge Elementary School, effective July 1.\n")
    appointment = kinds(detect(text, url=URL, published_at="2026-03-10"),
                        "principal_appointment")[0]
    assert appointment["effective_date"] == "2026-07-01"
    assert "effective July 1" in appointment["quote"]
    assert "Board names" not in appointment["quote"]
    assert appointment["quote"] in text


def test_appointment_quote_adds_dating_sentence():
    text = ("Trustees named Rosalind Achebe principal of Bluebonnet Trail Elementary. "
            "She will start on January 26.\n")
    appointment = kinds(detect(text, url=URL, published_at="2026-01-13"),
                        "principal_appointment")[0]
    assert appointment["effective_date"] == "2026-01-26"
    assert "Rosalind Achebe" in appointment["quote"]
    assert "January 26" in appointment["quote"]
    assert appointment["quote"] in text


def test_appointment_long_sentence_quote_keeps_date():
    # The sentence is longer than a quote, so the quote is cut; it must keep the date.
    text = ("Upon the recommendation of the Superintendent and after interviews with a committee "
            "of parents, teachers and administrators held over three evenings in April, the "
            "board approved Kendra Tolliver as principal of Juniper Hills Elementary School on "
            "a two-year administrative contract at the salary recommended by the "
            "superintendent, with the benefits and duties of the post as set out in the "
            "administrative handbook, effective August 3, 2026, and thanked the committee.\n")
    appointment = kinds(detect(text, url=URL, published_at="2026-05-04"),
                        "principal_appointment")[0]
    assert len(text) > 400
    assert appointment["effective_date"] == "2026-08-03"
    assert "August 3, 2026" in appointment["quote"]
    assert "Kendra Tolliver as principal" in appointment["quote"]
    assert appointment["quote"] in text


def test_policy_credit_for_mastery_labelled_credit():
    from k12signals.states import rate_friendliness

    text = (
        "Mastery-Based Education\n"
        "The New Hampshire State Board of Education adopted rules allowing districts to award credit based on "
        "demonstrated mastery of competencies rather than seat time.\n"
    )
    detection = detect(text, url="https://www.education.nh.example.gov/mbe", source_type="state_policy", state="NH")
    policies = kinds(detection, "state_policy")
    assert [policy["label"] for policy in policies] == ["competency-based credit"]
    assert rate_friendliness([policy["label"] for policy in policies]) == "strong"
